//! After the first pass over a dump, the project rows the rules need whole (names whose
//! hashes collide, projects a component names) are read again by their place in the file
//! instead of in a second pass over all of it. These tests hold that to the whole pass
//! (`OMSLINT_READ_AGAIN_ALL=1`): the reports must be the same byte for byte, on real
//! mariadb-dump output cut into many INSERTs, one row per INSERT, and with column lists
//! (where reading by place is not done at all). A live MetaDB selects those rows again by
//! id (or, without a temporary file to keep ids in, by the CRC-32s of their ids) instead of
//! streaming every row a second time; the same holds it to the whole pass, including on
//! ids stored as latin1 and ids that are not UTF-8 at all.

mod common;

use std::path::{Path, PathBuf};

use common::mariadb::{dump_database, MariaDb};
use common::scenarios::{copy_without_dumps, temp_dir};
use common::{fixture, json, Out};

/// 3,000 projects, every name three times over in different cases (duplicates under
/// general_ci), one in seven DELETED; a data source read through oblogproxy; and components
/// without dbType naming some of the projects, which OMS005 reads whole.
fn more_projects(rm: &str, cm: &str) -> String {
    format!(
        "INSERT INTO `{rm}`.oms_datasource (id, name, type, conn_extra_attributes) VALUES ('ds_lp', 'lp', 'OB_MYSQL', '{{\"useLogProxy\":true}}');
         INSERT INTO `{rm}`.oms_project (id, project_name, project_status, source_datasource_id, sink_datasource_id, gmt_created, gmt_modified)
           SELECT CONCAT('p_', LPAD(seq, 12, '0')),
                  CONCAT(IF(seq % 3 = 0, 'ORDERS_', 'orders_'), seq % 1000),
                  IF(seq % 7 = 0, 'DELETED', IF(seq % 11 = 0, 'FAILED', 'RUNNING')),
                  IF(seq % 500 = 0, 'ds_lp', 'ds_x'), NULL,
                  '2024-01-01 00:00:00' + INTERVAL seq MINUTE, '2024-01-01 00:00:00'
           FROM seq_1_to_3000;
         INSERT INTO `{cm}`.config_job (job_name, `key`, value, gmt_created, gmt_modified)
           SELECT CONCAT('10.0.0.1-9000:connector_v2:p_', LPAD(seq * 37, 12, '0'), '-incr_trans-1-0:0000000001'),
                  'sourceFile.checkpoint', '1', '2024-01-01 00:00:00', '2024-01-01 00:00:00'
           FROM seq_1_to_60;"
    )
}

/// A MariaDB holding OMS005-fires-configjob's MetaDB and `more_projects`: the server, the
/// fixture, its database names and a work directory named after `tag`.
fn seeded(tag: &str) -> (MariaDb, PathBuf, Vec<String>, PathBuf) {
    let db = MariaDb::start();
    let case = fixture("cases/OMS005-fires-configjob");
    let dumps = db.load_deployment(&case);
    let names: Vec<String> = dumps.iter().map(|p| dump_database(p)).collect();
    let rm = names.iter().find(|d| d.starts_with("rm_")).unwrap().clone();
    let cm = names
        .iter()
        .find(|d| d.starts_with("cm_") && !d.starts_with("cm_hb"))
        .unwrap()
        .clone();
    let work = temp_dir(tag);
    let file = work.join("more.sql");
    std::fs::write(&file, more_projects(&rm, &cm)).unwrap();
    db.load(&rm, &file);
    (db, case, names, work)
}

fn lint(dir: &Path, all: bool) -> Out {
    let args: Vec<String> = ["lint", ".", "--format", "json", "--to", "4.3.1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let all = all.then_some("1");
    common::scenarios::run_with_env(dir, &args, &[("OMSLINT_READ_AGAIN_ALL", all)])
}

#[test]
fn rows_read_again_by_place_report_what_a_whole_pass_reports() {
    let (db, case, names, work) = seeded("read-again");
    let ways: [(&str, &[&str]); 3] = [
        // Small INSERTs: many runs, each begun by its INSERT.
        ("many-inserts", &["--net-buffer-length=4096"]),
        ("row-per-insert", &["--skip-extended-insert"]),
        ("column-lists", &["--complete-insert"]),
    ];
    for (tag, options) in ways {
        let dir = work.join(tag);
        copy_without_dumps(&case, &dir);
        std::fs::create_dir_all(dir.join("metadb")).unwrap();
        for d in &names {
            let mut opts = vec!["--single-transaction", "--skip-dump-date"];
            opts.extend_from_slice(options);
            db.dump_with(&opts, &[d], &dir.join("metadb").join(format!("{d}.sql")));
        }
        let (place, all) = (lint(&dir, false), lint(&dir, true));
        assert!(place.stdout == all.stdout, "{tag}: the reports differ");
        let report = json(&place);
        let count = |code: &str| {
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == code)
                .count()
        };
        // 1,000 names, each in a group unless DELETED rows thin it below two.
        assert!(count("OMS003") > 900, "{tag}: {} OMS003", count("OMS003"));
        assert!(count("OMS004") >= 5, "{tag}: {} OMS004", count("OMS004"));
        // The 60 components name projects whose creation time OMS005 reads.
        assert!(count("OMS005") > 60, "{tag}: {} OMS005", count("OMS005"));
    }
}

fn count(out: &Out, code: &str) -> usize {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .count()
}

/// The statements omslint (user `lint`) ran since the general log was last emptied that
/// contain `text`.
fn logged(db: &MariaDb, text: &str) -> usize {
    let n = db.sql(&format!(
        "SELECT COUNT(*) FROM mysql.general_log WHERE user_host LIKE 'lint%' AND command_type = 'Query' AND argument LIKE '%{text}%'"
    ));
    n.trim().parse().unwrap()
}

