//! The subcommands that work on a database, on PostgreSQL or SQLite.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use serde_json::{json, Value};

use super::args::{DbCommand, Global};
use super::config::Config;
use super::connection::Target;
use super::dry;
use super::interrupt;
use super::output::{Out, Paint};
use super::seed;
use super::status;
use super::Failure;
use crate::{AnyConnection, EventKind, Finding, Migrations, Report, Resolution, Rollback, Runner};

/// Runs a database subcommand; returns the exit code.
pub(crate) fn run(
    set: &Migrations,
    command: &DbCommand,
    global: &Global,
    config: &Config,
    out: &mut Out,
) -> Result<u8, Failure> {
    let url = database_url(global, config)?;
    let target = Target::parse(&url)?.default_connect_timeout(config.connect_timeout);
    out.hide(target.secrets());
    if command.is_destructive() && config.protected && !global.dry_run {
        confirm(command.name(), config, global.yes, out)?;
    }
    let read_only = global.dry_run
        || matches!(
            command,
            DbCommand::Status { .. } | DbCommand::History { .. } | DbCommand::Verify { .. }
        );
    let mut conn = target.open(read_only, set)?;
    let mut runner = set.runner();
    if command.writes_migrations() && !global.dry_run {
        if let Some(stop) = interrupt::stop_on_signal() {
            runner = runner.stop_on(&stop);
        }
    }
    if let Some(table) = &config.table {
        runner = runner.table(table.clone());
    }
    if let Some(d) = config.lock_timeout {
        runner = runner.ddl_lock_timeout(d);
    }
    if let Some(d) = config.statement_timeout {
        runner = runner.statement_timeout(d);
    }
    let reread = runner.clone();
    let mut cmd = Cmd {
        set,
        runner,
        conn: &mut conn,
        out,
        dry: global.dry_run,
    };
    let result = match *command {
        DbCommand::Status { check } => status::status(set, &cmd.runner, cmd.conn, cmd.out, check),
        DbCommand::Up { to } => cmd.up(to),
        DbCommand::Down { steps, to, all } => {
            let how = match (steps, to, all) {
                (_, _, true) => Rollback::All,
                (_, Some(v), _) => Rollback::To(v),
                (n, None, false) => Rollback::Last(n.unwrap_or(1)),
            };
            cmd.down(how)
        }
        DbCommand::Redo { steps } => cmd.redo(steps),
        DbCommand::History { limit } => cmd.history(limit),
        DbCommand::Verify { pending } => status::verify(&cmd.runner, cmd.conn, cmd.out, pending),
        DbCommand::Baseline { version } => cmd.baseline(version),
        DbCommand::Adopt { from } => cmd.adopt(from),
        DbCommand::Repair => cmd.repair(),
        DbCommand::Resolve {
            version, applied, ..
        } => cmd.resolve(version, applied),
        DbCommand::Seed { ref name, force } => {
            let env = seed::folder(name.as_deref(), config.env.as_deref());
            let how = (env, cmd.dry, force);
            seed::seed(set, &cmd.runner, cmd.conn, cmd.out, how)
        }
    };
    result.map_err(|f| reread_after_lost(f, set, &target, &reread))
}

/// How long the CLI waits for a new connection after losing one.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// After a lost connection, reads the tracking table once on a new
/// connection and adds what it holds for each version whose outcome the
/// error left unknown, to the message and as `after_reconnect` in the
/// JSON error object. If that fails too, the error stays as it was.
fn reread_after_lost(
    f: Failure,
    set: &Migrations,
    target: &Target,
    runner: &Runner<'_>,
) -> Failure {
    let Some((first, last)) = f.lost else {
        return f;
    };
    let Some(status) = reconnect(target, set).and_then(|mut conn| runner.status(&mut conn).ok())
    else {
        return f;
    };
    let states: Vec<(u64, &str)> = set
        .iter()
        .map(crate::Migration::version)
        .filter(|v| (first..=last).contains(v))
        .map(|v| {
            let row = status.applied().iter().find(|a| a.version() == v);
            (v, row.map_or("not_applied", |a| a.state().as_str()))
        })
        .collect();
    if states.is_empty() {
        return f;
    }
    let shown: Vec<String> = states
        .iter()
        .map(|(v, state)| format!("{v} {}", state.replace('_', " ")))
        .collect();
    let listed: Vec<Value> = states
        .iter()
        .map(|(v, state)| json!({ "version": v, "state": state }))
        .collect();
    let mut f = f.with("after_reconnect", listed);
    f.message.push_str(&format!(
        "; on a new connection, the tracking table now says: migration {}",
        shown.join(", ")
    ));
    f
}

