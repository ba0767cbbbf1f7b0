//! A real OceanBase for tests: seekdb, OceanBase's single-node server (the kernel of an
//! OMS MetaDB tenant, MySQL mode), from the `pylibseekdb` wheel that `scripts/test.sh`
//! installs into a venv. Started on a free port in a temporary base directory, reached
//! over TCP on 127.0.0.1 as root without a password, and stopped by its PID (SIGTERM,
//! then SIGKILL) when the handle drops, whatever happened in the test. A server that
//! cannot start fails the test with its log: it never skips.
//!
//! Where the wheel is: `OMSLINT_SEEKDB_HOME` (the site-packages directory holding
//! `pylibseekdb/` and `pylibseekdb.libs/`), else the venv scripts/test.sh makes,
//! `${XDG_CACHE_HOME:-$HOME/.cache}/omslint/seekdb-venv`.

#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::mariadb::{free_port, Client};

/// How long a start may take: 2–45 s measured on a quiet machine, more under CI load.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// seekdb's sizes: the smallest that start (log_disk_size below 2G is refused), so that it
/// sits beside CI's MariaDB servers on a 2-core machine. `memory_limit` is accepted but
/// ignored by seekdb 1.4 ("deprecated compatibility parameter"); `memory_budget` sizes
/// its caches (0 would take 80 % of the machine).
const PARAMETERS: [&str; 3] = ["memory_budget=2G", "datafile_size=512M", "log_disk_size=2G"];

pub struct SeekDb {
    pub dir: PathBuf,
    pub port: u16,
    child: Child,
    client: Client,
}

impl Deref for SeekDb {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// The site-packages directory that holds `pylibseekdb/seekdb`.
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("OMSLINT_SEEKDB_HOME") {
        let h = PathBuf::from(h);
        assert!(
            h.join("pylibseekdb/seekdb").is_file(),
            "OMSLINT_SEEKDB_HOME={} holds no pylibseekdb/seekdb",
            h.display()
        );
        return h;
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/root/.cache"));
    let venv = cache.join("omslint/seekdb-venv");
    for lib in ["lib", "lib64"] {
        let Ok(entries) = std::fs::read_dir(venv.join(lib)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path().join("site-packages")))
            .filter(|sp| sp.join("pylibseekdb/seekdb").is_file())
            .collect();
        found.sort();
        if let Some(sp) = found.pop() {
            return sp;
        }
    }
    panic!(
        "seekdb is not installed: the tests need OceanBase's seekdb from PyPI's pylibseekdb \
         (scripts/test.sh installs it into {}), or OMSLINT_SEEKDB_HOME set to the \
         site-packages directory that holds pylibseekdb/",
        venv.display()
    );
}

/// The last `n` lines of a file.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("({}: {e})", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What a failed start left to read: its output, and the errors of its own log.
fn start_log(dir: &Path) -> String {
    let errors: Vec<String> = std::fs::read(dir.join("base/log/seekdb.log"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .filter(|l| l.contains("] ERROR ") || l.contains("] EDIAG "))
                .map(|l| l.chars().take(600).collect())
                .collect()
        })
        .unwrap_or_default();
    format!(
        "--- output\n{}\n--- errors in log/seekdb.log (last 20)\n{}",
        tail(&dir.join("output.log"), 40),
        errors[errors.len().saturating_sub(20)..].join("\n")
    )
}

impl SeekDb {
    pub fn start() -> SeekDb {
        let home = home();
        let binary = home.join("pylibseekdb/seekdb");
        let libs = format!(
            "{}:{}",
            home.join("pylibseekdb").display(),
            home.join("pylibseekdb.libs").display()
        );
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("omslint-seekdb-{}-{nanos}", std::process::id()));
        let mut logs = Vec::new();
        // A port found free can be taken before seekdb binds it; such a server exits at
        // once and is started again, on another port and in a fresh base directory.
        for _ in 0..3 {
            let _ = std::fs::remove_dir_all(&dir);
            let base = dir.join("base");
            std::fs::create_dir_all(&base).expect("seekdb base dir");
            let output = std::fs::File::create(dir.join("output.log")).expect("seekdb output log");
            let port = free_port();
            let mut cmd = Command::new(&binary);
            cmd.arg("--nodaemon")
                .arg("--port")
                .arg(port.to_string())
                .arg("--base-dir")
                .arg(&base);
            for p in PARAMETERS {
                cmd.arg("--parameter").arg(p);
            }
            let child = cmd
                .env("LD_LIBRARY_PATH", &libs)
                .stdin(Stdio::null())
                .stdout(output.try_clone().expect("log handle"))
                .stderr(output)
                .spawn()
                .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
            let mut server = SeekDb {
                dir: dir.clone(),
                port,
                child,
                client: Client::tcp(port, "root", None),
            };
            let started = Instant::now();
            while started.elapsed() < START_TIMEOUT {
                if let Ok(version) = server.try_sql("SELECT VERSION()") {
                    assert!(
                        version.contains("OceanBase"),
                        "port {port} answers, but not as OceanBase: {version}"
                    );
                    eprintln!(
                        "seekdb {} up on port {port} after {:.1} s",
                        version.trim(),
                        started.elapsed().as_secs_f64()
                    );
                    return server;
                }
                if let Ok(Some(_)) = server.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            let exited = matches!(server.child.try_wait(), Ok(Some(_)));
            let log = start_log(&dir);
            if !exited {
                drop(server); // stops it by its PID and removes the directory
                panic!(
                    "seekdb did not accept connections within {} s:\n{log}",
                    START_TIMEOUT.as_secs()
                );
            }
            std::mem::forget(server);
            logs.push(log);
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("seekdb exited at start 3 times:\n{}", logs.join("\n---\n"));
    }

    /// The server's resident memory in KiB (`VmRSS`), and its peak (`VmHWM`).
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for SeekDb {
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
