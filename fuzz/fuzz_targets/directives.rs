//! The scanner's `-- migrate:` directive parsing on any file text, as an up
//! and as a down file: no panic; every problem is an invalid directive at a
//! line of the text, at most 20 listed per file plus one that counts the
//! rest; the stored-down-SQL reader agrees with the down file's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_runtime::__fuzz::{directives, directives_of_stored, lex, normalize, Directives};
use migrate_runtime::{Problem, Rule};

fuzz_target!(|raw: &str| {
    // The scanner reads directives in the normalised text.
    let text = normalize(raw);
    let up = directives(&text, true);
    let down = directives(&text, false);
    assert_eq!(up.is_some(), lex(&text).is_ok());
    let (Some((up, up_problems)), Some((down, down_problems))) = (up, down) else {
        assert!(directives_of_stored(&text).is_err());
        return;
    };
    check_problems(&text, &up_problems);
    check_problems(&text, &down_problems);

    // Only `irreversible` depends on the kind of file.
    assert!(!down.irreversible);
    let without = |d: Directives| Directives {
        irreversible: false,
        ..d
    };
    assert_eq!(without(up), down);
    if !text.contains("-- migrate:") {
        assert_eq!(up, Directives::default());
        assert!(up_problems.is_empty() && down_problems.is_empty());
    }
    for d in [up, down] {
        assert!(d.lock_timeout.is_none_or(|t| !t.is_zero()));
        assert!(d.statement_timeout.is_none_or(|t| !t.is_zero()));
    }

    // Stored down SQL is read with the down file's rules.
    match directives_of_stored(&text) {
        Ok(d) => {
            assert!(down_problems.is_empty(), "{down_problems:?}");
            assert_eq!(d, down);
        }
        Err(stored) => {
            let at = |p: &[Problem]| -> Vec<_> { p.iter().map(|p| (p.line(), p.rule())).collect() };
            assert_eq!(at(&stored), at(&down_problems));
        }
    }
});

fn check_problems(text: &str, problems: &[Problem]) {
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(problems.len() <= 21, "{}", problems.len());
    let mut last = 1;
    for (i, p) in problems.iter().enumerate() {
        assert_eq!(p.rule(), Rule::InvalidDirective);
        let line = p.line().expect("a line");
        assert!(
            (1..=lines.len()).contains(&line),
            "line {line} of {}",
            lines.len()
        );
        assert!(line >= last, "lines out of order: {problems:?}");
        last = line;
        if i < 20 {
            assert!(lines[line - 1].contains("-- migrate:"), "{p}");
        } else {
            assert!(p.message().starts_with("and "), "{p}");
        }
    }
}
