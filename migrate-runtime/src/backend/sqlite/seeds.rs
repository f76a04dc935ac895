//! Seed files on SQLite: each file, its record and its event in one
//! `BEGIN IMMEDIATE` transaction.

use std::collections::BTreeMap;

use rusqlite::params;

use super::{actor, lite, Lite};
use crate::backend::Tracking;
use crate::error::Error;
use crate::seeds::Seed;

impl Lite<'_> {
    pub(super) fn read_seed_table(
        &mut self,
        t: &Tracking,
        env: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {} (
    env TEXT NOT NULL,
    file TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    applied_by TEXT,
    PRIMARY KEY (env, file)
);",
                t.seeds
            ))
            .map_err(lite("creating the seeds table"))?;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT file, checksum FROM {} WHERE env = ?1",
                t.seeds
            ))
            .map_err(lite("reading the seeds table"))?;
        let rows = stmt
            .query_map([env], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(lite("reading the seeds table"))?;
        rows.collect::<Result<_, _>>()
            .map_err(lite("reading the seeds table"))
    }

    pub(super) fn run_seed(&mut self, t: &Tracking, seed: &Seed, path: &str) -> Result<(), Error> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(lite("starting a seed's transaction"))?;
        if let Err(e) = self.run_statements((0, seed.file()), seed.sql(), path, false) {
            let _ = self.conn.execute_batch("ROLLBACK");
            let error = match e {
                Error::MigrationFailed {
                    file,
                    line,
                    message,
                    code,
                    ..
                } => Error::SeedFailed {
                    file,
                    line,
                    message,
                    code,
                },
                other => other,
            };
            let _ = self.seed_event(t, seed, "failure", Some(&error.to_string()));
            return Err(error);
        }
        let recorded = self
            .conn
            .execute(
                &format!(
                    "INSERT INTO {} (env, file, checksum, applied_by) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (env, file) DO UPDATE SET checksum = excluded.checksum, \
                     applied_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), applied_by = excluded.applied_by",
                    t.seeds
                ),
                params![seed.env(), seed.file(), seed.checksum(), actor()],
            )
            .and_then(|_| self.seed_event(t, seed, "seed", Some(seed.env())));
        self.finish(true, recorded, "recording a seed file")
    }

    fn seed_event(
        &mut self,
        t: &Tracking,
        seed: &Seed,
        event: &str,
        detail: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO {} (name, event, checksum, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                    t.events
                ),
                params![seed.file(), event, seed.checksum(), actor(), detail],
            )
            .map(drop)
    }
}