#[test]
fn live_rows_selected_by_key_report_what_a_whole_pass_reports() {
    let (db, case, names, work) = seeded("read-again-live");
    let rm = names.iter().find(|d| d.starts_with("rm_")).unwrap().clone();
    db.sql(
        "CREATE USER 'lint'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO 'lint'@'127.0.0.1';
         SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1",
    );
    let dir = work.join("live");
    copy_without_dumps(&case, &dir);
    let args: Vec<String> = [
        "lint",
        ".",
        "--format",
        "json",
        "--to",
        "4.3.1",
        "--metadb",
        &format!("mysql://lint@127.0.0.1:{}", db.port),
        "--ssl-mode",
        "disabled",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // (report, statements selecting by CRC32, statements selecting by id, statements
    // reading the project table whole). `tmp`: the TMPDIR omslint runs with.
    let live = |all: bool, tmp: Option<&str>| {
        db.sql("TRUNCATE mysql.general_log");
        let env = [
            ("OMSLINT_METADB_PASSWORD", Some("pw")),
            ("OMSLINT_READ_AGAIN_ALL", all.then_some("1")),
            ("TMPDIR", tmp),
        ];
        let out = common::scenarios::run_with_env(&dir, &args, &env);
        assert!(out.code == 1, "exit {}: {}", out.code, out.stderr);
        // Every statement on the table but the check that it can be read (LIMIT 0) and the
        // ones that select rows (WHERE).
        let whole = logged(&db, "oms_project`")
            - logged(&db, "oms_project` WHERE")
            - logged(&db, "oms_project` LIMIT 0");
        let by_id = logged(&db, "oms_project` WHERE `id` IN (");
        (out, logged(&db, "CRC32("), by_id, whole)
    };
    let counts = |r: &(Out, usize, usize, usize)| (r.1, r.2, r.3);

    // The rows whose names may be duplicates (about 2,600 of them) and the projects the
    // components name are asked for by id, a few hundred to a statement: the ids were kept
    // in a temporary file as the rows streamed.
    let keys = live(false, None);
    assert_eq!(counts(&keys), (0, 6, 1), "one pass, then rows by id");
    let all = live(true, None);
    assert_eq!(counts(&all), (0, 0, 2), "two passes");
    let keys = keys.0;
    assert!(keys.stdout == all.0.stdout, "the reports differ");
    assert!(
        count(&keys, "OMS003") > 900,
        "{} OMS003",
        count(&keys, "OMS003")
    );
    assert!(
        count(&keys, "OMS005") > 60,
        "{} OMS005",
        count(&keys, "OMS005")
    );
    // No temporary file can be made: the rows are selected by the CRC-32s of their ids
    // (one statement), the projects the components name by id.
    let no_tmp = work.join("no-such-dir");
    let crcs = live(false, Some(no_tmp.to_str().unwrap()));
    let (n_crc, n_id, n_whole) = counts(&crcs);
    assert_eq!((n_crc, n_whole), (1, 1), "by CRC-32, no second pass");
    assert!((1..6).contains(&n_id), "{n_id} statements by id");
    assert!(crcs.0.stdout == all.0.stdout, "the reports differ");

    // Ids in a latin1 column with a letter outside ASCII: sent back as the UTF-8 they
    // came as, the server finds them all, where the CRC-32 its CRC32() computes (of the
    // stored latin1 bytes) is not the one omslint computes of the UTF-8 it was sent: that
    // way the rows do not all come back, and the table is read whole after all.
    db.sql(&format!(
        "ALTER TABLE `{rm}`.oms_project MODIFY id VARCHAR(64) CHARACTER SET latin1 NOT NULL;
         UPDATE `{rm}`.oms_project SET id = CONCAT('\u{e9}', id) WHERE id LIKE '%1' OR id LIKE '%4'"
    ));
    let differ = db.sql(&format!(
        "SELECT COUNT(*) FROM `{rm}`.oms_project WHERE CRC32(id) <> CRC32(CONVERT(id USING utf8mb4))"
    ));
    assert!(differ.trim().parse::<u32>().unwrap() > 500, "{differ}");
    let keys = live(false, None);
    assert_eq!(counts(&keys), (0, 6, 1), "rows by id, no second pass");
    let all = live(true, None);
    assert!(keys.0.stdout == all.0.stdout, "the reports differ");
    let crcs = live(false, Some(no_tmp.to_str().unwrap()));
    assert_eq!(
        (crcs.1, crcs.3),
        (1, 2),
        "rows by CRC-32, then a whole pass"
    );
    assert!(crcs.0.stdout == all.0.stdout, "the reports differ");
    assert!(
        count(&keys.0, "OMS003") > 900,
        "{} OMS003",
        count(&keys.0, "OMS003")
    );
    assert!(keys.0.stdout.contains("\u{e9}p_"));

    // Ids that are not UTF-8 (a binary column): what omslint can send back does not find
    // them, and the table is read whole after all.
    db.sql(&format!(
        "ALTER TABLE `{rm}`.oms_project MODIFY id VARBINARY(64) NOT NULL;
         UPDATE `{rm}`.oms_project SET id = CONCAT(X'FF', id) WHERE id LIKE '%2'"
    ));
    let keys = live(false, None);
    assert_eq!((keys.1, keys.3), (0, 2), "rows by id, then a whole pass");
    let all = live(true, None);
    assert!(keys.0.stdout == all.0.stdout, "the reports differ");
    assert!(
        count(&keys.0, "OMS003") > 900,
        "{} OMS003",
        count(&keys.0, "OMS003")
    );
    let _ = std::fs::remove_dir_all(&work);
}
