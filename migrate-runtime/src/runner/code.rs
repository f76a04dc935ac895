//! Registering code migrations' functions with a set.

use std::borrow::Cow;
use std::sync::Arc;

use crate::model::{digest_of, Body, CodeMigration, Migrations};
use crate::outcome::Error;

impl Migrations {
    /// This set with Rust functions registered for its code migrations
    /// (marker files `NNNN_name.code`).
    ///
    /// # Errors
    /// [`Error::InvalidCode`] when a code migration has no marker file of
    /// its version in the set, its version is an SQL migration's, its name
    /// differs from the marker's, it is registered twice, or it is
    /// inconsistent on its own (no up function, no code version, up
    /// functions in both modes, resumable but transactional).
    pub fn with_code(
        &self,
        code: impl IntoIterator<Item = CodeMigration>,
    ) -> Result<Migrations, Error> {
        let mut items = self.items.to_vec();
        for c in code {
            let fail = |reason: String| Error::InvalidCode {
                version: c.version,
                name: c.name.clone(),
                reason,
            };
            if let Some(problem) = c.problem() {
                return Err(fail(problem));
            }
            let Some(m) = items.iter_mut().find(|m| m.version == c.version) else {
                return Err(fail(format!(
                    "no marker file {:04}_{}.code in {}; a code migration takes its version in the folder with a marker file",
                    c.version, c.name, self.dir
                )));
            };
            match &m.body {
                Body::Sql => {
                    return Err(fail(format!(
                        "version {} is the SQL migration {}",
                        c.version, m.up.file
                    )))
                }
                Body::Code(Some(_)) => return Err(fail("registered twice".to_owned())),
                Body::Code(None) if m.name != c.name => {
                    return Err(fail(format!(
                        "its marker file {} names it `{}`",
                        m.up.file, m.name
                    )))
                }
                Body::Code(None) => {}
            }
            m.checksum = Cow::Owned(c.checksum());
            m.up.directives.no_transaction = c.no_transaction();
            m.irreversible = !c.has_down();
            m.body = Body::Code(Some(Arc::new(c)));
        }
        Ok(Migrations {
            dir: self.dir.clone(),
            digest: Cow::Owned(digest_of(&items)),
            items: Cow::Owned(items),
            seeds: self.seeds.clone(),
        })
    }
}
