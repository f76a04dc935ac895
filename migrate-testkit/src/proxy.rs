//! A TCP proxy in front of the PostgreSQL server that counts round trips
//! (the messages after which a client waits for the server: `Query` of the
//! simple protocol, `Sync` of the extended one) and the errors the server
//! reports (each `ErrorResponse` is an error the server may log).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use crate::server::{Address, Server};

/// A proxy counting the round trips of every connection made through
/// [`Proxy::url`]; stops accepting when dropped.
pub struct Proxy {
    url: String,
    port: u16,
    round_trips: Arc<AtomicUsize>,
    errors: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    gate: Arc<Gate>,
}

/// Whether the proxy holds what passes it (a server, or a network, that
/// stopped answering), and the condition its pumps wait on.
#[derive(Default)]
struct Gate {
    frozen: Mutex<bool>,
    thawed: Condvar,
}

impl Gate {
    fn set(&self, frozen: bool) {
        *self.frozen.lock().unwrap_or_else(|e| e.into_inner()) = frozen;
        self.thawed.notify_all();
    }

    /// Blocks while frozen.
    fn pass(&self) {
        let mut frozen = self.frozen.lock().unwrap_or_else(|e| e.into_inner());
        while *frozen {
            frozen = self.thawed.wait(frozen).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Proxy {
    pub(crate) fn start(server: &Server, dbname: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port for the proxy");
        let port = listener.local_addr().expect("the proxy's port").port();
        let upstream = server.address();
        let round_trips = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(Gate::default());
        let counts = Counts {
            round_trips: round_trips.clone(),
            errors: errors.clone(),
            gate: gate.clone(),
        };
        let stopped = stop.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = Upstream::connect(&upstream) else {
                    continue;
                };
                forward(client, server, counts.clone());
            }
        });
        let mut url = server.url_at(
            &Address::Tcp("127.0.0.1".to_owned(), port),
            dbname,
            server.password().as_deref(),
        );
        // The proxy reads the protocol: the connection must stay in plain
        // text (libpq's default, `prefer`, would take TLS where the server
        // offers it).
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str("sslmode=disable");
        Proxy {
            url,
            port,
            round_trips,
            errors,
            stop,
            gate,
        }
    }

    /// Holds every byte that reaches the proxy, both ways, on every
    /// connection, until [`Proxy::thaw`]: to the client, the server (or
    /// the network) stopped answering; the server sees an idle client.
    pub fn freeze(&self) {
        self.gate.set(true);
    }

    /// Lets what [`Proxy::freeze`] held pass, in order, and what follows.
    pub fn thaw(&self) {
        self.gate.set(false);
    }

    /// The database's URL through the proxy.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The round trips of every connection so far (a connection's start-up
    /// and authentication are not counted). A client has sent a message
    /// before its answer comes back, so the count is exact once a call
    /// returned.
    #[must_use]
    pub fn round_trips(&self) -> usize {
        self.round_trips.load(Ordering::SeqCst)
    }

    /// The errors the server reported on every connection so far
    /// (`ErrorResponse` messages). Exact once a call returned: the client
    /// reads the error before it returns.
    #[must_use]
    pub fn server_errors(&self) -> usize {
        self.errors.load(Ordering::SeqCst)
    }
}

/// What the proxy counts.
#[derive(Clone)]
struct Counts {
    round_trips: Arc<AtomicUsize>,
    errors: Arc<AtomicUsize>,
    gate: Arc<Gate>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.thaw();
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread up so that it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The server side of a proxied connection.
enum Upstream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Upstream {
    fn connect(address: &Address) -> std::io::Result<Upstream> {
        match address {
            Address::Tcp(host, port) => {
                TcpStream::connect((host.as_str(), *port)).map(Upstream::Tcp)
            }
            #[cfg(unix)]
            Address::Unix(dir, port) => {
                std::os::unix::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}")))
                    .map(Upstream::Unix)
            }
            #[cfg(not(unix))]
            Address::Unix(..) => Err(std::io::Error::other("no Unix sockets here")),
        }
    }

    fn try_clone(&self) -> std::io::Result<Upstream> {
        match self {
            Upstream::Tcp(s) => s.try_clone().map(Upstream::Tcp),
            #[cfg(unix)]
            Upstream::Unix(s) => s.try_clone().map(Upstream::Unix),
        }
    }

