//! Failures of the live source are loud and quick: a wrong password, a closed port, a
//! server that never answers, a missing grant or database each give exit 3 and one clear
//! line naming what failed, within the timeout, and never print the password. An
//! OceanBase-style user name (`user@tenant#cluster`) logs in as written; `--metadb config`
//! takes the connection from config.yaml. Table and role grants pass the preflight.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::mariadb::MariaDb;
use common::{fixture, Out};

const PW: &str = "S3cr3t-ob-pw";

fn lint(dir: &Path, args: &[&str], password: Option<&str>) -> (Out, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omslint"));
    cmd.arg("lint").arg(".").args([
        "--to",
        "4.2.3",
        "--format",
        "json",
        "--ssl-mode",
        "disabled",
    ]);
    cmd.args(args).current_dir(dir);
    match password {
        Some(p) => cmd.env("OMSLINT_METADB_PASSWORD", p),
        None => cmd.env_remove("OMSLINT_METADB_PASSWORD"),
    };
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    (
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        took,
    )
}

/// A deployment without dumps (config.yaml, components, docker inspect) in a temp dir.
fn deployment(tag: &str, config_text: Option<String>) -> std::path::PathBuf {
    let src = fixture("cases/OMS008-fires");
    let dir = std::env::temp_dir().join(format!("omslint-live-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config =
        config_text.unwrap_or_else(|| std::fs::read_to_string(src.join("config.yaml")).unwrap());
    std::fs::write(dir.join("config.yaml"), config).unwrap();
    dir
}

fn load_case(db: &MariaDb) {
    let dir = fixture("cases/OMS008-fires/metadb");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        db.sql(&format!("CREATE DATABASE IF NOT EXISTS `{name}`"));
        db.load(&name, &p);
    }
}

#[test]
fn live_failures_are_exit_3_with_one_clear_line() {
    let db = MariaDb::start();
    load_case(&db);
    // An OceanBase-style user: '@' and '#' are part of the name.
    db.sql(&format!(
        "CREATE USER 'oms_user@oms_tenant#obcluster'@'127.0.0.1' IDENTIFIED BY '{PW}'"
    ));
    for d in ["rm_340", "cm_340", "cm_hb_340"] {
        db.sql(&format!(
            "GRANT SELECT ON `{d}`.* TO 'oms_user@oms_tenant#obcluster'@'127.0.0.1'"
        ));
    }
    let dir = deployment("ok", None);
    let url = format!(
        "mysql://oms_user@oms_tenant#obcluster@127.0.0.1:{}",
        db.port
    );

    let (ok, _) = lint(&dir, &["--metadb", &url], Some(PW));
    assert_eq!(
        ok.code, 0,
        "HA on is a warning at stage plan: {}",
        ok.stderr
    );
    assert!(ok.stdout.contains("\"OMS008\""), "{}", ok.stdout);
    assert!(ok.stdout.contains("\"kind\": \"metadb\""));

    let (wrong, took) = lint(&dir, &["--metadb", &url], Some("not-the-password"));
    assert_eq!(wrong.code, 3);
    assert!(wrong.stderr.contains("Access denied"), "{}", wrong.stderr);
    assert!(took < Duration::from_secs(10));
    assert!(!wrong.stderr.contains("not-the-password"));

    // With the source version given, the report is still written: the checks that need
    // the MetaDB are `error`, those over config.yaml alone still run.
    let (partial, _) = lint(
        &dir,
        &["--metadb", &url, "--from", "3.4.0"],
        Some("not-the-password"),
    );
    assert_eq!(partial.code, 3);
    assert_eq!(
        partial.stderr.lines().count(),
        1,
        "one clear line: {}",
        partial.stderr
    );
    let report = common::json(&partial);
    let status = |code: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("OMS003").as_deref(), Some("error"));
    assert_eq!(status("OMS008").as_deref(), Some("error"));
    assert_eq!(status("OMS013").as_deref(), Some("passed"));

    // Nothing listens on this port once the listener is dropped: refused at once.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (refused, took) = lint(
        &dir,
        &["--metadb", &format!("mysql://u@127.0.0.1:{closed}")],
        Some(PW),
    );
    assert_eq!(refused.code, 3);
    assert!(
        refused.stderr.contains(&format!("127.0.0.1:{closed}")),
        "{}",
        refused.stderr
    );
    assert!(took < Duration::from_secs(10));

    // A server that accepts the connection and never says a word: the connect timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (hung, took) = lint(
        &dir,
        &[
            "--metadb",
            &format!("mysql://u@127.0.0.1:{port}"),
            "--connect-timeout",
            "2",
        ],
        Some(PW),
    );
    assert_eq!(hung.code, 3);
    assert!(
        hung.stderr.contains("no answer within 2 s"),
        "{}",
        hung.stderr
    );
    assert!(took < Duration::from_secs(8), "{took:?}");
    drop(silent);

    // A query the server does not answer in time (a table held locked): the query timeout.
    let mut locker = db.spawn_sql("LOCK TABLES `rm_340`.`oms_project` WRITE; SELECT SLEEP(60)");
    // The sleep runs only once the lock is held: wait for it rather than for a guess.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while db
        .sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(60)'")
        .trim()
        != "1"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the locking session never got its lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (slow, took) = lint(
        &dir,
        &["--metadb", &url, "--from", "3.4.0", "--query-timeout", "2"],
        Some(PW),
    );
    let _ = locker.kill();
    let _ = locker.wait();
    assert_eq!(slow.code, 3, "{}", slow.stderr);
    assert!(
        slow.stderr.contains("oms_project") && slow.stderr.contains("no answer within 2 s"),
        "{}",
        slow.stderr
    );
    assert!(took < Duration::from_secs(10), "{took:?}");

    // A missing grant is named before anything is read.
    db.sql("REVOKE SELECT ON `cm_hb_340`.* FROM 'oms_user@oms_tenant#obcluster'@'127.0.0.1'");
    let (grant, _) = lint(&dir, &["--metadb", &url], Some(PW));
    assert_eq!(grant.code, 3);
    assert!(
        grant.stderr.contains("lacks SELECT on cm_hb_340"),
        "{}",
        grant.stderr
    );
    db.sql("GRANT SELECT ON `cm_hb_340`.* TO 'oms_user@oms_tenant#obcluster'@'127.0.0.1'");

    // A database config.yaml names that the server does not have.
    let config = std::fs::read_to_string(dir.join("config.yaml"))
        .unwrap()
        .replace("cm_hb_340", "cm_hb_999");
    let missing = deployment("missing", Some(config));
    db.sql("GRANT SELECT ON `cm_hb_999`.* TO 'oms_user@oms_tenant#obcluster'@'127.0.0.1'");
    let (absent, _) = lint(&missing, &["--metadb", &url], Some(PW));
    assert_eq!(absent.code, 3);
    assert!(
        absent.stderr.contains("cm_hb_999") && absent.stderr.contains("does not exist"),
        "{}",
        absent.stderr
    );

    // No password anywhere and no terminal: a usage error, not a hang.
    let (nopw, _) = lint(&dir, &["--metadb", &url], None);
    assert_eq!(nopw.code, 2, "{}", nopw.stderr);
    assert!(nopw.stderr.contains("OMSLINT_METADB_PASSWORD"));

    // A password in the URL is refused, and not echoed.
    let (inurl, _) = lint(
        &dir,
        &["--metadb", &format!("mysql://u:{PW}@127.0.0.1:{}", db.port)],
        None,
    );
    assert_eq!(inurl.code, 2);
    assert!(!inurl.stderr.contains(PW));

    // --password-file, and --metadb config (host, port, user, password from config.yaml).
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, format!("{PW}\n")).unwrap();
    let (viafile, _) = lint(
        &dir,
        &[
            "--metadb",
            &url,
            "--password-file",
            pwfile.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(viafile.code, 0, "{}", viafile.stderr);
    assert!(viafile.stdout.contains("\"OMS008\""));
    let config = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    let config: String = config
        .lines()
        .map(|l| {
            let key = l.split(':').next().unwrap_or("");
            match key {
                "oms_meta_host" => "oms_meta_host: 127.0.0.1".to_string(),
                "oms_meta_port" => format!("oms_meta_port: {}", db.port),
                "oms_meta_user" => "oms_meta_user: 'oms_user@oms_tenant#obcluster'".to_string(),
                "oms_meta_password" => format!("oms_meta_password: {PW}"),
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let fromconfig = deployment("config", Some(config));
    let (cfg, _) = lint(&fromconfig, &["--metadb", "config"], None);
    assert_eq!(cfg.code, 0, "{}", cfg.stderr);
    assert!(cfg.stdout.contains("\"OMS008\""));
    assert!(!cfg.stdout.contains(PW) && !cfg.stderr.contains(PW));

    for d in [dir, missing, fromconfig] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Database, table and role grants (the scenario seekdb runs too, in tests/oceanbase.rs):
/// MariaDB prints a default role's privileges in SHOW GRANTS, MySQL 8 and OceanBase only
/// the role; the preflight reads instead of parsing, so both pass, and a missing grant is
/// named exactly.
#[test]
fn table_and_role_grants_are_proved_by_reading() {
    common::scenarios::grants_and_roles(&MariaDb::start());
}
