//! Why a command stopped: its exit code, its message, and the fields of
//! its JSON error object (`kind`, `version`, `file`, `line`, `column`,
//! `code`, `message`, `detail`, `hint`, …, each present when known).

use serde_json::{json, Map, Value};

use crate::{Error, ErrorCode};

/// Why a command stopped, and its exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
    /// Whether the JSON document was already written.
    pub(crate) documented: bool,
    /// The JSON error object's fields besides `message` (`kind` defaults
    /// to `usage` or `failed` by the exit code).
    pub(crate) fields: Map<String, Value>,
    /// For a lost connection, the versions whose outcome it left unknown
    /// (`first`, `last`), for the command to read again on a new one.
    pub(crate) lost: Option<(u64, u64)>,
}

impl Failure {
    /// A usage, configuration or validation error: exit code 2.
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
            documented: false,
            fields: Map::new(),
            lost: None,
        }
    }

    /// A migration or database error: exit code 1.
    pub(crate) fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            ..Failure::usage(message)
        }
    }

    /// The same failure with a field of its JSON object set (a null value
    /// leaves it out).
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Failure {
        let value = value.into();
        if !value.is_null() {
            self.fields.insert(key.to_owned(), value);
        }
        self
    }

    /// The JSON error object.
    pub(crate) fn json(&self) -> Value {
        let mut object = Map::new();
        let kind = if self.code == 2 { "usage" } else { "failed" };
        object.insert("kind".to_owned(), json!(kind));
        object.extend(self.fields.clone());
        object.insert("message".to_owned(), json!(self.message));
        Value::Object(object)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let failure = match e {
            Error::InvalidOption { .. } => Failure::usage(e.to_string()),
            Error::ConnectionLost { first, last, .. } => Failure {
                lost: Some((first, last)),
                ..Failure::failed(e.to_string())
            },
            Error::Stopped(_) => Failure {
                code: super::interrupt::EXIT,
                ..Failure::failed(format!("interrupted; {e}"))
            },
            _ => Failure::failed(e.to_string()),
        };
        fields(&e)
            .into_iter()
            .fold(failure, |f, (key, value)| f.with(key, value))
    }
}

/// `23505` for PostgreSQL, the extended result code for SQLite.
fn code(code: Option<&ErrorCode>) -> Value {
    match code {
        Some(ErrorCode::SqlState(s)) => json!(s.code()),
        Some(ErrorCode::Sqlite(n)) => json!(n.to_string()),
        _ => Value::Null,
    }
}

/// The fields of a runtime error: its kind and what it carries.
fn fields(e: &Error) -> Vec<(&'static str, Value)> {
    if let Some(f) = e.migration_failure() {
        return vec![
            ("kind", json!("migration_failed")),
            ("version", json!(f.version())),
            ("name", json!(f.name())),
            ("file", json!(f.file())),
            (
                "direction",
                serde_json::to_value(f.direction()).unwrap_or_default(),
            ),
            ("line", json!(f.line())),
            ("column", json!(f.column())),
            ("code", code(f.code())),
            ("database_message", json!(f.message())),
            ("detail", json!(f.detail())),
            ("hint", json!(f.hint())),
        ];
    }
    let (kind, mut fields): (&str, Vec<(&'static str, Value)>) = match e {
        Error::ChecksumMismatch { version, file, .. } => (
            "checksum_mismatch",
            vec![("version", json!(version)), ("file", json!(file))],
        ),
        Error::VersionReused { version, file, .. } => (
            "version_reused",
            vec![("version", json!(version)), ("file", json!(file))],
        ),
        Error::UnknownApplied { version, name, .. } => (
            "unknown_applied",
            vec![("version", json!(version)), ("name", json!(name))],
        ),
        Error::OutOfOrder { version, file, .. } => (
            "out_of_order",
            vec![("version", json!(version)), ("file", json!(file))],
        ),
        Error::HalfApplied {
            version,
            file,
            state,
            ..
        } => (
            "half_applied",
            vec![
                ("version", json!(version)),
                ("file", json!(file)),
                ("state", json!(state)),
            ],
        ),
        Error::Irreversible { version, name, .. } => (
            "irreversible",
            vec![("version", json!(version)), ("name", json!(name))],
        ),
        Error::ConnectionLost { first, .. } => (
            "connection_lost",
            vec![("version", json!(first)), ("code", code(e.code().as_ref()))],
        ),
        Error::SeedFailed {
            file,
            line,
            code: c,
            ..
        } => (
            "seed_failed",
            vec![
                ("file", json!(file)),
                ("line", json!(line)),
                ("code", code(c.as_ref())),
            ],
        ),
        Error::InvalidCode { version, name, .. } => (
            "invalid_code",
            vec![("version", json!(version)), ("name", json!(name))],
        ),
        Error::ForeignTracking {
            tool, table, rows, ..
        } => (
            "foreign_tracking",
            vec![
                ("tool", json!(tool.name())),
                ("table", json!(table)),
                ("rows", json!(rows)),
            ],
        ),
        Error::Adoption { tool, version, .. } => (
            "adoption",
            vec![("tool", json!(tool.name())), ("version", json!(version))],
        ),
        Error::LockTimeout { unanswered, .. } => {
            ("lock_timeout", vec![("unanswered", json!(unanswered))])
        }
        Error::Stopped(s) => (
            "stopped",
            vec![
                (
                    "applied",
                    json!(s
                        .report()
                        .applied()
                        .iter()
                        .map(|a| a.version())
                        .collect::<Vec<_>>()),
                ),
                (
                    "rolled_back",
                    json!(s
                        .report()
                        .rolled_back()
                        .iter()
                        .map(|r| r.version())
                        .collect::<Vec<_>>()),
                ),
                ("interrupted", json!(s.interrupted().map(|m| m.version()))),
                ("left", json!(s.left())),
            ],
        ),
        Error::InvalidOption { .. } => ("invalid_option", Vec::new()),
        Error::UnexpectedTracking { .. } => ("unexpected_tracking", Vec::new()),
        Error::Database { .. } => ("database", vec![("code", code(e.code().as_ref()))]),
        Error::Io { .. } => ("io", Vec::new()),
        _ => ("failed", Vec::new()),
    };
    fields.insert(0, ("kind", json!(kind)));
    fields
}
