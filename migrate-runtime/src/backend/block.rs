//! Runs the protocol's future for a sync connection.
//!
//! Written by hand rather than taken from `pollster` or `futures`: a sync
//! driver's futures never suspend (they call the blocking client and are
//! ready on their first poll), so no waker is ever used and a noop one is
//! all that is needed. Should one return `Pending` all the same, the loop
//! polls it again after yielding the thread rather than hang.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs `future` to completion on the current thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_future_completes_and_a_pending_one_is_polled_again() {
        assert_eq!(block_on(async { 7 }), 7);
        let mut polls = 0;
        let out = block_on(std::future::poll_fn(|_| {
            polls += 1;
            if polls < 3 {
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        }));
        assert_eq!(out, 3);
    }
}
