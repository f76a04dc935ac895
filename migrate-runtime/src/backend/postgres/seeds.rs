//! Seed files on PostgreSQL: each file, its record and its event in one
//! transaction and one message.

use std::collections::BTreeMap;

use postgres::SimpleQueryMessage;

use super::failure::Failure;
use super::tracking::literal;
use super::{pg, Pg, PREFIX};
use crate::backend::Tracking;
use crate::error::Error;
use crate::seeds::Seed;

impl Pg<'_> {
    pub(super) fn read_seed_table(
        &mut self,
        t: &Tracking,
        env: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        let messages = self
            .client
            .simple_query(&format!(
                "CREATE TABLE IF NOT EXISTS {seeds} (
    env TEXT NOT NULL,
    file TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    applied_by TEXT NOT NULL DEFAULT current_user,
    PRIMARY KEY (env, file)
);
SELECT file, checksum FROM {seeds} WHERE env = {env};",
                seeds = t.seeds,
                env = literal(env),
            ))
            .map_err(pg("reading the seeds table"))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => {
                    Some((row.get(0)?.to_owned(), row.get(1)?.to_owned()))
                }
                _ => None,
            })
            .collect())
    }

    pub(super) fn run_seed(&mut self, t: &Tracking, seed: &Seed, path: &str) -> Result<(), Error> {
        let (env, file, sum) = (
            literal(seed.env()),
            literal(seed.file()),
            literal(seed.checksum()),
        );
        let script = format!(
            "{PREFIX}{sql}\n;\n\
             INSERT INTO {seeds} (env, file, checksum) VALUES ({env}, {file}, {sum}) \
             ON CONFLICT (env, file) DO UPDATE SET checksum = EXCLUDED.checksum, \
             applied_at = clock_timestamp(), applied_by = current_user;\n\
             INSERT INTO {events} (name, event, checksum, detail) VALUES ({file}, 'seed', {sum}, {env});\n\
             COMMIT;",
            sql = seed.sql(),
            seeds = t.seeds,
            events = t.events,
        );
        let Err(e) = self.client.batch_execute(&script) else {
            return Ok(());
        };
        let _ = self.client.batch_execute("ROLLBACK");
        let error = Failure::new(&e, seed.sql(), PREFIX.chars().count()).into_seed_error(path);
        let _ = self.client.batch_execute(&format!(
            "INSERT INTO {} (name, event, checksum, detail) VALUES ({file}, 'failure', {sum}, {})",
            t.events,
            literal(&error.to_string()),
        ));
        Err(error)
    }
}
