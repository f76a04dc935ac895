//! Reading connection strings; connecting is tested against real servers
//! in `tests/integration/tls.rs`.

use std::time::Duration;

use super::*;

fn parse(text: &str) -> PgConnectOptions {
    PgConnectOptions::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn refused(text: &str) -> String {
    match PgConnectOptions::parse(text) {
        Ok(o) => panic!("{text} accepted: {o:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn libpq_settings_are_read_in_both_forms() {
    for text in [
        "postgres://app:pw@db/app?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3",
        "host=db user=app password=pw dbname=app sslmode=verify-full sslrootcert=/ca.pem \
         connect_timeout=3",
    ] {
        let o = parse(text);
        assert_eq!(o.mode, SslMode::VerifyFull, "{text}");
        assert_eq!(o.root, Root::File(PathBuf::from("/ca.pem")), "{text}");
        assert_eq!(o.connect_timeout(), Some(Duration::from_secs(3)), "{text}");
        assert_eq!(o.config().get_dbname(), Some("app"), "{text}");
        assert_eq!(o.config().get_password(), Some(&b"pw"[..]), "{text}");
    }
    let o = parse("postgres://db/app");
    assert_eq!(o.mode, SslMode::Prefer, "libpq's default");
    assert_eq!(o.root, Root::Default);
    assert_eq!(o.connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
    for mode in SslMode::ALL {
        let o = parse(&format!("host=db sslmode={}", mode.as_str()));
        assert_eq!(o.mode, mode);
    }
}

#[test]
fn connect_timeout_zero_waits_indefinitely_and_the_text_wins_over_a_default() {
    assert_eq!(parse("host=db connect_timeout=0").connect_timeout(), None);
    assert_eq!(parse("host=db connect_timeout=-1").connect_timeout(), None);
    let five = Duration::from_secs(5);
    assert_eq!(
        parse("host=db")
            .default_connect_timeout(five)
            .connect_timeout(),
        Some(five)
    );
    assert_eq!(
        parse("host=db connect_timeout=2")
            .default_connect_timeout(five)
            .connect_timeout(),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        parse("host=db connect_timeout=0")
            .default_connect_timeout(five)
            .connect_timeout(),
        None
    );
    assert_eq!(
        parse("host=db connect_timeout=0")
            .with_connect_timeout(Some(five))
            .connect_timeout(),
        Some(five)
    );
    let m = refused("postgres://u:hunter2@db/app?connect_timeout=10s");
    assert!(m.contains("connect_timeout `10s`"), "{m}");
    assert!(!m.contains("hunter2"), "{m}");
}

#[test]
fn sslrootcert_system_means_verify_full_and_no_weaker_mode() {
    let o = parse("postgres://db/app?sslrootcert=system");
    assert_eq!((o.mode, o.root), (SslMode::VerifyFull, Root::System));
    let m = refused("postgres://db/app?sslrootcert=system&sslmode=require");
    assert!(
        m.contains("sslrootcert=system") && m.contains("sslmode=verify-full"),
        "{m}"
    );
}

#[test]
fn bad_settings_are_refused_without_showing_the_text() {
    let m = refused("postgres://app:hunter2@db/app?sslmode=verify-everything");
    assert!(
        m.contains("sslmode `verify-everything` is not one of"),
        "{m}"
    );
    assert!(!m.contains("hunter2"), "{m}");
    let m = refused("host=db password hunter2");
    assert!(!m.contains("`h"), "the character the parser found: {m}");
    assert!(!m.contains("hunter2"), "{m}");
}

#[test]
fn debug_shows_the_server_and_never_the_password() {
    let shown = format!(
        "{:?}",
        parse("postgres://app:hunter2@db:6543/app?sslmode=require")
    );
    assert!(
        shown.contains("db:6543") && shown.contains("require"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn unix_sockets_never_use_tls() {
    let o = parse("host=/run/postgresql sslmode=verify-full");
    assert_eq!(o.effective_mode(), SslMode::Disable);
    let o = parse("host=/run/postgresql hostaddr=127.0.0.1 sslmode=require");
    assert_eq!(o.effective_mode(), SslMode::Require);
}

#[cfg(not(feature = "tls"))]
#[test]
fn without_the_tls_feature_modes_that_need_tls_are_refused() {
    let Err(e) = parse("host=127.0.0.1 port=1 sslmode=require").connect() else {
        panic!("no TLS in this build");
    };
    assert!(e.to_string().contains("feature `tls`"), "{e}");
}
