//! Constructors for the code `embed_migrations!` generates. Not public API.

use std::borrow::Cow;
use std::time::Duration;

use super::migration::{Body, Directives, Migration, Script, UNREGISTERED_CHECKSUM};
use super::{Migrations, Seed};

/// Builds a set from static data and its digest.
#[must_use]
pub const fn migrations(
    dir: &'static str,
    items: &'static [Migration],
    seeds: &'static [Seed],
    digest: &'static str,
) -> Migrations {
    Migrations {
        dir: Cow::Borrowed(dir),
        items: Cow::Borrowed(items),
        seeds: Cow::Borrowed(seeds),
        digest: Cow::Borrowed(digest),
    }
}

/// One SQL file: its name, its normalised text, its directives (no
/// transaction, lock timeout and statement timeout in milliseconds) and
/// where each statement starts and ends.
pub type StaticScript = (
    &'static str,
    &'static str,
    bool,
    Option<u64>,
    Option<u64>,
    &'static [(usize, usize)],
);

/// Builds a migration from static data.
#[must_use]
pub const fn migration(
    version: u64,
    name: &'static str,
    checksum: &'static str,
    irreversible: bool,
    up: StaticScript,
    down: Option<StaticScript>,
) -> Migration {
    let mut up = script(up);
    up.directives.irreversible = irreversible;
    Migration {
        version,
        name: Cow::Borrowed(name),
        up,
        down: match down {
            Some(d) => Some(script(d)),
            None => None,
        },
        checksum: Cow::Borrowed(checksum),
        irreversible,
        body: Body::Sql,
    }
}

/// Builds a seed file from static data.
#[must_use]
pub const fn seed(
    env: &'static str,
    file: &'static str,
    sql: &'static str,
    checksum: &'static str,
    statements: &'static [(usize, usize)],
) -> Seed {
    Seed {
        env: Cow::Borrowed(env),
        file: Cow::Borrowed(file),
        sql: Cow::Borrowed(sql),
        checksum: Cow::Borrowed(checksum),
        statements: Cow::Borrowed(statements),
    }
}

/// Builds the marker of a code migration from static data: its file
/// name and text.
#[must_use]
pub const fn code_marker(
    version: u64,
    name: &'static str,
    file: &'static str,
    text: &'static str,
) -> Migration {
    Migration {
        version,
        name: Cow::Borrowed(name),
        up: script((file, text, false, None, None, &[])),
        down: None,
        checksum: Cow::Borrowed(UNREGISTERED_CHECKSUM),
        irreversible: false,
        body: Body::Code(None),
    }
}

const fn script((file, sql, no_transaction, lock, statement, spans): StaticScript) -> Script {
    Script {
        file: Cow::Borrowed(file),
        sql: Cow::Borrowed(sql),
        statements: Cow::Borrowed(spans),
        directives: Directives {
            no_transaction,
            irreversible: false,
            lock_timeout: millis(lock),
            statement_timeout: millis(statement),
        },
    }
}

const fn millis(ms: Option<u64>) -> Option<Duration> {
    match ms {
        Some(ms) => Some(Duration::from_millis(ms)),
        None => None,
    }
}
