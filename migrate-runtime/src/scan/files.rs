//! The layouts of files side by side: migrate's own pairs, and those of
//! sqlx, golang-migrate, refinery/Flyway and the one-file sections of
//! dbmate and goose.

use super::foreign::{self, Name};
use super::problem::{FileProblems, Problem, Rule};
use super::sections::{self, Section};
use super::version::Scheme;
use super::{names, rules, Direction, FileEntry, Gathered, Kind};
use crate::scan::layout::Layout;

/// The native layout: every file a migration (`NNNN_name.up.sql`, …), any
/// folder but `seeds/` unexpected.
pub(super) fn native(g: &mut Gathered<'_>, listing: &[(String, Kind)]) {
    for (file_name, kind) in listing {
        let path = g.dir.join(file_name);
        if *kind == Kind::Folder {
            g.problems.push(Problem::folder(
                &path,
                Rule::UnexpectedFile,
                "unexpected folder in the migrations folder (only seeds/ may be there)".to_owned(),
            ));
            continue;
        }
        if let Some(parsed) = names::parse_file_name(&path, file_name, &mut g.problems) {
            let text = rules::read(&path, parsed.direction, &mut g.problems).map(|read| {
                if read.changed {
                    g.normalized.push(path.clone());
                }
                (read.text, read.directives, read.statements)
            });
            g.entries.push(FileEntry { text, ..parsed });
        }
    }
}

/// sqlx, golang-migrate, refinery and sections: each file as its tool
/// names it; folders and the files the tool passes over are ignored.
pub(super) fn foreign(g: &mut Gathered<'_>, listing: &[(String, Kind)]) {
    for (file_name, kind) in listing {
        if *kind == Kind::Folder {
            g.ignore(file_name);
            continue;
        }
        let named = match foreign::parse(g.layout, file_name) {
            Ok(Name::Migration(n)) => n,
            Ok(Name::Ignored) => {
                g.ignore(file_name);
                continue;
            }
            Err((rule, message)) => {
                g.whole_file(file_name, rule, message);
                continue;
            }
        };
        let path = g.dir.join(file_name);
        let Some((text, changed)) = rules::load(&path, &mut g.problems) else {
            g.entries
                .push(entry(file_name, &named, named.direction, None));
            continue;
        };
        if g.layout == Layout::Sections {
            g.normalized.push(path);
            sectioned(g, file_name, &named, text);
            continue;
        }
        if changed {
            g.normalized.push(path.clone());
        }
        // sqlx: `-- no-transaction` as the file's first line.
        let no_transaction = g.layout == Layout::Sqlx
            && text.lines().next().map(str::trim) == Some("-- no-transaction");
        let read = rules::check(
            &path,
            text,
            named.direction,
            no_transaction,
            &mut g.problems,
        );
        let text = read.map(|r| (r.text, r.directives, r.statements));
        g.entries
            .push(entry(file_name, &named, named.direction, text));
    }
}

/// The up and down sections of one file, each an entry.
fn sectioned(g: &mut Gathered<'_>, file_name: &str, named: &foreign::Named, text: String) {
    let path = g.dir.join(file_name);
    let split = {
        let mut problems = FileProblems::new(&path, &mut g.problems);
        let Some(lexed) = rules::lex(&text, &mut problems) else {
            return;
        };
        match sections::split(&text, &lexed) {
            Ok(split) => split,
            Err((line, message)) => {
                problems.report(line, Rule::InvalidSection, || message);
                return;
            }
        }
    };
    for (direction, section) in [(Direction::Up, split.up), (Direction::Down, split.down)] {
        let Some(Section {
            text,
            no_transaction,
            blocks,
        }) = section
        else {
            continue;
        };
        let read = rules::check(&path, text, direction, no_transaction, &mut g.problems);
        let text = read.map(|r| {
            let statements = sections::merge_blocks(&r.text, r.statements, &blocks);
            (r.text, r.directives, statements)
        });
        g.entries.push(entry(file_name, named, direction, text));
    }
}

/// The entry of one script of a foreign layout.
pub(super) fn entry(
    file_name: &str,
    named: &foreign::Named,
    direction: Direction,
    text: Option<(String, crate::model::Directives, Vec<crate::model::Span>)>,
) -> FileEntry {
    FileEntry {
        file_name: file_name.to_owned(),
        version: named.version,
        scheme: Scheme::Free,
        name: named.name.clone(),
        direction,
        text,
    }
}
