//! Pairing: each up file (or code marker) with its down file, by version
//! and name, into the set's migrations; one version per migration.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use super::problem::{Problem, Rule};
use super::{Direction, FileEntry, Gathered};
use crate::model::{Body, Directives, Migration, Script, Span, UNREGISTERED_CHECKSUM};
use crate::scan::layout::Layout;
use crate::text::checksum::checksum;

/// The up (or code) and the down file of one version and name.
type Files<'a> = [Option<&'a FileEntry>; 2];

/// Pairs up and down files by version and name, building the migrations.
pub(super) fn pair(g: &mut Gathered<'_>) -> Vec<Migration> {
    let (dir, layout) = (g.dir, g.layout);
    let mut out = Vec::new();
    let mut problems = std::mem::take(&mut g.problems);
    let mut notes = std::mem::take(&mut g.notes);
    for [up, down] in by_version_and_name(dir, &g.entries, &mut problems).into_values() {
        let Some(up) = up else {
            if let Some(down) = down {
                problems.push(Problem::whole_file(
                    dir.join(&down.file_name),
                    Rule::DownWithoutUp,
                    format!("down file has no up file {}", up_name(&down.file_name)),
                ));
            }
            continue;
        };
        let Some((up_text, up_directives, up_statements)) = &up.text else {
            continue;
        };
        if up.direction == Direction::Code {
            if let Some(d) = down {
                problems.push(Problem::whole_file(
                    dir.join(&d.file_name),
                    Rule::DownWithoutUp,
                    format!(
                        "{} marks a code migration, whose down is a Rust function registered with it, not a file",
                        up.file_name
                    ),
                ));
            }
            let unregistered = Cow::Borrowed(UNREGISTERED_CHECKSUM);
            let body = Body::Code(None);
            out.push(migration(
                up,
                (up_text, Directives::default(), &[]),
                None,
                unregistered,
                body,
            ));
        } else {
            let mut downs = Downs {
                dir,
                layout,
                problems: &mut problems,
                notes: &mut notes,
            };
            let down = downs.script(up, up_directives, down);
            let sum = Cow::Owned(checksum(up_text));
            let text = (up_text.as_str(), *up_directives, up_statements.as_slice());
            let mut m = migration(up, text, down, sum, Body::Sql);
            // Another tool's migration without a down script is
            // irreversible, as that tool has it.
            m.irreversible |= m.down.is_none();
            // As the macro's embedded form has it: one flag for both.
            m.up.directives.irreversible = m.irreversible;
            out.push(m);
        }
    }
    g.problems = problems;
    g.notes = notes;
    out
}

/// The migration of the up file (or code marker) `up`.
fn migration(
    up: &FileEntry,
    (text, directives, statements): (&str, Directives, &[Span]),
    down: Option<Script>,
    checksum: Cow<'static, str>,
    body: Body,
) -> Migration {
    Migration {
        version: up.version,
        name: Cow::Owned(up.name.clone()),
        up: Script {
            file: Cow::Owned(up.file_name.clone()),
            sql: Cow::Owned(text.to_owned()),
            directives,
            statements: Cow::Owned(statements.to_vec()),
        },
        down,
        checksum,
        irreversible: directives.irreversible,
        body,
    }
}

