//! The snapshot of a SQLite database: `sqlite_master` for the objects,
//! the table pragmas for what a table is made of (never its `CREATE TABLE`
//! text, which a rebuilt table may spell otherwise).

use std::collections::HashMap;

use super::Snapshot;
use crate::rusqlite::{Connection, Error};

/// The catalog of the main database from `sqlite_master` and pragmas,
/// leaving out `sqlite_*` internals and objects named `skip` or
/// `{skip}_*` (and the indexes and triggers of those tables).
pub(crate) fn sqlite(conn: &Connection, skip: &str) -> Result<Snapshot, Error> {
    let kinds = table_kinds(conn)?;
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_master")?;
    let objects = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut snapshot = Snapshot::default();
    for (kind, name, table, sql) in objects {
        if is_internal(&name) || is_skipped(&name, skip) || is_skipped(&table, skip) {
            continue;
        }
        let sql = normalise_sql(sql.as_deref().unwrap_or(""));
        match kind.as_str() {
            "table" => {
                let Some(&(ref list_kind, without_rowid, strict)) = kinds.get(&name) else {
                    continue;
                };
                if list_kind == "shadow" {
                    continue;
                }
                let mut definition = if list_kind == "virtual" {
                    format!("virtual {sql}")
                } else {
                    "table".to_owned()
                };
                for (flag, text) in [
                    (without_rowid, " without rowid"),
                    (strict, " strict"),
                    (
                        sql.to_ascii_uppercase().contains("AUTOINCREMENT"),
                        " autoincrement",
                    ),
                ] {
                    if flag {
                        definition.push_str(text);
                    }
                }
                snapshot.insert(format!("table {name}"), definition);
                columns(conn, &mut snapshot, &name)?;
                foreign_keys(conn, &mut snapshot, &name)?;
                indexes(conn, &mut snapshot, &name, skip)?;
            }
            "view" | "trigger" => snapshot.insert(format!("{kind} {name}"), sql),
            _ => {}
        }
    }
    Ok(snapshot)
}

/// `pragma table_list` of the main database: each table's kind (`table`,
/// `view`, `virtual`, `shadow`), whether it is `WITHOUT ROWID` and
/// whether it is `STRICT`.
fn table_kinds(conn: &Connection) -> Result<HashMap<String, (String, bool, bool)>, Error> {
    let mut stmt =
        conn.prepare("SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            (
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, bool>(3)?,
            ),
        ))
    })?;
    rows.collect()
}

/// The columns of `table`: declared type, not null, default, place in the
/// primary key, hidden or generated.
fn columns(conn: &Connection, snapshot: &mut Snapshot, table: &str) -> Result<(), Error> {
    let mut stmt = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
         FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
    )?;
    let mut rows = stmt.query([table])?;
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        let declared: String = row.get(1)?;
        let mut parts = vec![if declared.is_empty() {
            "(no type)".to_owned()
        } else {
            declared
        }];
        if row.get::<_, bool>(2)? {
            parts.push("not null".to_owned());
        }
        if let Some(default) = row.get::<_, Option<String>>(3)? {
            parts.push(format!("default {default}"));
        }
        match row.get::<_, i64>(4)? {
            0 => {}
            1 => parts.push("primary key".to_owned()),
            n => parts.push(format!("primary key ({n})")),
        }
        match row.get::<_, i64>(5)? {
            1 => parts.push("hidden".to_owned()),
            2 => parts.push("generated virtual".to_owned()),
            3 => parts.push("generated stored".to_owned()),
            _ => {}
        }
        snapshot.insert(format!("column {table}.{name}"), parts.join(" "));
    }
    Ok(())
}

