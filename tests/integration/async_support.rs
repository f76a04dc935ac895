//! Helpers of the async API's tests (`async_*`): reading back through a
//! `tokio_postgres` client, and a set of many migrations made on the fly.
//! Fresh databases for a tokio runtime come from the kit (`AsyncPgDb`).

use migrate::tokio_postgres::{Client, SimpleQueryMessage};
use migrate::Migrations;

pub use migrate_testkit::{connect, off_runtime, AsyncPgDb};

/// The first column of every row of `sql`, as text (NULL as empty).
pub async fn column(client: &Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_owned()),
            _ => None,
        })
        .collect()
}

/// The integer a one-row, one-column query returns.
pub async fn count(client: &Client, sql: &str) -> i64 {
    let values = column(client, sql).await;
    let [value] = &values[..] else {
        panic!("{sql}: expected one row, got {values:?}");
    };
    value
        .parse()
        .unwrap_or_else(|e| panic!("{sql}: {value:?}: {e}"))
}

/// Whether a relation of that name exists.
pub async fn exists(client: &Client, name: &str) -> bool {
    let sql = format!("SELECT count(*) FROM pg_class WHERE oid = to_regclass('\"{name}\"')");
    count(client, &sql).await == 1
}

/// How many `apply` events each version has, by version.
pub async fn applies(client: &Client) -> Vec<String> {
    column(
        client,
        "SELECT version || ':' || count(*) FROM migrate_history_events \
         WHERE event = 'apply' GROUP BY version ORDER BY version",
    )
    .await
}

/// A folder of `n` migrations, each creating (and its down file dropping)
/// a table `tN`, and the set read from it at run time.
pub fn many(n: u64) -> (tempfile::TempDir, Migrations) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for v in 1..=n {
        let stem = dir.path().join(format!("{v:04}_t{v}"));
        std::fs::write(
            stem.with_extension("up.sql"),
            format!("CREATE TABLE t{v} (id int);\n"),
        )
        .unwrap();
        std::fs::write(
            stem.with_extension("down.sql"),
            format!("DROP TABLE t{v};\n"),
        )
        .unwrap();
    }
    let set = Migrations::from_dir(dir.path()).expect("the folder scans");
    (dir, set)
}
