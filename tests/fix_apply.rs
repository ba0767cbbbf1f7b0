//! `lint --fix` against a real MariaDB loaded with the sample deployment: every safe (and,
//! with --unsafe-fixes, unsafe) finding is gone afterwards, row counts are unchanged, a
//! second run changes nothing, the rollback script restores the original exactly; a
//! concurrent change aborts with nothing committed; SIGKILL at any point leaves the
//! MetaDB as before or fully fixed; a dropped connection commits nothing.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::fixture;
use common::mariadb::MariaDb;
use common::scenarios::{self, fix_cmd as omslint, fix_setup, fix_state, out as run, start_paused};

/// The scenarios seekdb runs too (tests/oceanbase.rs).
#[test]
fn fix_then_lint_then_roll_back() {
    scenarios::fix_then_roll_back(&MariaDb::start());
}

#[test]
fn a_concurrent_change_aborts_with_nothing_committed() {
    scenarios::concurrent_change_aborts(&MariaDb::start());
}

#[test]
fn sigkill_anywhere_leaves_before_or_fully_fixed() {
    let db = MariaDb::start();
    let s = fix_setup(&db, "kill");
    let before = fix_state(&db);
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
    let fixed = fix_state(&db);
    db.load("rm_340", &rb);
    assert_eq!(fix_state(&db), before);

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
        let now = fix_state(&db);
        if now == before {
            saw.0 += 1;
        } else if now == fixed {
            saw.1 += 1;
            db.load("rm_340", &rb);
            assert_eq!(fix_state(&db), before);
        } else {
            panic!("killed after {delay_ms} ms: the MetaDB is half fixed");
        }
    }
    assert!(saw.0 > 0, "some kill landed before the commit: {saw:?}");
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn a_dropped_connection_commits_nothing() {
    let db = MariaDb::start();
    let s = fix_setup(&db, "drop");
    let before = fix_state(&db);
    // omslint pauses with its transaction open after the first statement and names
    // the connection; the server drops exactly that connection.
    let (child, p, id) = start_paused(&s, "OMSLINT_FAILPOINT_PAUSE_MID", Stdio::null());
    assert!(id.parse::<u32>().is_ok(), "a connection id: {id:?}");
    let modified = db.sql(&format!(
        "SELECT trx_rows_modified FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = {id}"
    ));
    assert_eq!(
        modified.trim(),
        "1",
        "the paused transaction holds one change"
    );
    db.sql(&format!("KILL CONNECTION {id}"));
    std::fs::write(format!("{p}.go"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fix_state(&db), before, "nothing was committed");
    let _ = std::fs::remove_dir_all(&s.dir);
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