/// The foreign keys of `table`, keyed by their columns (SQLite keeps no
/// constraint names).
fn foreign_keys(conn: &Connection, snapshot: &mut Snapshot, table: &str) -> Result<(), Error> {
    let mut stmt = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" \
         FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq",
    )?;
    let mut keys: Vec<ForeignKey> = Vec::new();
    let mut rows = stmt.query([table])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let from: String = row.get(2)?;
        let to: Option<String> = row.get(3)?;
        if keys.last().is_none_or(|k| k.id != id) {
            let actions = format!(
                "on update {} on delete {} match {}",
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            );
            keys.push(ForeignKey {
                id,
                parent: row.get(1)?,
                from: Vec::new(),
                to: Vec::new(),
                actions,
            });
        }
        if let Some(key) = keys.last_mut() {
            key.from.push(from);
            key.to.extend(to);
        }
    }
    for key in keys {
        let to = if key.to.is_empty() {
            String::new()
        } else {
            format!("({})", key.to.join(", "))
        };
        snapshot.insert(
            format!("foreign key {table}({})", key.from.join(", ")),
            format!("references {}{to} {}", key.parent, key.actions),
        );
    }
    Ok(())
}

/// One foreign key of a table, gathered from its rows of
/// `pragma_foreign_key_list` (one per column).
struct ForeignKey {
    id: i64,
    parent: String,
    /// The child's columns.
    from: Vec<String>,
    /// The parent's columns (none when the key names only the table).
    to: Vec<String>,
    /// `on update … on delete … match …`.
    actions: String,
}

/// The indexes of `table`: those made by `CREATE INDEX` by name, those
/// behind a `UNIQUE` or `PRIMARY KEY` constraint by their columns (their
/// `sqlite_autoindex_*` names count the constraints, not the columns).
fn indexes(
    conn: &Connection,
    snapshot: &mut Snapshot,
    table: &str,
    skip: &str,
) -> Result<(), Error> {
    let mut list = conn.prepare(
        "SELECT l.name, l.\"unique\", l.origin, l.partial, m.sql FROM pragma_index_list(?1, 'main') l \
         LEFT JOIN main.sqlite_master m ON m.type = 'index' AND m.name = l.name ORDER BY l.name",
    )?;
    let mut columns = conn.prepare(
        "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1, 'main') WHERE key ORDER BY seqno",
    )?;
    let found = list
        .query_map([table], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (name, unique, origin, partial, sql) in found {
        if is_skipped(&name, skip) {
            continue;
        }
        let mut expression = false;
        let mut parts = Vec::new();
        let mut rows = columns.query([&name])?;
        while let Some(row) = rows.next()? {
            let cid: i64 = row.get(0)?;
            expression |= cid == -2;
            let mut part = row
                .get::<_, Option<String>>(1)?
                .unwrap_or_else(|| "<expression>".to_owned());
            if row.get::<_, bool>(2)? {
                part.push_str(" desc");
            }
            let coll: String = row.get(3)?;
            if !coll.eq_ignore_ascii_case("binary") {
                part.push_str(&format!(" collate {coll}"));
            }
            parts.push(part);
        }
        let cols = parts.join(", ");
        let (key, mut definition) = match origin.as_str() {
            "pk" => (format!("primary key {table}({cols})"), String::new()),
            "u" => (format!("unique {table}({cols})"), String::new()),
            _ => {
                let kind = if unique { "unique index" } else { "index" };
                (
                    format!("index {name}"),
                    format!("{kind} on {table} ({cols})"),
                )
            }
        };
        if partial || expression {
            let sql = normalise_sql(sql.as_deref().unwrap_or(""));
            definition = format!("{definition}: {sql}");
        }
        snapshot.insert(key, definition.trim_start_matches(": ").to_owned());
    }
    Ok(())
}

/// Whether `name` is one of SQLite's own (`sqlite_sequence`,
/// `sqlite_stat1`, `sqlite_autoindex_*`, ...).
fn is_internal(name: &str) -> bool {
    name.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("sqlite_"))
}

/// Whether an object named `name` belongs to the tracking tables named
/// after `skip`: `skip` itself or `{skip}_*` (nothing when `skip` is
/// empty).
fn is_skipped(name: &str, skip: &str) -> bool {
    !skip.is_empty()
        && (name == skip
            || name
                .strip_prefix(skip)
                .is_some_and(|rest| rest.starts_with('_')))
}

/// `text` with every run of whitespace made one space, trimmed, without a
/// trailing semicolon: SQL as SQLite keeps it, compared by its words.
fn normalise_sql(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    joined.trim_end_matches(';').trim_end().to_owned()
}

#[cfg(test)]
mod tests;
