//! A SQLite file per test.

use std::path::PathBuf;

use migrate_runtime::{rusqlite, AnyConnection};

/// A SQLite database file (`test.db`) in a fresh temporary folder, removed
/// with the folder.
pub struct LiteDb {
    dir: tempfile::TempDir,
}

impl Default for LiteDb {
    fn default() -> Self {
        LiteDb::new()
    }
}

impl LiteDb {
    /// A folder for a database that does not exist yet.
    ///
    /// # Panics
    /// When no temporary folder can be made.
    #[must_use]
    pub fn new() -> LiteDb {
        LiteDb {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("test.db")
    }

    /// `sqlite:PATH`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("sqlite:{}", self.path().display())
    }

    /// A new connection (the file is created if needed).
    ///
    /// # Panics
    /// When the file cannot be opened.
    #[must_use]
    pub fn connect(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path()).expect("open the SQLite database")
    }

    /// A new connection, opened from the URL.
    ///
    /// # Panics
    /// When the file cannot be opened.
    #[must_use]
    pub fn open(&self) -> AnyConnection {
        AnyConnection::open(&self.url()).expect("open the SQLite database from its URL")
    }
}
