//! Versions: sequence numbers (1, 2, 3 …) or 14-digit UTC timestamps
//! (`YYYYMMDDHHMMSS`), and the rules of a set's versions.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::problem::{Problem, Rule};
use super::{Direction, FileEntry};

/// The numbering scheme a version belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Sequence,
    Timestamp,
    /// Another tool's version: any number, gaps allowed.
    Free,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Sequence => "sequence number",
            Scheme::Timestamp => "timestamp",
            Scheme::Free => "version",
        })
    }
}

/// The number of digits of a timestamp version.
pub(crate) const TIMESTAMP_DIGITS: usize = 14;

/// Parses the version part of a file name.
pub(crate) fn parse(digits: &str) -> Result<(u64, Scheme), (Rule, String)> {
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err((
            Rule::InvalidName,
            format!("version `{digits}` must be digits only"),
        ));
    }
    if digits.len() == TIMESTAMP_DIGITS {
        return match check_timestamp(digits) {
            Ok(()) => Ok((
                digits.parse().expect("14 digits fit in u64"),
                Scheme::Timestamp,
            )),
            Err(why) => Err((
                Rule::InvalidTimestamp,
                format!("14-digit version `{digits}` is not a UTC timestamp YYYYMMDDHHMMSS: {why}"),
            )),
        };
    }
    if digits.len() > 9 {
        return Err((
            Rule::InvalidName,
            format!("version `{digits}` has {} digits; use a sequence number (at most 9 digits) or a 14-digit timestamp", digits.len()),
        ));
    }
    let version: u64 = digits.parse().expect("at most 9 digits fit in u64");
    if version == 0 {
        return Err((
            Rule::InvalidName,
            "version 0 is not allowed; sequence numbers start at 1".to_owned(),
        ));
    }
    Ok((version, Scheme::Sequence))
}

fn check_timestamp(d: &str) -> Result<(), &'static str> {
    let n = |a: usize, b: usize| -> u32 { d[a..b].parse().expect("digits") };
    let (year, month, day) = (n(0, 4), n(4, 6), n(6, 8));
    let (hour, minute, second) = (n(8, 10), n(10, 12), n(12, 14));
    if !(1970..=9999).contains(&year) {
        return Err("year before 1970");
    }
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&day) {
        return Err("day out of range for the month");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time of day out of range");
    }
    Ok(())
}