/// One new connection (with the same TLS settings), waiting at most
/// [`RECONNECT_TIMEOUT`].
fn reconnect(target: &Target, set: &Migrations) -> Option<AnyConnection> {
    target.reopen(RECONNECT_TIMEOUT, set)
}

/// A database subcommand's connection, runner and output.
struct Cmd<'a> {
    set: &'a Migrations,
    runner: Runner<'a>,
    conn: &'a mut AnyConnection,
    out: &'a mut Out,
    dry: bool,
}

impl Cmd<'_> {
    fn up(&mut self, to: Option<u64>) -> Result<u8, Failure> {
        let runner = match to {
            Some(v) => self.runner.clone().to(v),
            None => self.runner.clone(),
        };
        if self.dry {
            return dry::up(&runner.plan(self.conn)?, self.out);
        }
        let report = apply(&runner, self.conn, self.out)?;
        print_report(&report, false, self.out);
        Ok(0)
    }

    fn down(&mut self, how: Rollback) -> Result<u8, Failure> {
        if self.dry {
            return dry::down(&self.runner.plan_rollback(self.conn, how)?, self.out);
        }
        let report = self.runner.rollback(self.conn, how)?;
        print_report(&report, true, self.out);
        Ok(0)
    }

    /// Rolls back the newest `steps` and applies them again; refuses,
    /// before anything runs, what it could not apply again.
    fn redo(&mut self, steps: usize) -> Result<u8, Failure> {
        let how = Rollback::Last(steps);
        let plan = self.runner.plan_rollback(self.conn, how)?;
        let ups = dry::redo_ups(&plan, self.set)?;
        if self.dry {
            return dry::redo(&plan, ups, self.out);
        }
        if let Some(refused) = dry::redo_blocked(&plan) {
            return Err(refused);
        }
        let down = self.runner.rollback(self.conn, how)?;
        print_report(&down, true, self.out);
        let Some(top) = down.rolled_back().iter().map(|r| r.version()).max() else {
            return Ok(0);
        };
        let up = apply(&self.runner.clone().to(top), self.conn, self.out)?;
        print_report(&up, false, self.out);
        Ok(0)
    }

    fn history(&mut self, limit: usize) -> Result<u8, Failure> {
        let events = self.runner.history(self.conn, limit)?;
        self.out
            .document(&serde_json::to_value(&events).unwrap_or(Value::Null));
        let rows: Vec<_> = events
            .iter()
            .map(|e| {
                let paint = (e.kind() == EventKind::Failure).then_some(Paint::Red);
                vec![
                    (e.at().to_owned(), None),
                    (e.kind().to_string(), paint),
                    (
                        e.version().map_or_else(String::new, |v| v.to_string()),
                        None,
                    ),
                    (e.name().unwrap_or_default().to_owned(), None),
                    (ms(e.execution_ms()), None),
                    (e.actor().unwrap_or_default().to_owned(), None),
                    (first_line(e.detail().unwrap_or_default()), None),
                ]
            })
            .collect();
        self.out.table(
            &["AT", "EVENT", "VERSION", "NAME", "TIME", "BY", "DETAIL"],
            &rows,
        );
        Ok(0)
    }

    fn baseline(&mut self, version: u64) -> Result<u8, Failure> {
        if self.dry {
            let status = self.runner.status(self.conn)?;
            let applied: Vec<u64> = status.applied().iter().map(|a| a.version()).collect();
            let marked: Vec<u64> = self
                .set
                .iter()
                .map(crate::Migration::version)
                .filter(|v| *v <= version && !applied.contains(v))
                .collect();
            self.out
                .document(&json!({ "dry_run": true, "would_mark": marked }));
            self.out.line(&match versions(&marked) {
                Some(list) => format!("would mark applied without running: {list}"),
                None => format!("nothing to mark: every migration up to {version} is applied"),
            });
            return Ok(0);
        }
        let marked = self.runner.baseline(self.conn, version)?;
        self.out.document(&json!({ "marked": marked }));
        self.out.line(&match versions(&marked) {
            Some(list) => format!("marked applied without running: {list}"),
            None => format!("nothing to mark: every migration up to {version} is already applied"),
        });
        Ok(0)
    }

    /// Records what another tool applied; a dry run says what it would.
    fn adopt(&mut self, from: Option<crate::Foreign>) -> Result<u8, Failure> {
        if self.dry {
            let status = self.runner.plan_adoption(self.conn, from)?;
            self.out.document(
                &json!({ "dry_run": true, "would_adopt": status.1, "from": status.0.name() }),
            );
            self.out.line(&match versions(&status.1) {
                Some(list) => format!("would record applied (by {}): {list}", status.0),
                None => format!("{} applied nothing this set has", status.0),
            });
            return Ok(0);
        }
        let adopted = self.runner.adopt_foreign(self.conn, from)?;
        self.out.document(&json!({ "adopted": adopted }));
        self.out.line(&match versions(&adopted) {
            Some(list) => format!("recorded applied, as the other tool applied them: {list}"),
            None => "nothing to adopt: the other tool applied nothing this set has".to_owned(),
        });
        Ok(0)
    }

    fn repair(&mut self) -> Result<u8, Failure> {
        let (key, verb, found) = if self.dry {
            // What repair resolves: drift and the marks of half-applied ups.
            let p = self
                .runner
                .verify(self.conn)?
                .into_iter()
                .filter(|f| match f {
                    Finding::Drift { .. } => true,
                    Finding::HalfApplied { state, .. } => !state.is_rollback(),
                    _ => false,
                })
                .collect();
            ("would_repair", "would repair", p)
        } else {
            ("repaired", "repaired", self.runner.repair(self.conn)?)
        };
        // A rollback that did not finish is not repair's to guess.
        let left: Vec<Finding> = self
            .runner
            .verify(self.conn)?
            .into_iter()
            .filter(|f| matches!(f, Finding::HalfApplied { state, .. } if state.is_rollback()))
            .collect();
        self.out
            .document(&json!({ key: found, "not_repaired": left }));
        if found.is_empty() {
            self.out.line("nothing to repair");
        }
        for f in &found {
            self.out.line(&format!("{verb}: {f}"));
        }
        for f in &left {
            if let Finding::HalfApplied { version: v, .. } = f {
                self.out.line(&format!(
                    "not repaired: {f}; whether what it removed is still there is yours to say: `migrate resolve {v} --rolled-back` or `migrate resolve {v} --applied`"
                ));
            }
        }
        Ok(u8::from(!left.is_empty()))
    }

    /// Records the operator's finding on an unfinished migration.
    fn resolve(&mut self, version: u64, applied: bool) -> Result<u8, Failure> {
        let resolution = if applied {
            Resolution::Applied
        } else {
            Resolution::RolledBack
        };
        let outcome = if applied { "applied" } else { "rolled back" };
        if self.dry {
            let found =
                self.runner.verify(self.conn)?.into_iter().find(
                    |f| matches!(f, Finding::HalfApplied { version: v, .. } if *v == version),
                );
            let Some(f) = found else {
                return Err(Failure::usage(format!(
                    "migration {version} has no unfinished mark: nothing to resolve"
                )));
            };
            self.out
                .document(&json!({ "dry_run": true, "would_resolve": f, "as": outcome }));
            self.out.line(&format!("would record {outcome}: {f}"));
            return Ok(0);
        }
        let f = self.runner.resolve(self.conn, version, resolution)?;
        self.out.document(&json!({ "resolved": f, "as": outcome }));
        self.out.line(&format!("recorded {outcome}: {f}"));
        Ok(0)
    }
}

