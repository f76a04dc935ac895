//! A throwaway PostgreSQL cluster: `initdb` into a temporary folder, started
//! on a free port of 127.0.0.1 with its socket in that folder, for the
//! tests that must restart or stop a server (never the shared one of
//! `MIGRATE_TEST_PG`). The programs come from `MIGRATE_TEST_PG_BIN`, else
//! `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`, else
//! `PATH`. As root they run as the `postgres` account (`runuser`), since
//! `initdb` and `pg_ctl` refuse root; the folder is then owned by it.
//! [`Cluster::start_tls`] starts one with TLS on, its CA and server
//! certificate made for it (rcgen).

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use migrate_runtime::postgres;

use crate::in_ci;

/// The variable naming the folder of `initdb` and `pg_ctl`.
pub const BIN_VARIABLE: &str = "MIGRATE_TEST_PG_BIN";

/// The account the server runs as when the tests run as root.
const SERVER_ACCOUNT: &str = "postgres";

/// How long a start, restart or stop may take.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// The settings of every cluster: no durability (it is thrown away), a
/// small footprint.
const BASE_CONFIG: &[&str] = &[
    "listen_addresses = '127.0.0.1'",
    "fsync = off",
    "synchronous_commit = off",
    "full_page_writes = off",
    "shared_buffers = 16MB",
    "max_connections = 40",
];

/// A PostgreSQL cluster of its own, in a temporary folder, trusting every
/// local connection as `postgres`. Dropping it stops the server
/// (`-m immediate`) and removes the folder.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_server_account: bool,
}

impl Cluster {
    /// The name the server's certificate of [`Cluster::start_tls`] is made
    /// for, besides `localhost` and 127.0.0.1 (connect to it with
    /// `hostaddr=127.0.0.1`).
    pub const TLS_HOST: &str = "db.migrate.test";

    /// Starts a cluster with the default settings; see [`Cluster::start_with`].
    #[must_use]
    pub fn start() -> Option<Cluster> {
        Cluster::start_with(&[])
    }

    /// Starts a cluster whose `postgresql.conf` ends with `config_lines`
    /// (files they name must be readable by the server's account). Returns
    /// `None`, printing `SKIPPED …` on stderr, when `initdb` is not found
    /// (or, as root, there is no `postgres` account or `runuser`).
    ///
    /// # Panics
    /// In CI ([`in_ci`]) when the programs are missing; when `initdb` or
    /// the start fails.
    #[must_use]
    pub fn start_with(config_lines: &[&str]) -> Option<Cluster> {
        Cluster::start_with_files(config_lines, &[])
    }

    /// Starts a cluster with TLS on (`ssl = on`): a CA and a server
    /// certificate signed by it for `localhost`, 127.0.0.1 and
    /// [`Cluster::TLS_HOST`], made for this cluster; the CA's certificate is
    /// [`Cluster::ca_file`]. `hba_lines`, when not empty, replace
    /// `pg_hba.conf` (Unix sockets stay trusted); see
    /// [`Cluster::start_with`] for when it is `None`.
    ///
    /// # Panics
    /// As [`Cluster::start_with`]; when the certificates cannot be made.
    #[must_use]
    pub fn start_tls(hba_lines: &[&str]) -> Option<Cluster> {
        let (ca, cert, key) = certificates();
        let hba = if hba_lines.is_empty() {
            None
        } else {
            Some(format!("local all all trust\n{}\n", hba_lines.join("\n")))
        };
        let mut files: Vec<(&str, &[u8])> = vec![
            ("server.crt", cert.as_bytes()),
            ("server.key", key.as_bytes()),
        ];
        if let Some(hba) = &hba {
            files.push(("pg_hba.conf", hba.as_bytes()));
        }
        let config = [
            "ssl = on",
            "ssl_cert_file = 'server.crt'",
            "ssl_key_file = 'server.key'",
        ];
        let cluster = Cluster::start_with_files(&config, &files)?;
        std::fs::write(cluster.dir.path().join("ca.crt"), ca).expect("write ca.crt");
        Some(cluster)
    }

