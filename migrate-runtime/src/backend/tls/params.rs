//! The settings of a connection string that the driver's parser does not
//! know (libpq's `sslmode=verify-ca|verify-full|allow`, `sslrootcert`) or
//! reads differently from libpq (`connect_timeout=0`), taken out of the
//! text before the rest goes to `postgres::Config`. Both forms are walked
//! as that parser walks them, so that what is left means to it what it
//! meant before.

use std::borrow::Cow;

/// A connection string without the settings we read ourselves.
#[derive(Default)]
pub(super) struct Split {
    /// The text for the driver's parser.
    pub(super) driver: String,
    /// `sslmode`, the last one given (libpq keeps the last).
    pub(super) sslmode: Option<String>,
    /// `sslrootcert`.
    pub(super) sslrootcert: Option<String>,
    /// `connect_timeout`, as written.
    pub(super) connect_timeout: Option<String>,
}

/// The keys taken out of the text.
const OURS: [&str; 3] = ["sslmode", "sslrootcert", "connect_timeout"];

/// Splits a `postgres://` URL or a `key=value` string. A text the walk
/// cannot read is handed to the driver as it is: its parser then says
/// what is wrong.
pub(super) fn split(text: &str) -> Split {
    let url = ["postgres://", "postgresql://"]
        .iter()
        .any(|p| text.starts_with(p));
    let found = if url {
        split_url(text)
    } else {
        split_key_value(text)
    };
    found.unwrap_or_else(|| Split {
        driver: text.to_owned(),
        ..Split::default()
    })
}

impl Split {
    fn keep(&mut self, key: &str, value: String) -> bool {
        let slot = match key {
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "connect_timeout" => &mut self.connect_timeout,
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

/// The driver reads everything up to the first `@` as the user and
/// password, the host list up to `/` or `?`, the database up to `?`, then
/// `&`-separated `key=value` parameters, each percent-decoded.
fn split_url(text: &str) -> Option<Split> {
    let prefix = text.find("://")? + 3;
    let rest = &text[prefix..];
    let after_credentials = rest.find('@').map_or(0, |at| at + 1);
    let Some(query) = rest[after_credentials..].find('?') else {
        return Some(Split {
            driver: text.to_owned(),
            ..Split::default()
        });
    };
    let query_start = prefix + after_credentials + query;
    let mut split = Split::default();
    let mut kept = Vec::new();
    for pair in text[query_start + 1..].split('&') {
        let (key, value) = pair.split_once('=')?;
        let key = decode(key)?;
        if !OURS.contains(&key.as_ref()) || !split.keep(&key, decode(value)?.into_owned()) {
            kept.push(pair);
        }
    }
    split.driver = text[..query_start].to_owned();
    if !kept.is_empty() {
        split.driver.push('?');
        split.driver.push_str(&kept.join("&"));
    }
    Some(split)
}

fn decode(text: &str) -> Option<Cow<'_, str>> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
}

/// `key = value` pairs separated by whitespace; a value is quoted in `'`
/// or runs to the next whitespace, `\` escaping the next character.
fn split_key_value(text: &str) -> Option<Split> {
    let mut split = Split::default();
    let mut driver = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while let Some(c) = text[i..].chars().next().filter(|c| c.is_whitespace()) {
            i += c.len_utf8();
        }
        i
    };
    loop {
        let start = skip_ws(at);
        if start == text.len() {
            break;
        }
        let key_end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '=')
            .map_or(text.len(), |n| start + n);
        let eq = skip_ws(key_end);
        if bytes.get(eq) != Some(&b'=') || key_end == start {
            return None;
        }
        let (value, end) = value(text, skip_ws(eq + 1))?;
        if split.keep(&text[start..key_end], value) {
            driver.push_str(&text[copied..start]);
            copied = end;
        }
        at = end;
    }
    driver.push_str(&text[copied..]);
    split.driver = driver;
    Some(split)
}

/// The value starting at `start`, unescaped, and where it ends.
fn value(text: &str, start: usize) -> Option<(String, usize)> {
    let quoted = text[start..].starts_with('\'');
    let mut chars = text[start..].char_indices().skip(usize::from(quoted));
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if quoted => return Some((value, start + i + 1)),
            c if c.is_whitespace() && !quoted => return Some((value, start + i)),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    (!quoted && !value.is_empty()).then_some((value, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (String, Option<String>, Option<String>, Option<String>) {
        let s = split(text);
        (s.driver, s.sslmode, s.sslrootcert, s.connect_timeout)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn url_parameters_of_ours_are_taken_out_and_decoded() {
        assert_eq!(
            parts(
                "postgres://u:p%3Fw@db:5433/app?sslmode=verify-full&application_name=x&\
                 sslrootcert=%2Fetc%2Fca%20dir%2Fca.pem&connect_timeout=3"
            ),
            (
                "postgres://u:p%3Fw@db:5433/app?application_name=x".to_owned(),
                some("verify-full"),
                some("/etc/ca dir/ca.pem"),
                some("3")
            )
        );
        assert_eq!(
            parts("postgresql://db/app?sslmode=require"),
            (
                "postgresql://db/app".to_owned(),
                some("require"),
                None,
                None
            )
        );
        // The last one wins, as in libpq.
        assert_eq!(
            parts("postgres://db?sslmode=disable&sslmode=verify-ca").1,
            some("verify-ca")
        );
        // A `?` in the password is not the query's.
        assert_eq!(
            parts("postgres://u:a?sslmode=x@db/app").0,
            "postgres://u:a?sslmode=x@db/app"
        );
        assert_eq!(parts("postgres://db/app").0, "postgres://db/app");
    }

    #[test]
    fn key_value_settings_of_ours_are_taken_out_and_unquoted() {
        assert_eq!(
            parts(
                "host=db sslmode = verify-ca password='a b\\'c' sslrootcert='/x y/ca.pem' \
                 connect_timeout=0 dbname=app"
            ),
            (
                "host=db  password='a b\\'c'   dbname=app".to_owned(),
                some("verify-ca"),
                some("/x y/ca.pem"),
                some("0")
            )
        );
        assert_eq!(
            parts("sslrootcert=/a\\ b").2,
            some("/a b"),
            "an escaped space in a plain value"
        );
    }

    #[test]
    fn a_text_the_walk_cannot_read_goes_to_the_driver_unchanged() {
        for text in [
            "host=db password",
            "host=db password='open",
            "postgres://db/app?sslmode",
            "host=db =x",
        ] {
            let s = split(text);
            assert_eq!(s.driver, text);
            assert_eq!(s.sslmode, None);
        }
    }
}
