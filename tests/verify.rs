//! `omslint verify` against a real MariaDB (SPEC §8): the sample deployment is loaded,
//! backed up with the real mariadb-dump as the guides do (`--triggers=false`), upgraded
//! by hand (the target row in oms_version, HA back on, a column and a table added), and
//! then checked live and from dumps taken afterwards: clean, then with each loss, then
//! after a faithful restore and after restores that are not.

mod common;

use std::path::{Path, PathBuf};

use common::mariadb::MariaDb;
use common::scenarios::{run, temp_dir};
use common::{findings, fixture, json, Out};
use serde_json::Value;

const PW: &str = "S3cr3t-verify-pw";
const DBS: [&str; 4] = ["cm_340", "cm_hb_340", "cm_hb_340_2", "rm_340"];
const JOB: &str = "10.0.0.1-9000:connector_v2:p_4cew3hhbk3ge-incr_trans-1-0:0000000001";

struct Env {
    db: MariaDb,
    work: PathBuf,
    url: String,
}

/// A MariaDB (time zone +08:00, as OceanBase's default: TIMESTAMPs must read alike live
/// and in the dumps) with the sample deployment and a SELECT-only user, and the backups
/// in `work/backup`.
fn start(tag: &str) -> Env {
    let db = MariaDb::start_with(&["--default-time-zone=+08:00".to_string()]);
    db.load_deployment(&fixture("sample"));
    db.sql(&format!(
        "CREATE USER 'verify'@'127.0.0.1' IDENTIFIED BY '{PW}'; GRANT SELECT ON *.* TO 'verify'@'127.0.0.1'"
    ));
    let work = temp_dir(&format!("verify-{tag}"));
    dump_all(&db, &work.join("backup"));
    let url = format!("mysql://verify@127.0.0.1:{}", db.port);
    Env { db, work, url }
}

/// The guides' backup: `mysqldump --triggers=false <db> > <db>.sql`, one file each.
fn dump_all(db: &MariaDb, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for d in DBS {
        db.dump_with(&["--triggers=false"], &[d], &dir.join(format!("{d}.sql")));
    }
}

