//! Other tools' file names, read as each tool reads them: sqlx,
//! golang-migrate, refinery and Flyway, and the one-file layouts of dbmate
//! and goose. A name the tool itself passes over is ignored (and listed);
//! one it would run, but that migrate cannot (a Rust, Go or Python
//! migration), is a problem that says to port it.

use super::problem::Rule;
use super::Direction;
use crate::scan::layout::{is_refinery_name, Layout};

/// What a file's name says: its version, name and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Named {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) direction: Direction,
}

/// What a file's name is to a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Name {
    /// A migration file.
    Migration(Named),
    /// A file the tool passes over.
    Ignored,
}

/// Reads `file_name` as `layout` does (one of the layouts of files side by
/// side: sqlx, golang-migrate, refinery, sections).
///
/// # Errors
/// The rule and message of a name the tool would run but migrate cannot,
/// or whose version migrate cannot store.
pub(crate) fn parse(layout: Layout, file_name: &str) -> Result<Name, (Rule, String)> {
    match layout {
        Layout::Sqlx => sqlx(file_name),
        Layout::GolangMigrate => golang_migrate(file_name),
        Layout::Refinery => refinery(file_name),
        Layout::Sections => sections(file_name),
        _ => Ok(Name::Ignored),
    }
}

/// sqlx: `<version>_<description>.sql` (up only) or `.up.sql`/`.down.sql`;
/// files that do not end in `.sql` are skipped.
fn sqlx(file_name: &str) -> Result<Name, (Rule, String)> {
    let Some((stem, direction)) = directed(file_name, true) else {
        return Ok(Name::Ignored);
    };
    let (digits, name) = version_and_name(stem, '_').ok_or_else(|| {
        (
            Rule::InvalidName,
            "a sqlx migration is named <version>_<description>.sql".to_owned(),
        )
    })?;
    let version = version(digits, "sqlx")?;
    if version == 0 {
        return Err((
            Rule::InvalidName,
            "sqlx versions are positive: 0 is not one".to_owned(),
        ));
    }
    Ok(named(version, name, direction))
}

/// golang-migrate: `<version>_<title>.up.<ext>` and `.down.<ext>`; other
/// names (and other extensions than `sql`) are skipped.
fn golang_migrate(file_name: &str) -> Result<Name, (Rule, String)> {
    let Some((stem, direction)) = directed(file_name, false) else {
        return Ok(Name::Ignored);
    };
    let Some((digits, name)) = version_and_name(stem, '_') else {
        return Ok(Name::Ignored);
    };
    Ok(named(version(digits, "golang-migrate")?, name, direction))
}

/// refinery and Flyway: `V<version>__<name>.sql` (refinery's `U` too); a
/// Rust migration (`.rs`) is ported to a code migration; Flyway's
/// repeatable (`R__`) and dotted versions have no place in a numbered set.
fn refinery(file_name: &str) -> Result<Name, (Rule, String)> {
    if file_name.starts_with("R__") && file_name.ends_with(".sql") {
        return Err((
            Rule::InvalidName,
            "Flyway's repeatable migrations (R__) run again whenever they change, which migrate does not do; make it a versioned migration, or a seed file".to_owned(),
        ));
    }
    if !is_refinery_name(file_name) {
        if dotted(file_name) {
            return Err((
                Rule::InvalidName,
                "dotted versions (V1.1__) are not supported: versions are whole numbers; renumber, keeping the order".to_owned(),
            ));
        }
        return Ok(Name::Ignored);
    }
    let body = &file_name[1..];
    let (digits, rest) = body.split_once("__").expect("checked");
    if rest.ends_with(".rs") {
        return Err((
            Rule::ForeignCode,
            "a refinery Rust migration: port it to a code migration (a `.code` marker with a function registered with `Migrations::with_code`)".to_owned(),
        ));
    }
    let Some(name) = rest.strip_suffix(".sql") else {
        return Ok(Name::Ignored);
    };
    let version = version(digits, "refinery")?;
    Ok(named(version, name, Direction::Up))
}

/// `V1.1__x.sql`, `V1_1__x.sql`: Flyway's versions with parts.
fn dotted(file_name: &str) -> bool {
    let Some(rest) = file_name.strip_prefix('V') else {
        return false;
    };
    let Some((version, _)) = rest.split_once("__") else {
        return false;
    };
    version.bytes().any(|b| b == b'.' || b == b'_')
        && version
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
}

/// dbmate and goose: `<version>_<name>.sql`, both directions in the file;
/// a goose Go migration is ported to a code migration.
fn sections(file_name: &str) -> Result<Name, (Rule, String)> {
    if let Some(stem) = file_name.strip_suffix(".go") {
        if version_and_name(stem, '_').is_some() {
            return Err((
                Rule::ForeignCode,
                "a goose Go migration: port it to a code migration (a `.code` marker with a function registered with `Migrations::with_code`)".to_owned(),
            ));
        }
        return Ok(Name::Ignored);
    }
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return Ok(Name::Ignored);
    };
    // dbmate and goose pass over other names (a `schema.sql` dump).
    let Some((digits, name)) = version_and_name(stem, '_') else {
        return Ok(Name::Ignored);
    };
    Ok(named(version(digits, "the")?, name, Direction::Up))
}

