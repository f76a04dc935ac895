//! yoyo's SQL migrations: `<id>.sql` and `<id>.rollback.sql`, ordered by
//! id, each `-- depends:` header naming the one before it; the versions
//! are their places in that chain (1, 2, 3 …) and the names their ids.
//! `-- transactional: false` runs one outside a transaction.

use std::collections::BTreeMap;

use super::foreign::Named;
use super::problem::{Problem, Rule};
use super::{files, rules, Direction, Gathered, Kind};

/// A yoyo migration's files.
#[derive(Default)]
struct Files {
    up: Option<String>,
    down: Option<String>,
}

/// Reads a yoyo folder.
pub(super) fn scan(g: &mut Gathered<'_>, listing: &[(String, Kind)]) {
    let mut by_id: BTreeMap<String, Files> = BTreeMap::new();
    for (file, kind) in listing {
        if *kind == Kind::Folder {
            g.ignore(file);
            continue;
        }
        if file.starts_with("post-apply.") {
            g.whole_file(
                file,
                Rule::ForeignCode,
                "yoyo's post-apply hook runs after every apply, which migrate does not do; make it a seed file, or a migration".to_owned(),
            );
        } else if let Some(id) = file.strip_suffix(".rollback.sql") {
            by_id.entry(id.to_owned()).or_default().down = Some(file.clone());
        } else if let Some(id) = file.strip_suffix(".sql") {
            by_id.entry(id.to_owned()).or_default().up = Some(file.clone());
        } else if file.ends_with(".py") && !file.starts_with("__") {
            g.whole_file(
                file,
                Rule::ForeignCode,
                "a yoyo Python step: port it to a code migration (a `.code` marker with a function registered with `Migrations::with_code`) or to SQL".to_owned(),
            );
        } else {
            g.ignore(file);
        }
    }
    let mut previous: Option<&str> = None;
    let mut version = 0;
    for (id, files) in &by_id {
        let Some(up) = &files.up else {
            if let Some(down) = &files.down {
                g.whole_file(
                    down,
                    Rule::DownWithoutUp,
                    format!("rollback file without its migration {id}.sql"),
                );
            }
            continue;
        };
        version += 1;
        let named = Named {
            version,
            name: id.clone(),
            direction: Direction::Up,
        };
        read(g, up, &named, previous, files.down.as_deref());
        previous = Some(id);
    }
}

/// Reads one migration and its rollback, checking its `-- depends:`
/// against the id before it.
fn read(g: &mut Gathered<'_>, up: &str, named: &Named, previous: Option<&str>, down: Option<&str>) {
    let path = g.dir.join(up);
    let Some((text, changed)) = rules::load(&path, &mut g.problems) else {
        return;
    };
    if changed {
        g.normalized.push(path.clone());
    }
    let header = Header::of(&text);
    if let Some(problem) = header.depends_problem(&path, previous) {
        g.problems.push(problem);
    }
    let no_transaction = header.no_transaction;
    let read = rules::check(&path, text, Direction::Up, no_transaction, &mut g.problems);
    let text = read.map(|r| (r.text, r.directives, r.statements));
    g.entries.push(files::entry(up, named, Direction::Up, text));
    let Some(down) = down else {
        return;
    };
    let path = g.dir.join(down);
    let text = rules::load(&path, &mut g.problems).and_then(|(text, changed)| {
        if changed {
            g.normalized.push(path.clone());
        }
        rules::check(
            &path,
            text,
            Direction::Down,
            no_transaction,
            &mut g.problems,
        )
    });
    let text = text.map(|r| (r.text, r.directives, r.statements));
    g.entries
        .push(files::entry(down, named, Direction::Down, text));
}

/// What a yoyo file's leading comments say.
struct Header {
    /// The ids of `-- depends:`, with its line.
    depends: Option<(usize, Vec<String>)>,
    no_transaction: bool,
}

impl Header {
    /// Reads the comment lines before the first other line.
    fn of(text: &str) -> Header {
        let mut header = Header {
            depends: None,
            no_transaction: false,
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some(comment) = line.strip_prefix("--") else {
                break;
            };
            let comment = comment.trim();
            if let Some(ids) = comment.strip_prefix("depends:") {
                let ids = ids.split_whitespace().map(str::to_owned).collect();
                header.depends = Some((i + 1, ids));
            } else if let Some(value) = comment.strip_prefix("transactional:") {
                header.no_transaction = value.trim().eq_ignore_ascii_case("false");
            }
        }
        header
    }

    /// A chain is linear: each migration depends on the one before it in
    /// id order (or on nothing said); anything else would need another
    /// order than the files', which versions cannot hold.
    fn depends_problem(&self, path: &std::path::Path, previous: Option<&str>) -> Option<Problem> {
        let (line, ids) = self.depends.as_ref()?;
        let expected: Vec<&str> = previous.into_iter().collect();
        if ids.iter().map(String::as_str).eq(expected.iter().copied()) {
            return None;
        }
        let wanted = match previous {
            Some(p) => format!("`-- depends: {p}`, the migration before it in id order"),
            None => "no `-- depends:`, since it is the first in id order".to_owned(),
        };
        Some(Problem::new(
            path,
            *line,
            Rule::InvalidDepends,
            format!(
                "`-- depends: {}` is not one chain in the files' order: migrate applies yoyo migrations in id order, as versions 1, 2, 3 …, so this one must say {wanted}; rename the files (their ids) to put them in the order yoyo applies them",
                ids.join(" ")
            ),
        ))
    }
}
