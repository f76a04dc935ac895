//! The lint of an up file: statements that lock a busy table for long,
//! rewrite it, or change what the code still running reads. Rules read the
//! statement's tokens; a table created earlier in the same file is exempt
//! from the rules about existing data, and the file's transaction mode and
//! lock timeout are known. Each finding names the safe alternative.
//!
//! Written on the lexer's tokens rather than on squawk's parser: see
//! ARCHITECTURE.md ("The lint") for the measured comparison.

use super::rule::Rule;
use crate::text::tokens::{find, starts, Kind, Token};

/// Functions whose value differs per row: a column added with one as its
/// default is filled by rewriting the table (PostgreSQL 11+ stores a
/// non-volatile default once, without a rewrite).
const VOLATILE: &[&str] = &[
    "RANDOM",
    "GEN_RANDOM_UUID",
    "UUID_GENERATE_V1",
    "UUID_GENERATE_V1MC",
    "UUID_GENERATE_V4",
    "UUIDV4",
    "UUIDV7",
    "CLOCK_TIMESTAMP",
    "TIMEOFDAY",
    "NEXTVAL",
    "SETSEED",
];

/// The `serial` types, whose default is `nextval(…)`.
const SERIAL: &[&str] = &[
    "SERIAL",
    "BIGSERIAL",
    "SMALLSERIAL",
    "SERIAL2",
    "SERIAL4",
    "SERIAL8",
];

/// Where a finding is reported: the rule and its message.
pub(super) type Report<'r> = &'r mut dyn FnMut(Rule, String);

/// What the file did so far, for the rules of the statements after.
pub(super) struct Lint {
    transactional: bool,
    /// Whether a lock timeout is set: the directive, or `SET lock_timeout`
    /// in the file (reset by `SET lock_timeout = 0`).
    lock_timeout: bool,
    lock_reported: bool,
    /// Tables, views and indexes created in the file (lower-cased, without
    /// the schema).
    created: Vec<String>,
    /// Tables with a constraint validated in the file.
    validated: Vec<String>,
}

impl Lint {
    pub(super) fn new(transactional: bool, lock_timeout: bool) -> Self {
        Lint {
            transactional,
            lock_timeout,
            lock_reported: false,
            created: Vec::new(),
            validated: Vec::new(),
        }
    }

    /// Checks one statement.
    pub(super) fn statement(&mut self, t: &[Token], report: Report<'_>) {
        let locked = if starts(t, 0, &["ALTER", "TABLE"]) {
            self.alter_table(t, report)
        } else if starts(t, 0, &["CREATE"]) {
            self.create(t, report)
        } else if starts(t, 0, &["DROP"]) {
            self.drop(t, report)
        } else if ["SET", "RESET"].iter().any(|w| starts(t, 0, &[w]))
            || starts(t, 0, &["SELECT", "SET_CONFIG"])
        {
            self.set(t);
            None
        } else {
            self.maintenance(t, report)
        };
        if let Some(what) = locked {
            self.needs_lock_timeout(&what, report);
        }
    }

    /// `SET [LOCAL | SESSION] lock_timeout …`, `RESET lock_timeout`,
    /// `SELECT set_config('lock_timeout', …)`: whether a timeout is now
    /// set (`0` and `DEFAULT` disable it).
    fn set(&mut self, t: &[Token]) {
        let is_name = |k: &Token| {
            k.is("LOCK_TIMEOUT")
                || matches!(&k.kind, Kind::Str(s) if s.eq_ignore_ascii_case("lock_timeout"))
        };
        let Some(at) = t.iter().position(is_name) else {
            return;
        };
        if t[0].is("RESET") {
            self.lock_timeout = false;
            return;
        }
        let value = t[at + 1..].iter().find_map(|k| match &k.kind {
            Kind::Str(s) | Kind::Number(s) | Kind::Word(s) if s != "TO" => {
                Some(s.trim().to_ascii_uppercase())
            }
            _ => None,
        });
        self.lock_timeout = !matches!(
            value.as_deref(),
            None | Some("0" | "DEFAULT" | "0MS" | "0S")
        );
    }