    fn shutdown(&self) {
        let _ = match self {
            Upstream::Tcp(s) => s.shutdown(Shutdown::Write),
            #[cfg(unix)]
            Upstream::Unix(s) => s.shutdown(Shutdown::Write),
        };
    }
}

impl Read for Upstream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Upstream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Upstream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Upstream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Upstream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Upstream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Upstream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Upstream::Unix(s) => s.flush(),
        }
    }
}

/// Copies both ways, counting the client's round trips on the way in and
/// the server's errors on the way out.
fn forward(client: TcpStream, server: Upstream, counts: Counts) {
    let (Ok(client_in), Ok(server_in)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let Counts {
        round_trips,
        errors,
        gate,
    } = counts;
    let gate_in = gate.clone();
    thread::spawn(move || {
        let mut server = server;
        pump(
            client_in,
            &mut server,
            &gate_in,
            Messages::from_client(),
            |kind| {
                if matches!(kind, b'Q' | b'S') {
                    round_trips.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        server.shutdown();
    });
    thread::spawn(move || {
        let mut client = client;
        pump(
            server_in,
            &mut client,
            &gate,
            Messages::from_server(),
            |kind| {
                if kind == b'E' {
                    errors.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        let _ = client.shutdown(Shutdown::Write);
    });
}

/// Copies `from` to `to` until either side closes, telling `seen` the type
/// of each message that passes, holding what it read while the gate is
/// frozen.
fn pump(
    mut from: impl Read,
    to: &mut impl Write,
    gate: &Gate,
    mut messages: Messages,
    mut seen: impl FnMut(u8),
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        gate.pass();
        messages.feed(&buf[..n], &mut seen);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// Splits one direction's bytes into messages: every message is a type
/// byte and a length that counts itself, but for the client's start-up
/// message, which has no type byte.
struct Messages {
    started: bool,
    header: [u8; 5],
    have: usize,
    skip: usize,
}

impl Messages {
    /// The client's messages: a start-up message first.
    fn from_client() -> Self {
        Messages {
            started: false,
            header: [0; 5],
            have: 0,
            skip: 0,
        }
    }

    /// The server's messages (no TLS is negotiated through the proxy).
    fn from_server() -> Self {
        Messages {
            started: true,
            ..Messages::from_client()
        }
    }

    /// Reads `data`, telling `seen` the type of each message that starts.
    fn feed(&mut self, mut data: &[u8], mut seen: impl FnMut(u8)) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = &data[n..];
                continue;
            }
            let need = if self.started { 5 } else { 4 };
            let take = (need - self.have).min(data.len());
            self.header[self.have..self.have + take].copy_from_slice(&data[..take]);
            self.have += take;
            data = &data[take..];
            if self.have < need {
                continue;
            }
            self.have = 0;
            let at = need - 4;
            let len = u32::from_be_bytes(self.header[at..at + 4].try_into().expect("4 bytes"));
            self.skip = usize::try_from(len)
                .expect("a message length")
                .saturating_sub(4);
            if self.started {
                seen(self.header[0]);
            } else {
                self.started = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        m.extend(u32::try_from(body.len() + 4).unwrap().to_be_bytes());
        m.extend(body);
        m
    }

    #[test]
    fn counts_queries_and_syncs_however_the_bytes_are_split() {
        let mut stream = 12u32.to_be_bytes().to_vec();
        stream.extend([0, 3, 0, 0, b'u', 0, 0, 0]); // start-up
        stream.extend(message(b'p', b"password\0")); // not a round trip
        stream.extend(message(b'Q', b"SELECT 1\0"));
        stream.extend(message(b'P', b"\0SELECT $1\0\0\0"));
        stream.extend(message(b'B', b"\0\0\0\0\0\0\0"));
        stream.extend(message(b'S', b""));
        stream.extend(message(b'Q', b"SELECT 'Q'\0"));
        for chunk in [1, 2, 3, 7, stream.len()] {
            let mut kinds = Vec::new();
            let mut m = Messages::from_client();
            for part in stream.chunks(chunk) {
                m.feed(part, |kind| kinds.push(kind));
            }
            assert_eq!(kinds, b"pQPBSQ", "chunks of {chunk}");
        }
    }
}
