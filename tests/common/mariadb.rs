//! A real MariaDB server for tests: Debian's mariadbd started on 127.0.0.1 on a free port
//! in a temporary data directory, stopped by its PID when the handle drops, whatever
//! happened in the test. A server that cannot start fails the test: it never skips.
//!
//! `Client` runs Debian's `mariadb` client and `mariadb-dump` against any server that
//! speaks the protocol (this MariaDB over its socket, seekdb over TCP): `MariaDb` and
//! `SeekDb` dereference to theirs, so `db.sql(…)`, `db.load(…)`, `db.dump(…)` work on both.

#![allow(dead_code)]

use std::net::TcpListener;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct MariaDb {
    pub dir: PathBuf,
    pub port: u16,
    pub socket: PathBuf,
    child: Child,
    client: Client,
}

impl Deref for MariaDb {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

pub fn find(name: &str) -> PathBuf {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
        "/sbin",
    ] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("{name} is not installed: the tests need Debian's mariadb-server and mariadb-client (scripts/test.sh installs them)");
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl MariaDb {
    pub fn start() -> MariaDb {
        Self::start_with(&[])
    }

    /// Starts the server with extra `mariadbd` options (e.g. TLS certificates).
    pub fn start_with(extra: &[String]) -> MariaDb {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("omslint-mariadb-{}-{nanos}", std::process::id()));
        let data = dir.join("data");
        // Each server gets its own tmpdir: bootstrap's temporary tables otherwise share
        // /tmp with every other server the tests start at the same time.
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).expect("temp dir");
        bootstrap(&data, &tmp);
        let socket = dir.join("mysqld.sock");
        let mut logs = Vec::new();
        // A port found free can be taken by another server before this one binds it;
        // such a server exits at once, and is started again on another port.
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(find("mariadbd"));
            cmd.arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
                .arg(format!("--log-error={}", dir.join("mysqld.err").display()))
                .arg(format!("--tmpdir={}", tmp.display()))
                .args([
                    "--bind-address=127.0.0.1",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=64M",
                ])
                .arg(format!("--port={port}"))
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if is_root() {
                cmd.arg("--user=root");
            }
            let child = cmd.spawn().expect("mariadbd starts");
            let mut server = MariaDb {
                dir: dir.clone(),
                port,
                socket: socket.clone(),
                child,
                client: Client::socket(&socket),
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if server.try_sql("SELECT 1").is_ok() {
                    return server;
                }
                if let Ok(Some(_)) = server.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            let log = std::fs::read_to_string(dir.join("mysqld.err")).unwrap_or_default();
            let exited = matches!(server.child.try_wait(), Ok(Some(_)));
            // Keep the directory for the next attempt: only the process goes.
            let _ = server.child.kill();
            let _ = server.child.wait();
            std::mem::forget(server);
            if !exited {
                let _ = std::fs::remove_dir_all(&dir);
                panic!("MariaDB did not accept connections within 60 s:\n{log}");
            }
            logs.push(log);
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("MariaDB exited at start 3 times:\n{}", logs.join("\n---\n"));
    }
}

/// How the `mariadb` client and `mariadb-dump` reach one server, as one user.
#[derive(Debug, Clone)]
pub struct Client {
    /// Connection options, after `--no-defaults`.
    conn: Vec<String>,
}

impl Client {
    /// root, no password, over a unix socket.
    pub fn socket(socket: &Path) -> Client {
        Client {
            conn: vec![
                "--protocol=socket".into(),
                format!("--socket={}", socket.display()),
                "-uroot".into(),
            ],
        }
    }

    /// A user over TCP on 127.0.0.1 (the password, when given, is a test's own).
    pub fn tcp(port: u16, user: &str, password: Option<&str>) -> Client {
        let mut conn = vec![
            "--protocol=tcp".into(),
            "-h127.0.0.1".into(),
            format!("-P{port}"),
            format!("-u{user}"),
        ];
        conn.extend(password.map(|p| format!("--password={p}")));
        Client { conn }
    }

