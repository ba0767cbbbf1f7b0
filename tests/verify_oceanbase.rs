//! `omslint verify` against OceanBase (seekdb, `tests/common/seekdb.rs`): the backups are
//! OceanBase's own dumps (`mariadb-dump --triggers=false` against seekdb: its table
//! options, its formatting), compared with the live seekdb after a simulated upgrade and
//! after a restore.

mod common;

use common::scenarios::{run, temp_dir};
use common::seekdb::SeekDb;
use common::{findings, fixture, json, Out};

const DBS: [&str; 4] = ["cm_340", "cm_hb_340", "cm_hb_340_2", "rm_340"];

#[test]
fn verify_on_oceanbase_after_the_upgrade_and_after_the_rollback() {
    let db = SeekDb::start();
    db.load_deployment(&fixture("sample"));
    let work = temp_dir("verify-ob");
    let backup = work.join("backup");
    std::fs::create_dir_all(&backup).unwrap();
    for d in DBS {
        let file = backup.join(format!("{d}.sql"));
        db.dump_with(&["--triggers=false"], &[d], &file);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("ORGANIZATION INDEX"), "not an OceanBase dump");
    }
    let verify = |extra: &[&str]| -> Out {
        let mut a: Vec<String> = [
            "verify",
            "--backup-dir",
            "backup",
            "--metadb",
            &format!("mysql://root@127.0.0.1:{}", db.port),
            "--ssl-mode",
            "disabled",
            "--format",
            "json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        run(&work, &a, Some(""))
    };
    let codes = |out: &Out| -> Vec<(String, String, String)> {
        let r = json(out);
        assert_eq!(r["command"], "verify");
        let mut f = findings(&r);
        f.sort();
        f
    };

    // The upgrade: the target recorded, HA on as the guides want it, schema additions.
    db.sql(
        "INSERT INTO rm_340.oms_version (version, gmt_modified) VALUES ('4.2.3', NOW());
         UPDATE rm_340.oms_normal_config SET cfg_value = REPLACE(cfg_value, '\"perceiveStoreClientCheckpoint\":false', '\"perceiveStoreClientCheckpoint\":true') WHERE cfg_name = 'ha.config';
         ALTER TABLE rm_340.oms_project ADD COLUMN source_kind varchar(16) NULL;
         CREATE TABLE rm_340.oms_feature_flag (id bigint NOT NULL PRIMARY KEY, name varchar(64));",
    );
    let out = verify(&["--to", "4.2.3"]);
    assert_eq!(out.code, 0, "{}\n{:?}", out.stderr, codes(&out));
    assert_eq!(codes(&out), vec![]);

    // A project that ran, failed; a server that is not online.
    db.sql(
        "UPDATE rm_340.oms_project SET project_status = 'FAILED' WHERE id = 'p_4cicnmc58z6z';
         UPDATE cm_340.host SET status = 'OFFLINE' WHERE ip = '10.0.1.1';",
    );
    let out = verify(&["--to", "4.2.3"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        codes(&out),
        vec![
            s("OMS102", "error", "p_4cicnmc58z6z"),
            s("OMS105", "error", "10.0.1.1")
        ]
    );

    // The rollback: every database dropped, re-created and restored from its backup.
    for d in DBS {
        db.sql(&format!("DROP DATABASE `{d}`; CREATE DATABASE `{d}`"));
        db.load(d, &backup.join(format!("{d}.sql")));
    }
    let out = verify(&["--rolled-back"]);
    assert_eq!(out.code, 0, "{}\n{:?}", out.stderr, codes(&out));
    db.sql("DELETE FROM cm_hb_340.heatbeat_sequence ORDER BY id LIMIT 1");
    let out = verify(&["--rolled-back"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        codes(&out),
        vec![s("OMS108", "error", "cm_hb_340.heatbeat_sequence")]
    );
    let r = json(&out);
    assert_eq!(r["findings"][0]["evidence"]["missing"], 1);
    let _ = std::fs::remove_dir_all(&work);
}
