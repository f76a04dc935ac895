//! The model: migrations, sets, seed files, code migrations, engines and
//! tracking rows. Imports only `text`.

#[cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(dead_code, unused_imports)
)]
mod code;
pub(crate) mod embedded;
mod engine;
mod foreign;
mod migration;
mod seed;
mod set;
mod tracking;

pub(crate) use code::CodeApi;
#[cfg(feature = "tokio-postgres")]
pub use code::CodeFuture;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub(crate) use code::Up;
pub use code::{CodeError, CodeMigration};
pub use engine::{Engine, UnknownEngine};
pub use foreign::{Foreign, UnknownForeign};
pub use migration::Migration;
pub(crate) use migration::{Body, Directives, Script, Span, UNREGISTERED_CHECKSUM};
pub use seed::Seed;
pub(crate) use set::digest_of;
pub use set::Migrations;
pub use tracking::MigrationState;
pub(crate) use tracking::{quote_ident, AppliedRow, HistoryRow, Tracking};
