//! A set of migrations, ordered by version, with its seed files.

use std::borrow::Cow;
use std::path::Path;

use super::migration::{Migration, UNREGISTERED_DIGEST};
use super::Seed;
use crate::text::checksum::set_digest;

/// An ordered set of migrations, from `embed_migrations!` or
/// [`Migrations::from_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    pub(crate) dir: Cow<'static, str>,
    pub(crate) items: Cow<'static, [Migration]>,
    pub(crate) seeds: Cow<'static, [Seed]>,
    /// The digest of the whole set applied (see `checksum::set_digest`).
    pub(crate) digest: Cow<'static, str>,
}

impl Migrations {
    /// The migrations, ordered by version.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
        self.items.iter()
    }

    /// The number of migrations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set holds no migration.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The migration with this version.
    #[must_use]
    pub fn get(&self, version: u64) -> Option<&Migration> {
        self.items
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.items[i])
    }

    /// The seed files of an environment (`seeds/<env>/*.sql`), in name
    /// order.
    pub fn seeds<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a Seed> + 'a {
        self.seeds.iter().filter(move |s| s.env == env)
    }

    /// The environments that have seed files, in name order.
    #[must_use]
    pub fn seed_envs(&self) -> Vec<&str> {
        let mut envs: Vec<&str> = self.seeds.iter().map(|s| &*s.env).collect();
        envs.dedup();
        envs
    }

    /// The folder the set was read from, as written in `embed_migrations!`
    /// or given to [`Migrations::from_dir`].
    #[must_use]
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The digest of the whole set (every migration's version and
    /// checksum), which the tracking table stores after a run: equal
    /// digests, equal sets.
    #[must_use]
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The path of a file of this set, for messages.
    pub(crate) fn path_of(&self, file: &str) -> String {
        Path::new(&*self.dir).join(file).display().to_string()
    }
}

/// The digest of the whole set applied (see `checksum::set_digest`), or
/// [`UNREGISTERED_DIGEST`].
pub(crate) fn digest_of(items: &[Migration]) -> String {
    if items.iter().any(Migration::is_unregistered) {
        return UNREGISTERED_DIGEST.to_owned();
    }
    set_digest(items.iter().map(|m| (m.version, &*m.checksum)))
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