/// The URL: `--database-url`, the chosen environment's, `DATABASE_URL`,
/// then the config file's default.
pub(super) fn database_url(global: &Global, config: &Config) -> Result<String, Failure> {
    let from_env_var = || std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    let url = match (&global.database_url, &config.database_url) {
        (Some(flag), _) => Some(flag.clone()),
        (None, Some(url)) if config.url_from_env => Some(url.clone()),
        (None, fallback) => from_env_var().or_else(|| fallback.clone()),
    };
    url.ok_or_else(|| {
        Failure::usage(
            "no database: pass --database-url, set DATABASE_URL, or set database_url in migrate.toml",
        )
    })
}

/// Asks for confirmation of a destructive command in a protected
/// environment: `--yes` (logged with who gave it), or the environment's
/// name typed on a terminal.
fn confirm(command: &str, config: &Config, yes: bool, out: &Out) -> Result<(), Failure> {
    let env = config.env.as_deref().unwrap_or("default");
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    if yes {
        out.note(&format!(
            "`{command}` in protected environment `{env}` confirmed with --yes by {who}"
        ));
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::usage(format!(
            "environment `{env}` is protected: `{command}` needs --yes"
        )));
    }
    out.prompt(&format!(
        "environment `{env}` is protected; type its name to run `{command}`: "
    ));
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if answer.trim() != env {
        return Err(Failure::usage("not confirmed: nothing was done"));
    }
    out.note(&format!(
        "`{command}` in protected environment `{env}` confirmed by {who}"
    ));
    Ok(())
}

