//! The `migrate` command line: the standalone tool (`cargo install --path .
//! --features cli`, binary `migrate`) over a migrations folder, and the same
//! subcommands inside a service binary over the migrations it embeds
//! ([`MigrateArgs`], [`run_embedded`]).
//!
//! Exit codes: 0 success; 1 a migration or database error (and `verify`
//! finding a problem, `seed` with a failing file); 2 a usage, configuration
//! or validation error (and `check` finding a problem); 130 `up`, `down` or
//! `redo` stopped by SIGINT or SIGTERM (the running statement cancelled on
//! the server, what committed reported).

mod args;
mod commands;
mod config;
mod connection;
mod convert;
mod dry;
mod failure;
mod generate;
mod interrupt;
mod output;
mod reversible;
mod seed;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::{Layout, Migrations, ScanOptions};

pub use args::MigrateArgs;

use args::{Standalone, StandaloneCommand};
pub(crate) use failure::Failure;
use output::Out;

/// The standalone tool's `main`: parses the command line and runs it.
#[must_use]
pub fn main() -> ExitCode {
    let words: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(when) = args::color_in(&words) {
        output::set_color(when);
    }
    let cli = Standalone::try_parse_from(words).unwrap_or_else(|e| suggest(e).exit());
    output::set_color(cli.global.color);
    let mut out = Out::new(cli.global.format);
    if let StandaloneCommand::Completions { shell } = cli.command {
        // Before the config: a broken migrate.toml does not stop it.
        out.verbatim(&args::completions(shell));
        return finish(&out, Ok(0));
    }
    let result = standalone(cli, &mut out);
    finish(&out, result)
}

/// The subcommands other tools' users type, and ours that do it.
const OTHER_NAMES: &[(&str, &str, &str)] = &[
    ("apply", "up", "yoyo's `apply`"),
    (
        "migrate",
        "up",
        "`migrate` (Django, Knex's `migrate:latest`)",
    ),
    ("latest", "up", "Knex's `migrate:latest`"),
    ("upgrade", "up", "Alembic's `upgrade head`"),
    ("rollback", "down", "yoyo's and Knex's `rollback`"),
    ("downgrade", "down", "Alembic's `downgrade -1`"),
    ("info", "status", "Flyway's `info`"),
    ("current", "status", "Alembic's `current`"),
    ("validate", "verify", "Flyway's `validate`"),
];

/// An unknown subcommand that another tool has: the tip names ours.
fn suggest(mut e: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand {
        return e;
    }
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return e;
    };
    // Knex's `migrate:rollback` is a rollback: the part after `:` first.
    let word = word.to_ascii_lowercase();
    let (before, after) = word.split_once(':').unwrap_or((&word, ""));
    let found = [after, before]
        .iter()
        .find_map(|w| OTHER_NAMES.iter().find(|(name, ..)| name == w));
    if let Some((_, ours, theirs)) = found {
        let tip = format!("for {theirs}, use `migrate {ours}` (see `migrate {ours} --help`)");
        e.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![tip.into()]),
        );
    }
    e
}

/// Runs the `migrate` subcommands of a service binary on the migrations it
/// embeds (no files needed). `new` and `check` are not among them. The
/// flags, `migrate.toml` and `DATABASE_URL` work as for the standalone tool.
#[must_use]
pub fn run_embedded(migrations: &Migrations, args: MigrateArgs) -> ExitCode {
    output::set_color(args.global.color);
    let mut out = Out::new(args.global.format);
    let seeding = matches!(args.command, args::DbCommand::Seed { .. });
    let result = config::load(args.global.config.as_deref(), args.global.env.as_deref())
        .map_err(|f| seed_hint(f, seeding, args.global.env.as_deref()))
        .and_then(|config| {
            commands::run(migrations, &args.command, &args.global, &config, &mut out)
        });
    finish(&out, result)
}

fn standalone(cli: Standalone, out: &mut Out) -> Result<u8, Failure> {
    let seeding = matches!(
        cli.command,
        StandaloneCommand::Db(args::DbCommand::Seed { .. })
    );
    let config = config::load(cli.global.config.as_deref(), cli.global.env.as_deref())
        .map_err(|f| seed_hint(f, seeding, cli.global.env.as_deref()))?;
    let dir = cli
        .dir
        .clone()
        .or_else(|| config.migrations.clone())
        .unwrap_or_else(|| PathBuf::from("migrations"));
    let layout = cli.layout.or(config.layout);
    let options = scan_options(&config, layout, &cli.global);
    match &cli.command {
        StandaloneCommand::New(new) => {
            let files = generate::new_migration(&dir, &new.description, &new.template, &options)
                .map_err(Failure::usage)?;
            let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            for f in &shown {
                out.line(&format!("created {f}"));
            }
            out.document(&serde_json::json!({ "created": shown }));
            Ok(0)
        }
        StandaloneCommand::Check { reversible } => {
            let url = if *reversible {
                Some(commands::database_url(&cli.global, &config)?)
            } else {
                None
            };
            check(&dir, &options, url.as_deref(), out)
        }
        StandaloneCommand::Convert { to, folders } => match folders.as_slice() {
            [from, into] => convert::convert(from, &options, *to, into, out),
            [into] => convert::convert(&dir, &options, *to, into, out),
            _ => Err(Failure::usage(
                "convert takes IN OUT, or OUT alone (IN is then --dir)",
            )),
        },
        // Written by `main`, before the config is read.
        StandaloneCommand::Completions { .. } => Ok(0),
        StandaloneCommand::Db(command) => {
            let set = scan(&dir, &options, out)?;
            commands::run(&set, command, &cli.global, &config, out)
        }
    }
}

