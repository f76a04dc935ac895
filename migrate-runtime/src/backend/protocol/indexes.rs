//! Indexes a no-transaction migration builds: a failed `CREATE INDEX
//! CONCURRENTLY` leaves an invalid one behind, which `IF NOT EXISTS` then
//! skips. The protocol checks them before it records the migration applied.

use crate::model::Span;

/// The index names the statements at `spans` of `sql` create or rebuild
/// (`CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name`, `REINDEX
/// [INDEX] [CONCURRENTLY] name`), unquoted and without their schema. An
/// index created without a name is not listed.
pub(super) fn built(sql: &str, spans: &[Span]) -> Vec<String> {
    spans
        .iter()
        .filter_map(|&(start, end)| name_in(&sql[start..end]))
        .collect()
}

fn name_in(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let is = |i: usize, word: &str| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(word));
    let mut i = if is(0, "CREATE") {
        let after_unique = if is(1, "UNIQUE") { 2 } else { 1 };
        if !is(after_unique, "INDEX") {
            return None;
        }
        after_unique + 1
    } else if is(0, "REINDEX") && is(1, "INDEX") {
        2
    } else {
        return None;
    };
    if is(i, "CONCURRENTLY") {
        i += 1;
    }
    if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
        i += 3;
    }
    let name = words.get(i).filter(|w| !w.eq_ignore_ascii_case("ON"))?;
    let last = name.rsplit('.').next().unwrap_or(name);
    let last = last.split('(').next().unwrap_or(last);
    match last.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => Some(quoted.replace("\"\"", "\"")),
        None => Some(last.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<String> {
        built(sql, &[(0, sql.len())])
    }

    #[test]
    fn index_names_as_the_server_stores_them() {
        assert_eq!(
            names("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS Accounts_Email ON a (e)"),
            ["accounts_email"]
        );
        assert_eq!(
            names("create index concurrently app.\"Mixed\"\"Case\" on t (x)"),
            ["Mixed\"Case"]
        );
        assert_eq!(names("REINDEX INDEX CONCURRENTLY public.idx"), ["idx"]);
        assert!(names("CREATE INDEX ON t (x)").is_empty(), "no name given");
        assert!(names("CREATE TABLE idx (x int)").is_empty());
        assert!(names("VACUUM").is_empty());
    }
}
