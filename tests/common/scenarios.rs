//! Scenarios that run against any MetaDB server — MariaDB (`tests/live_*.rs`,
//! `tests/fix_apply.rs`) and seekdb, OceanBase's single-node server (`tests/oceanbase.rs`)
//! — so that both are held to the same assertions: the fixture deployments, the live
//! lint as a SELECT-only user, the grants preflight (database, table and role grants),
//! and `--fix` with its rollback.

#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::mariadb::{Client, MariaDb};
use super::seekdb::SeekDb;
use super::{finding_lines, fixture, json, Out};

/// A server the scenarios run against; it dereferences to its root client.
pub trait Server: Deref<Target = Client> {
    fn port(&self) -> u16;
    fn name(&self) -> &'static str;
    /// The statement that makes `role` the default role of `account` (MariaDB says
    /// `FOR`, MySQL 8 and OceanBase say `TO` and refuse `FOR`).
    fn set_default_role(&self, role: &str, account: &str) -> String;
}

impl Server for MariaDb {
    fn port(&self) -> u16 {
        self.port
    }
    fn name(&self) -> &'static str {
        "MariaDB"
    }
    fn set_default_role(&self, role: &str, account: &str) -> String {
        format!("SET DEFAULT ROLE {role} FOR {account}")
    }
}

impl Server for SeekDb {
    fn port(&self) -> u16 {
        self.port
    }
    fn name(&self) -> &'static str {
        "seekdb"
    }
    fn set_default_role(&self, role: &str, account: &str) -> String {
        format!("SET DEFAULT ROLE {role} TO {account}")
    }
}

/// `'user'@'127.0.0.1'`: the accounts omslint logs in with (it connects over TCP).
pub fn account(user: &str) -> String {
    format!("'{user}'@'127.0.0.1'")
}

/// A fresh temporary directory for one scenario.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omslint-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cp(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "cp -a {}",
        from.display()
    );
}

/// A deployment's directory without its dumps (config.yaml, components, docker inspect,
/// settings): what a live lint reads beside the MetaDB.
pub fn copy_without_dumps(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name != "metadb" {
            cp(&p, &to.join(name));
        }
    }
}

/// A fixture deployment's `case.yaml`: the arguments its lint takes.
#[derive(Debug, Deserialize)]
pub struct Case {
    #[serde(default)]
    pub args: Vec<String>,
}

pub fn case_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("case.yaml"))
        .ok()
        .and_then(|t| serde_saphyr::from_str::<Case>(&t).ok())
        .map(|c| c.args)
        .unwrap_or_default()
}

/// The sample and every fixture case that has MetaDB dumps, sorted.
pub fn deployments() -> Vec<PathBuf> {
    let mut v = vec![fixture("sample")];
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("metadb").is_dir())
        .collect();
    cases.sort();
    v.extend(cases);
    v
}

/// Runs omslint in `dir` with a pinned clock, the MetaDB password in the environment
/// (or none at all).
pub fn run(dir: &Path, args: &[String], password: Option<&str>) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omslint"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env("NO_COLOR", "1");
    match password {
        Some(p) => cmd.env("OMSLINT_METADB_PASSWORD", p),
        None => cmd.env_remove("OMSLINT_METADB_PASSWORD"),
    };
    out(&mut cmd)
}

