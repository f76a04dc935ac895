//! PostgreSQL passwords in every form of connection string — in a URL's
//! user info (encoded or not), in `?password=`, in `key=value` settings
//! (plain or quoted) — never appear in text or JSON output, on success or
//! on any connection error; an `@` the driver would misread is refused
//! before anything is sent anywhere.

use migrate::postgres::config::Host;

use crate::support::*;

/// Where the test server is, and as whom.
struct Server {
    host: Host,
    port: u16,
    user: String,
    /// The password of `MIGRATE_TEST_PG`, which must be the one used.
    password: Option<String>,
}

/// One way of writing a connection string with a password.
struct Form {
    name: &'static str,
    password: String,
    style: Style,
    /// Spellings and pieces of the password that must never be printed.
    secrets: Vec<String>,
}

/// What a connection string points at.
struct Target {
    host: Host,
    port: u16,
    user: String,
    db: String,
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

fn url_host(t: &Target) -> String {
    match &t.host {
        Host::Tcp(h) if h.contains(':') => format!("[{h}]:{}", t.port),
        Host::Tcp(h) => format!("{h}:{}", t.port),
        #[cfg(unix)]
        Host::Unix(path) => format!("{}:{}", encode(&path.display().to_string()), t.port),
    }
}

fn kv_host(t: &Target) -> String {
    match &t.host {
        Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        Host::Unix(path) => path.display().to_string(),
    }
}

/// Where a form puts the password.
#[derive(Clone, Copy)]
enum Style {
    /// `postgres://user:ENCODED@host/db`.
    UserInfo,
    /// `postgres://user@host/db?password=ENCODED`.
    Query,
    /// `postgresql://user:RAW@host/db`, `/` and `?` left as they are.
    Unencoded,
    /// `host=… password=RAW …`.
    KeyValue,
    /// `… password = 'QUOTED' …`, with spaces and escaped quotes.
    Quoted,
}

impl Form {
    /// The connection string for `t`.
    fn write(&self, t: &Target) -> String {
        let (user, host, db, pw) = (&t.user, url_host(t), &t.db, &self.password);
        match self.style {
            Style::UserInfo => format!("postgres://{user}:{}@{host}/{db}", encode(pw)),
            Style::Query => format!("postgres://{user}@{host}/{db}?password={}", encode(pw)),
            Style::Unencoded if pw.contains(['@', '%']) => {
                format!("postgresql://{user}:{}@{host}/{db}", encode(pw))
            }
            Style::Unencoded => format!("postgresql://{user}:{pw}@{host}/{db}"),
            Style::KeyValue => format!(
                "host={} port={} user={user} password={pw} dbname={db}",
                kv_host(t),
                t.port
            ),
            Style::Quoted => format!(
                "dbname={db} user={user} password = '{}' host={} port={}",
                pw.replace('\\', "\\\\").replace('\'', "\\'"),
                kv_host(t),
                t.port
            ),
        }
    }
}

/// Each form, with a password of its own unless `MIGRATE_TEST_PG` has one.
fn forms(server: &Server) -> Vec<Form> {
    let quoted = r#"Qu0ted Pa55/wo?rd@'"x"#;
    let escaped = [r#"Qu0ted Pa55/wo?rd@\'"x"#, r#"Qu0ted Pa55/wo?rd@'\"x"#];
    let cases: [(&str, Style, &str, &[&str]); 5] = [
        (
            "URL, encoded user info",
            Style::UserInfo,
            "Enc0ded/Pa55?word@x",
            &["Enc0ded"],
        ),
        (
            "URL, ?password=",
            Style::Query,
            "Qu3ry-Pa55word",
            &["Qu3ry"],
        ),
        (
            "URL, unencoded / and ?",
            Style::Unencoded,
            "Sl4sh/Pa55?word",
            &["Sl4sh", "Pa55?word"],
        ),
        ("key=value", Style::KeyValue, "Kv-Pa55word", &["Kv-Pa55"]),
        (
            "key=value, quoted",
            Style::Quoted,
            quoted,
            &["Qu0ted", escaped[0], escaped[1]],
        ),
    ];
    cases
        .into_iter()
        .map(|(name, style, own, pieces)| {
            let password = server.password.clone().unwrap_or_else(|| own.to_owned());
            let mut secrets = vec![password.clone(), encode(&password)];
            if server.password.is_none() {
                secrets.extend(pieces.iter().map(|s| (*s).to_owned()));
            }
            Form {
                name,
                password,
                style,
                secrets,
            }
        })
        .collect()
}

/// Asserts that nothing of `form`'s password is in `seen`.
#[track_caller]
fn hidden(form: &Form, what: &str, seen: &str) {
    for s in &form.secrets {
        assert!(
            !seen.contains(s.as_str()),
            "{} ({what}): `{s}` printed in\n{seen}",
            form.name
        );
    }
}

/// Every command's output on success, and every connection error, in
/// text and JSON, for one form.
fn check(form: &Form, dir: &std::path::Path, ok: &Target) {
    let conn = form.write(ok);
    for args in [
        &["up"][..],
        &["status"],
        &["status", "--format", "json"],
        &["history", "--format", "json"],
        &["down", "--dry-run", "--format", "json"],
    ] {
        let r = on(dir, &conn, args, 0);
        hidden(form, &format!("{args:?}"), &r.all());
    }
    let r = migrate_with(dir, &["verify"], &[("DATABASE_URL", &conn)]).expect(0);
    hidden(form, "DATABASE_URL", &r.all());
    std::fs::write(
        dir.join("migrate.toml"),
        format!("database_url = {conn:?}\n"),
    )
    .unwrap();
    let r = migrate(dir, &["status", "--format", "json"]).expect(0);
    hidden(form, "migrate.toml", &r.all());
    std::fs::remove_file(dir.join("migrate.toml")).unwrap();
    let errors = [
        (
            "no such database",
            Target {
                db: "no_such_database".to_owned(),
                ..copy(ok)
            },
        ),
        (
            "no such role",
            Target {
                user: "no_such_role".to_owned(),
                ..copy(ok)
            },
        ),
        (
            "refused",
            Target {
                host: Host::Tcp("127.0.0.1".to_owned()),
                port: 1,
                ..copy(ok)
            },
        ),
        (
            "bad host",
            Target {
                host: Host::Tcp("no-such-host.invalid".to_owned()),
                ..copy(ok)
            },
        ),
    ];
    for (what, target) in errors {
        let conn = form.write(&target);
        let text = on(dir, &conn, &["status"], 1);
        let json = on(dir, &conn, &["up", "--format", "json"], 1);
        let error = json.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for (r, shown) in [(&text.stderr, "text"), (&error, "JSON")] {
            assert!(
                r.contains("cannot connect to ") && r.contains("***"),
                "{} {what} {shown}: {r}",
                form.name
            );
        }
        hidden(form, what, &format!("{}{}", text.all(), json.all()));
    }
}

fn copy(t: &Target) -> Target {
    Target {
        host: t.host.clone(),
        port: t.port,
        user: t.user.clone(),
        db: t.db.clone(),
    }
}

#[test]
fn no_password_is_printed_in_any_form_of_connection_string() {
    let Some(db) = PgDb::create("secrets") else {
        return;
    };
    let config = db.server().config(db.name());
    let server = Server {
        host: config.get_hosts()[0].clone(),
        port: config.get_ports().first().copied().unwrap_or(5432),
        user: config.get_user().unwrap_or("postgres").to_owned(),
        password: db.server().password(),
    };
    let target = Target {
        host: server.host.clone(),
        port: server.port,
        user: server.user.clone(),
        db: db.name().to_owned(),
    };
    let p = project("tests/fixtures/basic");
    for form in forms(&server) {
        check(&form, p.path(), &target);
    }
}

#[test]
fn an_at_sign_the_driver_would_misread_is_refused_before_connecting() {
    let p = project("tests/fixtures/basic");
    for conn in [
        "postgres://app:Unenc0ded@Tail-Pa55@127.0.0.1:5432/app",
        "postgres://127.0.0.1:5432/app?password=Unenc0ded@Tail-Pa55",
        "postgres://127.0.0.1/app?password=Unenc0ded@Tail-Pa55",
    ] {
        for format in ["text", "json"] {
            let r = on(p.path(), conn, &["status", "--format", format], 2);
            assert!(r.all().contains("percent-encode `@` as %40"), "{}", r.all());
            for piece in ["Unenc0ded", "Tail-Pa55"] {
                assert!(!r.all().contains(piece), "{conn}: {}", r.all());
            }
        }
    }
    // Neither is a URL of another database or a malformed key=value text
    // shown back.
    for conn in [
        "mysql://root:Hunter2-Pa55@db/app",
        "host=db password Hunter2-Pa55",
    ] {
        let r = on(p.path(), conn, &["status", "--format", "json"], 2);
        assert!(!r.all().contains("Hunter2"), "{}", r.all());
        assert!(!r.all().contains("`H"), "{}", r.all());
    }
}