    /// The CA certificate (PEM) of a cluster started by
    /// [`Cluster::start_tls`], readable by the tests.
    #[must_use]
    pub fn ca_file(&self) -> Option<PathBuf> {
        Some(self.dir.path().join("ca.crt")).filter(|p| p.is_file())
    }

    /// As [`Cluster::start_with`], with `files` written into the data
    /// folder before the server starts, owned by the server's account,
    /// mode 0600 (a TLS key, its certificate; a `pg_hba.conf` replaces the
    /// default one, and should trust `local` connections, which the start
    /// waits on).
    ///
    /// # Panics
    /// As [`Cluster::start_with`]; when a file cannot be written.
    #[must_use]
    pub fn start_with_files(config_lines: &[&str], files: &[(&str, &[u8])]) -> Option<Cluster> {
        let (bin, as_server_account) = match programs() {
            Ok(found) => found,
            Err(why) => {
                assert!(
                    !in_ci(),
                    "a throwaway PostgreSQL cluster is required in CI: {why}"
                );
                let test = std::thread::current().name().unwrap_or("a test").to_owned();
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: no throwaway PostgreSQL cluster ({why}); set {BIN_VARIABLE} \
                     to the folder of initdb and pg_ctl"
                );
                return None;
            }
        };
        let dir = tempfile::Builder::new()
            .prefix("migrate-pg-")
            .tempdir()
            .expect("a temporary folder for the cluster");
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            as_server_account,
        };
        if as_server_account {
            let folder = cluster.dir.path().as_os_str();
            check(
                Command::new("chown").arg(SERVER_ACCOUNT).arg(folder),
                "chown",
            );
        }
        let data = cluster.data_dir();
        check(
            cluster
                .tool("initdb")
                .args([
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "-D",
                ])
                .arg(&data),
            "initdb",
        );
        let socket = format!(
            "unix_socket_directories = '{}'",
            cluster.dir.path().display()
        );
        let mut lines: Vec<&str> = BASE_CONFIG.to_vec();
        lines.push(&socket);
        lines.extend_from_slice(config_lines);
        cluster.append_config(&lines);
        for (name, content) in files {
            cluster.write_private(name, content);
        }
        cluster.start_on_a_free_port();
        Some(cluster)
    }

    /// Writes a file of the data folder only the server's account reads.
    fn write_private(&self, name: &str, content: &[u8]) {
        use std::os::unix::fs::PermissionsExt as _;
        let path = self.data_dir().join(name);
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
        if self.as_server_account {
            check(
                Command::new("chown").arg(SERVER_ACCOUNT).arg(&path),
                "chown",
            );
        }
    }

    /// A `postgres://` URL of the cluster's `postgres` database.
    #[must_use]
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The TCP port it listens on (127.0.0.1).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data folder (`postgresql.conf`, the server's files).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A new client of the `postgres` database.
    ///
    /// # Errors
    /// The client's error when the server does not accept it.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(5))
            .connect(postgres::NoTls)
    }

    /// Appends settings to `postgresql.conf`; the next [`Cluster::restart`]
    /// applies them.
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn append_config(&self, lines: &[&str]) {
        let path = self.data_dir().join("postgresql.conf");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        for line in lines {
            writeln!(file, "{line}").expect("write postgresql.conf");
        }
    }

    /// Restarts the server (`pg_ctl restart -m fast`: every session is
    /// ended, its transaction rolled back) and waits until it accepts
    /// connections again.
    ///
    /// # Panics
    /// When the restart fails or the server is not back within a minute.
    pub fn restart(&self) {
        self.pg_ctl(&["-m", "fast", "restart"]);
        self.wait_ready();
    }

    /// Stops the server (`pg_ctl stop -m fast`).
    ///
    /// # Panics
    /// When the stop fails.
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "stop"]);
    }

    /// Picks a free port and starts; another port if that one was taken
    /// between the pick and the start.
    fn start_on_a_free_port(&mut self) {
        for _ in 0..5 {
            self.port = free_port();
            self.append_config(&[&format!("port = {}", self.port)]);
            let out = self.pg_ctl_output(&["start"]);
            if out.status.success() {
                self.wait_ready();
                return;
            }
            if !self.log().contains("could not bind") {
                panic!("pg_ctl start failed: {}{}", text(&out), self.log());
            }
        }
        panic!("no free port for the cluster: {}", self.log());
    }

    fn pg_ctl(&self, args: &[&str]) {
        let out = self.pg_ctl_output(args);
        assert!(
            out.status.success(),
            "pg_ctl {args:?} failed: {}{}",
            text(&out),
            self.log()
        );
    }

    fn pg_ctl_output(&self, args: &[&str]) -> Output {
        let secs = READY_WITHIN.as_secs().to_string();
        self.tool("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_path())
            .args(["-w", "-t", &secs])
            .args(args)
            .output()
            .expect("run pg_ctl")
    }

    /// Waits until a client can connect, through the Unix socket (which
    /// every `pg_hba.conf` of these clusters trusts, whatever it says of
    /// TCP).
    fn wait_ready(&self) {
        let deadline = Instant::now() + READY_WITHIN;
        let local = || {
            postgres::Config::new()
                .host_path(self.dir.path())
                .port(self.port)
                .user("postgres")
                .dbname("postgres")
                .connect_timeout(Duration::from_secs(5))
                .connect(postgres::NoTls)
        };
        loop {
            match local() {
                Ok(_) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!(
                        "the cluster does not accept connections: {e}\n{}",
                        self.log()
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// One of the server's programs, run as its account when we are root.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_server_account {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVER_ACCOUNT, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server's log, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let _ = self.pg_ctl_output(&["-m", "immediate", "stop"]);
        }
    }
}

/// The folder of `initdb` and `pg_ctl`, and whether they must run as the
/// server's account; or why there is none.
fn programs() -> Result<(PathBuf, bool), String> {
    let bin = bin_dir().ok_or("initdb not found")?;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let account = Command::new("id").arg(SERVER_ACCOUNT).output();
        if !account.is_ok_and(|o| o.status.success()) {
            return Err(format!(
                "running as root and there is no `{SERVER_ACCOUNT}` account"
            ));
        }
        if Command::new("runuser").arg("--help").output().is_err() {
            return Err("running as root and `runuser` is missing".to_owned());
        }
    }
    Ok((bin, root))
}

/// Where `initdb` is.
fn bin_dir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os(BIN_VARIABLE) {
        return Some(PathBuf::from(dir)).filter(|d| has_initdb(d));
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versions.sort();
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    from_pg_config
        .into_iter()
        .chain(versions.into_iter().rev().map(|(_, dir)| dir))
        .chain(on_path)
        .find(|d| has_initdb(d))
}

/// A CA's certificate, and a server certificate it signed for
/// `localhost`, 127.0.0.1 and [`Cluster::TLS_HOST`] with its key, in PEM.
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let made = || -> Result<(String, String, String), rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "migrate test CA");
        let ca_pem = ca.self_signed(&ca_key)?.pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate()?;
        let mut server = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            Cluster::TLS_HOST.to_owned(),
        ])?;
        server
            .distinguished_name
            .push(DnType::CommonName, "migrate test server");
        let cert = server.signed_by(&key, &issuer)?;
        Ok((ca_pem, cert.pem(), key.serialize_pem()))
    };
    made().unwrap_or_else(|e| panic!("make the test certificates: {e}"))
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs a command that must succeed.
fn check(command: &mut Command, what: &str) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(out.status.success(), "{what} failed: {}", text(&out));
}

/// A command's output, for failure messages.
fn text(out: &Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
