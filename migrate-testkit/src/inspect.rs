//! Reading a database back, outside migrate: rows as text, the tracking
//! table, the schema. The only engine-specific part of the tests written
//! once for both engines.

use migrate_runtime::rusqlite::types::ValueRef;
use migrate_runtime::{postgres, rusqlite, AnyConnection, Engine};

/// The default tracking table.
const HISTORY: &str = "migrate_history";

/// What the tests read back from a connection of either engine. Every
/// method panics on a database error: the tests only read what must be
/// there.
pub trait Inspect {
    /// The engine of the connection.
    fn engine_of(&self) -> Engine;

    /// Runs SQL (one or more statements), outside migrate.
    fn execute_sql(&mut self, sql: &str);

    /// Every row of a query, each value as text (`None` for NULL).
    fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>>;

    /// The first column of every row, as text (NULL as an empty string).
    fn column(&mut self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .into_iter()
            .map(|r| r.into_iter().next().flatten().unwrap_or_default())
            .collect()
    }

    /// The integer a one-row, one-column query returns.
    fn count(&mut self, sql: &str) -> i64 {
        let values = self.column(sql);
        let [value] = &values[..] else {
            panic!("{sql}: expected one row, got {values:?}");
        };
        value
            .parse()
            .unwrap_or_else(|e| panic!("{sql}: {value:?} is not an integer: {e}"))
    }

    /// Whether a table, view, index or sequence of that name exists.
    fn exists(&mut self, name: &str) -> bool {
        let sql = match self.engine_of() {
            Engine::Postgres => format!(
                "SELECT count(*) FROM pg_class WHERE oid = to_regclass({})",
                literal(&quote(name))
            ),
            _ => format!(
                "SELECT count(*) FROM sqlite_master WHERE name = {}",
                literal(name)
            ),
        };
        self.count(&sql) == 1
    }

    /// The versions in the tracking table, in order.
    fn versions(&mut self) -> Vec<i64> {
        if !self.exists(HISTORY) {
            return Vec::new();
        }
        self.column("SELECT version FROM migrate_history ORDER BY version")
            .iter()
            .map(|v| v.parse().expect("an integer version"))
            .collect()
    }

    /// The `status` column of the tracking table, by version.
    fn statuses(&mut self) -> Vec<String> {
        self.column("SELECT status FROM migrate_history ORDER BY version")
    }

    /// How many events of one kind (`apply`, `failure`, …) each version
    /// has: `(version, count)`, by version.
    fn event_counts(&mut self, kind: &str) -> Vec<(i64, i64)> {
        self.rows(&format!(
            "SELECT version, count(*) FROM migrate_history_events WHERE event = {} \
             GROUP BY version ORDER BY version",
            literal(kind)
        ))
        .into_iter()
        .map(|r| {
            let n = |i: usize| -> i64 { r[i].as_deref().unwrap_or("0").parse().unwrap() };
            (n(0), n(1))
        })
        .collect()
    }

    /// The objects of the schema, migrate's own tables excluded: equal
    /// for equal schemas.
    fn schema(&mut self) -> Vec<String> {
        match self.engine_of() {
            Engine::Postgres => self.column(&format!(
                "{PG_OBJECTS} AND c.relname NOT LIKE 'migrate\\_history%' ORDER BY 1"
            )),
            _ => self.column(&format!(
                "{LITE_OBJECTS} WHERE name NOT LIKE 'migrate\\_history%' ESCAPE '\\' ORDER BY name"
            )),
        }
    }

    /// Every object of the schema with its definition, and every row of
    /// the tracking table: equal snapshots mean untouched.
    fn snapshot(&mut self) -> Vec<String> {
        let (objects, rows) = match self.engine_of() {
            Engine::Postgres => (
                format!("{PG_OBJECTS} ORDER BY 1"),
                "SELECT row_to_json(h)::text FROM migrate_history h ORDER BY version",
            ),
            _ => (
                format!("{LITE_OBJECTS} ORDER BY name"),
                "SELECT version || ' ' || name || ' ' || checksum || ' ' || status || ' ' || applied_at \
                 FROM migrate_history ORDER BY version",
            ),
        };
        let mut out = self.column(&objects);
        if self.exists(HISTORY) {
            out.extend(self.column(rows));
        }
        out
    }
}

/// PostgreSQL: `name:kind:columns` of every relation outside the catalogs.
const PG_OBJECTS: &str = "SELECT c.relname || ':' || c.relkind::text || ':' || \
    coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) \
              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";

/// SQLite: `type:name:sql` of every object.
const LITE_OBJECTS: &str =
    "SELECT type || ':' || name || ':' || coalesce(sql, '') FROM sqlite_master";

/// A string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A quoted identifier (for `to_regclass`, which folds unquoted names).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Inspect for postgres::Client {
    fn engine_of(&self) -> Engine {
        Engine::Postgres
    }

    fn execute_sql(&mut self, sql: &str) {
        self.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    }
}

impl Inspect for rusqlite::Connection {
    fn engine_of(&self) -> Engine {
        Engine::Sqlite
    }

    fn execute_sql(&mut self, sql: &str) {
        self.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut stmt = self.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap_or_else(|e| panic!("{sql}: {e}")) {
            out.push(
                (0..n)
                    .map(|i| match row.get_ref(i).expect("a column") {
                        ValueRef::Null => None,
                        ValueRef::Integer(v) => Some(v.to_string()),
                        ValueRef::Real(v) => Some(v.to_string()),
                        ValueRef::Text(v) | ValueRef::Blob(v) => {
                            Some(String::from_utf8_lossy(v).into_owned())
                        }
                    })
                    .collect(),
            );
        }
        out
    }
}

impl Inspect for AnyConnection {
    fn engine_of(&self) -> Engine {
        self.engine()
    }

    fn execute_sql(&mut self, sql: &str) {
        match self {
            AnyConnection::Postgres(c) => Inspect::execute_sql(c, sql),
            AnyConnection::Sqlite(c) => Inspect::execute_sql(c, sql),
            AnyConnection::TokioPostgres(c) => Inspect::execute_sql(c, sql),
            other => panic!("no inspection for {other:?}"),
        }
    }

    fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self {
            AnyConnection::Postgres(c) => c.rows(sql),
            AnyConnection::Sqlite(c) => c.rows(sql),
            AnyConnection::TokioPostgres(c) => c.rows(sql),
            other => panic!("no inspection for {other:?}"),
        }
    }
}
