//! The lint of one action of an `ALTER TABLE` on an existing table:
//! `ADD COLUMN`, `ADD CONSTRAINT`, `ALTER COLUMN`, `RENAME`, `DROP`, `SET`.

use super::lint::{not_valid, object_name, rewrite_message, volatile_default, Report};
use super::rule::Rule;
use crate::text::tokens::{find, starts, Token};

/// The constraints an `ADD` may start with (else it adds a column).
const CONSTRAINTS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "CHECK",
    "EXCLUDE",
];

/// Checks one action `a` on the existing table `table`; `validated`: the
/// tables with a constraint validated earlier in the file.
pub(super) fn action(validated: &[String], table: &str, a: &[Token], report: Report<'_>) {
    let Some(first) = a.first() else { return };
    if first.is("ADD") {
        if a.get(1)
            .is_some_and(|k| CONSTRAINTS.iter().any(|c| k.is(c)))
        {
            add_constraint(table, a, report);
        } else {
            add_column(table, a, report);
        }
    } else if first.is("ALTER") {
        alter_column(validated, table, a, report);
    } else if first.is("RENAME") {
        rename(table, a, report);
    } else if first.is("DROP") && !starts(a, 1, &["CONSTRAINT"]) {
        let at = 1 + usize::from(starts(a, 1, &["COLUMN"]));
        let at = if starts(a, at, &["IF", "EXISTS"]) {
            at + 2
        } else {
            at
        };
        if let Some((column, _)) = object_name(a, at) {
            report(
                Rule::DropColumn,
                format!("dropping `{table}.{column}` deletes its data, and the code still running may read it: first deploy code that no longer uses it, then drop it in a later migration; allow this rule where that is done"),
            );
        }
    } else if first.is("SET")
        && a.get(1)
            .is_some_and(|k| k.is("LOGGED") || k.is("UNLOGGED") || k.is("TABLESPACE"))
    {
        let what = format!(
            "ALTER TABLE … SET {}",
            a[1].name().unwrap_or_default().to_uppercase()
        );
        report(Rule::TableRewrite, rewrite_message(&what));
    }
}

/// `ADD [COLUMN] [IF NOT EXISTS] name type [constraints]`.
fn add_column(table: &str, a: &[Token], report: Report<'_>) {
    let mut at = 1 + usize::from(starts(a, 1, &["COLUMN"]));
    if starts(a, at, &["IF", "NOT", "EXISTS"]) {
        at += 3;
    }
    let Some((column, next)) = object_name(a, at) else {
        return;
    };
    let def = &a[next..];
    let has = |w: &str| find(def, 0, w).is_some();
    let pair = |x: &str, y: &str| def.windows(2).any(|w| w[0].is(x) && w[1].is(y));
    let generated = has("GENERATED");
    if let Some(what) = volatile_default(def) {
        report(
            Rule::VolatileDefault,
            format!("`{table}.{column}` is added with the volatile default `{what}`, which fills every row by rewriting the table under an `ACCESS EXCLUSIVE` lock: add the column without a default, set the default in a second statement, and fill the old rows in batches"),
        );
    } else if generated {
        let kind = if has("IDENTITY") {
            "an identity column"
        } else {
            "a stored generated column"
        };
        report(
            Rule::VolatileDefault,
            format!("`{table}.{column}` is {kind}, whose values fill every row by rewriting the table under an `ACCESS EXCLUSIVE` lock: add a plain column, fill it in batches, then make it what it should be"),
        );
    }
    let not_null = pair("NOT", "NULL") || pair("PRIMARY", "KEY");
    if not_null && !has("DEFAULT") && !generated && volatile_default(def).is_none() {
        report(
            Rule::AddColumnNotNull,
            format!("`{table}.{column}` is added `NOT NULL` without a default, which fails once the table has rows: give it a default, or add it nullable, fill it, and set `NOT NULL` later (see set-not-null)"),
        );
    }
    if has("REFERENCES") {
        report(
            Rule::ForeignKeyWithoutNotValid,
            format!("`{table}.{column}` is added with `REFERENCES`, which checks the rows while both tables are locked against writes (and a column's constraint cannot be `NOT VALID`): add the column, then `ADD CONSTRAINT … FOREIGN KEY … NOT VALID`, and `VALIDATE CONSTRAINT` in a later migration"),
        );
    }
    if has("UNIQUE") || pair("PRIMARY", "KEY") {
        report(Rule::UniqueWithoutIndex, unique_message(table));
    }
    if has("CHECK") {
        report(
            Rule::CheckWithoutNotValid,
            format!("`{table}.{column}` is added with a `CHECK`, which scans the table under an `ACCESS EXCLUSIVE` lock: add the column, then `ADD CONSTRAINT … CHECK (…) NOT VALID`, and `VALIDATE CONSTRAINT` in a later migration"),
        );
    }
}

