//! Output to a reader that went away (`migrate status | head`) or to a
//! full disk: no panic (exit 101). A closed pipe stops the output quietly
//! and the command ends with its own exit code (0 when it succeeded: the
//! work is done, the reader only stopped reading); a failed write to a
//! full disk makes a successful command exit 1.

use std::process::Command;

use crate::support::*;

/// The stderr of a run that must not have panicked.
#[track_caller]
fn no_panic(r: &Run) {
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!r.stderr.contains("Broken pipe"), "{}", r.stderr);
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_commands_own_exit_code() {
    let p = project("tests/fixtures/basic");
    for db in each_engine("closed_stdout") {
        let url = ["--database-url", db.url.as_str()];
        let run = |args: &[&str], closed| migrate_closed(p.path(), &[args, &url].concat(), closed);
        for args in [
            &["status"][..],
            &["status", "--format", "json"],
            &["up", "--dry-run"],
            &["history", "--format", "json"],
        ] {
            let r = run(args, Closed::Stdout).expect(0);
            no_panic(&r);
            assert_eq!(r.stderr, "", "{} {args:?}", db.engine);
        }
        // The work is done even though nobody reads the report.
        let r = run(&["up", "--format", "json"], Closed::Stdout).expect(0);
        no_panic(&r);
        let status = on(p.path(), &db.url, &["status", "--format", "json"], 0).json();
        assert_eq!(status["current_version"], 3, "{}", db.engine);
        // A failing command keeps its code, with stderr closed too.
        let r = run(&["up", "--to", "9"], Closed::Both).expect(2);
        no_panic(&r);
        let r = run(&["verify"], Closed::Both).expect(0);
        no_panic(&r);
    }
}

#[test]
fn status_piped_into_head_exits_0() {
    let p = tempfile::tempdir().unwrap();
    let dir = p.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    // Output larger than a pipe's buffer, so that `head` exits first.
    for v in 1..=400 {
        let stem = format!("{v:04}_create_a_table_with_a_long_descriptive_name_{v}");
        std::fs::write(
            dir.join(format!("{stem}.up.sql")),
            format!("CREATE TABLE t{v} (id INTEGER);\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{stem}.down.sql")),
            format!("DROP TABLE t{v};\n"),
        )
        .unwrap();
    }
    for format in ["json", "text"] {
        let output = Command::new("bash")
            .current_dir(p.path())
            .arg("-c")
            .arg(r#""$0" status --format "$1" --database-url sqlite:app.db | head -n 1; echo "migrate exited ${PIPESTATUS[0]}" >&2"#)
            .arg(env!("CARGO_BIN_EXE_migrate"))
            .arg(format)
            .output()
            .expect("run bash");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.ends_with("migrate exited 0\n"), "{format}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(output.stdout.iter().filter(|b| **b == b'\n').count(), 1);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error() {
    let p = project("tests/fixtures/basic");
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .current_dir(p.path())
        .args([
            "status",
            "--format",
            "json",
            "--database-url",
            "sqlite:app.db",
        ])
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot write the output: "),
        "{stderr}"
    );
}
