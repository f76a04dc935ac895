//! Seed data: `seeds/<environment>/*.sql` beside the migrations, run in
//! name order, each in a transaction of its own, and run again only when
//! new or changed.

use std::borrow::Cow;

/// One seed file of an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub(crate) env: Cow<'static, str>,
    /// Relative to the migrations folder: `seeds/<env>/<name>.sql`.
    pub(crate) file: Cow<'static, str>,
    pub(crate) sql: Cow<'static, str>,
    pub(crate) checksum: Cow<'static, str>,
    /// Where each statement starts and ends in `sql`.
    pub(crate) statements: Cow<'static, [(usize, usize)]>,
}

impl Seed {
    /// For `embed_migrations!`: where each statement starts and ends, as
    /// byte ranges. Not public API.
    #[doc(hidden)]
    #[must_use]
    pub fn __embedded_statements(&self) -> &[(usize, usize)] {
        &self.statements
    }

    /// The environment (the folder under `seeds/`).
    #[must_use]
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The file, relative to the migrations folder.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The SQL (LF line endings, no BOM).
    #[must_use]
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The checksum of the SQL, as `sha256:<hex>`.
    #[must_use]
    pub fn checksum(&self) -> &str {
        &self.checksum
    }
}
