//! SQLite test databases: the template a file in the temporary folder,
//! built once per set (into a file of its own, then renamed, so that
//! parallel builders never see half of one), copied for each test.

use std::fs;
use std::path::{Path, PathBuf};

use super::template::{unique_name, Template};
use super::{TestDatabase, TestingError};
use crate::rusqlite::Connection;

impl Template<'_> {
    /// A fresh SQLite file holding the set applied, copied from the set's
    /// template file (built on first use, and again when the set or the
    /// seed environment changes), removed when dropped.
    ///
    /// # Errors
    /// [`TestingError::Migrate`] when the migration run fails;
    /// [`TestingError::Io`] when the temporary folder cannot be written.
    pub fn sqlite(&self) -> Result<TestDatabase, TestingError> {
        let folder = folder()?;
        let (name, family) = self.names();
        let template = folder.join(format!("{name}.sqlite3"));
        let path = folder.join(format!("{}.sqlite3", unique_name("migrate_test")));
        let mut tries = 0;
        loop {
            if !template.is_file() {
                self.build_file(&folder, &template, &family)?;
            }
            match fs::copy(&template, &path) {
                // Removed in between by a builder of a newer set of the
                // same family: built again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && tries < 3 => tries += 1,
                other => {
                    break other
                        .map(drop)
                        .map_err(io("copying the template database"))?
                }
            };
        }
        Ok(TestDatabase::sqlite(path))
    }

    fn build_file(&self, folder: &Path, template: &Path, family: &str) -> Result<(), TestingError> {
        let building = folder.join(format!("{}.building", unique_name("migrate_tpl")));
        let built = Connection::open(&building)
            .map_err(|source| TestingError::Sqlite {
                doing: "creating the template database",
                source,
            })
            .and_then(|mut conn| {
                self.apply(&mut conn)?;
                // One file, no journal beside it.
                conn.execute_batch("PRAGMA journal_mode = DELETE")
                    .map_err(|source| TestingError::Sqlite {
                        doing: "closing the template database",
                        source,
                    })
            });
        if let Err(e) = built {
            let _ = fs::remove_file(&building);
            return Err(e);
        }
        fs::rename(&building, template).map_err(io("naming the template database"))?;
        // The set's older templates.
        let current = template
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        for entry in fs::read_dir(folder).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&format!("{family}_"))
                && Some(&file) != current.as_ref()
                && file.ends_with(".sqlite3")
            {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

impl TestDatabase {
    /// An empty SQLite file in the temporary folder, removed with the
    /// value: a scratch database for [`check_reversible`](super::check_reversible).
    ///
    /// # Errors
    /// [`TestingError::Io`] when the temporary folder cannot be written.
    pub fn sqlite_scratch() -> Result<Self, TestingError> {
        let path = folder()?.join(format!("{}.sqlite3", unique_name("migrate_scratch")));
        Ok(TestDatabase::sqlite(path))
    }
}

/// Removes a test database's file and what SQLite keeps beside it.
pub(crate) fn remove(path: &Path) {
    let _ = fs::remove_file(path);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = fs::remove_file(PathBuf::from(side));
    }
}

/// `migrate-testing` in the temporary folder.
fn folder() -> Result<PathBuf, TestingError> {
    let folder = std::env::temp_dir().join("migrate-testing");
    fs::create_dir_all(&folder).map_err(io("creating the folder of test databases"))?;
    Ok(folder)
}

fn io(doing: &'static str) -> impl Fn(std::io::Error) -> TestingError {
    move |source| TestingError::Io { doing, source }
}
