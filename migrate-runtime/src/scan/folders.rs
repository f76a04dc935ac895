//! The layouts of folders: diesel's (`<version>_<name>/up.sql`,
//! `down.sql`, `metadata.toml`) and `versions/` with `rollbacks/`.

use std::path::Path;

use super::files::entry;
use super::foreign::{self, version_and_name, Named};
use super::problem::Rule;
use super::{list, rules, Direction, Gathered, Kind};

/// diesel: each folder `<version>_<name>` a migration; its version the
/// digits of `<version>` (diesel drops the dashes of
/// `2014-09-04-220917`), in diesel's order, which compares them as text.
/// Top-level files are ignored, as diesel ignores them.
pub(super) fn diesel(g: &mut Gathered<'_>, listing: &[(String, Kind)]) {
    let mut versions: Vec<(String, u64, String)> = Vec::new();
    for (folder, kind) in listing {
        if *kind != Kind::Folder {
            g.ignore(folder);
            continue;
        }
        let Some((raw, name)) = folder.split_once('_') else {
            g.whole_file(folder, Rule::InvalidName, diesel_name());
            continue;
        };
        let digits: String = raw.chars().filter(|&c| c != '-').collect();
        let dashes_only = raw.chars().all(|c| c.is_ascii_digit() || c == '-');
        if digits.is_empty() || !dashes_only || name.is_empty() {
            g.whole_file(folder, Rule::InvalidName, diesel_name());
            continue;
        }
        let version = match foreign::version(&digits, "diesel") {
            Ok(v) => v,
            Err((rule, message)) => {
                g.whole_file(folder, rule, message);
                continue;
            }
        };
        let named = Named {
            version,
            name: name.to_owned(),
            direction: Direction::Up,
        };
        if diesel_folder(g, folder, &named) {
            versions.push((digits, version, folder.clone()));
        }
    }
    check_text_order(g, versions);
}

fn diesel_name() -> String {
    "a diesel migration is a folder <version>_<name>, the version digits and dashes (2014-09-04-220917_create_users)".to_owned()
}

/// One diesel folder's scripts; whether it holds a migration.
fn diesel_folder(g: &mut Gathered<'_>, folder: &str, named: &Named) -> bool {
    let dir = g.dir.join(folder);
    if !dir.join("up.sql").is_file() {
        g.problems.push(super::problem::Problem::folder(
            &dir,
            Rule::UnexpectedFile,
            "a folder without up.sql: a diesel migration folder holds up.sql (and down.sql)"
                .to_owned(),
        ));
        return false;
    }
    let no_transaction = match run_in_transaction(&dir.join("metadata.toml")) {
        Ok(run) => !run,
        Err((line, message)) => {
            let file = format!("{folder}/metadata.toml");
            g.problems.push(super::problem::Problem::new(
                g.dir.join(file),
                line,
                Rule::InvalidDirective,
                message,
            ));
            false
        }
    };
    for (file, direction) in [("up.sql", Direction::Up), ("down.sql", Direction::Down)] {
        let path = dir.join(file);
        if direction == Direction::Down && !path.is_file() {
            continue;
        }
        let file_name = format!("{folder}/{file}");
        script(g, &file_name, named, direction, no_transaction);
    }
    true
}

/// Reads and checks one script file of a folder layout.
fn script(
    g: &mut Gathered<'_>,
    file_name: &str,
    named: &Named,
    direction: Direction,
    no_transaction: bool,
) {
    let path = g.dir.join(file_name);
    let text = rules::load(&path, &mut g.problems).and_then(|(text, changed)| {
        if changed {
            g.normalized.push(path.clone());
        }
        rules::check(&path, text, direction, no_transaction, &mut g.problems)
    });
    let text = text.map(|r| (r.text, r.directives, r.statements));
    g.entries.push(entry(file_name, named, direction, text));
}