/// The stem of `<stem>.up.sql` or `<stem>.down.sql` and its direction;
/// with `single`, `<stem>.sql` too (up).
fn directed(file_name: &str, single: bool) -> Option<(&str, Direction)> {
    if let Some(s) = file_name.strip_suffix(".up.sql") {
        return Some((s, Direction::Up));
    }
    if let Some(s) = file_name.strip_suffix(".down.sql") {
        return Some((s, Direction::Down));
    }
    file_name
        .strip_suffix(".sql")
        .filter(|_| single)
        .map(|s| (s, Direction::Up))
}

/// `<digits><sep><name>`, the digits and the name (non-empty).
pub(crate) fn version_and_name(stem: &str, sep: char) -> Option<(&str, &str)> {
    let (digits, name) = stem.split_once(sep)?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then_some((digits, name))
}

/// A version as the tracking table stores it: a number from 0 to
/// 2^63 − 1 (a PostgreSQL `bigint`).
///
/// # Errors
/// A version too large to store.
pub(crate) fn version(digits: &str, tool: &str) -> Result<u64, (Rule, String)> {
    digits
        .parse::<u64>()
        .ok()
        .filter(|&v| i64::try_from(v).is_ok())
        .ok_or_else(|| {
            (
                Rule::InvalidName,
                format!("{tool} version `{digits}` is too large: a version is at most 9223372036854775807"),
            )
        })
}

fn named(version: u64, name: &str, direction: Direction) -> Name {
    Name::Migration(Named {
        version,
        name: name.to_owned(),
        direction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(layout: Layout, file: &str) -> (u64, String, Direction) {
        match parse(layout, file) {
            Ok(Name::Migration(n)) => (n.version, n.name, n.direction),
            other => panic!("{file}: {other:?}"),
        }
    }

    fn refused(layout: Layout, file: &str) -> (Rule, String) {
        parse(layout, file).expect_err(file)
    }

    #[test]
    fn sqlx_names_any_positive_version_and_any_description() {
        assert_eq!(
            migration(Layout::Sqlx, "20240101120000_Add Users-v2.sql"),
            (20_240_101_120_000, "Add Users-v2".to_owned(), Direction::Up)
        );
        assert_eq!(migration(Layout::Sqlx, "7_x.down.sql").2, Direction::Down);
        assert_eq!(
            migration(Layout::Sqlx, "9223372036854775807_max.sql").0,
            i64::MAX as u64
        );
        assert_eq!(parse(Layout::Sqlx, "notes.txt"), Ok(Name::Ignored));
        assert_eq!(refused(Layout::Sqlx, "0_zero.sql").0, Rule::InvalidName);
        assert_eq!(
            refused(Layout::Sqlx, "9223372036854775808_x.sql").0,
            Rule::InvalidName
        );
        assert_eq!(refused(Layout::Sqlx, "init.sql").0, Rule::InvalidName);
    }

    #[test]
    fn golang_migrate_skips_what_it_cannot_parse() {
        assert_eq!(
            migration(Layout::GolangMigrate, "000042_add.index.up.sql"),
            (42, "add.index".to_owned(), Direction::Up)
        );
        for skipped in ["README.md", "42_x.sql", "x_42.up.sql", "42_x.up.json"] {
            assert_eq!(
                parse(Layout::GolangMigrate, skipped),
                Ok(Name::Ignored),
                "{skipped}"
            );
        }
    }

    #[test]
    fn refinery_and_flyway_names() {
        assert_eq!(
            migration(Layout::Refinery, "V3__Add_Users.sql"),
            (3, "Add_Users".to_owned(), Direction::Up)
        );
        assert_eq!(migration(Layout::Refinery, "U4__unversioned.sql").0, 4);
        assert_eq!(
            refused(Layout::Refinery, "V5__code.rs").0,
            Rule::ForeignCode
        );
        assert_eq!(
            refused(Layout::Refinery, "V1.1__dotted.sql").0,
            Rule::InvalidName
        );
        assert_eq!(
            refused(Layout::Refinery, "V1_1__dotted.sql").0,
            Rule::InvalidName
        );
        assert_eq!(
            refused(Layout::Refinery, "R__views.sql").0,
            Rule::InvalidName
        );
        assert_eq!(parse(Layout::Refinery, "mod.rs"), Ok(Name::Ignored));
    }

    #[test]
    fn sections_files_and_goose_go_migrations() {
        assert_eq!(
            migration(Layout::Sections, "20151129054053_Create (Users).sql"),
            (
                20_151_129_054_053,
                "Create (Users)".to_owned(),
                Direction::Up
            )
        );
        assert_eq!(
            refused(Layout::Sections, "00002_backfill.go").0,
            Rule::ForeignCode
        );
        assert_eq!(parse(Layout::Sections, "main.go"), Ok(Name::Ignored));
        assert_eq!(parse(Layout::Sections, "schema.sql"), Ok(Name::Ignored));
    }
}