    /// The first statement that locks an existing table, in a file with no
    /// lock timeout: once per file.
    fn needs_lock_timeout(&mut self, what: &str, report: Report<'_>) {
        if self.lock_timeout || self.lock_reported {
            return;
        }
        self.lock_reported = true;
        report(
            Rule::MissingLockTimeout,
            format!(
                "{what} waits for its lock behind the longest transaction on the table, and every query on it waits behind this one, but this migration sets no lock timeout: add `-- migrate:lock-timeout 5s` to the header (the runner retries a migration that timed out with `lock_retries`), or allow this rule if the runner sets one (`ddl_lock_timeout`, `lock_timeout` in migrate.toml)"
            ),
        );
    }

    /// Whether `name` was created in this file.
    fn is_new(&self, name: &str) -> bool {
        self.created.iter().any(|c| c == name)
    }

    /// `CREATE TABLE`, `CREATE MATERIALIZED VIEW`, `CREATE INDEX`, `CREATE
    /// TRIGGER`; the lock taken, if any, on an existing table.
    fn create(&mut self, t: &[Token], report: Report<'_>) -> Option<String> {
        let mut i = 1;
        while t.get(i).is_some_and(|k| {
            [
                "OR",
                "REPLACE",
                "UNLOGGED",
                "TEMP",
                "TEMPORARY",
                "GLOBAL",
                "LOCAL",
                "UNIQUE",
                "CONSTRAINT",
            ]
            .iter()
            .any(|w| k.is(w))
        }) {
            i += 1;
        }
        let what = t.get(i)?;
        if what.is("TABLE") || what.is("VIEW") || starts(t, i, &["MATERIALIZED", "VIEW"]) {
            let at = if what.is("MATERIALIZED") {
                i + 2
            } else {
                i + 1
            };
            if let Some((name, _)) = object_name(t, skip_if_exists(t, at)) {
                self.created.push(name);
            }
            return None;
        }
        if what.is("INDEX") {
            return self.create_index(t, i + 1, report);
        }
        if what.is("TRIGGER") {
            let on = find(t, i, "ON")?;
            let (table, _) = object_name(t, skip_only(t, on + 1))?;
            return (!self.is_new(&table)).then(|| format!("`CREATE TRIGGER` on `{table}`"));
        }
        None
    }

    /// `CREATE INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table`.
    fn create_index(&mut self, t: &[Token], at: usize, report: Report<'_>) -> Option<String> {
        let concurrently = t.get(at).is_some_and(|k| k.is("CONCURRENTLY"));
        let on = find(t, at, "ON")?;
        let named = skip_if_exists(t, at + usize::from(concurrently));
        if named < on {
            if let Some((index, _)) = object_name(t, named) {
                self.created.push(index);
            }
        }
        let (table, _) = object_name(t, skip_only(t, on + 1))?;
        if concurrently || self.is_new(&table) {
            return None;
        }
        let fix = if self.transactional {
            "build it with `CREATE INDEX CONCURRENTLY` in a migration of its own with `-- migrate:no-transaction`"
        } else {
            "build it with `CREATE INDEX CONCURRENTLY`"
        };
        report(
            Rule::IndexWithoutConcurrently,
            format!("`CREATE INDEX` on the existing table `{table}` blocks its writes until the index is built: {fix}"),
        );
        Some(format!("`CREATE INDEX` on `{table}`"))
    }