/// `run_in_transaction` of a diesel `metadata.toml` (true without the
/// file). Read by hand: it is diesel's only key, and a TOML parser in
/// the macro's build would cost every build for one boolean.
fn run_in_transaction(path: &Path) -> Result<bool, (usize, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(true);
    };
    let mut run = true;
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("run_in_transaction", "true")) => run = true,
            Some(("run_in_transaction", "false")) => run = false,
            _ => {
                return Err((
                    i + 1,
                    format!(
                    "`{line}`: diesel's metadata.toml holds `run_in_transaction = true` or `false`"
                ),
                ))
            }
        }
    }
    Ok(run)
}

/// diesel applies migrations in the order of their version strings; the
/// set's order is their numbers'. Where the two differ (a 14-digit
/// version dated after an 18-digit one), neither order would be right
/// for every database: a problem naming both folders.
fn check_text_order(g: &mut Gathered<'_>, mut versions: Vec<(String, u64, String)>) {
    versions.sort_by(|a, b| a.0.cmp(&b.0));
    for pair in versions.windows(2) {
        let [(_, a, a_folder), (_, b, b_folder)] = pair else {
            continue;
        };
        if a > b {
            g.problems.push(super::problem::Problem::folder(
                g.dir.join(b_folder),
                Rule::VersionOrder,
                format!(
                    "diesel runs {a_folder} before this one (it compares versions as text), but migrate orders by number and would run this one first; rename one so that both orders agree (give both versions the same number of digits)"
                ),
            ));
        }
    }
}

/// `versions/NNN_name.sql` (up) and `rollbacks/NNN_name_rollback.sql`
/// (down); everything beside the two folders is ignored, as are files in
/// them the runner would not read (`__init__.py`), but a Python migration
/// is ported to a code migration.
pub(super) fn versions_rollbacks(g: &mut Gathered<'_>, listing: &[(String, Kind)]) {
    for (name, kind) in listing {
        match (name.as_str(), kind) {
            ("versions", Kind::Folder) => sub_folder(g, "versions", Direction::Up),
            ("rollbacks", Kind::Folder) => sub_folder(g, "rollbacks", Direction::Down),
            _ => g.ignore(name),
        }
    }
}

fn sub_folder(g: &mut Gathered<'_>, folder: &str, direction: Direction) {
    let entries = match list(&g.dir.join(folder)) {
        Ok(e) => e,
        Err(message) => {
            g.problems.push(super::problem::Problem::folder(
                g.dir.join(folder),
                Rule::Unreadable,
                message,
            ));
            return;
        }
    };
    for (file, kind) in entries {
        let rel = format!("{folder}/{file}");
        let stem = match (file.strip_suffix(".sql"), kind) {
            (Some(stem), Kind::File) => stem,
            _ if file.ends_with(".py") && !file.starts_with("__") => {
                g.whole_file(
                    &rel,
                    Rule::ForeignCode,
                    "a Python migration: port it to a code migration (a `.code` marker with a function registered with `Migrations::with_code`) or to SQL".to_owned(),
                );
                continue;
            }
            _ => {
                g.ignore(&rel);
                continue;
            }
        };
        let stem = match direction {
            Direction::Down => match stem.strip_suffix("_rollback") {
                Some(s) => s,
                None => {
                    g.whole_file(
                        &rel,
                        Rule::InvalidName,
                        "a rollback is named NNN_name_rollback.sql, after its NNN_name.sql"
                            .to_owned(),
                    );
                    continue;
                }
            },
            _ => stem,
        };
        let Some((digits, name)) = version_and_name(stem, '_') else {
            g.whole_file(
                &rel,
                Rule::InvalidName,
                "a migration is named NNN_name.sql (its rollback NNN_name_rollback.sql)".to_owned(),
            );
            continue;
        };
        let version = match foreign::version(digits, "the") {
            Ok(v) => v,
            Err((rule, message)) => {
                g.whole_file(&rel, rule, message);
                continue;
            }
        };
        let named = Named {
            version,
            name: name.to_owned(),
            direction,
        };
        script(g, &rel, &named, direction, false);
    }
}
