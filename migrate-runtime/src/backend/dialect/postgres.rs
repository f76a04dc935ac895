//! PostgreSQL's tracking tables: their definition, the session set up for
//! a run (the trigger's setting, the prepared bookkeeping statement), and
//! the cached digest of the applied state.
//!
//! The digest is kept as the tracking table's own comment: read through
//! `obj_description(to_regclass(…))`, which answers NULL rather than an
//! error when the table is missing (a first boot logs no server error), and
//! gone with the table when it is dropped or replaced (a digest cannot
//! outlive the rows it digests).

use super::Dialect;
use crate::model::{quote_ident, Migration, MigrationState, Tracking};

/// The session setting that tells the trigger a write is migrate's own.
const WRITING: &str = "migrate.writing";

/// The prepared statement that records an applied migration and its event.
const RECORD: &str = "migrate_record_apply";

/// What the table's comment says before the digest.
pub(crate) const DIGEST_PREFIX: &str = "migrate applied-state digest ";

/// The trigger that voids the digest on a change made by hand.
const VOID_TRIGGER: &str = "migrate_digest_void";

/// The previous release's trigger (it kept the digest in a table of its
/// own, `<table>_state`).
const LEGACY_TRIGGER: &str = "migrate_state_reset";

/// The column of the rows [`RECORD`] returns: told apart by its name from
/// any row a migration's own statements return.
pub(crate) const APPLIED_MS: &str = "migrate_applied_ms";

/// The first column of [`cached_digest`]'s answer, which tells it apart
/// from the other rows of a message it shares (a lock attempt's).
pub(crate) const DIGEST_COLUMN: &str = "migrate_digest_table";

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

/// The query of the cached digest: whether the tracking table exists, and
/// its comment. Never an error, whatever exists.
pub(super) fn cached_digest(d: &Dialect) -> String {
    let name = d.literal(&d.t.history);
    format!(
        "SELECT to_regclass({name}) IS NOT NULL AS {DIGEST_COLUMN}, \
         obj_description(to_regclass({name}), 'pg_class')"
    )
}

/// Sets the table's comment to `digest` (a SQL expression, NULL voids it).
fn set_digest(d: &Dialect, digest: &str) -> String {
    format!(
        "EXECUTE 'COMMENT ON TABLE ' || {} || ' IS ' || quote_nullable({digest});",
        d.literal(&d.t.history)
    )
}

/// The trigger function that voids the digest when the tracking table is
/// changed by hand. `SECURITY DEFINER`: a role allowed to edit the rows
/// but not owning the table can still void the digest (only the owner may
/// comment); no one needs to call it, so no one may.
fn void_function(t: &Tracking) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {void}() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $migrate$
BEGIN
    -- A change to the tracking table not made by migrate (an edit by hand)
    -- voids the cached digest: the next run reads the table itself.
    EXECUTE format('COMMENT ON TABLE %I.%I IS NULL', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    RETURN NULL;
END
$migrate$;
REVOKE ALL ON FUNCTION {void}() FROM PUBLIC;
",
        void = t.digest_void,
    )
}

/// Removes the previous release's digest table and its trigger, where they
/// exist: a runner of that release finds no digest and reads the table.
fn drop_legacy(d: &Dialect) -> String {
    let t = &d.t;
    format!(
        "IF to_regclass({state_name}) IS NOT NULL THEN
        DROP TRIGGER IF EXISTS {LEGACY_TRIGGER} ON {history};
        DROP FUNCTION IF EXISTS {reset}();
        DROP TABLE {state};
    END IF;",
        state_name = d.literal(&t.legacy_state),
        state = t.legacy_state,
        reset = t.legacy_state_reset,
        history = t.history,
    )
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
        "{schema}{tables}{function}DO $migrate$ DECLARE c name; BEGIN
    {legacy}
    -- A table made by an earlier release allows fewer states.
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = {history_name}::regclass AND contype = 'c'
               AND pg_get_constraintdef(oid) LIKE '%''in_progress''%'
               AND pg_get_constraintdef(oid) NOT LIKE {newest} LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I %s',
                       {history_name}, c, c, {check});
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_trigger
                   WHERE tgrelid = {history_name}::regclass AND tgname = '{VOID_TRIGGER}') THEN
        CREATE TRIGGER {VOID_TRIGGER}
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {history}
            FOR EACH STATEMENT
            WHEN (current_setting('{WRITING}', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION {void}();
    END IF;
    {void_digest}
END
$migrate$;
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
        function = void_function(t),
        legacy = drop_legacy(d),
        void_digest = set_digest(d, "NULL"),
        newest = d.literal(&format!("%'{}'%", MigrationState::RollbackFailed.as_str())),
        check = d.literal(&super::tables::status_check()),
        history = t.history,
        events = t.events,
        void = t.digest_void,
        history_name = d.literal(&t.history),
    )
}

/// Stores the final digest if the run succeeded and undoes the session
/// setup of [`begin_writes`]; sent before the lock is released, so that a
/// runner taking the lock next voids this digest, never the other way round.
pub(super) fn end_writes(d: &Dialect, digest: Option<&str>) -> String {
    let mut sql = String::new();
    if let Some(digest) = digest {
        let comment = d.literal(&format!("{DIGEST_PREFIX}{digest}"));
        sql.push_str(&format!(
            "DO $migrate$ BEGIN {} END $migrate$;\n",
            set_digest(d, &comment)
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
/// no edit by hand is in flight (its trigger holds the table's
/// `SHARE UPDATE EXCLUSIVE` lock, as any comment does, until it commits).
/// An edit whose trigger comes later voids what this stores. The lock
/// refused is caught inside the block: the server logs no error.
pub(super) fn refresh_digest(d: &Dialect) -> String {
    let t = &d.t;
    format!(
        "DO $migrate$ DECLARE d text; BEGIN
    IF to_regclass({history_name}) IS NOT NULL AND pg_try_advisory_xact_lock({key}) THEN
        BEGIN
            LOCK TABLE {history} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RETURN;
        END;
        d := {prefix} || ({digest});
        IF d IS DISTINCT FROM obj_description({history_name}::regclass, 'pg_class') THEN
            {store}
        END IF;
    END IF;
END $migrate$;\n",
        key = t.lock_key,
        history = t.history,
        history_name = d.literal(&t.history),
        prefix = d.literal(DIGEST_PREFIX),
        digest = server_digest(t),
        store = set_digest(d, "d"),
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