    fn client(&self) -> Command {
        let mut c = Command::new(find("mariadb"));
        c.arg("--no-defaults").args(&self.conn).args([
            "--batch",
            "--skip-column-names",
            "--default-character-set=utf8mb4",
        ]);
        c
    }

    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        let out = self
            .client()
            .args(["-e", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs SQL with the mariadb client; panics with the server's message on failure.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql)
            .unwrap_or_else(|e| panic!("SQL failed: {e}\n{sql}"))
    }

    /// Starts a client session running `sql` in the background (e.g. holding a lock);
    /// the caller kills it.
    pub fn spawn_sql(&self, sql: &str) -> std::process::Child {
        self.client()
            .args(["-e", sql])
            .stdout(Stdio::null())
            .spawn()
            .expect("mariadb client runs")
    }

    /// Runs an SQL file in a database (the file is the client's standard input).
    pub fn load(&self, database: &str, file: &Path) {
        let out = self
            .client()
            .arg(database)
            .stdin(std::fs::File::open(file).expect("SQL file"))
            .output()
            .expect("mariadb client runs");
        assert!(
            out.status.success(),
            "loading {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Dumps several databases into one file (`mariadb-dump --databases`), in the order
    /// given: the header names the first.
    pub fn dump_databases(&self, databases: &[&str], to: &Path) {
        let mut args = vec!["--databases"];
        args.extend_from_slice(databases);
        self.dump_with(&["--single-transaction", "--skip-dump-date"], &args, to);
    }

    /// Dumps one database with the real mariadb-dump.
    pub fn dump(&self, database: &str, to: &Path) {
        self.dump_with(
            &["--single-transaction", "--skip-dump-date"],
            &[database],
            to,
        );
    }

    /// Runs mariadb-dump with these options (e.g. the guides' `--triggers=false`) on
    /// `what` (databases, or `--databases a b`), writing its output to `to`.
    pub fn dump_with(&self, options: &[&str], what: &[&str], to: &Path) {
        let out = Command::new(find("mariadb-dump"))
            .arg("--no-defaults")
            .args(&self.conn)
            .args(options)
            .args(what)
            .output()
            .expect("mariadb-dump runs");
        assert!(
            out.status.success(),
            "mariadb-dump {options:?} {what:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(to, out.stdout).expect("write dump");
    }

    /// Drops every user database, then loads a deployment's `metadb/*.sql` dumps, each
    /// into the database its header names; returns the dump files, sorted.
    pub fn load_deployment(&self, dir: &Path) -> Vec<PathBuf> {
        // The system schemas of MariaDB and of OceanBase (seekdb).
        let existing = self.sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql','information_schema','performance_schema','sys','oceanbase','__recyclebin','__public')");
        for d in existing.lines().filter(|l| !l.trim().is_empty()) {
            self.sql(&format!("DROP DATABASE `{}`", d.trim()));
        }
        let mut dumps: Vec<PathBuf> = std::fs::read_dir(dir.join("metadb"))
            .expect("a metadb directory")
            .map(|e| e.expect("a directory entry").path())
            .collect();
        dumps.sort();
        for dump in &dumps {
            let d = dump_database(dump);
            self.sql(&format!("CREATE DATABASE IF NOT EXISTS `{d}`"));
            self.load(&d, dump);
        }
        dumps
    }
}

/// The database a dump's header names (`-- Host: …    Database: x`).
pub fn dump_database(dump: &Path) -> String {
    let head = std::fs::read(dump).expect("a dump file");
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]).into_owned();
    text.lines()
        .find_map(|l| {
            l.split_once("Database: ")
                .map(|(_, db)| db.trim().to_string())
        })
        .expect("dump header names its database")
}

/// Creates the system tables in `data`. A bootstrap that fails is retried on a clean
/// directory (twice at most), because under a loaded CI machine it has failed once in
/// a way that left nothing to diagnose but the message, which each attempt prints.
fn bootstrap(data: &Path, tmp: &Path) {
    let mut errors = Vec::new();
    for attempt in 1..=3 {
        let _ = std::fs::remove_dir_all(data);
        std::fs::create_dir_all(data).expect("data dir");
        let install = Command::new(find("mariadb-install-db"))
            .args([
                "--no-defaults",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .args(if is_root() {
                vec!["--user=root"]
            } else {
                vec![]
            })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("mariadb-install-db runs");
        if install.status.success() {
            return;
        }
        let message = String::from_utf8_lossy(&install.stderr).into_owned();
        eprintln!("mariadb-install-db attempt {attempt} failed: {message}");
        errors.push(message);
    }
    panic!(
        "mariadb-install-db failed 3 times:\n{}",
        errors.join("\n---\n")
    );
}

fn is_root() -> bool {
    std::env::var("USER").is_ok_and(|u| u == "root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
