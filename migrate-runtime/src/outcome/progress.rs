//! Observability: progress events for each migration, to a callback and to
//! the `log` crate (target `migrate`), and a watchdog that warns while a
//! migration runs longer than a threshold.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// What a run reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A migration was sent to the database.
    Started {
        /// The version.
        version: u64,
        /// The name.
        name: String,
    },
    /// A migration committed.
    Finished {
        /// The version.
        version: u64,
        /// The name.
        name: String,
        /// How long it took.
        duration: Duration,
    },
    /// A migration failed (its transaction rolled back).
    Failed {
        /// The version.
        version: u64,
        /// The error.
        error: String,
    },
    /// Migrations `first..=last` (sent together, or one alone when
    /// `first == last`) have been running longer than the slow threshold,
    /// and still are.
    Slow {
        /// The first version still running.
        first: u64,
        /// The last version of the batch.
        last: u64,
        /// How long so far.
        elapsed: Duration,
    },
}

/// A callback for progress events, shared with the watchdog thread.
pub(crate) type Observer = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Reports an event to the log and to the observer, if any.
pub(crate) fn emit(observer: Option<&Observer>, event: &Progress) {
    match event {
        Progress::Started { version, name } => {
            log::info!(target: "migrate", "applying {version} {name}")
        }
        Progress::Finished {
            version,
            name,
            duration,
        } => {
            log::info!(target: "migrate", "applied {version} {name} in {duration:?}");
        }
        Progress::Failed { version, error } => {
            log::error!(target: "migrate", "migration {version} failed: {error}")
        }
        Progress::Slow {
            first,
            last,
            elapsed,
        } => {
            log::warn!(target: "migrate", "migration {first}{} still running after {elapsed:?}", if first == last { String::new() } else { format!(" (batch up to {last})") });
        }
    }
    if let Some(f) = observer {
        f(event);
    }
}

/// Emits [`Progress::Slow`] from another thread each time `threshold`
/// passes, until dropped. A plain thread, so that it watches a sync or an
/// async run alike.
pub(crate) struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
}

impl Watchdog {
    /// Starts watching migrations `first..=last`; without a threshold,
    /// watches nothing.
    pub(crate) fn start(
        observer: Option<&Observer>,
        threshold: Option<Duration>,
        (first, last): (u64, u64),
    ) -> Self {
        let Some(threshold) = threshold else {
            return Watchdog { stop: None };
        };
        let (stop, wait) = mpsc::channel::<()>();
        let observer = observer.cloned();
        thread::spawn(move || {
            let mut elapsed = Duration::ZERO;
            while let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(threshold) {
                elapsed += threshold;
                emit(
                    observer.as_ref(),
                    &Progress::Slow {
                        first,
                        last,
                        elapsed,
                    },
                );
            }
        });
        Watchdog { stop: Some(stop) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which then ends.
        self.stop.take();
    }
}
