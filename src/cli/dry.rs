//! Dry runs: the steps a command would run, with their exact SQL, ending
//! the way the real command would — with its message and exit code when it
//! would stop at an irreversible migration.

use std::path::Path;

use serde_json::{json, Value};

use super::output::Out;
use super::Failure;
use crate::{Direction, Migration, Migrations, Plan, PlannedStep, Warning};

/// One step a command would run.
pub(crate) struct Step {
    version: u64,
    name: String,
    direction: &'static str,
    file: String,
    sql: String,
    transactional: bool,
}

impl Step {
    fn planned(p: &PlannedStep) -> Step {
        Step {
            version: p.version(),
            name: p.name().to_owned(),
            direction: match p.direction() {
                Direction::Down => "down",
                _ => "up",
            },
            file: p.file().to_owned(),
            sql: p.sql().to_owned(),
            transactional: p.transactional(),
        }
    }

    /// Applying `m` again, as `redo` does after its rollback.
    fn up(set: &Migrations, m: &Migration) -> Step {
        let sql = match (m.is_code(), m.code_version()) {
            (false, _) => m.up_sql().to_owned(),
            (true, cv) => format!(
                "-- Rust code (code version {}); the marker file says:\n{}",
                cv.unwrap_or("?, not registered"),
                m.up_sql()
            ),
        };
        Step {
            version: m.version(),
            name: m.name().to_owned(),
            direction: "up",
            file: Path::new(set.dir()).join(m.up_file()).display().to_string(),
            sql,
            transactional: !m.no_transaction(),
        }
    }

    fn text(&self) -> String {
        let tx = if self.transactional {
            ""
        } else {
            ", no transaction"
        };
        format!(
            "-- {} {} {} ({}{tx})\n{}",
            self.direction,
            self.version,
            self.name,
            self.file,
            self.sql.trim_end()
        )
    }

    fn json(&self) -> Value {
        json!({
            "version": self.version,
            "name": self.name,
            "direction": self.direction,
            "file": self.file,
            "sql": self.sql,
            "transactional": self.transactional,
        })
    }
}

/// The irreversible migration a planned rollback stops before.
pub(crate) fn blocked_by(plan: &Plan) -> Option<(u64, &str)> {
    plan.warnings().iter().find_map(|w| match w {
        Warning::Irreversible { version, name, .. } => Some((*version, name.as_str())),
        _ => None,
    })
}

/// The migrations `redo` applies again after rolling back `plan`'s steps,
/// oldest first. A migration rolled back with the down SQL stored in its
/// tracking row is not in the set and could not be applied again: `redo`
/// refuses it before anything runs.
pub(crate) fn redo_ups(plan: &Plan, set: &Migrations) -> Result<Vec<Step>, Failure> {
    plan.steps()
        .iter()
        .rev()
        .map(|s| {
            set.get(s.version())
                .map(|m| Step::up(set, m))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "migration {} ({}) is not in this set: `redo` could roll it back with its \
                     stored down SQL but not apply it again; nothing was done (use `down` to \
                     roll it back)",
                        s.version(),
                        s.name()
                    ))
                })
        })
        .collect()
}

/// Why `redo` refuses a rollback that would stop at an irreversible
/// migration: it would leave the newer ones rolled back and not applied.
pub(crate) fn redo_blocked(plan: &Plan) -> Option<Failure> {
    blocked_by(plan).map(|(version, name)| {
        Failure::failed(format!(
            "migration {version} ({name}) is irreversible: `redo` cannot roll it back and apply \
             it again; nothing was rolled back"
        ))
    })
}

/// `up --dry-run`.
pub(crate) fn up(plan: &Plan, out: &Out) -> Result<u8, Failure> {
    let steps: Vec<Step> = plan.steps().iter().map(Step::planned).collect();
    show(&steps, plan, "nothing to apply", None, out)
}

/// `down --dry-run`: the steps, and the real rollback's error and exit
/// code when it would stop at an irreversible migration.
pub(crate) fn down(plan: &Plan, out: &Out) -> Result<u8, Failure> {
    let steps: Vec<Step> = plan.steps().iter().map(Step::planned).collect();
    let stop = blocked_by(plan).map(|(version, name)| {
        Failure::failed(format!(
            "migration {version} ({name}) is irreversible: the rollback would stop before it, \
             after rolling back {} newer migration(s) (dry run: nothing was changed)",
            steps.len()
        ))
    });
    show(&steps, plan, "nothing to roll back", stop, out)
}

/// `redo --dry-run`: the rollback's steps, then the same migrations
/// applied again, oldest first; or the refusal of the real `redo`.
pub(crate) fn redo(plan: &Plan, ups: Vec<Step>, out: &Out) -> Result<u8, Failure> {
    if let Some(stop) = redo_blocked(plan) {
        return show(&[], plan, "", Some(stop), out);
    }
    let mut steps: Vec<Step> = plan.steps().iter().map(Step::planned).collect();
    steps.extend(ups);
    show(&steps, plan, "nothing to roll back", None, out)
}

/// Prints the steps and the warnings (the one stopping the run as its
/// error), in text or JSON.
fn show(
    steps: &[Step],
    plan: &Plan,
    nothing: &str,
    stop: Option<Failure>,
    out: &Out,
) -> Result<u8, Failure> {
    let mut doc = json!({
        "dry_run": true,
        "plan": {
            "steps": steps.iter().map(Step::json).collect::<Vec<_>>(),
            "warnings": plan.warnings(),
        },
    });
    if let Some(stop) = &stop {
        doc["error"] = stop.json();
    }
    out.document(&doc);
    if steps.is_empty() && stop.is_none() {
        out.line(nothing);
    }
    for s in steps {
        out.line(&s.text());
    }
    for w in plan.warnings() {
        if !matches!(w, Warning::Irreversible { .. }) {
            out.line(&format!("-- warning: {w}"));
        }
    }
    match stop {
        Some(stop) => Err(Failure {
            documented: true,
            ..stop
        }),
        None => Ok(0),
    }
}