/// `ADD [CONSTRAINT name] {FOREIGN KEY | CHECK | UNIQUE | PRIMARY KEY | EXCLUDE} …`.
fn add_constraint(table: &str, a: &[Token], report: Report<'_>) {
    let at = if starts(a, 1, &["CONSTRAINT"]) { 3 } else { 1 };
    let Some(kind) = a.get(at) else { return };
    if kind.is("FOREIGN") && !not_valid(a) {
        report(
            Rule::ForeignKeyWithoutNotValid,
            format!("a foreign key added to `{table}` without `NOT VALID` checks every row while `{table}` and the table it references are locked against writes: add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later migration (which locks neither)"),
        );
    } else if kind.is("CHECK") && !not_valid(a) {
        report(
            Rule::CheckWithoutNotValid,
            format!("a check added to `{table}` without `NOT VALID` scans it under an `ACCESS EXCLUSIVE` lock: add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later migration"),
        );
    } else if (kind.is("UNIQUE") || kind.is("PRIMARY") || kind.is("EXCLUDE"))
        && !a.windows(2).any(|w| w[0].is("USING") && w[1].is("INDEX"))
    {
        report(Rule::UniqueWithoutIndex, unique_message(table));
    }
}

fn unique_message(table: &str) -> String {
    format!("a unique or primary key constraint added to `{table}` builds its index under an `ACCESS EXCLUSIVE` lock: `CREATE UNIQUE INDEX CONCURRENTLY` first (in a migration with `-- migrate:no-transaction`), then `ADD CONSTRAINT … UNIQUE USING INDEX` (or `PRIMARY KEY USING INDEX`)")
}

/// `ALTER [COLUMN] name {TYPE | SET DATA TYPE | SET NOT NULL | …}`.
fn alter_column(validated: &[String], table: &str, a: &[Token], report: Report<'_>) {
    let at = 1 + usize::from(starts(a, 1, &["COLUMN"]));
    let Some((column, next)) = object_name(a, at) else {
        return;
    };
    if starts(a, next, &["TYPE"]) || starts(a, next, &["SET", "DATA", "TYPE"]) {
        report(
            Rule::AlterColumnType,
            format!("changing the type of `{table}.{column}` rewrites the table and its indexes under an `ACCESS EXCLUSIVE` lock (unless the types are binary compatible, such as `varchar(n)` to `text`): add a column of the new type, fill it in batches, and switch the code to it"),
        );
    } else if starts(a, next, &["SET", "NOT", "NULL"]) && !validated.iter().any(|t| t == table) {
        report(
            Rule::SetNotNull,
            format!("`SET NOT NULL` on `{table}.{column}` scans the table under an `ACCESS EXCLUSIVE` lock: first `ADD CONSTRAINT … CHECK ({column} IS NOT NULL) NOT VALID` and `VALIDATE CONSTRAINT` it in this migration before `SET NOT NULL` (PostgreSQL 12+ then trusts it instead of scanning), or allow this rule where an earlier migration validated one"),
        );
    }
}

/// `RENAME TO`, `RENAME [COLUMN] a TO b` (`RENAME CONSTRAINT` is harmless).
fn rename(table: &str, a: &[Token], report: Report<'_>) {
    if starts(a, 1, &["TO"]) {
        report(
            Rule::RenameTable,
            format!("renaming `{table}` breaks the code still running, which reads the old name: create the new table (or a view with the old name) and move the code over before dropping the old one"),
        );
    } else if !starts(a, 1, &["CONSTRAINT"]) {
        let at = 1 + usize::from(starts(a, 1, &["COLUMN"]));
        if let Some((column, _)) = object_name(a, at) {
            report(
                Rule::RenameColumn,
                format!("renaming `{table}.{column}` breaks the code still running, which reads the old name: add the new column, write both while the code moves over, then drop the old one"),
            );
        }
    }
}
