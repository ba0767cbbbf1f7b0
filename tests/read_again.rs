//! After the first pass over a dump, the project rows the rules need whole (names whose
//! hashes collide, projects a component names) are read again by their place in the file
//! instead of in a second pass over all of it. These tests hold that to the whole pass
//! (`OMSLINT_READ_AGAIN_ALL=1`): the reports must be the same byte for byte, on real
//! mariadb-dump output cut into many INSERTs, one row per INSERT, and with column lists
//! (where reading by place is not done at all). A live MetaDB selects those rows again by
//! key instead of streaming every row a second time; the same holds it to the whole pass,
//! including on a server whose `CRC32()` sees other bytes than it sends.

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

/// The connections (general log thread ids) of omslint's statements that are `LIKE`
/// `pattern`.
fn connections(db: &MariaDb, pattern: &str) -> Vec<String> {
    db.sql(&format!(
        "SELECT DISTINCT thread_id FROM mysql.general_log WHERE user_host LIKE 'lint%' AND command_type = 'Query' AND argument LIKE '{pattern}' ORDER BY thread_id"
    ))
    .lines()
    .map(str::to_string)
    .collect()
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
    // (report, statements selecting by CRC32, statements reading the project table whole)
    let live = |all: bool| {
        db.sql("TRUNCATE mysql.general_log");
        let env = [
            ("OMSLINT_METADB_PASSWORD", Some("pw")),
            ("OMSLINT_READ_AGAIN_ALL", all.then_some("1")),
        ];
        let out = common::scenarios::run_with_env(&dir, &args, &env);
        assert!(out.code == 1, "exit {}: {}", out.code, out.stderr);
        // Every statement on the table but the check that it can be read (LIMIT 0) and the
        // ones that select rows (WHERE).
        let whole = logged(&db, "oms_project`")
            - logged(&db, "oms_project` WHERE")
            - logged(&db, "oms_project` LIMIT 0");
        (out, logged(&db, "CRC32("), whole)
    };

    let (keys, crc_reads, whole_reads) = live(false);
    assert_eq!(
        (crc_reads, whole_reads),
        (1, 1),
        "one pass, then rows by key"
    );
    // The rows by key were asked for early, on a connection of their own, while the
    // connection that read the table whole read on.
    let by_key = connections(&db, "%CRC32(%");
    let first = connections(&db, "SELECT %oms_project`");
    assert_eq!(by_key.len(), 1, "{by_key:?}");
    assert!(
        !first.is_empty() && !first.contains(&by_key[0]),
        "{by_key:?} {first:?}"
    );
    let (all, crc_reads, whole_reads) = live(true);
    assert_eq!((crc_reads, whole_reads), (0, 2), "two passes");
    assert!(keys.stdout == all.stdout, "the reports differ");
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

    // Ids in a latin1 column with a letter outside ASCII: the server's CRC32() reads the
    // stored latin1 bytes, omslint's the UTF-8 it is sent. The rows asked for by key do
    // not all come back, and the table is read whole after all.
    db.sql(&format!(
        "ALTER TABLE `{rm}`.oms_project MODIFY id VARCHAR(64) CHARACTER SET latin1 NOT NULL;
         UPDATE `{rm}`.oms_project SET id = CONCAT('\u{e9}', id) WHERE id LIKE '%1' OR id LIKE '%4'"
    ));
    let differ = db.sql(&format!(
        "SELECT COUNT(*) FROM `{rm}`.oms_project WHERE CRC32(id) <> CRC32(CONVERT(id USING utf8mb4))"
    ));
    assert!(differ.trim().parse::<u32>().unwrap() > 500, "{differ}");
    let (keys, crc_reads, whole_reads) = live(false);
    assert_eq!(
        (crc_reads, whole_reads),
        (1, 2),
        "rows by key, then a whole pass"
    );
    let (all, _, _) = live(true);
    assert!(keys.stdout == all.stdout, "the reports differ");
    assert!(
        count(&keys, "OMS003") > 900,
        "{} OMS003",
        count(&keys, "OMS003")
    );
    assert!(keys.stdout.contains("\u{e9}p_"));
    let _ = std::fs::remove_dir_all(&work);
}