/// The upgrade as the MetaDB sees it: the target recorded, HA on with
/// perceiveStoreClientCheckpoint, a new column in two tables, a new table, and rows the
/// new version adds (a project, a setting): none of it is a loss.
fn upgrade(db: &MariaDb, record_version: bool, ha_on: bool) {
    let mut sql = String::from(
        "ALTER TABLE rm_340.oms_project ADD COLUMN source_kind varchar(16) NULL;
         ALTER TABLE cm_340.config_job ADD COLUMN region varchar(32) NULL DEFAULT 'cn-hangzhou';
         CREATE TABLE rm_340.oms_feature_flag (id bigint NOT NULL PRIMARY KEY, name varchar(64));
         INSERT INTO rm_340.oms_feature_flag VALUES (1, 'hot-upgrade');
         INSERT INTO rm_340.oms_project (id, project_name, project_status, gmt_created, gmt_modified)
           VALUES ('p_4cnewafterup1', 'created_after_upgrade', 'RUNNING', NOW(), NOW());
         INSERT INTO cm_340.config_job (job_name, `key`, value, gmt_created, gmt_modified)
           VALUES ('10.0.0.1-9000:connector_v2:p_4cew3hhbk3ge-incr_trans-1-0:0000000001', 'sourceFile.newSetting', '1', NOW(), NOW());
         UPDATE rm_340.oms_normal_config SET cfg_value = REPLACE(cfg_value, '\"perceiveStoreClientCheckpoint\":false', '\"perceiveStoreClientCheckpoint\":true') WHERE cfg_name = 'ha.config';",
    );
    if record_version {
        sql.push_str(
            "INSERT INTO rm_340.oms_version (version, gmt_modified) VALUES ('4.2.3', NOW());",
        );
    }
    if !ha_on {
        sql.push_str("UPDATE rm_340.oms_normal_config SET cfg_value = REPLACE(cfg_value, '\"enable\":true', '\"enable\":false') WHERE cfg_name = 'ha.config';");
    }
    db.sql(&sql);
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Env {
    fn live(&self, extra: &[&str]) -> Out {
        let mut a = args(&[
            "verify",
            "--backup-dir",
            "backup",
            "--metadb",
            &self.url,
            "--ssl-mode",
            "disabled",
        ]);
        if !extra.contains(&"--format") {
            a.extend(args(&["--format", "json"]));
        }
        a.extend(args(extra));
        run(&self.work, &a, Some(PW))
    }

    /// Dumps the deployment now into `work/<name>/metadb` and verifies from them.
    fn dumped(&self, name: &str, extra: &[&str]) -> Out {
        let dir = self.work.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        dump_all(&self.db, &dir.join("metadb"));
        let mut a = args(&["verify", name, "--backup-dir", "backup", "--format", "json"]);
        a.extend(args(extra));
        run(&self.work, &a, None)
    }

    /// The runbook's rollback: drop and re-create each database, restore its backup.
    fn restore(&self) {
        for d in DBS {
            self.db
                .sql(&format!("DROP DATABASE `{d}`; CREATE DATABASE `{d}`"));
            self.db
                .load(d, &self.work.join("backup").join(format!("{d}.sql")));
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

fn report(out: &Out) -> Value {
    let r = json(out);
    assert_eq!(r["command"], "verify", "{}", out.stdout);
    assert!(
        !out.stdout.contains("S3cr3t") && !out.stderr.contains("S3cr3t"),
        "a secret reached the output"
    );
    r
}

fn status(r: &Value, code: &str) -> String {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .map(|c| c["status"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no check {code}"))
}

fn finding<'r>(r: &'r Value, code: &str, subject: &str) -> &'r Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["subject"]["id"] == subject)
        .unwrap_or_else(|| panic!("no {code} on {subject}: {:#?}", findings(r)))
}

fn sorted(mut v: Vec<(String, String, String)>) -> Vec<(String, String, String)> {
    v.sort();
    v
}

fn expect(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    sorted(
        list.iter()
            .map(|(c, s, i)| (c.to_string(), s.to_string(), i.to_string()))
            .collect(),
    )
}

#[test]
fn a_faithful_upgrade_verifies_clean_live_and_from_dumps() {
    let env = start("clean");
    upgrade(&env.db, true, true);
    for (how, out) in [
        ("live", env.live(&["--to", "4.2.3"])),
        ("dumps", env.dumped("after", &["--to", "4.2.3"])),
    ] {
        let r = report(&out);
        assert_eq!(out.code, 0, "{how}: {}\n{:#?}", out.stderr, findings(&r));
        assert_eq!(findings(&r), vec![], "{how}");
        for code in [
            "OMS101", "OMS102", "OMS103", "OMS104", "OMS105", "OMS106", "OMS107",
        ] {
            assert_eq!(status(&r, code), "passed", "{how}: {code}");
        }
        assert_eq!(status(&r, "OMS108"), "skipped", "{how}");
        assert_eq!(
            r["upgrade"]["from"], "3.4.0",
            "{how}: the baseline's version"
        );
        assert_eq!(r["upgrade"]["to"], "4.2.3", "{how}");
        let kinds: Vec<&str> = r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        let backup = r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == "backup-dir")
            .unwrap_or_else(|| panic!("{how}: no backup-dir input: {kinds:?}"));
        assert_eq!(backup["path"], "backup");
        assert_eq!(backup["sha256"].as_str().map(str::len), Some(64), "{how}");
        if how == "dumps" {
            assert_eq!(kinds.iter().filter(|k| **k == "dump").count(), 4, "{how}");
        } else {
            assert!(kinds.contains(&"metadb"), "{how}");
        }
    }
    // The same upgrade, against a target the MetaDB does not record.
    let out = env.live(&["--to", "4.2.4"]);
    let r = report(&out);
    assert_eq!(out.code, 1);
    assert_eq!(findings(&r), expect(&[("OMS103", "error", "deployment")]));
}

#[test]
fn each_loss_is_a_finding_naming_its_subject() {
    let env = start("losses");
    upgrade(&env.db, false, false);
    env.db.sql(&format!(
        "DELETE FROM rm_340.oms_project WHERE id = 'p_4cn2rk0nlzkb';
         UPDATE rm_340.oms_project SET project_status = 'FAILED' WHERE id = 'p_4cicnmc58z6z';
         UPDATE rm_340.oms_project SET project_status = 'DELETED' WHERE id = 'p_4cvxf3oavnad';
         UPDATE rm_340.oms_sync_project SET project_status = 'RUNNING_MODIFYING' WHERE id = 'p_4cew3hhbk3ge';
         UPDATE rm_340.oms_sync_project SET project_status = 'RUNNING' WHERE id = 'p_4cidbtt5k3fb';
         DELETE FROM rm_340.oms_datasource WHERE id = 'e_4c98j6qzo426';
         UPDATE cm_340.host SET status = 'OFFLINE' WHERE ip = '10.0.0.2';
         UPDATE cm_340.config_job SET value = '2' WHERE job_name = '{JOB}' AND `key` = 'sourceFile.blackRegionNo';
         UPDATE cm_340.config_job SET value = '512' WHERE job_name = '{JOB}' AND `key` = 'coordinator.bridgeQueueSize';
         DELETE FROM cm_340.config_job WHERE job_name = '{JOB}' AND `key` = 'sourceFile.password';"
    ));
    let want = expect(&[
        ("OMS101", "error", "p_4cn2rk0nlzkb"),
        ("OMS101", "error", "p_4cvxf3oavnad"),
        ("OMS102", "error", "p_4cicnmc58z6z"),
        ("OMS102", "warning", "p_4cew3hhbk3ge"),
        ("OMS103", "error", "deployment"),
        ("OMS104", "warning", "deployment"),
        ("OMS105", "error", "10.0.0.2"),
        ("OMS106", "error", "e_4c98j6qzo426"),
        (
            "OMS107",
            "error",
            "10.0.0.1-9000:connector_v2:p_4cew3hhbk3ge-incr_trans-1-0:0000000001/sourceFile.blackRegionNo",
        ),
        (
            "OMS107",
            "warning",
            "10.0.0.1-9000:connector_v2:p_4cew3hhbk3ge-incr_trans-1-0:0000000001/coordinator.bridgeQueueSize",
        ),
        (
            "OMS107",
            "warning",
            "10.0.0.1-9000:connector_v2:p_4cew3hhbk3ge-incr_trans-1-0:0000000001/sourceFile.password",
        ),
    ]);
    let live = env.live(&["--to", "4.2.3"]);
    let dumps = env.dumped("after", &["--to", "4.2.3"]);
    for (how, out) in [("live", &live), ("dumps", &dumps)] {
        let r = report(out);
        assert_eq!(out.code, 1, "{how}: {}", out.stderr);
        assert_eq!(sorted(findings(&r)), want, "{how}");
        let lost = finding(&r, "OMS101", "p_4cn2rk0nlzkb");
        assert_eq!(lost["subject"]["kind"], "project");
        assert_eq!(lost["subject"]["name"], "会员中心迁移");
        assert_eq!(lost["evidence"]["status_before"], "FINISHED");
        assert_eq!(lost["evidence"]["status_now"], Value::Null);
        assert!(lost["evidence"]["file"]
            .as_str()
            .unwrap()
            .ends_with("rm_340.sql"));
        let failed = finding(&r, "OMS102", "p_4cicnmc58z6z");
        assert_eq!(failed["evidence"]["status_before"], "RUNNING");
        assert_eq!(failed["evidence"]["status_now"], "FAILED");
        assert_eq!(
            finding(&r, "OMS102", "p_4cew3hhbk3ge")["subject"]["kind"],
            "sync-project"
        );
        assert!(finding(&r, "OMS103", "deployment")["message"]
            .as_str()
            .unwrap()
            .contains("3.4.0, not the target 4.2.3"));
        assert_eq!(
            finding(&r, "OMS105", "10.0.0.2")["subject"]["kind"],
            "server"
        );
        let ds = finding(&r, "OMS106", "e_4c98j6qzo426");
        assert_eq!(ds["subject"]["name"], "rocketmq_notify");
        let brn = finding(&r, "OMS107", &format!("{JOB}/sourceFile.blackRegionNo"));
        assert_eq!(brn["subject"]["project_id"], "p_4cew3hhbk3ge");
        let m = brn["message"].as_str().unwrap();
        assert!(m.contains("was NULL") && m.contains("is '2'"), "{m}");
        let pw = finding(&r, "OMS107", &format!("{JOB}/sourceFile.password"));
        assert!(pw["message"].as_str().unwrap().contains("not shown"));
        assert_eq!(pw["evidence"]["missing"], true);
    }
    // The two sources give the same findings and evidence (the messages name the source).
    let facts = |out: &Out| {
        let mut v: Vec<String> = json(out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["code"], f["subject"], f["severity"], f["evidence"]
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(facts(&live), facts(&dumps));
}

#[test]
fn a_faithful_restore_verifies_clean_and_a_differing_table_is_named() {
    let env = start("rollback");
    upgrade(&env.db, true, true);
    // An upgraded MetaDB is not its backup: the new table and column, the new rows.
    let out = env.live(&["--rolled-back"]);
    let r = report(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let flag = finding(&r, "OMS108", "rm_340.oms_feature_flag");
    assert!(flag["message"]
        .as_str()
        .unwrap()
        .contains("not in the backup"));
    let project = finding(&r, "OMS108", "rm_340.oms_project");
    assert_eq!(project["evidence"]["extra"], 1);
    assert_eq!(
        project["evidence"]["columns_only_now"],
        serde_json::json!(["source_kind"])
    );

    env.restore();
    for (how, out) in [
        ("live", env.live(&["--rolled-back"])),
        ("dumps", env.dumped("restored", &["--rolled-back"])),
    ] {
        let r = report(&out);
        assert_eq!(out.code, 0, "{how}: {}\n{:#?}", out.stderr, findings(&r));
        assert_eq!(findings(&r), vec![], "{how}");
        for code in ["OMS101", "OMS106", "OMS107", "OMS108"] {
            assert_eq!(status(&r, code), "passed", "{how}: {code}");
        }
        for code in ["OMS102", "OMS103", "OMS104", "OMS105"] {
            assert_eq!(status(&r, code), "skipped", "{how}: {code}");
        }
    }

    // One changed project name.
    env.db.sql(
        "UPDATE rm_340.oms_project SET project_name = 'erp_renamed' WHERE id = 'p_4c06ortoziux'",
    );
    let out = env.live(&["--rolled-back"]);
    let r = report(&out);
    assert_eq!(out.code, 1);
    assert_eq!(
        findings(&r),
        expect(&[("OMS108", "error", "rm_340.oms_project")])
    );
    let f = finding(&r, "OMS108", "rm_340.oms_project");
    assert_eq!(f["subject"]["kind"], "table");
    assert_eq!(f["evidence"]["database"], "rm_340");
    assert_eq!(f["evidence"]["table"], "oms_project");
    assert_eq!(f["evidence"]["changed"], 1);
    assert_eq!(f["evidence"]["missing"], 0);
    assert_eq!(f["evidence"]["extra"], 0);
    assert_eq!(
        f["evidence"]["first_changed"],
        serde_json::json!([{"key": "p_4c06ortoziux", "columns": ["project_name"]}])
    );
    assert!(
        !f["message"].as_str().unwrap().contains("erp_renamed"),
        "values are never shown"
    );
    env.db.sql(
        "UPDATE rm_340.oms_project SET project_name = 'erp_oracle_to_ob_0312' WHERE id = 'p_4c06ortoziux'",
    );

    // One deleted heartbeat row, and the old container's first heartbeats after a restart.
    let id = env
        .db
        .sql("SELECT id FROM cm_hb_340.heatbeat_sequence ORDER BY id LIMIT 1 OFFSET 1000")
        .trim()
        .to_string();
    env.db.sql(&format!(
        "DELETE FROM cm_hb_340.heatbeat_sequence WHERE id = {id}"
    ));
    for (how, out) in [
        ("live", env.live(&["--rolled-back"])),
        ("dumps", env.dumped("restored2", &["--rolled-back"])),
    ] {
        let r = report(&out);
        assert_eq!(out.code, 1, "{how}");
        assert_eq!(
            findings(&r),
            expect(&[("OMS108", "error", "cm_hb_340.heatbeat_sequence")]),
            "{how}"
        );
        let f = finding(&r, "OMS108", "cm_hb_340.heatbeat_sequence");
        assert_eq!(f["evidence"]["missing"], 1, "{how}");
        assert_eq!(
            f["evidence"]["first_missing"],
            serde_json::json!([id.clone()]),
            "{how}"
        );
        assert_eq!(f["evidence"]["key"], serde_json::json!(["id"]), "{how}");
        assert_eq!(f["evidence"]["now_rows"], 4999, "{how}");
    }
    env.db.sql(
        "INSERT INTO cm_hb_340.heatbeat_sequence (gmt_created, gmt_modified) VALUES (NOW(), NOW()), (NOW(), NOW())",
    );
    let r = report(&env.live(&["--rolled-back"]));
    let f = finding(&r, "OMS108", "cm_hb_340.heatbeat_sequence");
    assert_eq!(
        (
            f["evidence"]["missing"].as_u64(),
            f["evidence"]["extra"].as_u64()
        ),
        (Some(1), Some(2))
    );
}

/// Many differences in a table larger than a batch: the refine and batch passes
/// (`OMSLINT_VERIFY_BATCH_ROWS` makes a batch small) still count every row exactly.
#[test]
fn large_differences_are_counted_exactly_in_small_batches() {
    let env = start("batches");
    // 40,000 more heartbeat rows, backed up again.
    env.db.sql(
        "USE cm_hb_340; INSERT INTO cm_hb_340.heatbeat_sequence (gmt_created, gmt_modified)
           SELECT '2024-04-01 00:00:00' + INTERVAL seq SECOND, '2024-04-01 00:00:00' + INTERVAL seq SECOND
           FROM seq_1_to_40000",
    );
    dump_all(&env.db, &env.work.join("backup"));
    let count = |q: &str| -> u64 { env.db.sql(q).trim().parse().unwrap() };
    let first_deleted = count("SELECT MIN(id) FROM cm_hb_340.heatbeat_sequence WHERE id % 13 = 0");
    let first_changed =
        count("SELECT MIN(id) FROM cm_hb_340.heatbeat_sequence WHERE id % 10 = 0 AND id % 13 <> 0");
    // Every 10th row changed, every 13th deleted, 700 added.
    env.db.sql(
        "USE cm_hb_340; UPDATE cm_hb_340.heatbeat_sequence SET gmt_modified = gmt_modified + INTERVAL 1 SECOND WHERE id % 10 = 0;
         DELETE FROM cm_hb_340.heatbeat_sequence WHERE id % 13 = 0;
         INSERT INTO cm_hb_340.heatbeat_sequence (gmt_created, gmt_modified)
           SELECT '2025-01-01 00:00:00', '2025-01-01 00:00:00' FROM seq_1_to_700;",
    );
    let total = count("SELECT COUNT(*) FROM cm_hb_340.heatbeat_sequence");
    let changed = count("SELECT COUNT(*) FROM cm_hb_340.heatbeat_sequence WHERE id % 10 = 0 AND gmt_created < '2025-01-01'");
    let base = count("SELECT 45000");
    let deleted = base + 700 - total;
    for batch in ["1000000", "3000"] {
        let mut a = args(&[
            "verify",
            "--rolled-back",
            "--backup-dir",
            "backup",
            "--metadb",
            &env.url,
            "--ssl-mode",
            "disabled",
            "--format",
            "json",
        ]);
        a.push("--exit-zero".into());
        let out = common::scenarios::out(
            std::process::Command::new(env!("CARGO_BIN_EXE_omslint"))
                .args(&a)
                .current_dir(&env.work)
                .env("OMSLINT_METADB_PASSWORD", PW)
                .env("OMSLINT_VERIFY_BATCH_ROWS", batch)
                .env("OMSLINT_TRACE_VERIFY", "1"),
        );
        let table = "cm_hb_340.heatbeat_sequence";
        if batch == "3000" {
            // Too many rows in the differing buckets: refined, then several batches.
            assert!(
                out.stderr.contains(&format!("{table}: refine")),
                "{}",
                out.stderr
            );
            assert!(
                out.stderr.contains(&format!("{table}: collect batch 3 of")),
                "{}",
                out.stderr
            );
        } else {
            assert!(
                !out.stderr.contains(&format!("{table}: refine")),
                "{}",
                out.stderr
            );
            assert!(
                out.stderr
                    .contains(&format!("{table}: collect batch 1 of 1")),
                "{}",
                out.stderr
            );
        }
        let r = report(&out);
        assert_eq!(out.code, 0, "batch {batch}: {}", out.stderr);
        let f = finding(&r, "OMS108", "cm_hb_340.heatbeat_sequence");
        let e = &f["evidence"];
        assert_eq!(e["backup_rows"], base, "batch {batch}");
        assert_eq!(e["now_rows"], total, "batch {batch}");
        assert_eq!(e["changed"], changed, "batch {batch}");
        assert_eq!(e["missing"], deleted, "batch {batch}");
        assert_eq!(e["extra"], 700, "batch {batch}");
        assert_eq!(e["first_missing"].as_array().unwrap().len(), 5);
        assert_eq!(
            e["first_missing"][0],
            first_deleted.to_string(),
            "the first in the backup's order"
        );
        assert_eq!(e["first_changed"][0]["key"], first_changed.to_string());
        assert_eq!(
            e["first_changed"][0]["columns"],
            serde_json::json!(["gmt_modified"])
        );
    }
}

#[test]
fn what_cannot_be_read_is_a_check_error_naming_it() {
    let env = start("unreadable");
    upgrade(&env.db, true, true);
    // A table verify needs, gone; a column it needs, renamed.
    env.db.sql(
        "RENAME TABLE cm_340.host TO cm_340.host_old;
         ALTER TABLE rm_340.oms_datasource CHANGE id ds_id varchar(64) NOT NULL;",
    );
    for (how, out) in [
        ("live", env.live(&["--to", "4.2.3"])),
        ("dumps", env.dumped("after", &["--to", "4.2.3"])),
    ] {
        let r = report(&out);
        assert_eq!(out.code, 3, "{how}: {}", out.stderr);
        assert_eq!(status(&r, "OMS105"), "error", "{how}");
        assert_eq!(status(&r, "OMS106"), "error", "{how}");
        assert_eq!(status(&r, "OMS101"), "passed", "{how}");
        let reason = |code: &str| {
            r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["code"] == code)
                .unwrap()["reason"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let host = reason("OMS105");
        assert!(
            host.contains("cm_340") && host.contains("no table host"),
            "{how}: {host}"
        );
        let ds = reason("OMS106");
        assert!(
            ds.contains("rm_340") && ds.contains("oms_datasource") && ds.contains("no column id"),
            "{how}: {ds}"
        );
        assert!(
            out.stderr.contains("OMS105 could not run"),
            "{how}: {}",
            out.stderr
        );
    }
    // A dump of the deployment now that is cut short is no picture of it: its rows would
    // read as lost.
    // (Cut after a whole statement: a cut inside one is a parse error, exit 2.)
    let now_rm = env.work.join("after/metadb/rm_340.sql");
    let text = std::fs::read_to_string(&now_rm).unwrap();
    let project_rows = text.find("INSERT INTO `oms_project`").unwrap();
    let cut = project_rows + text[project_rows..].find(";\n").unwrap() + 2;
    std::fs::write(&now_rm, &text[..cut]).unwrap();
    let out = run(
        &env.work,
        &args(&[
            "verify",
            "after",
            "--backup-dir",
            "backup",
            "--to",
            "4.2.3",
            "--format",
            "json",
        ]),
        None,
    );
    let r = report(&out);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(
        findings(&r).iter().filter(|f| f.0 == "OMS101").count(),
        0,
        "nothing lost by a cut"
    );
    assert_eq!(status(&r, "OMS101"), "error");
    assert!(
        out.stderr.contains("rm_340.sql") && out.stderr.contains("cut short"),
        "{}",
        out.stderr
    );
    // A backup cut short is no baseline for its database: OMS108 cannot run.
    let backup = env.work.join("backup/cm_hb_340.sql");
    let text = std::fs::read(&backup).unwrap();
    std::fs::write(&backup, &text[..text.len() / 2]).unwrap();
    let out = env.live(&["--rolled-back"]);
    let r = report(&out);
    assert_eq!(out.code, 3);
    assert_eq!(status(&r, "OMS108"), "error");
    assert!(
        out.stderr.contains("cm_hb_340.sql") && out.stderr.contains("cut short"),
        "{}",
        out.stderr
    );
}

#[test]
fn every_format_settings_and_exit_codes_work_as_for_lint() {
    let env = start("formats");
    upgrade(&env.db, true, false); // HA left off: one OMS104 warning
    let out = env.live(&["--to", "4.2.3"]);
    assert_eq!(out.code, 0, "a warning does not fail the default gate");
    let r = report(&out);
    assert_eq!(findings(&r), expect(&[("OMS104", "warning", "deployment")]));
    let out = env.live(&["--to", "4.2.3", "--fail-on", "warning"]);
    assert_eq!(out.code, 1);

    // The JSON report validates against the schema the binary prints.
    let schema: Value =
        serde_json::from_str(&common::omslint(&["schema", "report"]).stdout).unwrap();
    let id = schema["$id"].as_str().unwrap().to_string();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    schemas
        .validate(&r, index)
        .expect("the verify report validates");

    for (format, needle) in [
        ("sarif", "\"OMS104\""),
        ("junit", "OMS104"),
        ("markdown", "OMS104"),
        ("github", "::warning"),
        ("human", "OMS104"),
    ] {
        let file = format!("verify.{format}");
        let out = env.live(&["--to", "4.2.3", "--format", format, "--output", &file]);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        let text = std::fs::read_to_string(env.work.join(&file)).unwrap();
        assert!(text.contains(needle), "{format}: {text}");
        assert!(
            out.stderr.contains("0 error(s), 1 warning(s)"),
            "{format}: {}",
            out.stderr
        );
    }
    // JUnit fails a test exactly when its check fails the gate.
    let junit = std::fs::read_to_string(env.work.join("verify.junit")).unwrap();
    assert!(
        !junit.contains("<failure"),
        "a warning under --fail-on error: {junit}"
    );
    env.live(&[
        "--to",
        "4.2.3",
        "--format",
        "junit",
        "--fail-on",
        "warning",
        "--output",
        "gate.xml",
    ]);
    let junit = std::fs::read_to_string(env.work.join("gate.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    env.live(&[
        "--to",
        "4.2.3",
        "--format",
        "sarif",
        "--sarif-category",
        "verify/hz/",
        "--output",
        "cat.sarif",
    ]);
    let cat: Value =
        serde_json::from_str(&std::fs::read_to_string(env.work.join("cat.sarif")).unwrap())
            .unwrap();
    assert_eq!(cat["runs"][0]["automationDetails"]["id"], "verify/hz/");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(env.work.join("verify.sarif")).unwrap())
            .unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules.iter().any(|r| r["id"] == "OMS104"),
        "verify's rules are declared"
    );

    // A waiver in the settings: reported, suppressed, not counted for --fail-on.
    std::fs::write(
        env.work.join("omslint.yaml"),
        "waivers:\n  - code: ha-not-restored\n    subject: deployment\n    reason: HA stays off until the DBA's go\n    ticket: CHG-1\n",
    )
    .unwrap();
    let out = env.live(&[
        "--to",
        "4.2.3",
        "--fail-on",
        "warning",
        "--settings",
        "omslint.yaml",
    ]);
    let r = report(&out);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(r["summary"]["suppressed"], 1);
    assert_eq!(r["findings"][0]["suppressed"]["ticket"], "CHG-1");

    // Usage errors exit 2, and a stale report does not survive a failed run.
    let out = env.live(&["--output", "verify.sarif"]);
    assert_eq!(out.code, 2, "no --to and no --rolled-back: {}", out.stderr);
    assert!(out.stderr.contains("--to"));
    assert!(!env.work.join("verify.sarif").exists());
    let out = run(
        &env.work,
        &args(&["verify", "--metadb", &env.url, "--to", "4.2.3"]),
        Some(PW),
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--backup-dir"), "{}", out.stderr);
}

/// OMS107's second half: a 3.2.1 deployment whose Incr-Sync component had no dbType
/// (OMS005) must have one after the upgrade.
#[test]
fn a_component_oms005_flagged_must_have_dbtype_after_the_upgrade() {
    let db = MariaDb::start();
    db.load_deployment(&fixture("cases/OMS005-fires-configjob"));
    let work = temp_dir("verify-dbtype");
    let dir = work.join("backup");
    std::fs::create_dir_all(&dir).unwrap();
    for d in ["cm_321", "cm_hb_321", "rm_321"] {
        db.dump_with(&["--triggers=false"], &[d], &dir.join(format!("{d}.sql")));
    }
    db.sql(
        "INSERT INTO rm_321.oms_version (version, gmt_modified) VALUES ('4.2.3', NOW());
         UPDATE rm_321.oms_normal_config SET cfg_value = REPLACE(cfg_value, '\"enable\":false', '\"enable\":true') WHERE cfg_name = 'ha.config';",
    );
    let verify = || {
        common::scenarios::out(
            std::process::Command::new(env!("CARGO_BIN_EXE_omslint"))
                .args([
                    "verify",
                    "--backup-dir",
                    "backup",
                    "--to",
                    "4.2.3",
                    "--format",
                    "json",
                ])
                .args(["--metadb", &format!("mysql://root@127.0.0.1:{}", db.port)])
                .args(["--ssl-mode", "disabled"])
                .current_dir(&work)
                .env("OMSLINT_METADB_PASSWORD", ""),
        )
    };
    let job = "10.0.0.1-9000:connector_v2:p_4cey9gfxsh4o-incr_trans-1-0:0000000001";
    let out = verify();
    let r = report(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(findings(&r), expect(&[("OMS107", "error", job)]));
    let f = finding(&r, "OMS107", job);
    assert_eq!(f["subject"]["kind"], "component");
    assert_eq!(f["subject"]["project_id"], "p_4cey9gfxsh4o");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("the source was 3.2.1"));
    // dbType added in the console after the upgrade: a new setting, no loss.
    db.sql(&format!(
        "INSERT INTO cm_321.config_job (job_name, `key`, value, gmt_created, gmt_modified) VALUES ('{job}', 'sourceFile.dbType', 'MYSQL', NOW(), NOW())"
    ));
    let out = verify();
    let r = report(&out);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(findings(&r), vec![]);
    let _ = std::fs::remove_dir_all(&work);
}

/// The commands the runbook gives run as written, in the directory of the backups.
#[test]
fn the_runbooks_verify_commands_run_as_written() {
    let env = start("runbook");
    // The sample's config.yaml, pointing at this server as the SELECT-only user.
    let snap = env.work.join("snapshot");
    common::scenarios::copy_without_dumps(&fixture("sample"), &snap);
    for region in ["hangzhou", "shanghai"] {
        let path = snap.join("regions").join(region).join("config.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("oms_meta_host: 10.0.0.100", "oms_meta_host: 127.0.0.1")
            .replace(
                "oms_meta_port: 2883",
                &format!("oms_meta_port: {}", env.db.port),
            )
            .replace(
                "oms_meta_user: oms_meta@oms_tenant#obmeta",
                "oms_meta_user: verify",
            );
        std::fs::write(&path, text).unwrap();
    }
    let plan = run(
        &env.work,
        &args(&[
            "plan", "snapshot", "--from", "3.4.0", "--to", "4.2.3", "--format", "json",
        ]),
        None,
    );
    let plan: Value = serde_json::from_str(&plan.stdout).expect("a JSON runbook");
    let step = |steps: &Value, title: &str| -> String {
        let s = steps
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["title"] == title)
            .unwrap_or_else(|| panic!("no step {title}"));
        s["commands"][0].as_str().unwrap().to_string()
    };
    let titles = |steps: &Value| -> Vec<String> {
        steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["title"].as_str().unwrap().to_string())
            .collect()
    };
    let hop = titles(&plan["hops"][0]["steps"]);
    let at = |t: &str, list: &[String]| list.iter().position(|x| x == t).unwrap();
    assert!(
        at("Check that every server is Online", &hop) < at("Verify that nothing was lost", &hop)
    );
    assert!(at("Turn HA on", &hop) < at("Verify that nothing was lost", &hop));
    let rb = titles(&plan["rollback"]);
    assert!(at("Restore the 3.4.0 backups", &rb) < at("Verify the restore", &rb));
    assert!(at("Verify the restore", &rb) < at("Restart the OMS 3.4.0 container on 10.0.0.1", &rb));
    let after_upgrade = step(&plan["hops"][0]["steps"], "Verify that nothing was lost");
    let after_restore = step(&plan["rollback"], "Verify the restore");
    assert_eq!(
        after_upgrade,
        format!(
            "omslint verify --backup-dir . --metadb mysql://verify@127.0.0.1:{} --from 3.4.0 --to 4.2.3 --downtime 60m",
            env.db.port
        )
    );
    // Run as written, with omslint on the PATH, in the directory holding the backups.
    let bin = Path::new(env!("CARGO_BIN_EXE_omslint"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let sh = |cmd: &str| {
        common::scenarios::out(
            std::process::Command::new("bash")
                .args(["-c", cmd])
                .current_dir(env.work.join("backup"))
                .env("PATH", &path)
                .env("OMSLINT_METADB_PASSWORD", PW)
                .env("NO_COLOR", "1"),
        )
    };
    upgrade(&env.db, true, true);
    let out = sh(&after_upgrade);
    assert_eq!(
        out.code, 0,
        "{after_upgrade}\n{}\n{}",
        out.stdout, out.stderr
    );
    env.restore();
    let out = sh(&after_restore);
    assert_eq!(
        out.code, 0,
        "{after_restore}\n{}\n{}",
        out.stdout, out.stderr
    );
    env.db
        .sql("DELETE FROM cm_hb_340_2.heatbeat_sequence ORDER BY id DESC LIMIT 1");
    let out = sh(&after_restore);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("cm_hb_340_2.heatbeat_sequence"),
        "{}",
        out.stdout
    );
}
