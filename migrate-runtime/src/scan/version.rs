//! Versions: sequence numbers (1, 2, 3 …) or 14-digit UTC timestamps
//! (`YYYYMMDDHHMMSS`).

use std::fmt;

use super::problem::Rule;

/// The numbering scheme a version belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Sequence,
    Timestamp,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Sequence => "sequence number",
            Scheme::Timestamp => "timestamp",
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
}
