//! [`SchemaDiff`]: what differs between two snapshots, one line each.

use std::fmt;

/// The longest definition shown, in characters; longer ones are cut with
/// `…`.
const SHOWN: usize = 200;

/// How much of the text the two definitions share is shown before the
/// point where they part, in characters.
const CONTEXT: usize = 40;

/// One difference between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    /// Only in the later snapshot: key and definition.
    LeftBehind(String, String),
    /// Only in the earlier snapshot: key and definition.
    Missing(String, String),
    /// In both, defined otherwise: key, definition before, after.
    Changed(String, String, String),
}

/// The differences between two snapshots, printable: one line per object
/// left behind (`+`), missing (`-`) or changed (`~`), in key order.
///
/// ```text
/// + index public.users_email_lower: CREATE INDEX users_email_lower ON public.users USING btree (lower(email)) (left behind)
/// - column public.users.email: text not null (missing)
/// ~ column public.users.email: text not null default ''::text → character varying(100)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDiff {
    /// The differences, in key order.
    changes: Vec<Change>,
}

impl SchemaDiff {
    /// The differences found, in key order.
    pub(super) fn new(changes: Vec<Change>) -> Self {
        SchemaDiff { changes }
    }

    /// Whether the two snapshots were equal.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many objects differ.
    #[must_use]
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Each difference as one line, in key order, as [`Display`] prints
    /// them (definitions on one line, long ones cut to about 200
    /// characters).
    ///
    /// [`Display`]: fmt::Display
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        self.changes.iter().map(line).collect()
    }
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, change) in self.changes.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&line(change))?;
        }
        Ok(())
    }
}

/// A difference as one line.
fn line(change: &Change) -> String {
    match change {
        Change::LeftBehind(key, def) => {
            format!("+ {key}: {} (left behind)", shorten(&one_line(def)))
        }
        Change::Missing(key, def) => format!("- {key}: {} (missing)", shorten(&one_line(def))),
        Change::Changed(key, before, after) => {
            let (before, after) = (one_line(before), one_line(after));
            let (before, after) = if before.chars().count() > SHOWN || after.chars().count() > SHOWN
            {
                let start = parting(&before, &after).saturating_sub(CONTEXT);
                (from(&before, start), from(&after, start))
            } else {
                (before, after)
            };
            format!("~ {key}: {} → {}", shorten(&before), shorten(&after))
        }
    }
}

/// `text` with its whitespace (newlines too) made single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How many characters `a` and `b` share at the start.
fn parting(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// `text` from its `start`th character, marked `…` when that is not the
/// first.
fn from(text: &str, start: usize) -> String {
    if start == 0 {
        return text.to_owned();
    }
    let rest: String = text.chars().skip(start).collect();
    format!("…{rest}")
}

/// `text` cut to [`SHOWN`] characters, marked `…` when cut.
fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(SHOWN).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_definitions_are_cut() {
        let def = "x".repeat(500);
        let diff = SchemaDiff::new(vec![Change::Missing("function public.f()".into(), def)]);
        let text = diff.to_string();
        assert!(text.starts_with("- function public.f(): xxx"), "{text}");
        assert!(text.ends_with("… (missing)"), "{text}");
        assert!(text.chars().count() < 250, "{text}");
        assert_eq!(diff.len(), 1);
    }

    #[test]
    fn long_changes_show_where_they_part() {
        let common = "SELECT 1 ".repeat(50);
        let diff = SchemaDiff::new(vec![Change::Changed(
            "view public.v".into(),
            format!("{common}FROM a"),
            format!("{common}FROM b"),
        )]);
        let text = diff.to_string();
        assert!(text.contains("FROM a → …"), "{text}");
        assert!(text.ends_with("FROM b"), "{text}");
        assert!(text.chars().count() < 150, "{text}");
    }

    #[test]
    fn definitions_are_shown_on_one_line() {
        let diff = SchemaDiff::new(vec![Change::LeftBehind(
            "trigger t".into(),
            "CREATE TRIGGER t\n    AFTER INSERT".into(),
        )]);
        assert_eq!(
            diff.lines(),
            vec!["+ trigger t: CREATE TRIGGER t AFTER INSERT (left behind)"]
        );
    }
}
