//! Durations as migration files write them.

use std::time::Duration;

/// A duration as `500ms`, `5s` or `2min` (a positive whole number).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok().filter(|&n| n > 0)?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "min" => n.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_refusals() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("2min"), Some(Duration::from_secs(120)));
        for bad in ["", "0s", "5", "5 s", "1h", "s", "-1s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