/// One scheme per set; sequences start at 1 and have no gaps.
pub(super) fn check_versions(dir: &Path, entries: &[FileEntry], problems: &mut Vec<Problem>) {
    let mut versions: BTreeMap<u64, (&str, Scheme)> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.direction != Direction::Down) {
        versions
            .entry(e.version)
            .or_insert((&e.file_name, e.scheme));
    }
    let count = |s| versions.values().filter(|(_, v)| *v == s).count();
    let (sequences, timestamps) = (count(Scheme::Sequence), count(Scheme::Timestamp));
    if sequences > 0 && timestamps > 0 {
        // Blame the files of the smaller group.
        let (odd, usual) = if sequences <= timestamps {
            (Scheme::Sequence, Scheme::Timestamp)
        } else {
            (Scheme::Timestamp, Scheme::Sequence)
        };
        for (version, (file, _)) in versions.iter().filter(|(_, (_, s))| *s == odd) {
            problems.push(Problem::whole_file(
                dir.join(file),
                Rule::MixedSchemes,
                format!("version {version} is a {odd} but the other migrations use {usual}s; use one scheme per folder"),
            ));
        }
        return;
    }
    if sequences == 0 {
        return;
    }
    let mut expected = 1;
    for (&v, (file, _)) in &versions {
        if v != expected {
            let missing = if v - expected == 1 {
                format!("version {expected} is missing")
            } else {
                format!("versions {expected} to {} are missing", v - 1)
            };
            problems.push(Problem::whole_file(
                dir.join(file),
                Rule::SequenceGap,
                format!(
                    "{missing} before version {v}; sequence numbers start at 1 and have no gaps (a golang-migrate or sqlx folder, whose versions may have gaps, says so with `layout = \"golang-migrate\"` or `layout = \"sqlx\"`)"
                ),
            ));
        }
        expected = v + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_and_timestamps() {
        assert_eq!(parse("0001"), Ok((1, Scheme::Sequence)));
        assert_eq!(parse("42"), Ok((42, Scheme::Sequence)));
        assert_eq!(
            parse("20240229235959"),
            Ok((20_240_229_235_959, Scheme::Timestamp))
        );
        assert_eq!(
            parse("20230229000000").unwrap_err().0,
            Rule::InvalidTimestamp
        );
        assert_eq!(
            parse("20231301000000").unwrap_err().0,
            Rule::InvalidTimestamp
        );
        assert_eq!(parse("0000").unwrap_err().0, Rule::InvalidName);
        assert_eq!(parse("12345678901").unwrap_err().0, Rule::InvalidName);
        assert_eq!(parse("1a").unwrap_err().0, Rule::InvalidName);
    }

    /// The rule of each refused version, with the reason a timestamp is
    /// refused.
    fn refusal(digits: &str) -> (Rule, String) {
        parse(digits).expect_err(digits)
    }

    #[test]
    fn sequence_numbers_have_one_to_nine_digits_and_start_at_one() {
        assert_eq!(parse("1"), Ok((1, Scheme::Sequence)));
        assert_eq!(parse("000000001"), Ok((1, Scheme::Sequence)));
        assert_eq!(parse("999999999"), Ok((999_999_999, Scheme::Sequence)));
        for digits in ["0", "000000000"] {
            assert_eq!(refusal(digits).0, Rule::InvalidName, "{digits}");
        }
        // Leading zeros count: ten digits are too many even for 1.
        for digits in [
            "0000000001",
            "1234567890",
            "1234567890123",
            "123456789012345",
        ] {
            let (rule, message) = refusal(digits);
            assert_eq!(rule, Rule::InvalidName, "{digits}");
            assert!(
                message.contains(&format!("has {} digits", digits.len())),
                "{message}"
            );
        }
    }

    #[test]
    fn a_version_is_ascii_digits_only() {
        for digits in [
            "", "+1", "-1", " 1", "1 ", "0x1", "1.0", "1e3", "\u{661}", "\u{ff11}",
        ] {
            let (rule, message) = refusal(digits);
            assert_eq!(rule, Rule::InvalidName, "{digits:?}");
            assert_eq!(message, format!("version `{digits}` must be digits only"));
        }
    }

    #[test]
    fn timestamps_are_valid_utc_dates_and_times() {
        for ok in [
            "19700101000000",
            "20000229120000", // divisible by 400: leap
            "20240229235959",
            "20241231235959",
            "99991231235959",
        ] {
            assert_eq!(
                parse(ok),
                Ok((ok.parse().unwrap(), Scheme::Timestamp)),
                "{ok}"
            );
        }
        for (bad, why) in [
            ("19691231235959", "year before 1970"),
            ("00000101000000", "year before 1970"),
            ("20240001000000", "month out of range"),
            ("20241301000000", "month out of range"),
            ("20240100000000", "day out of range for the month"),
            ("20240132000000", "day out of range for the month"),
            ("20240431000000", "day out of range for the month"),
            ("21000229000000", "day out of range for the month"), // divisible by 100: not leap
            ("20230229000000", "day out of range for the month"),
            ("20240101240000", "time of day out of range"),
            ("20240101006000", "time of day out of range"),
            ("20240101000060", "time of day out of range"),
        ] {
            let (rule, message) = refusal(bad);
            assert_eq!(rule, Rule::InvalidTimestamp, "{bad}");
            assert_eq!(
                message,
                format!("14-digit version `{bad}` is not a UTC timestamp YYYYMMDDHHMMSS: {why}")
            );
        }
    }
}
