//! The migration lock: polled, so that a waiter holds no transaction or
//! snapshot that the holder's `CREATE INDEX CONCURRENTLY` would wait for;
//! released on every path, with the digest of the state left behind when
//! the work succeeded.

use std::time::{Duration, Instant};

use super::stop::{while_waiting, Stop};
use crate::backend::protocol::{Attempt, Cache, Session};
use crate::outcome::Error;
use crate::text::checksum::set_digest;

/// The longest pause between two attempts at the lock: the most a waiter
/// lags behind the holder's release.
const MAX_POLL_PAUSE: Duration = Duration::from_millis(50);

/// How long to wait for the lock, and what may stop the wait.
#[derive(Clone, Copy)]
pub(super) struct Wait<'a> {
    pub(super) limit: Duration,
    pub(super) stop: Option<&'a Stop>,
}

/// How long an attempt at the lock may go unanswered when the wait is
/// (nearly) over: a healthy server answers in milliseconds, a distant one
/// in tens of them.
const ANSWER_GRACE: Duration = Duration::from_secs(1);

/// The applied state work under the lock leaves: version → checksum, every
/// row applied.
pub(super) type State = std::collections::BTreeMap<u64, String>;

/// Polls for the lock until it is taken (`true`), the cached digest shows
/// `until` applied by another runner (`false`: nothing left to wait for),
/// or `wait` passes ([`Error::LockTimeout`]). The wait is the runner's own
/// clock: where the driver can stop waiting for an answer (an async one),
/// an attempt the server does not answer ends it too, at most
/// [`ANSWER_GRACE`] after `wait` when the last attempt began just before.
pub(super) async fn acquire(
    s: &mut Session<'_>,
    wait: Wait<'_>,
    until: Option<&str>,
) -> Result<bool, Error> {
    let Wait { limit: wait, stop } = wait;
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        if stop.is_some_and(Stop::is_requested) {
            return Err(while_waiting());
        }
        let within = wait.saturating_sub(started.elapsed()).max(ANSWER_GRACE);
        match s.try_lock(until.is_some(), within).await? {
            Attempt::Taken => return Ok(true),
            Attempt::Busy(Some(Cache::Stored(Some(d)))) if until == Some(d.as_str()) => {
                return Ok(false)
            }
            Attempt::Busy(_) => {}
            Attempt::Unanswered => {
                return Err(Error::LockTimeout {
                    waited: started.elapsed(),
                    table: s.tracking().display_name(),
                    unanswered: true,
                })
            }
        }
        let waited = started.elapsed();
        if waited >= wait {
            return Err(Error::LockTimeout {
                waited,
                table: s.tracking().display_name(),
                unanswered: false,
            });
        }
        s.pause(pause.min(wait - waited)).await;
        pause = (pause * 2).min(MAX_POLL_PAUSE);
    }
}

/// Under the lock (taken): begins the writes, runs `work`, and releases
/// the lock whatever happened, caching the digest of the state `work`
/// leaves when it succeeded.
pub(super) async fn hold<T>(
    s: &mut Session<'_>,
    work: impl AsyncFnOnce(&mut Session<'_>, &mut State) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut state = State::new();
    let out = match s.begin_writes().await {
        Ok(()) => work(s, &mut state).await,
        Err(e) => Err(e),
    };
    match out {
        Ok(value) => {
            let digest = set_digest(state.iter().map(|(v, c)| (*v, c.as_str())));
            s.end_writes(Some(&digest)).await?;
            Ok(value)
        }
        Err(e) => {
            // Best effort: if the connection is gone, the server (or the
            // operating system, for SQLite's lock file) has released it.
            let _ = s.end_writes(None).await;
            Err(e)
        }
    }
}

/// Waits for the lock, then [`hold`]s it for `work`.
pub(super) async fn locked<T>(
    s: &mut Session<'_>,
    wait: Wait<'_>,
    work: impl AsyncFnOnce(&mut Session<'_>, &mut State) -> Result<T, Error>,
) -> Result<T, Error> {
    acquire(s, wait, None).await?;
    hold(s, work).await
}
