//! `migrate convert`: another tool's folder rewritten as migrate's own
//! pairs, versions kept, every change printed.

use std::fs;
use std::path::Path;

use serde_json::json;

use super::generate::snake;
use super::output::Out;
use super::Failure;
use crate::{Layout, Migration, ScanOptions};

/// Converts the folder `dir` (read as `options` say: in their layout, or
/// as its files show) into `into`, in `to` (native).
pub(crate) fn convert(
    dir: &Path,
    options: &ScanOptions,
    to: Layout,
    into: &Path,
    out: &Out,
) -> Result<u8, Failure> {
    if to != Layout::Native {
        return Err(Failure::usage(format!(
            "convert writes the native layout only, not {to}: migrate reads {to} folders as they are"
        )));
    }
    let scanned =
        migrate_runtime::scan_with(dir, options).map_err(|e| super::problems(dir, &e, out))?;
    if fs::read_dir(into).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure::usage(format!(
            "{} is not empty: convert writes a new folder",
            into.display()
        )));
    }
    let write = |name: &str, text: &str| -> Result<(), Failure> {
        fs::create_dir_all(into)
            .and_then(|()| fs::write(into.join(name), text))
            .map_err(|e| {
                Failure::failed(format!("cannot write {}: {e}", into.join(name).display()))
            })
    };
    let mut changes = Vec::new();
    for m in scanned.migrations() {
        let stem = format!("{:04}_{}", m.version(), name_of(m));
        let (up, notes) = up_text(m);
        write(&format!("{stem}.up.sql"), &up)?;
        let mut change = format!("{} → {stem}.up.sql", m.up_file());
        if m.name() != name_of(m) {
            change.push_str(&format!(" (name `{}` → `{}`)", m.name(), name_of(m)));
        }
        for note in notes {
            change.push_str(&format!(" ({note})"));
        }
        changes.push(change);
        if let (Some(down), Some(file)) = (m.down_sql(), m.down_file()) {
            write(&format!("{stem}.down.sql"), &down_text(m, down))?;
            changes.push(format!("{file} → {stem}.down.sql"));
        }
    }
    for line in &changes {
        out.line(line);
    }
    // The layout that reads the folder: native, else golang-migrate's,
    // whose pairs take any version (gaps, diesel's 0 and 18 digits).
    let reads =
        |layout| migrate_runtime::scan_with(into, &ScanOptions::new().layout(layout)).is_ok();
    let layout = [Layout::Native, Layout::GolangMigrate]
        .into_iter()
        .find(|&l| reads(l));
    let check = match layout {
        Some(Layout::Native) => "native: check passes".to_owned(),
        Some(_) => "the versions kept are not native versions (a gap-free sequence from 1, or 14-digit timestamps): read the folder with `layout = \"golang-migrate\"` (pairs, any versions; `migrate --layout golang-migrate check` passes), or renumber it".to_owned(),
        None => "the converted folder does not pass `check`: see `migrate --dir OUT check`".to_owned(),
    };
    let renamed = scanned.migrations().iter().any(|m| m.name() != name_of(m));
    out.line(&format!(
        "wrote {} migrations to {}; {check}; a database that recorded them (adopted or applied) sees the rewritten files as changed: run `migrate repair` there once it runs this folder{}",
        scanned.migrations().len(),
        into.display(),
        if renamed {
            ", and it refuses a renamed one as a reused version: convert before you adopt or deploy"
        } else {
            ""
        }
    ));
    out.document(&json!({
        "changes": changes,
        "native": layout == Some(Layout::Native),
        "layout": layout.map(Layout::name),
        "check": check,
    }));
    Ok(0)
}

/// The script's text without the blank lines a section's leading lines
/// left, ending in one newline.
fn trimmed(text: &str) -> String {
    let body = text.trim_start_matches('\n').trim_end();
    format!("{body}\n")
}

/// The up file's text: the directives the other layout said otherwise
/// (irreversible, no transaction) first; and what they were.
fn up_text(m: &Migration) -> (String, Vec<&'static str>) {
    let mut head = String::new();
    let mut notes = Vec::new();
    let text = trimmed(m.up_sql());
    if m.irreversible() && !text.contains("-- migrate:irreversible") {
        head.push_str("-- migrate:irreversible\n");
        notes.push("irreversible: no down file");
    }
    if m.no_transaction() && !text.contains("-- migrate:no-transaction") {
        head.push_str("-- migrate:no-transaction\n");
        notes.push("without a transaction");
    }
    (head + &text, notes)
}

fn down_text(m: &Migration, down: &str) -> String {
    let text = trimmed(down);
    if m.down_no_transaction() && !text.contains("-- migrate:no-transaction") {
        format!("-- migrate:no-transaction\n{text}")
    } else {
        text
    }
}

/// A migration's name as migrate's: lowercase words joined by single
/// underscores (`migration` when nothing of it is left).
fn name_of(m: &Migration) -> String {
    let name = snake(m.name());
    if name.is_empty() {
        "migration".to_owned()
    } else {
        name
    }
}