/// Runs omslint in `dir` with a pinned clock and these environment variables set (a
/// value) or removed (`None`).
pub fn run_with_env(dir: &Path, args: &[String], env: &[(&str, Option<&str>)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omslint"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    out(&mut cmd)
}

pub fn out(cmd: &mut Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `lint . --format json --metadb mysql://USER@127.0.0.1:PORT` in `dir`, over plain TCP.
pub fn lint_live(dir: &Path, port: u16, user: &str, password: &str, extra: &[String]) -> Out {
    let mut args: Vec<String> = ["lint", ".", "--format", "json", "--ssl-mode", "disabled"]
        .map(String::from)
        .to_vec();
    args.extend(extra.iter().cloned());
    args.extend([
        "--metadb".to_string(),
        format!("mysql://{user}@127.0.0.1:{port}"),
    ]);
    run(dir, &args, Some(password))
}

// ----- the grants preflight -----------------------------------------------------------

const GRANT_PW: &str = "S3cr3t-grants-pw";
const SAMPLE_DBS: [&str; 4] = ["cm_340", "cm_hb_340", "cm_hb_340_2", "rm_340"];
/// The sample's rm tables the checks read (rules/schema.yaml), in the schema map's order.
const RM_TABLES: [&str; 6] = [
    "oms_project",
    "oms_sync_project",
    "oms_datasource",
    "oms_normal_config",
    "cluster_info",
    "oms_version",
];

fn create_user(db: &impl Server, user: &str) -> String {
    let a = account(user);
    db.sql(&format!("CREATE USER {a} IDENTIFIED BY '{GRANT_PW}'"));
    a
}

/// The grants preflight proves access by reading (`SELECT … LIMIT 0` on every table the
/// checks need), so a database grant, table grants and a default role all pass with the
/// same findings; a missing grant, a role that is not active, a table-level grant that
/// leaves tables out each exit 3 naming exactly the database or tables missing.
pub fn grants_and_roles(db: &impl Server) {
    db.load_deployment(&fixture("sample"));
    let dir = temp_dir(&format!("grants-{}", db.name()));
    copy_without_dumps(&fixture("sample"), &dir);
    let lint = |user: &str| lint_live(&dir, db.port(), user, GRANT_PW, &[]);

    // The reference: SELECT on each database.
    let a = create_user(db, "g_db");
    for d in SAMPLE_DBS {
        db.sql(&format!("GRANT SELECT ON `{d}`.* TO {a}"));
    }
    let reference = lint("g_db");
    assert_eq!(
        reference.code,
        1,
        "{}: the sample has errors: {}",
        db.name(),
        reference.stderr
    );
    let want = finding_lines(&json(&reference), true);
    assert!(want.len() > 10, "{}: {want:?}", db.name());

    // Table-level grants on one rm table: the preflight names exactly the others.
    let a = create_user(db, "g_tbl");
    db.sql(&format!("GRANT SELECT ON `rm_340`.`oms_project` TO {a}"));
    for d in &SAMPLE_DBS[..3] {
        db.sql(&format!("GRANT SELECT ON `{d}`.* TO {a}"));
    }
    let partial = lint("g_tbl");
    assert_eq!(partial.code, 3, "{}: {}", db.name(), partial.stderr);
    let named: Vec<String> = RM_TABLES[1..]
        .iter()
        .map(|t| format!("rm_340.{t}"))
        .collect();
    assert!(
        partial.stderr.contains(&format!(
            "lacks SELECT on {} (grant it with: ",
            named.join(", ")
        )),
        "{}: {}",
        db.name(),
        partial.stderr
    );
    assert!(
        partial
            .stderr
            .contains("GRANT SELECT ON `rm_340`.`oms_version` TO <user>"),
        "{}",
        partial.stderr
    );
    assert!(
        !partial.stderr.contains("rm_340.oms_project") && !partial.stderr.contains("cm_340"),
        "{}: only what is missing is named: {}",
        db.name(),
        partial.stderr
    );
    assert_eq!(
        partial.stderr.trim().lines().count(),
        1,
        "{}",
        partial.stderr
    );
    // Granted table by table, it reads exactly what a database grant reads.
    for t in &RM_TABLES[1..] {
        db.sql(&format!("GRANT SELECT ON `rm_340`.`{t}` TO {a}"));
    }
    let tables = lint("g_tbl");
    assert_eq!(
        tables.code,
        reference.code,
        "{}: {}",
        db.name(),
        tables.stderr
    );
    assert_eq!(
        finding_lines(&json(&tables), true),
        want,
        "{}: table grants",
        db.name()
    );

    // SELECT through a default role: SHOW GRANTS prints only the role on MySQL 8 and
    // OceanBase, and the lint must still run.
    db.sql("CREATE ROLE oms_read");
    for d in SAMPLE_DBS {
        db.sql(&format!("GRANT SELECT ON `{d}`.* TO oms_read"));
    }
    let a = create_user(db, "g_role");
    db.sql(&format!("GRANT oms_read TO {a}"));
    db.sql(&db.set_default_role("oms_read", &a));
    let role = lint("g_role");
    assert_eq!(role.code, reference.code, "{}: {}", db.name(), role.stderr);
    assert_eq!(
        finding_lines(&json(&role), true),
        want,
        "{}: role grant",
        db.name()
    );

    // The same role granted but not a default role: not active, so nothing is readable.
    let a = create_user(db, "g_role_off");
    db.sql(&format!("GRANT oms_read TO {a}"));
    let off = lint("g_role_off");
    assert_eq!(off.code, 3, "{}: {}", db.name(), off.stderr);
    assert!(
        off.stderr
            .contains("lacks SELECT on cm_340, cm_hb_340, cm_hb_340_2, rm_340 (grant it with: GRANT SELECT ON `cm_340`.* TO <user>;"),
        "{}: {}",
        db.name(),
        off.stderr
    );
    assert!(
        off.stderr.contains("not active") && off.stderr.contains("SET DEFAULT ROLE"),
        "{}: {}",
        db.name(),
        off.stderr
    );

    // A default role that lacks one database: that database, and only it, is named.
    db.sql("CREATE ROLE oms_read_part");
    for d in ["cm_340", "cm_hb_340", "rm_340"] {
        db.sql(&format!("GRANT SELECT ON `{d}`.* TO oms_read_part"));
    }
    let a = create_user(db, "g_role_part");
    db.sql(&format!("GRANT oms_read_part TO {a}"));
    db.sql(&db.set_default_role("oms_read_part", &a));
    let part = lint("g_role_part");
    assert_eq!(part.code, 3, "{}: {}", db.name(), part.stderr);
    assert!(
        part.stderr.contains(
            "lacks SELECT on cm_hb_340_2 (grant it with: GRANT SELECT ON `cm_hb_340_2`.* TO <user>)"
        ),
        "{}: {}",
        db.name(),
        part.stderr
    );
    assert!(
        !part.stderr.contains("not active") && !part.stderr.contains("rm_340"),
        "{}: {}",
        db.name(),
        part.stderr
    );
    for out in [&reference, &partial, &tables, &role, &off, &part] {
        assert!(!out.stdout.contains(GRANT_PW) && !out.stderr.contains(GRANT_PW));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ----- --fix --------------------------------------------------------------------------

pub const FIX_PW: &str = "S3cr3t-fixer-pw";

/// The sample deployment loaded into a server, a `fixer` user (SELECT everywhere, UPDATE
/// on rm), and a snapshot directory without dumps.
pub struct FixSetup {
    pub dir: PathBuf,
    pub url: String,
}

pub fn fix_setup(db: &impl Server, tag: &str) -> FixSetup {
    let sample = fixture("sample");
    db.load_deployment(&sample);
    // One server may run several scenarios (seekdb's): the user is made anew.
    db.sql(&format!(
        "DROP USER IF EXISTS 'fixer'@'127.0.0.1'; CREATE USER 'fixer'@'127.0.0.1' IDENTIFIED BY '{FIX_PW}'; GRANT SELECT ON *.* TO 'fixer'@'127.0.0.1'; GRANT UPDATE ON `rm_340`.* TO 'fixer'@'127.0.0.1'"
    ));
    let dir = temp_dir(&format!("fix-{tag}"));
    for part in [
        "regions",
        "components",
        "docker-inspect.json",
        "omslint.yaml",
    ] {
        cp(&sample.join(part), &dir);
    }
    let url = format!("mysql://fixer@127.0.0.1:{}", db.port());
    FixSetup { dir, url }
}

/// `omslint lint . --format json` over plain TCP as the fixer, with `args` and `env`.
pub fn fix_cmd(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omslint"));
    cmd.args(["lint", ".", "--ssl-mode", "disabled", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("OMSLINT_METADB_PASSWORD", FIX_PW);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Everything the fixes may touch, byte for byte, plus the row counts.
pub fn fix_state(db: &Client) -> String {
    db.sql(
        "SELECT 'p', id, HEX(project_name) FROM rm_340.oms_project UNION ALL \
         SELECT 's', id, HEX(project_name) FROM rm_340.oms_sync_project UNION ALL \
         SELECT 'c', id, HEX(cfg_value) FROM rm_340.oms_normal_config ORDER BY 1, 2",
    )
}

pub fn codes(out: &Out) -> Vec<String> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// `--diff` changes nothing; `--fix --unsafe-fixes` applies the sample's 4 fixes, leaves
/// the findings without a fix, keeps row counts, exits by what remains; a second `--fix`
/// changes nothing; the rollback script restores the original byte for byte.
pub fn fix_then_roll_back(db: &impl Server) {
    let s = fix_setup(db, db.name());
    let before = fix_state(db);
    let rollback = s.dir.join("rollback.sql");
    let rb = rollback.to_string_lossy().into_owned();

    let shown = out(&mut fix_cmd(&s.dir, &["--metadb", &s.url, "--diff"], &[]));
    assert!(
        shown.stdout.contains("UPDATE `rm_340`.`oms_project`"),
        "{}: {}",
        db.name(),
        shown.stdout
    );
    assert_eq!(fix_state(db), before, "--diff changes nothing");

    let fixed = out(&mut fix_cmd(
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
        "{}: {}",
        db.name(),
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
    let after = fix_state(db);
    assert_ne!(after, before);
    assert_eq!(
        after.lines().count(),
        before.lines().count(),
        "row counts unchanged"
    );

    let again = out(&mut fix_cmd(
        &s.dir,
        &["--metadb", &s.url, "--fix", "--unsafe-fixes"],
        &[],
    ));
    assert!(again.stderr.contains("nothing to fix"), "{}", again.stderr);
    assert_eq!(fix_state(db), after, "a second --fix changes nothing");

    db.load("rm_340", &rollback);
    assert_eq!(
        fix_state(db),
        before,
        "{}: the rollback script restores the original exactly",
        db.name()
    );
    assert!(!fixed.stderr.contains(FIX_PW) && !fixed.stdout.contains(FIX_PW));
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// Starts `lint --fix --unsafe-fixes` with a pause hook and waits until omslint has
/// paused there: the process, the hook's path (write `<path>.go` to go on), and what
/// omslint wrote into `<path>.ready` (for `OMSLINT_FAILPOINT_PAUSE_MID`, the write
/// session's connection id).
pub fn start_paused(s: &FixSetup, hook: &str, stdout: Stdio) -> (Child, String, String) {
    let p = s.dir.join(hook).to_string_lossy().into_owned();
    let child = fix_cmd(
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

/// Between the scan and the apply someone renames one of the duplicates: the guarded
/// UPDATE changes no row, everything is rolled back, exit 3.
pub fn concurrent_change_aborts(db: &impl Server) {
    let s = fix_setup(db, &format!("race-{}", db.name()));
    let (child, p, _) = start_paused(&s, "OMSLINT_FAILPOINT_PAUSE", Stdio::piped());
    db.sql("UPDATE rm_340.oms_sync_project SET project_name = 'renamed meanwhile' WHERE project_name = 'orders_sync'");
    let changed = fix_state(db);
    std::fs::write(format!("{p}.go"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}: {}",
        db.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed since the scan"));
    assert_eq!(
        fix_state(db),
        changed,
        "{}: nothing was committed",
        db.name()
    );
    let _ = std::fs::remove_dir_all(&s.dir);
}