/// The files by (version, name). A version is a number (`0001` and `1` are
/// one), with one up file or code marker and one down file: any other of
/// the same kind is a duplicate-version problem. A duplicate down file is
/// still paired with an up file of its name that has no down file (that up
/// file is a duplicate too, reported), so that it adds no other problem.
fn by_version_and_name<'a>(
    dir: &Path,
    entries: &'a [FileEntry],
    problems: &mut Vec<Problem>,
) -> BTreeMap<(u64, &'a str), Files<'a>> {
    let mut by_key: BTreeMap<(u64, &str), Files<'a>> = BTreeMap::new();
    let mut duplicate = |e: &FileEntry, first: &mut BTreeMap<u64, &'a str>| {
        let Some(other) = first.get(&e.version) else {
            return false;
        };
        problems.push(Problem::whole_file(
            dir.join(&e.file_name),
            Rule::DuplicateVersion,
            format!("version {} is also used by {other}", e.version),
        ));
        true
    };
    let mut first_up = BTreeMap::new();
    for e in entries.iter().filter(|e| e.direction != Direction::Down) {
        if !duplicate(e, &mut first_up) {
            first_up.insert(e.version, e.file_name.as_str());
        }
        by_key.entry((e.version, &e.name)).or_default()[0] = Some(e);
    }
    // The down files of an up file first: of two down files of a version,
    // the one without an up file of its name is the duplicate.
    let (with_up, without_up): (Vec<_>, Vec<_>) = entries
        .iter()
        .filter(|e| e.direction == Direction::Down)
        .partition(|e| by_key.contains_key(&(e.version, e.name.as_str())));
    let mut first_down = BTreeMap::new();
    for e in with_up.into_iter().chain(without_up) {
        if !duplicate(e, &mut first_down) {
            first_down.insert(e.version, e.file_name.as_str());
            by_key.entry((e.version, &e.name)).or_default()[1] = Some(e);
        } else if let Some(slot) = by_key.get_mut(&(e.version, e.name.as_str())) {
            slot[1].get_or_insert(e);
        }
    }
    by_key
}

/// What decides a migration's down script.
struct Downs<'a> {
    dir: &'a Path,
    layout: Layout,
    problems: &'a mut Vec<Problem>,
    notes: &'a mut Vec<String>,
}

impl Downs<'_> {
    /// The down script of an SQL migration: its down file, which an
    /// irreversible migration must not have and any other must in the
    /// native layout. In another tool's layout a missing down file makes
    /// the migration irreversible, as it does for that tool. A down file
    /// with no statement would remove the tracking row and change nothing:
    /// in the native layout that is a problem, in another tool's (where
    /// such files are common) the migration is irreversible, and a note
    /// says so.
    fn script(
        &mut self,
        up: &FileEntry,
        up_directives: &Directives,
        down: Option<&FileEntry>,
    ) -> Option<Script> {
        let foreign = self.layout.is_foreign();
        match down {
            Some(d) if up_directives.irreversible => {
                self.problems.push(Problem::whole_file(
                    self.dir.join(&d.file_name),
                    Rule::IrreversibleWithDown,
                    format!(
                        "{} is marked `-- migrate:irreversible` but has this down file",
                        up.file_name
                    ),
                ));
                None
            }
            Some(d) => {
                let (sql, dirs, statements) = d.text.as_ref()?;
                if statements.is_empty() {
                    return self.empty(up, d);
                }
                Some(Script {
                    file: Cow::Owned(d.file_name.clone()),
                    sql: Cow::Owned(sql.clone()),
                    directives: *dirs,
                    statements: Cow::Owned(statements.clone()),
                })
            }
            None if up_directives.irreversible || foreign => None,
            None => {
                self.problems.push(Problem::whole_file(
                    self.dir.join(&up.file_name),
                    Rule::MissingDown,
                    format!(
                        "no down file {}; write one, or start the up file with `-- migrate:irreversible`",
                        up.file_name.replace(".up.sql", ".down.sql")
                    ),
                ));
                None
            }
        }
    }

    /// A down script without a statement.
    fn empty(&mut self, up: &FileEntry, down: &FileEntry) -> Option<Script> {
        let shown = self.dir.join(&down.file_name);
        if self.layout.is_foreign() {
            let what = if up.file_name == down.file_name {
                "its down section"
            } else {
                "its down file"
            };
            self.notes.push(format!(
                "{}: {what} holds no statement, so migration {} is irreversible: a rollback stops before it",
                shown.display(),
                up.version
            ));
        } else {
            self.problems.push(Problem::whole_file(
                shown,
                Rule::EmptyDown,
                format!(
                    "down file holds no statement: rolling back would only remove the tracking row of {}; write the SQL that undoes it, or delete this file and start the up file with `-- migrate:irreversible`",
                    up.file_name
                ),
            ));
        }
        None
    }
}

fn up_name(down_file: &str) -> String {
    down_file.replace(".down.sql", ".up.sql")
}
