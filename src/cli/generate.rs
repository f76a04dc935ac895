//! `migrate new`: the next migration's up and down files, empty or from a
//! template (PostgreSQL SQL written the safe way: indexes concurrently,
//! constraints `NOT VALID` then validated).

use std::fs;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

/// The templates of `migrate new --template`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Template {
    /// CREATE TABLE with an id and created_at/updated_at
    CreateTable,
    /// ALTER TABLE … ADD COLUMN
    AddColumn,
    /// CREATE INDEX CONCURRENTLY, outside a transaction
    AddIndex,
    /// A foreign key added NOT VALID, then validated
    AddForeignKey,
    /// ALTER TABLE … RENAME COLUMN
    RenameColumn,
    /// A check constraint added NOT VALID, then validated
    AddCheckConstraint,
    /// An UPDATE with its reverse
    DataMigration,
}

/// The options of the templates.
#[derive(Debug, Default, Args)]
pub(crate) struct TemplateArgs {
    /// Fill the files from a template
    #[arg(long, value_enum)]
    pub(crate) template: Option<Template>,
    /// The table
    #[arg(long)]
    pub(crate) table: Option<String>,
    /// The column (add-column, rename-column, add-foreign-key; add-index:
    /// comma-separated)
    #[arg(long)]
    pub(crate) column: Option<String>,
    /// The column's type (add-column)
    #[arg(long = "type", default_value = "text")]
    pub(crate) column_type: String,
    /// Extra column definitions (create-table), e.g. "name text NOT NULL"
    #[arg(long)]
    pub(crate) columns: Option<String>,
    /// The new name (rename-column)
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// The referenced table and column (add-foreign-key), e.g. users(id)
    #[arg(long)]
    pub(crate) references: Option<String>,
    /// The condition (add-check-constraint), e.g. "age >= 0"
    #[arg(long)]
    pub(crate) check: Option<String>,
    /// A unique index (add-index)
    #[arg(long)]
    pub(crate) unique: bool,
    /// The data change (data-migration)
    #[arg(long)]
    pub(crate) sql: Option<String>,
    /// Its reverse (data-migration; without it the migration is irreversible)
    #[arg(long)]
    pub(crate) down_sql: Option<String>,
}

