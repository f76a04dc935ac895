//! Connecting as libpq does, through `AnyConnection::open` (and
//! `PgConnectOptions`, which it uses): every `sslmode` against a throwaway
//! cluster with TLS on (`Cluster::start_tls`: a CA and a server certificate
//! made for it, for `localhost`, 127.0.0.1 and `Cluster::TLS_HOST`), and a
//! bounded connection attempt against a socket that accepts and never
//! answers. Whether a session is encrypted is read from the server
//! (`pg_stat_ssl`), never assumed.
//!
//! The TLS cluster's `pg_hba.conf` gives each role one way in: `postgres`
//! either way, `tls_only` only over TLS (`hostssl`), `plain_only` only
//! without (`hostnossl`).

use std::error::Error as _;
use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use migrate::{Error, PgConnectOptions};
#[cfg(feature = "tls")]
use migrate_testkit::Cluster;

use crate::support::*;

/// A password in the URLs that must never come back in an error.
const PASSWORD: &str = "Zq9-never-shown";

/// An error and its causes, as one line.
fn chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(!text.contains(PASSWORD), "the password is shown: {text}");
    text
}

// --- Timeouts ---------------------------------------------------------

/// A TCP socket on 127.0.0.1 that accepts connections, keeps them open
/// and never writes a byte; it stops when dropped (or after a minute).
struct Silent {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (accepted.clone(), stop.clone());
        thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            let until = Instant::now() + Duration::from_secs(60);
            while !stopped.load(Ordering::SeqCst) && Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        held.push(stream);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
                // Read what the client sends, so that it never blocks on
                // a full buffer: only the answer is missing.
                for stream in &mut held {
                    let _ = stream.set_nonblocking(true);
                    let _ = stream.read(&mut [0; 256]);
                }
            }
        });
        Silent {
            port,
            accepted,
            stop,
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Opens `url` with the sync client (`AnyConnection::open`) and as a
/// `TokioClient`; both must fail within `within`, alike. Returns the error.
fn fails_within(url: &str, within: Duration) -> String {
    let started = Instant::now();
    let e = AnyConnection::open(url).expect_err("a server that never answers");
    let took = started.elapsed();
    assert!(
        took < within,
        "gave up after {took:?}, not within {within:?}"
    );
    #[cfg(feature = "tokio-postgres")]
    {
        let started = Instant::now();
        let tokio = migrate::TokioClient::connect(url).expect_err("a server that never answers");
        let took = started.elapsed();
        assert!(
            took < within,
            "the TokioClient gave up after {took:?}, not within {within:?}"
        );
        assert_eq!(chain(&tokio), chain(&e), "both clients alike");
    }
    chain(&e)
}

/// How many connections [`fails_within`] makes: one per client.
const CLIENTS: usize = if cfg!(feature = "tokio-postgres") {
    2
} else {
    1
};

#[test]
fn a_server_that_accepts_and_never_answers_is_given_up_after_connect_timeout() {
    let silent = Silent::start();
    let port = silent.port;
    let forms = [
        format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/app?connect_timeout=1"),
        format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/app?connect_timeout=1&sslmode=disable"),
        format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/app?sslmode=prefer&connect_timeout=1"),
    ];
    for url in &forms {
        let started = Instant::now();
        let message = fails_within(url, Duration::from_secs(5));
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "it waited for the timeout"
        );
        assert!(
            message.contains(&format!("127.0.0.1:{port}"))
                && message.contains("no answer within 1s (connect_timeout)"),
            "{message}"
        );
    }
    assert!(
        silent.accepted.load(Ordering::SeqCst) >= CLIENTS * forms.len(),
        "each attempt was accepted, then left unanswered"
    );
    // A timeout set by the program when the text sets none.
    let options = PgConnectOptions::parse(&format!("host=127.0.0.1 port={port} user=app"))
        .unwrap()
        .default_connect_timeout(Duration::from_millis(300));
    assert_eq!(options.connect_timeout(), Some(Duration::from_millis(300)));
    let started = Instant::now();
    let Err(e) = options.connect() else {
        panic!("a server that never answers");
    };
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(chain(&e).contains("no answer within 300ms"), "{e}");
}

#[test]
fn without_connect_timeout_the_default_bounds_the_attempt() {
    let options = PgConnectOptions::parse("postgres://app@127.0.0.1:1/app").unwrap();
    assert_eq!(options.connect_timeout(), Some(Duration::from_secs(10)));
    assert_eq!(migrate::DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(10));
    // A refused TCP connection fails at once, naming the server.
    let message = fails_within("postgres://app@127.0.0.1:1/app", Duration::from_secs(5));
    assert!(
        message.contains("127.0.0.1:1 (sslmode=prefer)"),
        "{message}"
    );
}

// --- TLS ----------------------------------------------------------------

#[cfg(feature = "tls")]
mod sslmodes {
    use super::*;

    /// One way in for each role (Unix sockets stay trusted), none for
    /// `nowhere`.
    const HBA: &[&str] = &[
        "hostssl all tls_only 127.0.0.1/32 trust",
        "hostnossl all plain_only 127.0.0.1/32 trust",
        "host all postgres 127.0.0.1/32 trust",
    ];

