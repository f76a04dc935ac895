//! `migrate.toml`: top-level defaults and `[environments.NAME]` sections,
//! `${VAR}` / `${VAR:-default}` interpolation, `.env` files, and what the
//! command line overrides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use migrate_runtime::{Engine, Rule, Severity};
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
    connect_timeout: Option<String>,
    protected: Option<bool>,
    layout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(flatten)]
    defaults: Settings,
    #[serde(default)]
    environments: BTreeMap<String, Settings>,
    /// The engine the migrations are written for (`postgres`, `sqlite`):
    /// the scanner then checks only its rules. Also read by the macro.
    engine: Option<String>,
    /// Rule name to severity (`deny`, `warn`, `allow`). Also read by the
    /// macro.
    #[serde(default)]
    lint: BTreeMap<String, String>,
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
    /// How long connecting to PostgreSQL may take when the connection
    /// string sets no `connect_timeout` (which wins; `connect_timeout=0`
    /// there waits indefinitely).
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) protected: bool,
    /// The folder's layout, when the file declares it.
    pub(crate) layout: Option<migrate_runtime::Layout>,
    /// The engine the file declares.
    pub(crate) engine: Option<Engine>,
    /// The `[lint]` table's severities.
    pub(crate) lint: Vec<(Rule, Severity)>,
}

/// Reads `.env` (without overriding the environment) and the config file:
/// `path`, or `migrate.toml` in the current directory when present.
pub(crate) fn load(path: Option<&Path>, env: Option<&str>) -> Result<Config, Failure> {
    let _ = dotenvy::dotenv();
    // Relative paths of a file given with --config are the file's folder's.
    let base = path
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
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
    let text = file.unwrap_or_default();
    let file: File = toml::from_str(&text).map_err(|e| toml_error(&shown, &text, &e))?;
    let at = |section: Option<&str>, key: &str| locate(&shown, &text, section, key);
    let (settings, url_from_env, section_name) = choose(&file, env, path.is_some(), &shown)?;
    let duration = |key: &str, value: Option<String>| -> Result<Option<Duration>, Failure> {
        value
            .map(|v| {
                migrate_runtime::parse_duration(&v).ok_or_else(|| {
                    Failure::usage(format!(
                        "{}: {key} `{v}` is not a duration such as 500ms, 5s or 2min",
                        at(section_name.as_deref(), key)
                    ))
                    .with("kind", "config")
                    .with("key", key)
                })
            })
            .transpose()
    };
    let engine = file
        .engine
        .as_deref()
        .map(|e| {
            e.parse::<Engine>()
                .map_err(|m| config_failure(&at(None, "engine"), "engine", &m.to_string()))
        })
        .transpose()?;
    let lint = file
        .lint
        .iter()
        .map(|(rule, severity)| {
            let place = at(Some("lint"), rule);
            let rule = rule
                .parse::<Rule>()
                .map_err(|e| config_failure(&place, "lint", &e.to_string()))?;
            let severity = severity
                .parse::<Severity>()
                .map_err(|e| config_failure(&place, "lint", &format!("{rule}: {e}")))?;
            Ok((rule, severity))
        })
        .collect::<Result<_, Failure>>()?;
    Ok(Config {
        env: env.map(str::to_owned),
        engine,
        lint,
        database_url: settings
            .database_url
            .map(|u| interpolate(&u).map(|u| beside(&base, u)))
            .transpose()
            .map_err(|e| {
                let place = at(section_name.as_deref(), "database_url");
                Failure::usage(format!("{place}: database_url: {e}"))
                    .with("kind", "config")
                    .with("key", "database_url")
            })?,
        url_from_env,
        migrations: settings.migrations.map(|m| base.join(m)),
        table: settings.table,
        lock_timeout: duration("lock_timeout", settings.lock_timeout)?,
        statement_timeout: duration("statement_timeout", settings.statement_timeout)?,
        connect_timeout: duration("connect_timeout", settings.connect_timeout)?,
        protected: settings.protected.unwrap_or(false),
        layout: settings
            .layout
            .map(|l| {
                l.parse().map_err(|e: migrate_runtime::UnknownLayout| {
                    Failure::usage(format!(
                        "{}: layout: {e}",
                        at(section_name.as_deref(), "layout")
                    ))
                    .with("kind", "config")
                    .with("key", "layout")
                })
            })
            .transpose()?,
    })
}

