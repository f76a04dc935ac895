//! `migrate completions <shell>`: a script for each shell that knows the
//! subcommands and flags, printed without a database or a readable config,
//! and quietly cut short by a reader that went away.

use crate::support::*;

#[test]
fn each_shells_script_names_the_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, opening) in [
        ("bash", "_migrate()"),
        ("zsh", "#compdef migrate"),
        ("fish", "complete -c migrate"),
    ] {
        let r = migrate(dir.path(), &["completions", shell]).expect(0);
        assert!(r.stdout.contains(opening), "{shell}: {}", r.stdout);
        for word in ["baseline", "resolve", "completions", "database-url"] {
            assert!(r.stdout.contains(word), "{shell} lacks {word}");
        }
        assert_eq!(r.stderr, "", "{shell}");
        // JSON asks for a document; a script is still a script.
        let json = migrate(dir.path(), &["completions", shell, "--format", "json"]).expect(0);
        assert_eq!(json.stdout, r.stdout, "{shell}");
    }
    let bad = migrate(dir.path(), &["completions", "tcsh"]).expect(2);
    assert!(bad.stderr.contains("tcsh"), "{}", bad.stderr);
}

#[test]
fn completions_need_no_config_and_survive_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("migrate.toml"), "not [valid toml").unwrap();
    migrate(dir.path(), &["status"]).expect(2);
    let r = migrate(dir.path(), &["completions", "zsh"]).expect(0);
    assert!(r.stdout.contains("resolve"), "{}", r.stdout);
    let closed = migrate_closed(dir.path(), &["completions", "bash"], Closed::Stdout).expect(0);
    assert!(!closed.stderr.contains("panicked"), "{}", closed.stderr);
    assert_eq!(closed.stderr, "");
}