    /// A TLS cluster with the roles of [`HBA`], and its CA file.
    fn cluster() -> Option<(Cluster, String)> {
        let cluster = Cluster::start_tls(HBA)?;
        cluster
            .connect()
            .unwrap()
            .batch_execute("CREATE ROLE tls_only LOGIN; CREATE ROLE plain_only LOGIN; CREATE ROLE nowhere LOGIN")
            .unwrap();
        let ca = encode(&cluster.ca_file().unwrap().display().to_string());
        Some((cluster, ca))
    }

    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    /// A URL of the cluster's `postgres` database as `user` at `host`
    /// (reached at 127.0.0.1), with `params`.
    fn url(cluster: &Cluster, user: &str, host: &str, params: &str) -> String {
        format!(
            "postgres://{user}:{PASSWORD}@{host}:{}/postgres?hostaddr=127.0.0.1&{params}",
            cluster.port()
        )
    }

    /// Whether the session is encrypted, as the server sees it.
    fn encrypted(conn: &mut AnyConnection) -> bool {
        let ssl = conn.rows("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        ssl[0][0].as_deref() == Some("t")
    }

    /// `url` opened by `AnyConnection::open` (the sync client) and as a
    /// `TokioClient` (`PgConnectOptions::connect_tokio`, the async
    /// driver's), which read it alike.
    fn open_both(url: &str) -> Vec<Result<AnyConnection, Error>> {
        #[cfg(feature = "tokio-postgres")]
        let tokio = PgConnectOptions::parse(url)
            .and_then(|o| o.connect_tokio())
            .map(AnyConnection::TokioPostgres);
        // Without the async client, the sync one twice.
        #[cfg(not(feature = "tokio-postgres"))]
        let tokio = AnyConnection::open(url);
        vec![AnyConnection::open(url), tokio]
    }

    fn connects(url: &str) -> bool {
        let seen: Vec<bool> = open_both(url)
            .into_iter()
            .map(|c| encrypted(&mut c.unwrap_or_else(|e| panic!("{url}: {}", chain(&e)))))
            .collect();
        assert_eq!(seen[0], seen[1], "{url}: both clients alike");
        seen[0]
    }

    fn refused(url: &str) -> (Error, String) {
        let mut errors = open_both(url).into_iter().map(|c| match c {
            Ok(_) => panic!("{url} connected"),
            Err(e) => {
                let text = chain(&e);
                (e, text)
            }
        });
        let (sync, tokio) = (errors.next().unwrap(), errors.next().unwrap());
        assert_eq!(sync.1, tokio.1, "{url}: both clients alike");
        sync
    }

    #[test]
    fn verify_full_with_the_ca_connects_and_a_wrong_host_name_is_refused() {
        let Some((cluster, ca)) = cluster() else {
            return;
        };
        let root = format!("sslrootcert={ca}");
        for host in ["127.0.0.1", "localhost", Cluster::TLS_HOST] {
            let u = url(
                &cluster,
                "postgres",
                host,
                &format!("sslmode=verify-full&{root}"),
            );
            assert!(connects(&u), "{host}: encrypted");
        }
        // The key=value form, which `PgConnectOptions` reads too.
        let ca_path = cluster.ca_file().unwrap();
        let kv = format!(
            "host={} hostaddr=127.0.0.1 port={} user=postgres dbname=postgres \
             sslmode=verify-full sslrootcert='{}'",
            Cluster::TLS_HOST,
            cluster.port(),
            ca_path.display()
        );
        let client = PgConnectOptions::parse(&kv).and_then(|o| o.connect());
        let mut conn = AnyConnection::Postgres(client.unwrap_or_else(|e| panic!("{}", chain(&e))));
        assert!(encrypted(&mut conn));
        // The CA signed it, but not for this name.
        let wrong = url(
            &cluster,
            "postgres",
            "wrong.migrate.test",
            &format!("sslmode=verify-full&{root}"),
        );
        let (e, message) = refused(&wrong);
        assert!(
            matches!(
                e,
                Error::Database {
                    context: "connecting",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            message.contains(&format!(
                "wrong.migrate.test:{} (address 127.0.0.1) (sslmode=verify-full)",
                cluster.port()
            )) && message.contains(
                "the server's certificate is not valid for the host name wrong.migrate.test \
                     (it is for localhost, 127.0.0.1, db.migrate.test)"
            ),
            "{message}"
        );
        // verify-ca checks the chain only; require with a CA too (libpq).
        for mode in ["verify-ca", "require"] {
            let u = url(
                &cluster,
                "postgres",
                "wrong.migrate.test",
                &format!("sslmode={mode}&{root}"),
            );
            assert!(connects(&u), "{mode}");
        }
    }

    #[test]
    fn a_certificate_no_given_ca_signed_is_refused() {
        let Some((cluster, _)) = cluster() else {
            return;
        };
        let stranger = tempfile::tempdir().unwrap();
        let other_ca = stranger.path().join("other-ca.crt");
        std::fs::write(&other_ca, other_ca_pem()).unwrap();
        let root = format!("sslrootcert={}", encode(&other_ca.display().to_string()));
        for mode in ["verify-full", "verify-ca", "require"] {
            let u = url(
                &cluster,
                "postgres",
                "127.0.0.1",
                &format!("sslmode={mode}&{root}"),
            );
            let (_, message) = refused(&u);
            assert!(
                message.contains(&format!("(sslmode={mode})"))
                    && message.contains(&format!(
                        "the server's certificate is not signed by the CA of sslrootcert ({})",
                        other_ca.display()
                    )),
                "{mode}: {message}"
            );
        }
        // The platform's roots do not know the test CA either.
        let u = url(&cluster, "postgres", "127.0.0.1", "sslrootcert=system");
        let (_, message) = refused(&u);
        assert!(
            message.contains("(sslmode=verify-full)")
                && message
                    .contains("not signed by a root the platform trusts (sslrootcert=system)"),
            "{message}"
        );
        // Without sslrootcert, libpq reads ~/.postgresql/root.crt: when
        // that is missing, verify-* is refused before connecting.
        let default = std::env::home_dir().map(|h| h.join(".postgresql/root.crt"));
        if !default.is_some_and(|d| d.exists()) {
            for mode in ["verify-full", "verify-ca"] {
                let u = url(
                    &cluster,
                    "postgres",
                    "127.0.0.1",
                    &format!("sslmode={mode}"),
                );
                let (e, message) = refused(&u);
                assert!(matches!(e, Error::InvalidOption { .. }), "{e:?}");
                assert!(
                    message.contains(&format!("sslmode={mode} checks the server's certificate"))
                        && message.contains("sslrootcert=system"),
                    "{message}"
                );
            }
        }
        // A CA file that is not there.
        let u = url(
            &cluster,
            "postgres",
            "127.0.0.1",
            "sslmode=require&sslrootcert=%2Fno%2Fsuch%2Fca.crt",
        );
        let (e, message) = refused(&u);
        assert!(matches!(e, Error::InvalidOption { .. }), "{e:?}");
        assert!(
            message.contains("sslrootcert: cannot read /no/such/ca.crt"),
            "{message}"
        );
    }

    /// A CA of its own, which signed nothing the servers use.
    fn other_ca_pem() -> String {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn each_sslmode_meets_pg_hba_as_libpq_does() {
        let Some((cluster, _)) = cluster() else {
            return;
        };
        let at =
            |user: &str, mode: &str| url(&cluster, user, "127.0.0.1", &format!("sslmode={mode}"));
        // Plain text against a role that may only use TLS: a clear refusal.
        let (e, message) = refused(&at("tls_only", "disable"));
        assert!(
            matches!(
                e,
                Error::Database {
                    context: "connecting",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            message.contains("(sslmode=disable): the server refuses unencrypted connections from here (pg_hba.conf: hostssl); use sslmode=require or stronger"),
            "{message}"
        );
        // allow: plain text refused, then TLS; prefer and require: TLS.
        for mode in ["allow", "prefer", "require"] {
            assert!(connects(&at("tls_only", mode)), "{mode}");
        }
        // prefer: TLS refused by pg_hba (hostnossl), then plain text, as
        // libpq retries; allow and disable start in plain text.
        for mode in ["prefer", "allow", "disable"] {
            assert!(!connects(&at("plain_only", mode)), "{mode}");
        }
        let (_, message) = refused(&at("plain_only", "require"));
        assert!(
            message.contains("(sslmode=require)") && message.contains("pg_hba.conf"),
            "{message}"
        );
        // Refused both ways: both refusals are told, in order.
        let (_, message) = refused(&at("nowhere", "prefer"));
        let tls_refused =
            "with TLS: db error: FATAL: no pg_hba.conf entry for host \"127.0.0.1\", \
                           user \"nowhere\", database \"postgres\", SSL encryption";
        let then_plain = "; then in plain text: db error: FATAL: no pg_hba.conf entry for host \
                          \"127.0.0.1\", user \"nowhere\", database \"postgres\", no encryption";
        assert!(
            message.contains(tls_refused) && message.contains(then_plain),
            "{message}"
        );
        let (_, message) = refused(&at("nowhere", "allow"));
        assert!(
            message.contains("(sslmode=allow): in plain text: ")
                && message.contains("no encryption; then with TLS: ")
                && message.ends_with("SSL encryption"),
            "{message}"
        );
        // libpq's default is prefer: TLS when the server offers it.
        let default = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port());
        assert!(connects(&default));
        assert!(!connects(&at("postgres", "disable")));
    }

    #[test]
    fn prefer_uses_plain_text_when_the_server_has_no_tls_and_require_says_why_not() {
        let Some(cluster) = Cluster::start() else {
            return;
        };
        let at = |mode: &str| format!("{}?sslmode={mode}", cluster.url());
        assert!(!connects(&at("prefer")));
        assert!(!connects(&cluster.url()), "the default, prefer");
        let (_, message) = refused(&at("require"));
        assert!(
            message.contains("(sslmode=require): the server does not accept TLS connections, which sslmode=require requires"),
            "{message}"
        );
    }
}
