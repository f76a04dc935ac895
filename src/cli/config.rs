//! `migrate.toml`: top-level defaults and `[environments.NAME]` sections,
//! `${VAR}` / `${VAR:-default}` interpolation, `.env` files, and what the
//! command line overrides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::Failure;

/// The keys of the file and of each environment.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    database_url: Option<String>,
    migrations: Option<PathBuf>,
    table: Option<String>,
    lock_timeout: Option<String>,
    statement_timeout: Option<String>,
    protected: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(flatten)]
    defaults: Settings,
    #[serde(default)]
    environments: BTreeMap<String, Settings>,
}

/// The settings of one run: the file's defaults, the environment's, then
/// the command line's.
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub(crate) env: Option<String>,
    pub(crate) database_url: Option<String>,
    /// Whether `database_url` comes from the chosen environment's section
    /// (it then wins over `DATABASE_URL`).
    pub(crate) url_from_env: bool,
    pub(crate) migrations: Option<PathBuf>,
    pub(crate) table: Option<String>,
    pub(crate) lock_timeout: Option<Duration>,
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) protected: bool,
}

/// Reads `.env` (without overriding the environment) and the config file:
/// `path`, or `migrate.toml` in the current directory when present.
pub(crate) fn load(path: Option<&Path>, env: Option<&str>) -> Result<Config, Failure> {
    let _ = dotenvy::dotenv();
    let (file, shown) = match path {
        Some(p) => (
            Some(std::fs::read_to_string(p).map_err(|e| {
                Failure::usage(format!("cannot read the config file {}: {e}", p.display()))
            })?),
            p.display().to_string(),
        ),
        None => (
            std::fs::read_to_string("migrate.toml").ok(),
            "migrate.toml".to_owned(),
        ),
    };
    let file: File = match file {
        Some(text) => toml::from_str(&text)
            .map_err(|e| Failure::usage(format!("{shown}: {}", e.message())))?,
        None => File::default(),
    };
    let mut settings = file.defaults.clone();
    let mut url_from_env = false;
    if let Some(name) = env {
        // Without a config file, an environment only names the seeds.
        if !file.environments.is_empty() || path.is_some() {
            let Some(section) = file.environments.get(name) else {
                let known: Vec<&str> = file.environments.keys().map(String::as_str).collect();
                return Err(Failure::usage(format!(
                    "{shown}: no environment `{name}` (environments: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            let s = section.clone();
            url_from_env = s.database_url.is_some();
            settings = Settings {
                database_url: s.database_url.or(settings.database_url),
                migrations: s.migrations.or(settings.migrations),
                table: s.table.or(settings.table),
                lock_timeout: s.lock_timeout.or(settings.lock_timeout),
                statement_timeout: s.statement_timeout.or(settings.statement_timeout),
                protected: s.protected.or(settings.protected),
            };
        }
    }
    let duration = |key: &str, value: Option<String>| -> Result<Option<Duration>, Failure> {
        value
            .map(|v| {
                migrate_runtime::parse_duration(&v).ok_or_else(|| {
                    Failure::usage(format!(
                        "{shown}: {key} `{v}` is not a duration such as 500ms, 5s or 2min"
                    ))
                })
            })
            .transpose()
    };
    Ok(Config {
        env: env.map(str::to_owned),
        database_url: settings
            .database_url
            .map(|u| interpolate(&u))
            .transpose()
            .map_err(|e| Failure::usage(format!("{shown}: database_url: {e}")))?,
        url_from_env,
        migrations: settings.migrations,
        table: settings.table,
        lock_timeout: duration("lock_timeout", settings.lock_timeout)?,
        statement_timeout: duration("statement_timeout", settings.statement_timeout)?,
        protected: settings.protected.unwrap_or(false),
    })
}

/// Replaces `${VAR}` and `${VAR:-default}` with the environment's values.
pub(crate) fn interpolate(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            return Err("`${` is never closed".to_owned());
        };
        let inner = &rest[start + 2..start + len];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match (std::env::var(name).ok().filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(format!("environment variable {name} is not set")),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_interpolated_with_defaults() {
        std::env::set_var("MIGRATE_TEST_HOST", "db.internal");
        assert_eq!(
            interpolate("postgres://${MIGRATE_TEST_HOST}/${MIGRATE_TEST_NONE:-app}").unwrap(),
            "postgres://db.internal/app"
        );
        assert_eq!(
            interpolate("x${MIGRATE_TEST_NONE}").unwrap_err(),
            "environment variable MIGRATE_TEST_NONE is not set"
        );
    }
}