    /// `DROP TABLE`, `DROP INDEX`.
    fn drop(&mut self, t: &[Token], report: Report<'_>) -> Option<String> {
        if starts(t, 1, &["TABLE"]) {
            let names = names_list(t, skip_if_exists(t, 2));
            let old: Vec<String> = names.into_iter().filter(|n| !self.is_new(n)).collect();
            if old.is_empty() {
                return None;
            }
            let shown = old.join("`, `");
            report(
                Rule::DropTable,
                format!("`DROP TABLE` deletes `{shown}` and its data, which the code still running may read: first deploy code that no longer uses it, then drop it in a later migration; allow this rule where that is done"),
            );
            return Some(format!("`DROP TABLE` of `{shown}`"));
        }
        if !starts(t, 1, &["INDEX"]) {
            return None;
        }
        if starts(t, 2, &["CONCURRENTLY"]) {
            return None;
        }
        let names = names_list(t, skip_if_exists(t, 2));
        let old: Vec<String> = names.into_iter().filter(|n| !self.is_new(n)).collect();
        if old.is_empty() {
            return None;
        }
        let fix = if self.transactional {
            "use `DROP INDEX CONCURRENTLY` in a migration with `-- migrate:no-transaction`"
        } else {
            "use `DROP INDEX CONCURRENTLY`"
        };
        report(
            Rule::DropIndexWithoutConcurrently,
            format!(
                "`DROP INDEX` locks the table of `{}` against reads and writes: {fix}",
                old.join("`, `")
            ),
        );
        Some(format!("`DROP INDEX` of `{}`", old.join("`, `")))
    }

    /// `REINDEX`, `REFRESH MATERIALIZED VIEW`, `VACUUM FULL`, `CLUSTER`,
    /// `TRUNCATE`, `LOCK`.
    fn maintenance(&mut self, t: &[Token], report: Report<'_>) -> Option<String> {
        let first = t.first()?;
        if first.is("REINDEX") {
            if find(t, 1, "CONCURRENTLY").is_some() {
                return None;
            }
            report(
                Rule::ReindexWithoutConcurrently,
                "`REINDEX` blocks writes to the table (and reads through the index) while it rebuilds: use `REINDEX … CONCURRENTLY` in a migration with `-- migrate:no-transaction`".to_owned(),
            );
            return Some("`REINDEX`".to_owned());
        }
        if starts(t, 0, &["REFRESH", "MATERIALIZED", "VIEW"]) {
            let concurrently = starts(t, 3, &["CONCURRENTLY"]);
            let (view, _) = object_name(t, 3 + usize::from(concurrently))?;
            if concurrently
                || self.is_new(&view)
                || starts(&t[t.len().saturating_sub(3)..], 0, &["WITH", "NO", "DATA"])
            {
                return None;
            }
            report(
                Rule::RefreshWithoutConcurrently,
                format!("`REFRESH MATERIALIZED VIEW {view}` blocks reads of the view while it runs: use `REFRESH MATERIALIZED VIEW CONCURRENTLY` (it needs a unique index on the view)"),
            );
            return Some(format!("`REFRESH MATERIALIZED VIEW {view}`"));
        }
        if (first.is("VACUUM") && find(t, 1, "FULL").is_some()) || first.is("CLUSTER") {
            let what = if first.is("CLUSTER") {
                "CLUSTER"
            } else {
                "VACUUM FULL"
            };
            report(Rule::TableRewrite, rewrite_message(what));
            return Some(format!("`{what}`"));
        }
        if first.is("TRUNCATE") || first.is("LOCK") {
            let what = if first.is("LOCK") {
                "LOCK TABLE"
            } else {
                "TRUNCATE"
            };
            let at = skip_only(t, 1 + usize::from(starts(t, 1, &["TABLE"])));
            let names = names_list(t, at);
            return names
                .iter()
                .any(|n| !self.is_new(n))
                .then(|| format!("`{what}`"));
        }
        None
    }

