//! SIGINT and SIGTERM during a command that writes (`up`, `down`,
//! `redo`): the first cancels the running statement on the server and
//! lets the runner report what committed (exit code 130); a second one,
//! or a server that does not answer within [`GRACE`], ends the process
//! at once with the same code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::Stop;

/// How long the runner has to come back after the cancel request before
/// the process exits without its report.
pub(crate) const GRACE: Duration = Duration::from_secs(10);

/// The exit code of a command ended by a signal: 128 + SIGINT, as a shell
/// reports it.
pub(crate) const EXIT: u8 = 130;

/// A stop that a signal requests, with the handler installed for the
/// process; `None` when another handler is already installed (a service
/// binary that handles its own signals), which then keeps them.
pub(crate) fn stop_on_signal() -> Option<Stop> {
    let stop = Stop::new();
    let signalled = stop.clone();
    let seen = AtomicUsize::new(0);
    let installed = ctrlc::set_handler(move || {
        if seen.fetch_add(1, Ordering::SeqCst) > 0 {
            eprintln!("error: interrupted again: exiting now; run `migrate status` to see what is applied");
            std::process::exit(i32::from(EXIT));
        }
        eprintln!(
            "interrupted: cancelling the running statement (interrupt again to exit at once)"
        );
        signalled.cancel();
        std::thread::spawn(|| {
            std::thread::sleep(GRACE);
            eprintln!(
                "error: no answer {}s after the cancel request: exiting; what the server did is unknown: run `migrate status`",
                GRACE.as_secs()
            );
            std::process::exit(i32::from(EXIT));
        });
    });
    installed.ok().map(|()| stop)
}
