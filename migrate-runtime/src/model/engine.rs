//! The database engines migrate runs on.

use std::fmt;

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Sqlite => "SQLite",
        })
    }
}

/// An engine's name that is none of migrate's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEngine(String);

impl fmt::Display for UnknownEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown engine `{}` (known: postgres, sqlite)", self.0)
    }
}

impl std::error::Error for UnknownEngine {}

impl std::str::FromStr for Engine {
    type Err = UnknownEngine;

    /// `postgres` (or `postgresql`) and `sqlite`, as `engine` in
    /// `migrate.toml` and the macro's argument name them.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "postgres" | "postgresql" => Ok(Engine::Postgres),
            "sqlite" => Ok(Engine::Sqlite),
            _ => Err(UnknownEngine(text.to_owned())),
        }
    }
}