/// A setting of the file that is wrong: where, and why.
fn config_failure(place: &str, key: &str, message: &str) -> Failure {
    Failure::usage(format!("{place}: {key}: {message}"))
        .with("kind", "config")
        .with("key", key)
}

/// The file's defaults overridden by environment `env`'s section: the
/// settings, whether the URL is the section's, and the section's name.
fn choose(
    file: &File,
    env: Option<&str>,
    explicit: bool,
    shown: &str,
) -> Result<(Settings, bool, Option<String>), Failure> {
    let mut settings = file.defaults.clone();
    let mut url_from_env = false;
    let mut section_name = None;
    if let Some(name) = env {
        // Without a config file, an environment only names the seeds.
        if !file.environments.is_empty() || explicit {
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
            section_name = Some(format!("environments.{name}"));
            url_from_env = s.database_url.is_some();
            settings = Settings {
                database_url: s.database_url.or(settings.database_url),
                migrations: s.migrations.or(settings.migrations),
                table: s.table.or(settings.table),
                lock_timeout: s.lock_timeout.or(settings.lock_timeout),
                statement_timeout: s.statement_timeout.or(settings.statement_timeout),
                connect_timeout: s.connect_timeout.or(settings.connect_timeout),
                protected: s.protected.or(settings.protected),
                layout: s.layout.or(settings.layout),
            };
        }
    }
    Ok((settings, url_from_env, section_name))
}

/// A relative `sqlite:PATH` of the file taken from `base`, its folder.
fn beside(base: &Path, url: String) -> String {
    let Some(path) = super::connection::sqlite_path(&url) else {
        return url;
    };
    if base.as_os_str().is_empty() || path.starts_with(':') || Path::new(path).is_absolute() {
        return url;
    }
    format!("sqlite:{}", base.join(path).display())
}

/// A parse error of the file: where (line, column) and which key.
fn toml_error(shown: &str, text: &str, e: &toml::de::Error) -> Failure {
    let message = e.message().trim_end().replace('\n', "; ");
    let Some(span) = e.span() else {
        return Failure::usage(format!("{shown}: {message}")).with("kind", "config");
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    let key = key_at(text, line);
    let shown_key = key
        .as_deref()
        .map_or_else(String::new, |k| format!(" (key `{k}`)"));
    Failure::usage(format!("{shown}:{line}:{column}: {message}{shown_key}"))
        .with("kind", "config")
        .with("file", shown)
        .with("line", line)
        .with("column", column)
        .with("key", key)
}

/// The dotted key set on `line` (1-based): `environments.prod.protected`,
/// or the table a `[header]` line opens.
fn key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[') && l.contains(']'))
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    };
    if let Some(h) = header(here) {
        return Some(h);
    }
    let (key, _) = here.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let table = lines[..line - 1].iter().rev().find_map(|l| header(l));
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_owned(),
    })
}

/// `FILE:LINE` of `key` in `section` (else at the top level), or `FILE`.
fn locate(shown: &str, text: &str, section: Option<&str>, key: &str) -> String {
    let mut table: Option<String> = None;
    let mut top = None;
    let mut inside = None;
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.starts_with('[') {
            table = Some(l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
            continue;
        }
        let Some((k, _)) = l.split_once('=') else {
            continue;
        };
        if k.trim().trim_matches('"') != key {
            continue;
        }
        match (&table, section) {
            (None, _) => top = top.or(Some(i + 1)),
            (Some(t), Some(s)) if t == s => inside = inside.or(Some(i + 1)),
            _ => {}
        }
    }
    inside
        .or(top)
        .map_or_else(|| shown.to_owned(), |n| format!("{shown}:{n}"))
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
