//! `lint --fix` against a real MariaDB loaded with the sample deployment: every safe (and,
//! with --unsafe-fixes, unsafe) finding is gone afterwards, row counts are unchanged, a
//! second run changes nothing, the rollback script restores the original exactly; a
//! concurrent change aborts with nothing committed; SIGKILL at any point leaves the
//! MetaDB as before or fully fixed; a dropped connection commits nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::mariadb::MariaDb;
use common::{fixture, json, Out};

const PW: &str = "S3cr3t-fixer-pw";

struct Setup {
    db: MariaDb,
    dir: PathBuf,
    url: String,
}

fn setup(tag: &str) -> Setup {
    let db = MariaDb::start();
    let sample = fixture("sample");
    for e in std::fs::read_dir(sample.join("metadb")).unwrap() {
        let f = e.unwrap().path();
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        db.sql(&format!("CREATE DATABASE `{name}`"));
        db.load(&name, &f);
    }
    db.sql(&format!(
        "CREATE USER 'fixer'@'127.0.0.1' IDENTIFIED BY '{PW}'; GRANT SELECT ON *.* TO 'fixer'@'127.0.0.1'; GRANT UPDATE ON `rm_340`.* TO 'fixer'@'127.0.0.1'"
    ));
    let dir = std::env::temp_dir().join(format!("omslint-fix-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for part in [
        "regions",
        "components",
        "docker-inspect.json",
        "omslint.yaml",
    ] {
        assert!(Command::new("cp")
            .arg("-a")
            .arg(sample.join(part))
            .arg(&dir)
            .status()
            .unwrap()
            .success());
    }
    let url = format!("mysql://fixer@127.0.0.1:{}", db.port);
    Setup { db, dir, url }
}

fn omslint(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omslint"));
    cmd.args(["lint", ".", "--ssl-mode", "disabled", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("OMSLINT_METADB_PASSWORD", PW);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Everything the fixes may touch, byte for byte, plus the row counts.
fn state(db: &MariaDb) -> String {
    db.sql(
        "SELECT 'p', id, HEX(project_name) FROM rm_340.oms_project UNION ALL \
         SELECT 's', id, HEX(project_name) FROM rm_340.oms_sync_project UNION ALL \
         SELECT 'c', id, HEX(cfg_value) FROM rm_340.oms_normal_config ORDER BY 1, 2",
    )
}

fn codes(out: &Out) -> Vec<String> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fix_then_lint_then_roll_back() {
    let s = setup("main");
    let before = state(&s.db);
    let rollback = s.dir.join("rollback.sql");
    let rb = rollback.to_string_lossy().into_owned();

    let shown = run(&mut omslint(&s.dir, &["--metadb", &s.url, "--diff"], &[]));
    assert!(
        shown.stdout.contains("UPDATE `rm_340`.`oms_project`"),
        "{}",
        shown.stdout
    );
    assert_eq!(state(&s.db), before, "--diff changes nothing");

    let fixed = run(&mut omslint(
        &s.dir,
        &[
            "--metadb",
            &s.url,
            "--fix",
            "--unsafe-fixes",
            "--show-fixes",
            "--rollback-file",
            &rb,
        ],
        &[],
    ));
    assert!(
        fixed.stderr.contains("applied 4 fix(es)"),
        "{}",
        fixed.stderr
    );
    let left = codes(&fixed);
    for gone in ["OMS003", "OMS008", "OMS009"] {
        assert!(
            !left.contains(&gone.to_string()),
            "{gone} still reported: {left:?}"
        );
    }
    assert!(
        left.contains(&"OMS007".to_string()),
        "findings without a fix remain"
    );
    assert_eq!(
        fixed.code, 1,
        "exit code follows what remains: {}",
        fixed.stderr
    );
    let after = state(&s.db);
    assert_ne!(after, before);
    assert_eq!(
        after.lines().count(),
        before.lines().count(),
        "row counts unchanged"
    );

    let again = run(&mut omslint(
        &s.dir,
        &["--metadb", &s.url, "--fix", "--unsafe-fixes"],
        &[],
    ));
    assert!(again.stderr.contains("nothing to fix"), "{}", again.stderr);
    assert_eq!(state(&s.db), after, "a second --fix changes nothing");

    s.db.load("rm_340", &rollback);
    assert_eq!(
        state(&s.db),
        before,
        "the rollback script restores the original exactly"
    );
    assert!(!fixed.stderr.contains(PW) && !fixed.stdout.contains(PW));
}

/// Starts `lint --fix --unsafe-fixes` with a pause hook and waits until omslint has
/// paused there: the process, the hook's path (write `<path>.go` to go on), and what
/// omslint wrote into `<path>.ready` (for `OMSLINT_FAILPOINT_PAUSE_MID`, the write
/// session's connection id).
fn start_paused(s: &Setup, hook: &str, stdout: Stdio) -> (Child, String, String) {
    let p = s.dir.join(hook).to_string_lossy().into_owned();
    let child = omslint(
        &s.dir,
        &["--metadb", &s.url, "--fix", "--unsafe-fixes"],
        &[(hook, &p)],
    )
    .stdout(stdout)
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let ready = PathBuf::from(format!("{p}.ready"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "omslint never paused at {hook}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let said = std::fs::read_to_string(&ready).unwrap();
    (child, p, said)
}

#[test]
fn a_concurrent_change_aborts_with_nothing_committed() {
    let s = setup("race");
    let (child, p, _) = start_paused(&s, "OMSLINT_FAILPOINT_PAUSE", Stdio::piped());
    // Between the scan and the apply, someone renames one of the duplicates.
    s.db.sql("UPDATE rm_340.oms_sync_project SET project_name = 'renamed meanwhile' WHERE project_name = 'orders_sync'");
    let changed = state(&s.db);
    std::fs::write(format!("{p}.go"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed since the scan"));
    assert_eq!(state(&s.db), changed, "nothing was committed");
}

#[test]
fn sigkill_anywhere_leaves_before_or_fully_fixed() {
    let s = setup("kill");
    let before = state(&s.db);
    // The fully fixed state, reached once, then undone.
    let rb = s.dir.join("rb.sql");
    let out = run(&mut omslint(
        &s.dir,
        &[
            "--metadb",
            &s.url,
            "--fix",
            "--unsafe-fixes",
            "--rollback-file",
            rb.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(out.stderr.contains("applied"), "{}", out.stderr);
    let fixed = state(&s.db);
    s.db.load("rm_340", &rb);
    assert_eq!(state(&s.db), before);

    let mut saw = (0, 0);
    for delay_ms in [150u64, 300, 450, 600, 750, 900, 1100, 1400] {
        let mut child = omslint(
            &s.dir,
            &[
                "--metadb",
                &s.url,
                "--fix",
                "--unsafe-fixes",
                "--rollback-file",
                rb.to_str().unwrap(),
            ],
            &[("OMSLINT_FAILPOINT_SLEEP_MS", "150")],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // The server notices the dead connection and rolls its transaction back.
        std::thread::sleep(Duration::from_millis(300));
        let now = state(&s.db);
        if now == before {
            saw.0 += 1;
        } else if now == fixed {
            saw.1 += 1;
            s.db.load("rm_340", &rb);
            assert_eq!(state(&s.db), before);
        } else {
            panic!("killed after {delay_ms} ms: the MetaDB is half fixed");
        }
    }
    assert!(saw.0 > 0, "some kill landed before the commit: {saw:?}");
}

#[test]
fn a_dropped_connection_commits_nothing() {
    let s = setup("drop");
    let before = state(&s.db);
    // omslint pauses with its transaction open after the first statement and names
    // the connection; the server drops exactly that connection.
    let (child, p, id) = start_paused(&s, "OMSLINT_FAILPOINT_PAUSE_MID", Stdio::null());
    assert!(id.parse::<u32>().is_ok(), "a connection id: {id:?}");
    let modified = s.db.sql(&format!(
        "SELECT trx_rows_modified FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = {id}"
    ));
    assert_eq!(
        modified.trim(),
        "1",
        "the paused transaction holds one change"
    );
    s.db.sql(&format!("KILL CONNECTION {id}"));
    std::fs::write(format!("{p}.go"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(state(&s.db), before, "nothing was committed");
}

#[test]
fn config_patches_change_one_line_and_keep_a_backup() {
    let case = fixture("cases/OMS012-fires-port");
    let dir = std::env::temp_dir().join(format!("omslint-fix-patch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(Command::new("cp")
        .arg("-a")
        .arg(&case)
        .arg(&dir)
        .status()
        .unwrap()
        .success());
    let original = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    let out = run(Command::new(env!("CARGO_BIN_EXE_omslint"))
        .args(["lint", ".", "--to", "4.2.3", "--fix", "--format", "json"])
        .current_dir(&dir));
    assert_eq!(out.code, 0, "the only finding is fixed: {}", out.stderr);
    let patched = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("config.yaml.omslint-backup")).unwrap(),
        original
    );
    let diff: Vec<(&str, &str)> = original
        .lines()
        .zip(patched.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        diff,
        vec![(
            "cm_url: http://10.0.0.1:8080",
            "cm_url: http://10.0.0.1:8088"
        )]
    );
    assert_eq!(original.len(), patched.len());
    let again = run(Command::new(env!("CARGO_BIN_EXE_omslint"))
        .args(["lint", ".", "--to", "4.2.3", "--fix"])
        .current_dir(&dir));
    assert!(again.stderr.contains("nothing to fix"));
    assert!(!dir.join("config.yaml.omslint-backup.1").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