/// Writes `<next>_<name>.up.sql` and `.down.sql` (only the up file for an
/// irreversible data migration); refuses to overwrite anything.
pub(crate) fn new_migration(
    dir: &Path,
    description: &str,
    args: &TemplateArgs,
    options: &crate::ScanOptions,
) -> Result<Vec<PathBuf>, String> {
    // Native pairs only: in another tool's folder they would be a second
    // layout.
    let found = migrate_runtime::scan_with(dir, options)
        .map(|set| set.layout())
        .ok()
        .or(options.declared_layout());
    if let Some(other) = found.filter(|l| *l != crate::Layout::Native) {
        return Err(format!(
            "{} is in the {other} layout, and `new` writes migrate's pairs: create the files as {other} names them, or `migrate convert` the folder first",
            dir.display()
        ));
    }
    let name = snake(description);
    if name.is_empty() {
        return Err(format!(
            "description `{description}` has no letters or digits to name the migration"
        ));
    }
    let (up, down) = render(description, args)?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let version = next_version(dir)?;
    let up_path = dir.join(format!("{version}_{name}.up.sql"));
    let down_path = dir.join(format!("{version}_{name}.down.sql"));
    let mut files = vec![(up_path, up)];
    if let Some(down) = down {
        files.push((down_path, down));
    }
    for (path, _) in &files {
        if path.exists() {
            return Err(format!("{} exists; nothing was written", path.display()));
        }
    }
    for (path, text) in &files {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// `add user preferences` → `add_user_preferences`.
pub(crate) fn snake(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// The next version: the folder's highest sequence number plus one, in its
/// width (four digits for an empty folder), or the current UTC time when
/// the folder uses timestamps.
fn next_version(dir: &Path) -> Result<String, String> {
    let mut highest: Option<(u64, usize)> = None;
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Only what could be a migration counts (not a README or a backup).
        let Some((digits, _)) = name
            .split_once('_')
            .filter(|_| name.ends_with(".sql") || name.ends_with(".code"))
        else {
            continue;
        };
        let Ok(v) = digits.parse::<u64>() else {
            continue;
        };
        if highest.is_none_or(|(h, _)| v > h) {
            highest = Some((v, digits.len()));
        }
    }
    Ok(match highest {
        Some((newest, 14)) => timestamp_after(newest)?,
        Some((v, width)) => format!("{:0width$}", v + 1),
        None => "0001".to_owned(),
    })
}

/// The current UTC timestamp once it is past `newest` (two `new` within
/// one second would otherwise take the same version): waits for the next
/// second, but not for a clock that is behind the folder.
fn timestamp_after(newest: u64) -> Result<String, String> {
    for _ in 0..30 {
        let now = utc_timestamp();
        if now.parse::<u64>().is_ok_and(|t| t > newest) {
            return Ok(now);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(format!(
        "the newest migration's version {newest} is not in the past of this clock ({}); name the file by hand",
        utc_timestamp()
    ))
}

/// `YYYYMMDDHHMMSS` in UTC, from the system clock.
fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn need<'a>(value: &'a Option<String>, flag: &str, template: &str) -> Result<&'a str, String> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("template {template} needs --{flag}"))
}

/// The up and down SQL (no down: irreversible).
fn render(description: &str, a: &TemplateArgs) -> Result<(String, Option<String>), String> {
    let head = format!("-- {description}\n");
    let Some(template) = a.template else {
        return Ok((
            format!("{head}-- Write the change here.\nSELECT 1;\n"),
            Some(format!("-- Undo: {description}\nSELECT 1;\n")),
        ));
    };
    let name = template
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    let table = || need(&a.table, "table", &name);
    let column = || need(&a.column, "column", &name);
    Ok(match template {
        Template::CreateTable => {
            let t = table()?;
            let extra = a
                .columns
                .as_deref()
                .map_or_else(String::new, |c| format!("    {c},\n"));
            (
                format!(
                    "{head}CREATE TABLE {t} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n{extra}    created_at timestamptz NOT NULL DEFAULT now(),\n    updated_at timestamptz NOT NULL DEFAULT now()\n);\n"
                ),
                Some(format!("DROP TABLE {t};\n")),
            )
        }
        Template::AddColumn => {
            let (t, c) = (table()?, column()?);
            (
                format!(
                    "{head}-- migrate:lock-timeout 5s\nALTER TABLE {t} ADD COLUMN {c} {};\n",
                    a.column_type
                ),
                Some(format!("ALTER TABLE {t} DROP COLUMN {c};\n")),
            )
        }
        Template::AddIndex => add_index(&head, table()?, column()?, a.unique),
        Template::AddForeignKey => {
            let (t, c) = (table()?, column()?);
            let r = need(&a.references, "references", &name)?;
            let definition = format!("FOREIGN KEY ({c}) REFERENCES {r}");
            let comment = "-- NOT VALID takes a short lock; VALIDATE then checks the rows\n-- without blocking writes.\n";
            validated(&head, t, &format!("{t}_{c}_fkey"), &definition, comment)
        }
        Template::RenameColumn => {
            let (t, c) = (table()?, column()?);
            let to = need(&a.to, "to", &name)?;
            (
                format!("{head}ALTER TABLE {t} RENAME COLUMN {c} TO {to};\n"),
                Some(format!("ALTER TABLE {t} RENAME COLUMN {to} TO {c};\n")),
            )
        }
        Template::AddCheckConstraint => {
            let t = table()?;
            let check = need(&a.check, "check", &name)?;
            let constraint = format!("{t}_{}_check", snake(check));
            validated(&head, t, &constraint, &format!("CHECK ({check})"), "")
        }
        Template::DataMigration => {
            let sql = need(&a.sql, "sql", &name)?;
            match a.down_sql.as_deref() {
                Some(down) => (
                    format!("{head}{};\n", sql.trim_end_matches(';')),
                    Some(format!("{};\n", down.trim_end_matches(';'))),
                ),
                None => (
                    format!(
                        "{head}-- migrate:irreversible\n{};\n",
                        sql.trim_end_matches(';')
                    ),
                    None,
                ),
            }
        }
    })
}

/// An index built concurrently, outside a transaction.
fn add_index(head: &str, t: &str, c: &str, unique: bool) -> (String, Option<String>) {
    let cols: Vec<&str> = c.split(',').map(str::trim).collect();
    let index = format!(
        "{t}_{}_{}",
        cols.join("_"),
        if unique { "key" } else { "idx" }
    );
    let unique = if unique { "UNIQUE " } else { "" };
    (
        format!(
            "{head}-- migrate:no-transaction\n-- Built concurrently: writes to {t} go on meanwhile. A failed build\n-- leaves an invalid index: drop it before running this again.\nCREATE {unique}INDEX CONCURRENTLY {index} ON {t} ({});\n",
            cols.join(", ")
        ),
        Some(format!(
            "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS {index};\n"
        )),
    )
}

/// A constraint added `NOT VALID` (a short lock), then validated without
/// blocking writes.
fn validated(
    head: &str,
    t: &str,
    constraint: &str,
    definition: &str,
    comment: &str,
) -> (String, Option<String>) {
    (
        format!(
            "{head}-- migrate:no-transaction\n-- migrate:lock-timeout 5s\n{comment}ALTER TABLE {t} ADD CONSTRAINT {constraint} {definition} NOT VALID;\nALTER TABLE {t} VALIDATE CONSTRAINT {constraint};\n"
        ),
        Some(format!("ALTER TABLE {t} DROP CONSTRAINT {constraint};\n")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case() {
        assert_eq!(snake("Add user preferences!"), "add_user_preferences");
        assert_eq!(snake("  --  "), "");
    }

    #[test]
    fn timestamps_are_fourteen_utc_digits() {
        let t = utc_timestamp();
        assert_eq!(t.len(), 14);
        assert!(t.starts_with("20"), "{t}");
    }
}
