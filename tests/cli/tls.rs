//! The binary's connections as libpq makes them: `sslmode` and
//! `sslrootcert` against a throwaway cluster with TLS on
//! (`Cluster::start_tls`: a CA and a server certificate made for it), the
//! new connection after a lost one with the same TLS settings, and
//! `connect_timeout` (URL, else `migrate.toml`, else 10 s) against a socket
//! that accepts and never answers. Errors name the server and the sslmode,
//! never the password. Each run gets an empty `HOME`, so that no
//! `~/.postgresql/root.crt` of the machine takes part.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use migrate_testkit::Cluster;
use serde_json::json;

use crate::support::*;

/// `tls_only` may connect only over TLS; `postgres` either way.
const HBA: &[&str] = &[
    "hostssl all tls_only 127.0.0.1/32 trust",
    "host all postgres 127.0.0.1/32 trust",
];

/// Runs the binary with an empty `HOME`.
fn run(dir: &Path, args: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    run_at_home(home.path(), dir, args)
}

fn run_at_home(home: &Path, dir: &Path, args: &[&str]) -> Run {
    let run = migrate_with(dir, args, &[("HOME", home.to_str().unwrap())]);
    assert!(
        !run.all().contains(PASSWORD),
        "password shown: {}",
        run.all()
    );
    run
}

/// A URL of the cluster's `postgres` database as `user`, at `host`
/// reached at 127.0.0.1, with a password (which trust ignores).
fn url(cluster: &Cluster, user: &str, host: &str, params: &str) -> String {
    format!(
        "postgres://{user}:{PASSWORD}@{host}:{}/postgres?hostaddr=127.0.0.1&{params}",
        cluster.port()
    )
}

fn ca(cluster: &Cluster) -> String {
    let path = cluster.ca_file().unwrap().display().to_string();
    assert!(
        path.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b)),
        "{path} needs no encoding"
    );
    format!("sslrootcert={path}")
}

