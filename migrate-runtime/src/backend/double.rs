//! A test double driver: answers each script with a scripted responder and
//! records every call, so that the runner's and protocol's decisions are
//! tested without a database (what is sent, in how many messages, what is
//! refused before the lock, what a failure reports).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::driver::Fut;
use super::{CodeCall, Database, DbFailure, Driver, LockAnswer, Row};
use crate::model::Engine;
use crate::outcome::Error;

/// What the double was asked to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    Run(String),
    TryLock,
    Unlock(String),
    Pause,
    Code(u64),
}

type Responder = Box<dyn FnMut(&str) -> Result<Vec<Row>, DbFailure> + Send>;

/// A scripted connection.
pub(crate) struct Double {
    engine: Engine,
    max_batch: usize,
    respond: Responder,
    /// Answers of successive lock attempts (`None`: no answer in time);
    /// `Some(true)` once they run out.
    pub(crate) locks: Vec<Option<bool>>,
    pub(crate) calls: Arc<Mutex<Vec<Call>>>,
}

impl Double {
    /// A double of `engine` (PostgreSQL batches up to 32) answering with
    /// `respond`.
    pub(crate) fn new(
        engine: Engine,
        respond: impl FnMut(&str) -> Result<Vec<Row>, DbFailure> + Send + 'static,
    ) -> Self {
        Double {
            engine,
            max_batch: if engine == Engine::Postgres { 32 } else { 1 },
            respond: Box::new(respond),
            locks: Vec::new(),
            calls: Arc::default(),
        }
    }

    /// Every call so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The scripts run so far.
    pub(crate) fn scripts(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Run(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn log(&self, call: Call) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

/// One row of text values, labelled with `label`.
pub(crate) fn row(label: &str, values: &[Option<&str>]) -> Row {
    Row {
        label: label.to_owned(),
        values: values.iter().map(|v| v.map(str::to_owned)).collect(),
    }
}

/// A database error with a SQLSTATE and an optional position.
pub(crate) fn server_error(
    message: &str,
    sqlstate: &str,
    position: Option<super::Position>,
) -> DbFailure {
    DbFailure {
        message: message.to_owned(),
        code: Some(crate::outcome::ErrorCode::SqlState(
            crate::outcome::SqlState::new(sqlstate),
        )),
        position,
        missing_table: sqlstate == "42P01",
        answered: true,
        ..DbFailure::other(String::new(), None)
    }
}

impl Driver for Double {
    fn engine(&self) -> Engine {
        self.engine
    }

    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>> {
        self.log(Call::Run(sql.to_owned()));
        let out = (self.respond)(sql);
        Box::pin(async move { out })
    }

    fn try_lock<'a>(
        &'a mut self,
        _key: i64,
        then: &'a str,
        _within: Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>> {
        self.log(Call::TryLock);
        let Some(got) = (if self.locks.is_empty() {
            Some(true)
        } else {
            self.locks.remove(0)
        }) else {
            return Box::pin(async move { Ok(None) });
        };
        // Each statement of `then` answered on its own, as if sent alone.
        let rows = then
            .split(";\n")
            .filter(|s| !s.is_empty())
            .flat_map(|s| (self.respond)(s).unwrap_or_default())
            .collect();
        Box::pin(async move { Ok(Some((got, rows))) })
    }

    fn unlock<'a>(&'a mut self, _key: i64, then: &'a str) -> Fut<'a, Result<(), Error>> {
        self.log(Call::Unlock(then.to_owned()));
        Box::pin(async move { Ok(()) })
    }

    fn pause(&mut self, _pause: Duration) -> Fut<'_, ()> {
        self.log(Call::Pause);
        Box::pin(async move {})
    }

    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>> {
        self.log(Call::Code(call.migration.version()));
        Box::pin(async move { Ok(()) })
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }
}

impl Database for Double {}

impl super::private::Sealed for Double {
    fn driver(&mut self) -> Box<dyn Driver + '_> {
        Box::new(Borrowed(self))
    }
}

/// The double behind a `&mut`, as the runner takes drivers.
struct Borrowed<'a>(&'a mut Double);

impl Driver for Borrowed<'_> {
    fn engine(&self) -> Engine {
        self.0.engine()
    }

    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>> {
        self.0.run(sql)
    }

    fn try_lock<'a>(
        &'a mut self,
        key: i64,
        then: &'a str,
        within: Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>> {
        self.0.try_lock(key, then, within)
    }

    fn unlock<'a>(&'a mut self, key: i64, then: &'a str) -> Fut<'a, Result<(), Error>> {
        self.0.unlock(key, then)
    }

    fn pause(&mut self, pause: Duration) -> Fut<'_, ()> {
        self.0.pause(pause)
    }

    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>> {
        self.0.code(call)
    }

    fn max_batch(&self) -> usize {
        self.0.max_batch()
    }
}
