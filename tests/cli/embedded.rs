//! The subcommands inside a service binary: this test binary plays the
//! service, re-running itself with `MIGRATE_TEST_SERVICE_ARGS`.

use std::process::Command;

use clap::{Parser, Subcommand};

use crate::support::*;

static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/fixtures/basic");

#[derive(Parser)]
#[command(name = "myservice")]
struct Service {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Serve,
    Migrate(migrate::cli::MigrateArgs),
}

/// The service's `main`, when run as the child.
#[test]
fn service_main() {
    let Ok(args) = std::env::var("MIGRATE_TEST_SERVICE_ARGS") else {
        return;
    };
    let argv = std::iter::once("myservice").chain(args.split('\u{1f}'));
    let code = match Service::parse_from(argv).command {
        Cmd::Serve => std::process::ExitCode::SUCCESS,
        Cmd::Migrate(m) => migrate::cli::run_embedded(&MIGRATIONS, m),
    };
    let n = (0..=2u8)
        .find(|&n| std::process::ExitCode::from(n) == code)
        .unwrap_or(99);
    std::process::exit(i32::from(n));
}

fn service(cwd: &std::path::Path, args: &[&str]) -> Run {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "embedded::service_main",
            "--nocapture",
            "--test-threads=1",
        ])
        .current_dir(cwd)
        .env("MIGRATE_TEST_SERVICE_ARGS", args.join("\u{1f}"))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_service_binary_runs_the_subcommands_on_its_embedded_set() {
    // No migrations folder here: everything comes from the binary.
    let dir = tempfile::tempdir().unwrap();
    let url = ["--database-url", "sqlite:svc.db"];
    let with = |args: &[&'static str]| -> Vec<&'static str> { [args, &url[..]].concat() };
    let r = service(
        dir.path(),
        &with(&["migrate", "status", "--format", "json"]),
    )
    .expect(0);
    let json_start = r.stdout.find('{').unwrap();
    let status: serde_json::Value = serde_json::from_str(
        r.stdout[json_start..]
            .lines()
            .take_while(|l| !l.starts_with("test "))
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    )
    .unwrap();
    assert_eq!(status["pending"].as_array().unwrap().len(), 3);
    let r = service(dir.path(), &with(&["migrate", "up"])).expect(0);
    assert!(r.stdout.contains("applied 3 migrations"), "{}", r.stdout);
    let r = service(dir.path(), &with(&["migrate", "down", "--steps", "2"])).expect(0);
    assert!(r.stdout.contains("rolled back 2"), "{}", r.stdout);
    service(dir.path(), &with(&["migrate", "verify"])).expect(0);
    // `new` and `check` are not there; a usage error exits 2.
    let r = service(dir.path(), &["migrate", "check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