#[test]
fn verify_full_connects_and_a_wrong_name_or_plain_text_is_refused_clearly() {
    let Some(cluster) = Cluster::start_tls(HBA) else {
        return;
    };
    cluster
        .connect()
        .unwrap()
        .batch_execute("CREATE ROLE tls_only SUPERUSER LOGIN")
        .unwrap();
    let p = project("tests/fixtures/basic");
    let root = ca(&cluster);
    let good = url(
        &cluster,
        "tls_only",
        Cluster::TLS_HOST,
        &format!("sslmode=verify-full&{root}"),
    );
    run(p.path(), &["up", "--database-url", &good]).expect(0);
    let status = run(
        p.path(),
        &["status", "--format", "json", "--database-url", &good],
    )
    .expect(0)
    .json();
    assert_eq!(status["current_version"], 3, "{status}");

    let wrong = url(
        &cluster,
        "tls_only",
        "wrong.migrate.test",
        &format!("sslmode=verify-full&{root}"),
    );
    let r = run(p.path(), &["status", "--database-url", &wrong]).expect(1);
    let said = format!(
        "wrong.migrate.test:{} (address 127.0.0.1) (sslmode=verify-full): the server's \
         certificate is not valid for the host name wrong.migrate.test",
        cluster.port()
    );
    assert!(r.stderr.contains(&said), "{}", r.stderr);

    let plain = url(&cluster, "tls_only", "127.0.0.1", "sslmode=disable");
    let r = run(
        p.path(),
        &["status", "--format", "json", "--database-url", &plain],
    )
    .expect(1);
    let error = &r.json()["error"];
    assert_eq!(error["kind"], "failed", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("(sslmode=disable): the server refuses unencrypted connections"),
        "{message}"
    );

    // Settings that cannot be honoured are the user's to fix: exit 2.
    let no_ca = url(&cluster, "tls_only", "127.0.0.1", "sslmode=verify-full");
    let r = run(p.path(), &["status", "--database-url", &no_ca]).expect(2);
    assert!(
        r.stderr
            .contains("sslmode=verify-full checks the server's certificate against a CA"),
        "{}",
        r.stderr
    );
    let r = run(
        p.path(),
        &[
            "status",
            "--database-url",
            &format!("{plain}&sslmode=verify-all"),
        ],
    )
    .expect(2);
    assert!(
        r.stderr.contains("sslmode `verify-all` is not one of"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_new_connection_after_a_lost_one_uses_tls_too() {
    let Some(cluster) = Cluster::start_tls(HBA) else {
        return;
    };
    cluster
        .connect()
        .unwrap()
        .batch_execute("CREATE ROLE tls_only SUPERUSER LOGIN")
        .unwrap();
    // Migration 2 ends its own session.
    let p = project("tests/fixtures/connection_lost");
    let tls = url(
        &cluster,
        "tls_only",
        "127.0.0.1",
        &format!("sslmode=verify-full&{}", ca(&cluster)),
    );
    let r = run(
        p.path(),
        &["up", "--format", "json", "--database-url", &tls],
    )
    .expect(1);
    let error = &r.json()["error"];
    assert_eq!(error["kind"], "connection_lost", "{error}");
    let reread = error["after_reconnect"]
        .as_array()
        .unwrap_or_else(|| panic!("the tracking table read again over TLS: {error}"));
    assert!(
        reread.contains(&json!({ "version": 1, "state": "applied" })),
        "{error}"
    );
}

#[test]
fn without_sslrootcert_the_ca_of_home_postgresql_root_crt_is_used_as_by_libpq() {
    let Some(cluster) = Cluster::start_tls(HBA) else {
        return;
    };
    let p = project("tests/fixtures/basic");
    let home = tempfile::tempdir().unwrap();
    let root_crt = home.path().join(".postgresql/root.crt");
    std::fs::create_dir_all(root_crt.parent().unwrap()).unwrap();
    let at = |mode: &str| {
        url(
            &cluster,
            "postgres",
            "127.0.0.1",
            &format!("sslmode={mode}"),
        )
    };
    let status = |mode: &str| {
        run_at_home(
            home.path(),
            p.path(),
            &["status", "--database-url", &at(mode)],
        )
    };

    // The cluster's CA: verify-full needs no sslrootcert.
    std::fs::copy(cluster.ca_file().unwrap(), &root_crt).unwrap();
    status("verify-full").expect(0);

    // Another CA: require verifies the chain against it (as libpq does
    // when the file exists) and fails; prefer then uses plain text.
    std::fs::write(&root_crt, other_ca_pem()).unwrap();
    let r = status("require").expect(1);
    assert!(
        r.stderr.contains(
            "(sslmode=require): the server's certificate is not signed by the CA of \
             ~/.postgresql/root.crt"
        ),
        "{}",
        r.stderr
    );
    status("prefer").expect(0);
}

/// A CA of its own, which signed nothing the servers use.
fn other_ca_pem() -> String {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

/// A socket on 127.0.0.1 that accepts connections and never answers,
/// until dropped (or for a minute at most).
struct Silent {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            let until = Instant::now() + Duration::from_secs(60);
            while !stopped.load(Ordering::SeqCst) && Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Silent { port, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[test]
fn connect_timeout_comes_from_the_url_else_migrate_toml() {
    let silent = Silent::start();
    let p = project("tests/fixtures/basic");
    let base = format!("postgres://app:{PASSWORD}@127.0.0.1:{}/app", silent.port);
    let cases = [
        // migrate.toml's timeout when the URL has none.
        (base.clone(), "connect_timeout = \"1s\"", "1s"),
        // The URL's wins.
        (
            format!("{base}?connect_timeout=1"),
            "connect_timeout = \"2min\"",
            "1s",
        ),
        (
            format!("{base}?connect_timeout=2&sslmode=require"),
            "",
            "2s",
        ),
    ];
    for (url, setting, waited) in cases {
        let config = format!("database_url = \"{url}\"\n{setting}\n");
        std::fs::write(p.path().join("migrate.toml"), config).unwrap();
        let started = Instant::now();
        let r = run(p.path(), &["status"]).expect(1);
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{url}: {:?}",
            started.elapsed()
        );
        let said = format!(
            "cannot connect to postgres://app:***@127.0.0.1:{}/app: 127.0.0.1:{} (sslmode=",
            silent.port, silent.port
        );
        assert!(r.stderr.contains(&said), "{}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("no answer within {waited} (connect_timeout)")),
            "{}",
            r.stderr
        );
    }
    std::fs::write(
        p.path().join("migrate.toml"),
        format!("database_url = \"{base}\"\nconnect_timeout = \"soon\"\n"),
    )
    .unwrap();
    let r = run(p.path(), &["status"]).expect(2);
    assert!(
        r.stderr
            .contains("migrate.toml:2: connect_timeout `soon` is not a duration"),
        "{}",
        r.stderr
    );
}
