//! `status` and `verify`: what the database holds against the migrations,
//! said so that neither a half-applied nor an unknown version, nor a
//! database nothing was applied to, reads as "up to date"; `status --check`
//! and `verify --pending` exit 1 while anything is pending (CI gates).

use serde_json::{json, Value};

use super::output::{Out, Paint};
use super::Failure;
use crate::{AnyConnection, MigrationState, Migrations, Runner, Status};

/// `migrate status`: the headline, the table, the problems; with `check`,
/// exit 1 unless everything is applied and nothing is wrong.
pub(crate) fn status(
    set: &Migrations,
    runner: &Runner<'_>,
    conn: &mut AnyConnection,
    out: &Out,
    check: bool,
) -> Result<u8, Failure> {
    let status = runner.status(conn)?;
    let head = headline(&status);
    let mut doc = serde_json::to_value(&status).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut doc {
        map.insert("summary".to_owned(), json!(head));
        map.insert("up_to_date".to_owned(), json!(status.is_up_to_date()));
    }
    out.document(&doc);
    out.line(&head);
    out.table(
        &["VERSION", "NAME", "STATE", "APPLIED AT", "TIME"],
        &rows(set, &status),
    );
    for p in status.problems() {
        out.line(&out.paint(Paint::Red, &format!("problem: {p}")));
    }
    Ok(u8::from(check && !status.is_up_to_date()))
}

/// `version 3 of 4 (1 pending)`, with what else is true of the rows: a
/// version left `failed` or `in_progress`, a version these migrations do
/// not have.
pub(crate) fn headline(status: &Status) -> String {
    let show = |v: Option<u64>| v.map_or_else(|| "none".to_owned(), |v| v.to_string());
    let current = status.current_version();
    let unknown_current = status
        .applied()
        .iter()
        .any(|a| Some(a.version()) == current && !a.embedded());
    let mut notes = vec![format!("{} pending", status.pending().len())];
    for a in status.applied() {
        match a.state() {
            MigrationState::Applied if !a.embedded() && Some(a.version()) != current => {
                notes.push(format!("{} unknown to these migrations", a.version()));
            }
            MigrationState::Applied => {}
            other => notes.push(format!(
                "{} {}",
                a.version(),
                other.as_str().replace('_', " ")
            )),
        }
    }
    if !status.problems().is_empty() {
        notes.push(format!("{} problem(s) below", status.problems().len()));
    }
    if unknown_current {
        format!(
            "version {}, unknown to these migrations (latest here: {}; {})",
            show(current),
            show(status.latest_version()),
            notes.join("; ")
        )
    } else {
        format!(
            "version {} of {} ({})",
            show(current),
            show(status.latest_version()),
            notes.join("; ")
        )
    }
}

type Row = Vec<(String, Option<Paint>)>;

/// The applied rows and the pending migrations, in version order.
fn rows(set: &Migrations, status: &Status) -> Vec<Row> {
    let mut rows = Vec::new();
    for a in status.applied() {
        let (state, paint) = match (a.state(), a.embedded()) {
            (MigrationState::Applied, true) => ("applied", Paint::Green),
            (MigrationState::Applied, false) => ("unknown", Paint::Red),
            (other, _) => (other.as_str(), Paint::Red),
        };
        rows.push((
            a.version(),
            vec![
                (a.version().to_string(), None),
                (a.name().to_owned(), None),
                (state.to_owned(), Some(paint)),
                (a.applied_at().to_owned(), None),
                (super::commands::ms(a.execution_ms()), None),
            ],
        ));
    }
    for p in status.pending() {
        let kind = if set.get(p.version()).is_some_and(crate::Migration::is_code) {
            "pending (code)"
        } else {
            "pending"
        };
        rows.push((
            p.version(),
            vec![
                (p.version().to_string(), None),
                (p.name().to_owned(), None),
                (kind.to_owned(), Some(Paint::Yellow)),
                (String::new(), None),
                (String::new(), None),
            ],
        ));
    }
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|r| r.1).collect()
}

/// `migrate verify`: exit 1 on any problem, and with `pending` also while
/// a migration is pending. A database with nothing applied is not "ok":
/// it may be new, or migrated by another tool.
pub(crate) fn verify(
    runner: &Runner<'_>,
    conn: &mut AnyConnection,
    out: &Out,
    pending: bool,
) -> Result<u8, Failure> {
    let problems = runner.verify(conn)?;
    let status = runner.status(conn)?;
    let waiting = status.pending().len();
    let nothing_applied = status.applied().is_empty() && waiting > 0;
    let summary = if nothing_applied {
        format!(
            "no migration applied yet: {waiting} pending (a new database, or one migrated by \
             another tool: `baseline VERSION` marks what it already has)"
        )
    } else if waiting > 0 {
        format!("the applied migrations match; {waiting} pending")
    } else {
        "the database matches the migrations".to_owned()
    };
    let ok = problems.is_empty() && !(pending && waiting > 0);
    out.document(&json!({
        "ok": ok,
        "problems": problems,
        "pending": waiting,
        "applied": status.applied().len(),
        "summary": summary,
    }));
    for p in &problems {
        out.line(&out.paint(Paint::Red, &format!("problem: {p}")));
    }
    if !problems.is_empty() {
        return Ok(1);
    }
    if waiting > 0 {
        let paint = if pending { Paint::Red } else { Paint::Yellow };
        out.line(&out.paint(paint, &summary));
        return Ok(u8::from(pending));
    }
    out.line(&out.paint(Paint::Green, &format!("ok: {summary}")));
    Ok(0)
}
