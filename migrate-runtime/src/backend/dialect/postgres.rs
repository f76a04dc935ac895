//! PostgreSQL's tracking tables: their definition, the session set up for
//! a run (the trigger's setting, the prepared bookkeeping statement), and
//! the cached digest of the applied state.

use super::Dialect;
use crate::model::{quote_ident, Migration, Tracking};

/// The session setting that tells the trigger a write is migrate's own.
const WRITING: &str = "migrate.writing";

/// The prepared statement that records an applied migration and its event.
const RECORD: &str = "migrate_record_apply";

/// The column of the rows [`RECORD`] returns: told apart by its name from
/// any row a migration's own statements return.
pub(crate) const APPLIED_MS: &str = "migrate_applied_ms";

/// The setting that holds when the migration's transaction began. `now()`
/// cannot say: it is the same for every transaction of one message.
const STARTED: &str = "migrate.started";

/// Milliseconds since [`start_clock`] ran in the current transaction
/// (since the transaction's start where it did not), server side.
const ELAPSED_MS: &str = "extract(epoch FROM clock_timestamp() - \
    coalesce(nullif(current_setting('migrate.started', true), '')::timestamptz, now())) * 1000";

/// Notes the time a migration's transaction begins, for [`ELAPSED_MS`].
pub(super) fn start_clock() -> String {
    format!("SELECT set_config('{STARTED}', clock_timestamp()::text, true);\n")
}

/// Creates what is missing, voids the cached digest for the writes to come,
/// marks the session's writes as migrate's own and prepares the statement
/// each migration's bookkeeping runs. Sent once, under the lock.
pub(super) fn begin_writes(d: &Dialect) -> String {
    let t = &d.t;
    let schema = t.schema.as_deref().map_or_else(String::new, |s| {
        format!("CREATE SCHEMA IF NOT EXISTS {};\n", quote_ident(s))
    });
    format!(
        "{schema}{tables}CREATE TABLE IF NOT EXISTS {state} (
    digest TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO {state} (digest) SELECT NULL WHERE NOT EXISTS (SELECT FROM {state});
CREATE OR REPLACE FUNCTION {reset}() RETURNS trigger LANGUAGE plpgsql AS $migrate$
BEGIN
    -- A change to the tracking table not made by migrate (an edit by hand)
    -- voids the cached digest: the next run reads the table itself.
    EXECUTE format('UPDATE %I.%I SET digest = NULL, updated_at = clock_timestamp()',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME || '_state');
    RETURN NULL;
END
$migrate$;
DO $migrate$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger
                   WHERE tgrelid = {history_name}::regclass AND tgname = 'migrate_state_reset') THEN
        CREATE TRIGGER migrate_state_reset
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {history}
            FOR EACH STATEMENT
            WHEN (current_setting('{WRITING}', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION {reset}();
    END IF;
END
$migrate$;
UPDATE {state} SET digest = NULL, updated_at = clock_timestamp();
SET {WRITING} = on;
PREPARE {RECORD} (bigint, text, text, text) AS
    WITH applied AS (
        INSERT INTO {history} (version, name, checksum, execution_ms, no_transaction, down_sql)
        VALUES ($1, $2, $3, {ELAPSED_MS}, false, $4)
        RETURNING version, name, checksum, execution_ms
    )
    INSERT INTO {events} (version, name, event, checksum, execution_ms)
    SELECT version, name, 'apply', checksum, execution_ms FROM applied
    RETURNING execution_ms AS {APPLIED_MS};",
        tables = super::tables::history_and_events(d.engine, t),
        history = t.history,
        events = t.events,
        state = t.state,
        reset = t.state_reset,
        history_name = d.literal(&t.history),
    )
}

/// Releases the lock first (a session lock is released even if what follows
/// fails), then stores the final digest if the run succeeded, and undoes the
/// session setup of [`begin_writes`] if it was done.
pub(super) fn end_writes(d: &Dialect, digest: Option<&str>) -> String {
    let mut sql = String::new();
    if let Some(digest) = digest {
        sql.push_str(&format!(
            "UPDATE {} SET digest = {}, updated_at = clock_timestamp();\n",
            d.t.state,
            d.literal(digest)
        ));
    }
    sql.push_str(&format!("RESET {WRITING};\nDEALLOCATE {RECORD};"));
    sql
}

/// The applied state's digest computed by the server from the tracking
/// table: the same as `checksum::StateDigest` (NULL while any row is not
/// applied, or when there is none).
fn server_digest(t: &Tracking) -> String {
    format!(
        "SELECT CASE WHEN bool_and(status = 'applied') THEN encode(sha256(convert_to(\
         string_agg(version::text || ':' || checksum || E'\\n', '' ORDER BY version), 'UTF8')), 'hex') END \
         FROM {}",
        t.history
    )
}

/// Brings the cached digest up to date with the table, never waiting: only
/// if no run holds the migration lock (taken here for the transaction) and
/// no edit by hand holds the state row (its trigger locks it). Each
/// statement of the block sees what committed before it, so the digest is
/// computed only once both are held.
pub(super) fn refresh_digest(d: &Dialect) -> String {
    let t = &d.t;
    format!(
        "DO $migrate$ DECLARE d text; BEGIN
    IF pg_try_advisory_xact_lock({key}) THEN
        PERFORM FROM {state} FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            d := ({digest});
            UPDATE {state} SET digest = d, updated_at = clock_timestamp()
            WHERE digest IS DISTINCT FROM d;
        END IF;
    END IF;
END $migrate$;\n",
        key = t.lock_key,
        state = t.state,
        digest = server_digest(t),
    )
}

/// Records an applied migration and its event with the prepared statement
/// (see [`begin_writes`]).
pub(super) fn record_apply(d: &Dialect, m: &Migration) -> String {
    format!(
        "EXECUTE {RECORD}({}, {}, {}, {});\n",
        m.version(),
        d.literal(m.name()),
        d.literal(m.checksum()),
        d.opt_literal(m.down_sql()),
    )
}
