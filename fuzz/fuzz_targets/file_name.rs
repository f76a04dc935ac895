//! The scanner's file-name and version parsing on any string: no panic;
//! a name it accepts is `NNNN_snake_name.{up.sql,down.sql,code}` and its
//! version round-trips; one it refuses gets exactly one problem, at line 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_runtime::__fuzz::{file_name, version};
use migrate_runtime::Rule;

fuzz_target!(|name: &str| {
    check_version(name.split('_').next().unwrap_or(name));
    check_file_name(name);
});

fn check_file_name(name: &str) {
    let parsed = match file_name(name) {
        Ok(parsed) => parsed,
        Err(problems) => {
            assert_eq!(problems.len(), 1, "{name:?}: {problems:?}");
            let p = &problems[0];
            assert_eq!(p.line(), Some(1));
            assert!(
                matches!(
                    p.rule(),
                    Rule::InvalidName | Rule::InvalidTimestamp | Rule::UnexpectedFile
                ),
                "{name:?}: {p}"
            );
            return;
        }
    };
    let suffix = match parsed.direction {
        "up" => ".up.sql",
        "down" => ".down.sql",
        "code" => ".code",
        other => panic!("{name:?}: direction {other}"),
    };
    // The name is the version's digits, `_`, the name and the suffix.
    let stem = name.strip_suffix(suffix).expect("the direction's suffix");
    let (digits, snake) = stem.split_once('_').expect("an underscore");
    assert_eq!(snake, parsed.name);
    assert!(snake.split('_').all(|w| !w.is_empty()
        && w.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())));
    assert_eq!(version(digits), Ok((parsed.version, parsed.timestamp)));
    assert_eq!(digits.parse::<u64>(), Ok(parsed.version));
    if parsed.timestamp {
        assert_eq!(digits.len(), 14);
        assert!((19_700_101_000_000..=99_991_231_235_959).contains(&parsed.version));
    } else {
        assert!(digits.len() <= 9 && parsed.version >= 1);
    }
    // Written back with the usual padding, the name parses to the same.
    let width = if parsed.timestamp { 14 } else { 4 };
    let again = format!("{:0width$}_{}{suffix}", parsed.version, parsed.name);
    assert_eq!(file_name(&again).expect(&again), parsed);
}

fn check_version(digits: &str) {
    match version(digits) {
        Ok((v, timestamp)) => {
            assert!(digits.bytes().all(|c| c.is_ascii_digit()));
            assert_eq!(digits.parse::<u64>(), Ok(v));
            assert!(v >= 1);
            assert_eq!(timestamp, digits.len() == 14);
            // Its decimal form without padding parses to the same.
            assert_eq!(version(&v.to_string()), Ok((v, timestamp)));
        }
        Err((rule, message)) => {
            assert!(
                rule == "invalid-name" || rule == "invalid-timestamp",
                "{rule}"
            );
            assert!(!message.is_empty());
        }
    }
}
