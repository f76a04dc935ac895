//! Pooled clients as async databases: a pool's connection dereferences
//! to the `tokio_postgres::Client` it holds, and runs migrations as that
//! client does, so that `run_async(&mut pool.get().await?)` works as is.

use tokio_postgres::Client;

use crate::backend::private::AsyncSealed;
use crate::backend::{AsyncDatabase, Driver};

/// deadpool-postgres's client wrapper (a pooled `Object` dereferences to it).
#[cfg(feature = "deadpool-postgres")]
impl AsyncDatabase for deadpool_postgres::ClientWrapper {}

#[cfg(feature = "deadpool-postgres")]
impl AsyncSealed for deadpool_postgres::ClientWrapper {
    fn async_driver(&mut self) -> Box<dyn Driver + '_> {
        let client: &mut Client = self;
        client.async_driver()
    }
}

/// A client of a deadpool-postgres pool.
#[cfg(feature = "deadpool-postgres")]
impl AsyncDatabase for deadpool_postgres::Object {}

#[cfg(feature = "deadpool-postgres")]
impl AsyncSealed for deadpool_postgres::Object {
    fn async_driver(&mut self) -> Box<dyn Driver + '_> {
        let client: &mut Client = self;
        client.async_driver()
    }
}

/// A client of a bb8 pool whose connections are `tokio_postgres::Client`s
/// (bb8-postgres's `PostgresConnectionManager`, with any TLS).
#[cfg(feature = "bb8")]
impl<M> AsyncDatabase for bb8::PooledConnection<'_, M> where
    M: bb8::ManageConnection<Connection = Client>
{
}

#[cfg(feature = "bb8")]
impl<M> AsyncSealed for bb8::PooledConnection<'_, M>
where
    M: bb8::ManageConnection<Connection = Client>,
{
    fn async_driver(&mut self) -> Box<dyn Driver + '_> {
        let client: &mut Client = self;
        client.async_driver()
    }
}
