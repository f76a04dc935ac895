//! Catalog snapshots: a schema read back as one line of text per object
//! (tables, columns, indexes, constraints, views, functions, ...), keyed by
//! kind and name, so that two snapshots compare with `==` and differ in a
//! [`SchemaDiff`] a developer can read.
//!
//! Keys never hold OIDs or other identities of the server's own making: a
//! table dropped and created again as it was compares equal.

use std::collections::BTreeMap;

mod diff;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite-unbundled")]
mod sqlite;

pub use diff::SchemaDiff;
#[cfg(feature = "postgres")]
pub(crate) use postgres::postgres;
#[cfg(feature = "sqlite-unbundled")]
pub(crate) use sqlite::sqlite;

use diff::Change;

/// A schema's catalog: one entry per object, keyed by kind and name.
///
/// A key reads like `table public.users`, `column public.users.email` or
/// `index public.users_email`; its value is the object's definition text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Definition text by `kind name`.
    entries: BTreeMap<String, String>,
}

impl Snapshot {
    /// What differs from `self` (before) in `after`; empty when equal.
    ///
    /// Objects only in `after` were left behind (`+`), objects only in
    /// `self` are missing (`-`), objects in both with another definition
    /// changed (`~`); in key order.
    pub(crate) fn diff(&self, after: &Snapshot) -> SchemaDiff {
        let mut changes = Vec::new();
        let mut before = self.entries.iter().peekable();
        let mut later = after.entries.iter().peekable();
        loop {
            let change = match (before.peek(), later.peek()) {
                (None, None) => break,
                (Some(&(key, def)), None) => {
                    before.next();
                    Change::Missing(key.clone(), def.clone())
                }
                (None, Some(&(key, def))) => {
                    later.next();
                    Change::LeftBehind(key.clone(), def.clone())
                }
                (Some(&(bk, bd)), Some(&(ak, ad))) => match bk.cmp(ak) {
                    std::cmp::Ordering::Less => {
                        before.next();
                        Change::Missing(bk.clone(), bd.clone())
                    }
                    std::cmp::Ordering::Greater => {
                        later.next();
                        Change::LeftBehind(ak.clone(), ad.clone())
                    }
                    std::cmp::Ordering::Equal => {
                        before.next();
                        later.next();
                        if bd == ad {
                            continue;
                        }
                        Change::Changed(bk.clone(), bd.clone(), ad.clone())
                    }
                },
            };
            changes.push(change);
        }
        SchemaDiff::new(changes)
    }

    /// How many objects the snapshot holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the snapshot holds no object at all.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records `definition` under `key`; a second definition under the same
    /// key (which the readers avoid) is kept on a line of its own.
    fn insert(&mut self, key: String, definition: String) {
        self.entries
            .entry(key)
            .and_modify(|def| {
                def.push('\n');
                def.push_str(&definition);
            })
            .or_insert(definition);
    }

    /// The definition recorded under `key`, for the tests.
    #[cfg(all(test, any(feature = "postgres", feature = "sqlite-unbundled")))]
    fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// The keys, in order, for the tests.
    #[cfg(all(test, any(feature = "postgres", feature = "sqlite-unbundled")))]
    fn keys(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(pairs: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (k, v) in pairs {
            s.insert((*k).to_owned(), (*v).to_owned());
        }
        s
    }

    #[test]
    fn equal_snapshots_have_an_empty_diff() {
        let a = snapshot(&[
            ("table public.t", "table"),
            ("column public.t.a", "integer"),
        ]);
        let diff = a.diff(&a.clone());
        assert!(diff.is_empty());
        assert!(diff.lines().is_empty());
        assert_eq!(diff.to_string(), "");
        assert_eq!(a.len(), 2);
        assert!(!a.is_empty());
        assert!(Snapshot::default().is_empty());
    }

    #[test]
    fn diff_names_each_difference_on_one_line() {
        let before = snapshot(&[
            ("column public.users.email", "text not null"),
            ("column public.users.name", "text"),
            ("table public.users", "table"),
        ]);
        let after = snapshot(&[
            ("column public.users.email", "character varying(100)"),
            (
                "index public.users_email_lower",
                "CREATE INDEX users_email_lower\n  ON public.users (lower(email))",
            ),
            ("table public.users", "table"),
        ]);
        let diff = before.diff(&after);
        assert_eq!(
            diff.lines(),
            vec![
                "~ column public.users.email: text not null → character varying(100)",
                "- column public.users.name: text (missing)",
                "+ index public.users_email_lower: CREATE INDEX users_email_lower ON public.users (lower(email)) (left behind)",
            ]
        );
        assert_eq!(diff.to_string(), diff.lines().join("\n"));
        assert!(!diff.is_empty());
    }
}