    /// `ALTER TABLE [IF EXISTS] [ONLY] name [*] action, …`: each action
    /// checked unless the table is new; the lock taken, if any.
    fn alter_table(&mut self, t: &[Token], report: Report<'_>) -> Option<String> {
        let at = skip_only(t, skip_if_exists(t, 2));
        let (table, mut next) = object_name(t, at)?;
        if t.get(next).is_some_and(|k| k.kind == Kind::Punct('*')) {
            next += 1;
        }
        if self.is_new(&table) {
            return None;
        }
        let mut locks = false;
        for action in split_actions(&t[next..]) {
            if action.first().is_some_and(|k| k.is("VALIDATE")) {
                self.validated.push(table.clone());
                continue;
            }
            locks = true;
            super::lint_actions::action(&self.validated, &table, action, report);
        }
        locks.then(|| format!("`ALTER TABLE {table}`"))
    }
}

/// The message of a rewrite by `what`.
pub(super) fn rewrite_message(what: &str) -> String {
    format!("`{what}` rewrites the table under an `ACCESS EXCLUSIVE` lock, blocking its reads and writes until done: run it outside the deploy, in a maintenance window, or use an online tool such as pg_repack")
}

/// The index after `IF EXISTS` / `IF NOT EXISTS` at `at`, if there.
fn skip_if_exists(t: &[Token], at: usize) -> usize {
    if starts(t, at, &["IF", "NOT", "EXISTS"]) {
        at + 3
    } else if starts(t, at, &["IF", "EXISTS"]) {
        at + 2
    } else {
        at
    }
}

/// The index after `ONLY` at `at`, if there.
fn skip_only(t: &[Token], at: usize) -> usize {
    at + usize::from(t.get(at).is_some_and(|k| k.is("ONLY")))
}

/// A possibly qualified name at `at` (`schema.table`, `"Quoted"`): its last
/// part as the catalog holds it, and the index after it.
pub(super) fn object_name(t: &[Token], at: usize) -> Option<(String, usize)> {
    let mut name = t.get(at)?.name()?;
    let mut next = at + 1;
    while t.get(next).is_some_and(|k| k.kind == Kind::Punct('.')) {
        match t.get(next + 1).and_then(Token::name) {
            Some(part) => {
                name = part;
                next += 2;
            }
            None => break,
        }
    }
    Some((name, next))
}

/// The comma-separated names from `at` (`DROP TABLE a, b CASCADE`).
fn names_list(t: &[Token], at: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = at;
    while let Some((name, next)) = object_name(t, i) {
        if ["CASCADE", "RESTRICT"]
            .iter()
            .any(|w| name.eq_ignore_ascii_case(w))
        {
            break;
        }
        names.push(name);
        if t.get(next).is_some_and(|k| k.kind == Kind::Punct(',')) {
            i = next + 1;
        } else {
            break;
        }
    }
    names
}

/// An `ALTER TABLE`'s actions: its tokens split at the commas outside
/// parentheses.
fn split_actions(t: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, k) in t.iter().enumerate() {
        match k.kind {
            Kind::Punct('(') => depth += 1,
            Kind::Punct(')') => depth = depth.saturating_sub(1),
            Kind::Punct(',') if depth == 0 => {
                out.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&t[start..]);
    out.retain(|a| !a.is_empty());
    out
}

/// Whether the tokens hold `NOT VALID`.
pub(super) fn not_valid(t: &[Token]) -> bool {
    t.windows(2).any(|w| w[0].is("NOT") && w[1].is("VALID"))
}

/// Whether a column's definition calls a volatile function in its
/// default, or has a `serial` type.
pub(super) fn volatile_default(t: &[Token]) -> Option<String> {
    if let Some(ty) = t.iter().take(2).find(|k| SERIAL.iter().any(|s| k.is(s))) {
        return ty.name();
    }
    let default = find(t, 0, "DEFAULT")?;
    t.windows(2).skip(default).find_map(|w| {
        let called = w[1].kind == Kind::Punct('(');
        VOLATILE
            .iter()
            .find(|f| called && w[0].is(f))
            .map(|f| format!("{}()", f.to_ascii_lowercase()))
    })
}
