//! Stopping a run from outside it: between migrations, or at once by
//! cancelling the statement running on the server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::backend::Canceller;
use crate::outcome::{Direction, Error, Stopped};

/// A handle that stops a run from another thread or task: a signal
/// handler, a shutdown hook, a deadline. Give a clone to the runner with
/// [`Runner::stop_on`](crate::Runner::stop_on).
///
/// - [`Stop::request`]: the runner starts nothing more; what runs now runs
///   to its end. On PostgreSQL that is the message in flight, which may
///   hold up to 32 transactional migrations: each of them commits.
/// - [`Stop::cancel`]: the same, and the statement running now is
///   cancelled on the server (a PostgreSQL cancel request, SQLite's
///   interrupt): its migration fails and rolls back with its transaction
///   (one without a transaction keeps what it ran and is marked failed);
///   the migrations of the same message before it stay committed, the ones
///   after it never run.
///
/// Either way the operation returns [`Error::Stopped`], which tells what
/// committed and what did not; a runner waiting for the migration lock
/// stops waiting. A stop once requested stays requested: use a new one
/// for the next run.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # #[cfg(feature = "postgres")] {
/// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
/// let stop = migrate_runtime::Stop::new();
/// let on_signal = stop.clone(); // e.g. in a Ctrl-C handler: on_signal.cancel()
/// let mut client = postgres::Client::connect("host=localhost user=postgres", postgres::NoTls)?;
/// match migrations.runner().stop_on(&stop).run(&mut client) {
///     Ok(report) => println!("{report}"),
///     Err(migrate_runtime::Error::Stopped(stopped)) => eprintln!("{stopped}"),
///     Err(e) => return Err(e.into()),
/// }
/// # let _ = on_signal;
/// # }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Stop(Arc<Shared>);

#[derive(Default)]
struct Shared {
    requested: AtomicBool,
    /// A cancel request was sent while a migration ran.
    cancelled: AtomicBool,
    /// How to cancel the statement of the migration running now, if one
    /// is.
    running: Mutex<Option<Canceller>>,
}

impl Stop {
    /// A stop not requested yet.
    #[must_use]
    pub fn new() -> Self {
        Stop::default()
    }

    /// Asks the runner to start no other migration (nor batch): it returns
    /// [`Error::Stopped`] once what runs now has finished.
    pub fn request(&self) {
        self.0.requested.store(true, Ordering::SeqCst);
    }

    /// [`Stop::request`], and cancels the statement of the migration
    /// running now, if one is. Returns at once: the cancel request is sent
    /// from a thread of its own (it opens a connection to the server), so
    /// that this may be called from a signal handler's thread or a
    /// runtime's. A failure to send it is logged (`log` target `migrate`);
    /// the stop still happens between migrations.
    pub fn cancel(&self) {
        self.request();
        // Taken: one cancel request for a migration, so that calling this
        // again cannot cancel the runner's own bookkeeping after it.
        let running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(cancel) = running else {
            return;
        };
        self.0.cancelled.store(true, Ordering::SeqCst);
        let sent = std::thread::Builder::new()
            .name("migrate-cancel".to_owned())
            .spawn(move || {
                if let Err(e) = cancel() {
                    log::warn!(target: "migrate", "the cancel request failed: {e}");
                }
            });
        if let Err(e) = sent {
            log::warn!(target: "migrate", "cannot start a thread for the cancel request: {e}");
        }
    }

    /// Whether a stop was requested.
    #[must_use]
    pub fn is_requested(&self) -> bool {
        self.0.requested.load(Ordering::SeqCst)
    }

    /// Whether a cancel request was sent while a migration ran.
    pub(super) fn cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// While the guard lives, [`Stop::cancel`] cancels with `cancel`.
    pub(super) fn running(&self, cancel: Option<Canceller>) -> Running<'_> {
        *self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = cancel;
        Running(self)
    }
}

/// Shows whether a stop was requested.
impl std::fmt::Debug for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stop")
            .field("requested", &self.is_requested())
            .finish_non_exhaustive()
    }
}

/// A migration runs: [`Stop::cancel`] may cancel it.
pub(super) struct Running<'a>(&'a Stop);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *self
            .0
             .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The error of a run stopped before `left` (the steps it did not run, in
/// its order). The report is the caller's to fill in.
pub(super) fn stopped(direction: Direction, left: impl Iterator<Item = u64>) -> Error {
    Error::Stopped(Box::new(Stopped {
        direction: Some(direction),
        report: crate::outcome::Report::default(),
        interrupted: None,
        left: left.collect(),
    }))
}

/// `e`, a failure of the step that ran when a cancel was sent, as the
/// stop it is: the interrupted migration and what was left, the failing
/// one first. Any other error stays as it is.
pub(super) fn interrupted(
    e: Error,
    direction: Direction,
    left: impl Iterator<Item = u64>,
) -> Error {
    match e {
        Error::MigrationFailed(failure) => Error::Stopped(Box::new(Stopped {
            direction: Some(direction),
            report: crate::outcome::Report::default(),
            interrupted: Some(*failure),
            left: left.collect(),
        })),
        other => other,
    }
}

/// The stop's error of a stop before the lock was taken.
pub(super) fn while_waiting() -> Error {
    Error::Stopped(Box::new(Stopped::waiting()))
}
