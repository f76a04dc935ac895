//! `--color` and the environment: styles on standard output when asked
//! (`--color always`, `CLICOLOR_FORCE`), none when refused (`--color
//! never`, `NO_COLOR`) or on a pipe; an explicit flag beats both variables,
//! `NO_COLOR` beats `CLICOLOR_FORCE`; clap's help and usage errors follow
//! the same decision, and so do a service binary's `migrate` subcommands.

use std::path::Path;
use std::process::Command;

use crate::support::*;

const ESC: char = '\x1b';

/// Runs `cmd` with none of the colour variables of the test's own
/// environment, then with `env`.
fn output(mut cmd: Command, env: &[(&str, &str)]) -> Run {
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "TERM",
        "DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let output = cmd.output().expect("run the binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The `migrate` binary in `dir` with `args` and only `env`'s colour
/// variables.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.current_dir(dir).args(args);
    output(cmd, env)
}

/// `text` without its SGR sequences (`ESC [ … m`).
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\x1b[") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('m')
            .expect("an SGR sequence ends with m");
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A status with pending (yellow) migrations and a bold header.
fn status(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = vec!["status", "--database-url", "sqlite:app.db"];
    args.extend(extra);
    run(dir, &args, env).expect(0)
}

#[test]
fn color_always_styles_the_status_and_never_or_a_pipe_does_not() {
    let p = project("tests/fixtures/basic");
    let dir = p.path();
    let piped = status(dir, &[], &[]).stdout;
    assert!(!piped.contains(ESC), "a pipe gets no colour: {piped:?}");
    assert!(piped.contains("pending"), "{piped}");

    let always = status(dir, &["--color", "always"], &[]).stdout;
    assert!(always.contains("\x1b[1m"), "a bold header: {always:?}");
    assert!(
        always.contains("\x1b[33m"),
        "yellow pending rows: {always:?}"
    );
    assert_eq!(plain(&always), piped, "the same text under the styles");
    // The `=` form, and after the subcommand's own flags.
    let eq = status(dir, &["--color=always"], &[]).stdout;
    assert_eq!(eq, always);

    let never = status(dir, &["--color", "never"], &[("CLICOLOR_FORCE", "1")]).stdout;
    assert_eq!(never, piped, "--color never beats CLICOLOR_FORCE");
}

#[test]
fn no_color_and_clicolor_force_decide_when_the_flag_is_auto() {
    let p = project("tests/fixtures/basic");
    let dir = p.path();
    let forced = status(dir, &[], &[("CLICOLOR_FORCE", "1")]).stdout;
    assert!(
        forced.contains("\x1b[33m"),
        "CLICOLOR_FORCE on a pipe: {forced:?}"
    );
    let both = status(dir, &[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).stdout;
    assert!(
        !both.contains(ESC),
        "NO_COLOR beats CLICOLOR_FORCE: {both:?}"
    );
    let auto = status(
        dir,
        &["--color", "auto"],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(!auto.stdout.contains(ESC), "{:?}", auto.stdout);
    let flag = status(dir, &["--color", "always"], &[("NO_COLOR", "1")]).stdout;
    assert_eq!(flag, forced, "an explicit --color always beats NO_COLOR");
    // JSON has no styles, whatever is asked.
    let json = status(dir, &["--format", "json", "--color", "always"], &[]);
    assert!(!json.stdout.contains(ESC), "{:?}", json.stdout);
    assert_eq!(json.json()["pending"].as_array().map(Vec::len), Some(3));
}

#[test]
fn clap_help_and_usage_errors_follow_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let error = run(dir, &["--color", "always", "stauts"], &[]).expect(2);
    assert!(error.stderr.contains(ESC), "{:?}", error.stderr);
    let error = run(
        dir,
        &["stauts", "--color=never"],
        &[("CLICOLOR_FORCE", "1")],
    )
    .expect(2);
    assert!(!error.stderr.contains(ESC), "{:?}", error.stderr);
    assert!(error.stderr.contains("stauts"), "{}", error.stderr);
    let help = run(dir, &["--help", "--color", "always"], &[]).expect(0);
    assert!(help.stdout.contains(ESC), "{:?}", help.stdout);
    assert!(
        plain(&help.stdout).contains("--color <WHEN>"),
        "{}",
        help.stdout
    );
    let help = run(
        dir,
        &["--help"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    )
    .expect(0);
    assert!(!help.stdout.contains(ESC), "{:?}", help.stdout);
    // Only the three values.
    let bad = run(dir, &["status", "--color", "sometimes"], &[]).expect(2);
    assert!(bad.stderr.contains("sometimes"), "{}", bad.stderr);
}

#[test]
fn a_service_binarys_migrate_subcommands_take_color_too() {
    // This test binary plays the service (see embedded.rs).
    let dir = tempfile::tempdir().unwrap();
    let service = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "embedded::service_main",
            "--nocapture",
            "--test-threads=1",
        ])
        .current_dir(dir.path())
        .env("MIGRATE_TEST_SERVICE_ARGS", args.join("\u{1f}"));
        output(cmd, env).expect(0)
    };
    let args = ["migrate", "status", "--database-url", "sqlite:svc.db"];
    let piped = service(&args, &[]).stdout;
    assert!(
        piped.contains("pending") && !piped.contains(ESC),
        "{piped:?}"
    );
    let always = service(&[&args[..], &["--color", "always"]].concat(), &[]).stdout;
    assert!(always.contains("\x1b[33m"), "{always:?}");
    let never = service(
        &[&args[..], &["--color", "never"]].concat(),
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!never.stdout.contains(ESC), "{:?}", never.stdout);
}