/// Applies with a progress line on a terminal.
fn apply(runner: &Runner<'_>, conn: &mut AnyConnection, out: &Out) -> Result<Report, Failure> {
    let line = out.clone();
    let runner = runner.clone().on_progress(move |p| {
        if let crate::Progress::Started { version, name } = p {
            line.progress(&format!("applying {version} {name} …"));
        }
    });
    let result = runner.run(conn);
    out.end_progress();
    Ok(result?)
}

/// What a run did; a rollback that did nothing says so.
fn print_report(report: &Report, rolling_back: bool, out: &Out) {
    let step = |version: u64, name: &str, d: std::time::Duration| json!({ "version": version, "name": name, "ms": d.as_secs_f64() * 1000.0 });
    out.document(&json!({
        "applied": report.applied().iter().map(|a| step(a.version(), a.name(), a.duration())).collect::<Vec<_>>(),
        "rolled_back": report.rolled_back().iter().map(|r| step(r.version(), r.name(), r.duration())).collect::<Vec<_>>(),
        "version": report.version(),
        "warnings": report.warnings().iter().map(ToString::to_string).collect::<Vec<_>>(),
    }));
    if rolling_back && report.rolled_back().is_empty() {
        let version = report
            .version()
            .map_or_else(|| "none".to_owned(), |v| v.to_string());
        out.line(&format!("nothing to roll back (version {version})"));
        for w in report.warnings() {
            out.line(&format!("  warning: {w}"));
        }
        return;
    }
    out.line(&report.to_string());
}

/// `1, 2, 3`, or `None` for no versions.
fn versions(list: &[u64]) -> Option<String> {
    let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
    (!shown.is_empty()).then(|| shown.join(", "))
}

pub(crate) fn ms(ms: Option<f64>) -> String {
    ms.map_or_else(String::new, |ms| format!("{ms:.1} ms"))
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
