//! `migrate.toml`, as the build reads it: `engine`, the `[lint]` table,
//! whether `lock_timeout` gives every migration one, and `layout` (for the
//! folder it describes: its `migrations`, when it names one). The command
//! line tool reads the same keys (and the rest), so that `migrate check`
//! and the build agree.

use std::path::{Path, PathBuf};

use migrate_runtime::{Engine, Layout, Rule, ScanOptions, Severity};
use syn::LitStr;

/// The file found and what it declares.
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) options: ScanOptions,
}

/// `migrate.toml` in the crate's folder `base` or the nearest folder above
/// it up to the workspace's root (the folder holding `Cargo.lock` or
/// `.git`), read for the macro's folder `dir`; errors at the macro's
/// literal `at`.
pub(crate) fn read(base: &Path, dir: &Path, at: &LitStr) -> syn::Result<Option<Found>> {
    let mut path = None;
    for dir in base.ancestors() {
        let candidate = dir.join("migrate.toml");
        if candidate.is_file() {
            path = Some(candidate);
            break;
        }
        if dir.join("Cargo.lock").exists() || dir.join(".git").exists() {
            break;
        }
    }
    let Some(path) = path else {
        return Ok(None);
    };
    let shown = path.display().to_string();
    let fail = |message: String| syn::Error::new(at.span(), format!("{shown}: {message}"));
    let text = std::fs::read_to_string(&path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| fail(e.message().trim_end().replace('\n', "; ")))?;
    let mut options = ScanOptions::new();
    if let Some(engine) = table.get("engine") {
        let engine: Engine = string(engine, "engine")
            .and_then(|s| s.parse().map_err(|e| format!("engine: {e}")))
            .map_err(|m| fail(at_line(&text, "engine", m)))?;
        options = options.engine(engine);
    }
    if let Some(layout) = table.get("layout") {
        let layout: Layout = string(layout, "layout")
            .and_then(|s| s.parse().map_err(|e| format!("layout: {e}")))
            .map_err(|m| fail(at_line(&text, "layout", m)))?;
        // The layout of the file's folder: unless it names another one.
        let folder = match table.get("migrations") {
            Some(m) => string(m, "migrations")
                .map(|m| path.parent().unwrap_or(Path::new(".")).join(m))
                .map_err(|m| fail(at_line(&text, "migrations", m)))?,
            None => dir.to_owned(),
        };
        if same_folder(&folder, dir) {
            options = options.layout(layout);
        }
    }
    if table.contains_key("lock_timeout") {
        options = options.runner_lock_timeout();
    }
    if let Some(lint) = table.get("lint") {
        let lint = lint.as_table().ok_or_else(|| {
            fail("lint: a table of rule = \"deny\" | \"warn\" | \"allow\"".to_owned())
        })?;
        for (name, value) in lint {
            let setting = |m: String| fail(at_line(&text, name, format!("lint.{name}: {m}")));
            let rule: Rule = name
                .parse()
                .map_err(|e: migrate_runtime::UnknownRule| setting(e.to_string()))?;
            let severity: Severity = string(value, name)
                .and_then(|s| s.parse())
                .map_err(setting)?;
            options = options.severity(rule, severity);
        }
    }
    Ok(Some(Found { path, options }))
}

/// Whether two paths name one folder (as the file system resolves them,
/// else as written).
fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.components().eq(b.components()),
    }
}

/// A string value, or what is wrong.
fn string<'v>(value: &'v toml::Value, key: &str) -> Result<&'v str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{key}: expected a string, found {}", value.type_str()))
}