/// `--env` names a `migrate.toml` environment, also for `seed`: when the
/// file has no such environment, says how to name just the seed folder.
fn seed_hint(mut f: Failure, seeding: bool, env: Option<&str>) -> Failure {
    if let (true, Some(env)) = (seeding, env) {
        if f.message.contains("no environment") {
            f.message.push_str(&format!(
                "; --env chooses the migrate.toml environment: to run seeds/{env}/ with the \
                 file's defaults, `migrate seed {env}`"
            ));
        }
    }
    f
}

/// What the scanner is told: the layout, the engine (declared, or the
/// database URL's), the `[lint]` table, and whether `lock_timeout` gives
/// every migration one.
fn scan_options(
    config: &config::Config,
    layout: Option<Layout>,
    global: &args::Global,
) -> ScanOptions {
    let mut options = ScanOptions::new();
    if let Some(layout) = layout {
        options = options.layout(layout);
    }
    let url = commands::database_url(global, config).ok();
    let engine = config.engine.or_else(|| match url.as_deref() {
        Some(u) if connection::sqlite_path(u).is_some() => Some(migrate_runtime::Engine::Sqlite),
        Some(_) => Some(migrate_runtime::Engine::Postgres),
        None => None,
    });
    if let Some(engine) = engine {
        options = options.engine(engine);
    }
    for &(rule, severity) in &config.lint {
        options = options.severity(rule, severity);
    }
    if config.lock_timeout.is_some() {
        options = options.runner_lock_timeout();
    }
    options
}

/// Scans the folder, printing every problem.
fn scan(dir: &std::path::Path, options: &ScanOptions, out: &Out) -> Result<Migrations, Failure> {
    Migrations::from_dir_with(dir, options).map_err(|e| problems(dir, &e, out))
}

/// A scan's problems, printed; the failure.
fn problems(dir: &std::path::Path, e: &migrate_runtime::ScanError, out: &Out) -> Failure {
    let problems: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
    out.document(&serde_json::json!({ "ok": false, "problems": problems }));
    for p in &problems {
        out.note(p);
    }
    Failure {
        documented: true,
        ..Failure::usage(format!(
            "{} problem(s) in {}",
            problems.len(),
            dir.display()
        ))
    }
}

/// `check`: the scanner's verdict, the layout, what the layout passes
/// over and what it decided (irreversible empty downs); with a database
/// URL (`--reversible`), every down proved on a scratch database.
fn check(
    dir: &std::path::Path,
    options: &ScanOptions,
    reversible: Option<&str>,
    out: &Out,
) -> Result<u8, Failure> {
    let scanned = migrate_runtime::scan_with(dir, options).map_err(|e| problems(dir, &e, out))?;
    let (migrations, seeds) = (scanned.migrations().len(), scanned.seeds().len());
    out.line(&format!(
        "{}: {migrations} migrations ({} layout), {seeds} seed files, no problems",
        dir.display(),
        scanned.layout(),
    ));
    let ignored: Vec<String> = scanned
        .ignored()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    for file in &ignored {
        out.line(&format!(
            "  ignored, as {} ignores it: {file}",
            scanned.layout()
        ));
    }
    for note in scanned.notes() {
        out.line(&format!("  note: {note}"));
    }
    let warnings: Vec<String> = scanned.warnings().iter().map(ToString::to_string).collect();
    for w in &warnings {
        out.line(&format!("  warning: {w}"));
    }
    if !warnings.is_empty() {
        out.line(&format!(
            "  {} warning(s): set a rule to deny or allow in migrate.toml's [lint], or allow one statement with `-- migrate:allow <rule>`",
            warnings.len()
        ));
    }
    let mut document = serde_json::json!({
        "ok": true,
        "layout": scanned.layout().name(),
        "migrations": migrations,
        "seed_files": seeds,
        "latest_version": scanned.migrations().last().map(crate::Migration::version),
        "ignored": ignored,
        "notes": scanned.notes(),
        "warnings": warnings,
    });
    let mut code = 0;
    if let Some(url) = reversible {
        // The set as the runner takes it (a second scan: milliseconds).
        let set = scan(dir, options, out)?;
        let proved;
        (code, proved) = reversible::prove(dir, &set, url, out)?;
        document["ok"] = (code == 0).into();
        document["reversible"] = proved;
    }
    out.document(&document);
    Ok(code)
}

fn finish(out: &Out, result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => match out.write_error() {
            Some(e) if code == 0 => {
                out.note(&format!("error: cannot write the output: {e}"));
                ExitCode::from(1)
            }
            _ => ExitCode::from(code),
        },
        Err(f) => {
            if !f.documented {
                out.document(&serde_json::json!({ "error": f.json() }));
            }
            out.note(&format!("error: {}", f.message));
            ExitCode::from(f.code)
        }
    }
}