/// `message` prefixed with the line that sets `key` (`LINE: …`), found in
/// the text.
fn at_line(text: &str, key: &str, message: String) -> String {
    let line = text.lines().position(|l| {
        l.split_once('=')
            .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
    });
    match line {
        Some(n) => format!("line {}: {message}", n + 1),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn lit() -> LitStr {
        LitStr::new("migrations", proc_macro2::Span::call_site())
    }

    #[test]
    fn engine_lint_and_lock_timeout_are_read_from_the_nearest_file() {
        let root = tempfile::tempdir().expect("a folder");
        let krate = root.path().join("crates/app");
        fs::create_dir_all(&krate).expect("folders");
        fs::write(root.path().join("Cargo.lock"), "").expect("a lock file");
        fs::write(
            root.path().join("migrate.toml"),
            "engine = \"postgres\"\nlock_timeout = \"5s\"\n\n[lint]\ndrop-column = \"deny\"\n",
        )
        .expect("a config");
        let found = read(&krate, &krate.join("migrations"), &lit())
            .expect("valid")
            .expect("found above the crate");
        assert_eq!(found.path, root.path().join("migrate.toml"));
        let o = &found.options;
        assert_eq!(o.declared_engine(), Some(Engine::Postgres));
        assert_eq!(o.severity_of(Rule::DropColumn), Some(Severity::Deny));
        assert_eq!(
            o.severity_of(Rule::MissingLockTimeout),
            Some(Severity::Allow)
        );
        assert_eq!(o.severity_of(Rule::RenameColumn), Some(Severity::Warn));
        // Not above the workspace's root.
        let inner = root.path().join("inner");
        fs::create_dir_all(&inner).expect("a folder");
        fs::write(inner.join("Cargo.lock"), "").expect("a lock file");
        assert!(read(&inner, &inner.join("migrations"), &lit())
            .expect("valid")
            .is_none());
    }

    #[test]
    fn wrong_settings_name_the_file_and_line() {
        let dir = tempfile::tempdir().expect("a folder");
        fs::write(dir.path().join("Cargo.lock"), "").expect("a lock file");
        let cases = [
            (
                "[lint]\ndrop-colum = \"deny\"\n",
                "line 2: lint.drop-colum: no rule `drop-colum`",
            ),
            (
                "[lint]\ndrop-column = \"error\"\n",
                "line 2: lint.drop-column: unknown severity `error`",
            ),
            (
                "engine = \"mysql\"\n",
                "line 1: engine: unknown engine `mysql`",
            ),
            (
                "engine = 5\n",
                "line 1: engine: expected a string, found integer",
            ),
            ("lint = 1\n", "lint: a table"),
            (
                "layout = \"flyway2\"\n",
                "line 1: layout: unknown layout `flyway2`",
            ),
            ("[lint\n", "migrate.toml: "),
        ];
        for (text, expected) in cases {
            fs::write(dir.path().join("migrate.toml"), text).expect("a config");
            let e = read(dir.path(), &dir.path().join("migrations"), &lit())
                .err()
                .expect("an error")
                .to_string();
            assert!(e.contains(expected), "{text}: {e}");
            assert!(e.contains("migrate.toml"), "{e}");
        }
    }

    #[test]
    fn the_layout_applies_to_the_folder_the_file_describes() {
        let root = tempfile::tempdir().expect("a folder");
        let krate = root.path().join("app");
        fs::create_dir_all(krate.join("migrations")).expect("folders");
        fs::create_dir_all(krate.join("other")).expect("folders");
        fs::write(krate.join("Cargo.lock"), "").expect("a lock file");
        let config = |text: &str| fs::write(krate.join("migrate.toml"), text).expect("a config");
        let layout = |dir: &str| {
            read(&krate, &krate.join(dir), &lit())
                .expect("valid")
                .expect("found")
                .options
                .declared_layout()
        };
        // No `migrations` key: the layout of the folder the macro reads.
        config("layout = \"golang-migrate\"\n");
        assert_eq!(layout("migrations"), Some(Layout::GolangMigrate));
        // It names the folder: only that one (spelled otherwise too).
        config("migrations = \"./migrations\"\nlayout = \"sqlx\"\n");
        assert_eq!(layout("migrations"), Some(Layout::Sqlx));
        assert_eq!(layout("other"), None);
    }
}
