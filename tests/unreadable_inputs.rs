//! Unknown is never a pass (issue 11), on every input: each test starts from
//! `fixtures/bad/control` (a valid deployment: exit 0, every rule quiet, its dumps made by
//! the real mariadb-dump), copied to a temporary directory, with one thing broken.
//!
//! - An entry that is there but cannot be followed (a symbolic link loop, a dangling
//!   link) is exit 3 naming it; one of the wrong kind (a directory for a file, a file for
//!   a directory, a pipe) exit 2 naming it: never skipped, which would pass (exit 0).
//! - YAML, JSON and INI are UTF-8: another encoding is exit 2 at the file, line and
//!   column of the first bad byte; a UTF-8 BOM stays accepted.
//! - Two dumps of one database are exit 2 naming both files.
//! - A key that looks like a secret, misspelt or not, never has its value printed, in
//!   any format.

mod common;

use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{fixture, omslint_in, Out};

const COMPONENT: &str =
    "components/10.0.0.1-9000:connector_v2:p_4c1q0jmd840e-incr_trans-1-0:0000000001";

/// A copy of bad/control, removed when dropped.
struct Deployment(PathBuf);

impl Deployment {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("omslint-unusable-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new("cp")
            .arg("-a")
            .arg(fixture("bad/control"))
            .arg(&dir)
            .status()
            .expect("cp runs");
        assert!(status.success(), "cp -a bad/control");
        std::fs::remove_file(dir.join("case.yaml")).expect("case.yaml");
        Deployment(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn remove(&self, rel: &str) {
        let p = self.path(rel);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p).expect("rm -r"),
            Ok(_) => std::fs::remove_file(&p).expect("rm"),
            Err(_) => {}
        }
    }

    /// Replaces `rel` by a symbolic link to `target` (relative to the link's directory).
    fn link(&self, rel: &str, target: &str) {
        self.remove(rel);
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        symlink(target, p).expect("symlink");
    }

    fn make_dir(&self, rel: &str) {
        self.remove(rel);
        std::fs::create_dir_all(self.path(rel)).expect("mkdir");
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        self.remove(rel);
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).expect("read")
    }

    /// Replaces the first line of `rel` that starts with `prefix` by `line`.
    fn replace_line(&self, rel: &str, prefix: &str, line: &[u8]) {
        let text = self.read(rel);
        let mut out = Vec::new();
        let mut done = false;
        for l in text.split_inclusive(|b| *b == b'\n') {
            if !done && l.starts_with(prefix.as_bytes()) {
                out.extend_from_slice(line);
                out.push(b'\n');
                done = true;
            } else {
                out.extend_from_slice(l);
            }
        }
        assert!(done, "{rel} has no line starting with {prefix:?}");
        self.write(rel, &out);
    }

    fn lint(&self, extra: &[&str]) -> Out {
        let mut args = vec!["lint", ".", "--to", "4.2.3"];
        args.extend_from_slice(extra);
        omslint_in(&self.0, &args)
    }

    /// Lints with the sources given by flags instead of the snapshot layout.
    fn lint_flags(&self, flags: &[&str]) -> Out {
        let mut args = vec!["lint", "--to", "4.2.3", "--from", "3.4.0"];
        args.extend_from_slice(flags);
        omslint_in(&self.0, &args)
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The one error line omslint prints, with the exit code.
fn expect_error(what: &str, out: &Out, code: i32, needles: &[&str]) {
    let shown = format!(
        "{what}: exit {} (want {code})\nstderr: {}\nstdout: {}",
        out.code,
        out.stderr.trim(),
        out.stdout.chars().take(400).collect::<String>()
    );
    assert_eq!(out.code, code, "{shown}");
    assert!(out.stderr.starts_with("omslint: error: "), "{shown}");
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{shown}");
    assert!(out.stdout.is_empty(), "no report on a failed read: {shown}");
    for n in needles {
        assert!(
            out.stderr.contains(n),
            "{what}: stderr should contain {n:?}\n{shown}"
        );
    }
    assert!(!out.stderr.contains("panicked"), "{shown}");
}

#[test]
fn the_control_deployment_passes() {
    let d = Deployment::new("control");
    let out = d.lint(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn snapshot_entries_that_cannot_be_followed_are_exit_3() {
    // (entry, link target, what the message says)
    let cases: &[(&str, &str, &str)] = &[
        ("config.yaml", "config.yaml", "symbolic link loop"),
        ("config.yaml", "config.old.yaml", "dangling symbolic link"),
        ("metadb/rm_340.sql", "rm_340.sql", "symbolic link loop"),
        (
            "metadb/cm_340.sql",
            "/nonexistent/cm_340.sql",
            "dangling symbolic link",
        ),
        ("metadb", "metadb", "symbolic link loop"),
        ("components", "../elsewhere/run", "dangling symbolic link"),
        (
            "docker-inspect.json",
            "docker-inspect.json",
            "symbolic link loop",
        ),
        ("omslint.yaml", "omslint.yaml", "symbolic link loop"),
        (
            COMPONENT,
            "/nonexistent/component",
            "dangling symbolic link",
        ),
        (
            &format!("{COMPONENT}/conf/source.json"),
            "source.json",
            "symbolic link loop",
        ),
    ];
    for (entry, target, why) in cases {
        let d = Deployment::new("link");
        d.link(entry, target);
        let out = d.lint(&[]);
        expect_error(entry, &out, 3, &[&format!("cannot read {entry}: "), why]);
    }
}

#[test]
fn a_region_config_that_cannot_be_followed_is_exit_3() {
    let d = Deployment::new("region-link");
    std::fs::create_dir_all(d.path("regions/hz")).unwrap();
    std::fs::rename(d.path("config.yaml"), d.path("regions/hz/config.yaml")).unwrap();
    assert_eq!(
        d.lint(&[]).code,
        0,
        "the region layout lints like the root config"
    );
    // A second node's config, linked to a file that is gone.
    d.link("regions/hz/node2.yaml", "/nonexistent/node2.yaml");
    let out = d.lint(&[]);
    expect_error(
        "regions/hz/node2.yaml",
        &out,
        3,
        &["cannot read regions/hz/node2.yaml: dangling"],
    );
    d.remove("regions/hz/node2.yaml");
    d.link("regions/hz/config.yaml", "config.yaml");
    let out = d.lint(&[]);
    expect_error(
        "regions/hz/config.yaml",
        &out,
        3,
        &["regions/hz/config.yaml", "loop"],
    );
}

#[test]
fn snapshot_entries_of_the_wrong_kind_are_exit_2() {
    let cases: &[(&str, &str)] = &[
        ("config.yaml", "is a directory, expected"),
        ("docker-inspect.json", "is a directory, expected"),
        ("omslint.yaml", "is a directory, expected"),
        ("metadb/rm_340.sql", "is a directory, expected a dump file"),
        ("regions/hz/config.yaml", "is a directory, expected"),
        (
            &format!("{COMPONENT}/conf/source.json"),
            "is a directory, expected",
        ),
    ];
    for (entry, want) in cases {
        let d = Deployment::new("dir-for-file");
        d.make_dir(entry);
        let out = d.lint(&[]);
        expect_error(entry, &out, 2, &[&format!("error: {entry}: "), want]);
    }
    for entry in [
        "components",
        "metadb",
        "regions",
        &format!("{COMPONENT}/conf"),
    ] {
        let d = Deployment::new("file-for-dir");
        d.write(entry, b"not a directory\n");
        let out = d.lint(&[]);
        expect_error(
            entry,
            &out,
            2,
            &[&format!("error: {entry}: is a file, expected")],
        );
    }
    // A pipe is never read from a snapshot: with no writer it would wait forever.
    let d = Deployment::new("fifo");
    d.remove("config.yaml");
    let status = Command::new("mkfifo")
        .arg(d.path("config.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let out = d.lint(&[]);
    expect_error("fifo", &out, 2, &["config.yaml: is a named pipe"]);
}

#[test]
fn snapshot_layout_mistakes_are_named() {
    let d = Deployment::new("gz");
    let dump = d.read("metadb/cm_hb_340.sql");
    d.remove("metadb/cm_hb_340.sql");
    d.write("metadb/cm_hb_340.sql.gz", &dump);
    let out = d.lint(&[]);
    expect_error(
        "gz",
        &out,
        2,
        &["metadb/cm_hb_340.sql.gz: a compressed file"],
    );

    let d = Deployment::new("region-file");
    std::fs::create_dir_all(d.path("regions")).unwrap();
    std::fs::rename(d.path("config.yaml"), d.path("regions/hz.yaml")).unwrap();
    let out = d.lint(&[]);
    expect_error(
        "regions/hz.yaml",
        &out,
        2,
        &["regions/hz.yaml: ", "regions/<region>/config.yaml"],
    );

    let d = Deployment::new("region-empty");
    std::fs::create_dir_all(d.path("regions/sh")).unwrap();
    let out = d.lint(&[]);
    expect_error(
        "regions/sh",
        &out,
        2,
        &["regions/sh: a region directory without a config"],
    );
}

#[test]
fn an_input_that_cannot_be_parsed_wins_over_one_that_cannot_be_read() {
    // SPEC §2: when several apply, 2 before 3, whichever source comes first.
    let d = Deployment::new("order");
    d.link("config.yaml", "config.yaml");
    d.write(
        &format!("{COMPONENT}/conf/source.json"),
        b"{\"dbType\": \"MYSQL\",}\n",
    );
    let out = d.lint(&[]);
    expect_error("order", &out, 2, &["conf/source.json:1:"]);
    // Several unreadable entries: one message names them all.
    let d = Deployment::new("several");
    d.link("config.yaml", "config.yaml");
    d.link("docker-inspect.json", "gone.json");
    let out = d.lint(&[]);
    expect_error(
        "several",
        &out,
        3,
        &[
            "cannot read config.yaml",
            "also unreadable: docker-inspect.json",
        ],
    );
}

#[test]
fn source_flags_name_what_they_cannot_use() {
    let d = Deployment::new("flags");
    d.link("loop.yaml", "loop.yaml");
    d.link("loop.sql", "loop.sql");
    d.link("gone", "/nonexistent/gone");
    std::fs::create_dir_all(d.path("backups")).unwrap();
    let base = [
        "--config",
        "config.yaml",
        "--dump",
        "metadb/rm_340.sql",
        "--dump",
        "metadb/cm_340.sql",
        "--dump",
        "metadb/cm_hb_340.sql",
    ];
    let ok = d.lint_flags(&base);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["--config", "loop.yaml"],
            3,
            "cannot read loop.yaml: symbolic link loop",
        ),
        (&["--config", "metadb"], 2, "metadb: is a directory"),
        (
            &["--dump", "loop.sql"],
            3,
            "cannot read loop.sql: symbolic link loop",
        ),
        (
            &["--dump", "gone"],
            3,
            "cannot read gone: dangling symbolic link",
        ),
        (
            &["--dump", "metadb"],
            2,
            "metadb: is a directory, expected a dump file",
        ),
        (
            &["--components", "config.yaml"],
            2,
            "config.yaml: is a file, expected the directory",
        ),
        (&["--components", "gone"], 3, "cannot read gone: dangling"),
        (
            &["--docker-inspect", "loop.yaml"],
            3,
            "cannot read loop.yaml: symbolic link loop",
        ),
        (&["--docker-inspect", "metadb"], 2, "metadb: is a directory"),
        (
            &["--backup-dir", "config.yaml"],
            2,
            "config.yaml: is a file, expected the backup directory",
        ),
        (
            &["--backup-dir", "loop.yaml"],
            3,
            "cannot read loop.yaml: symbolic link loop",
        ),
        (
            &["--settings", "loop.yaml"],
            3,
            "cannot read loop.yaml: symbolic link loop",
        ),
        (&["--settings", "metadb"], 2, "metadb: is a directory"),
    ];
    for (flags, code, want) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(flags);
        let out = d.lint_flags(&args);
        expect_error(&flags.join(" "), &out, *code, &[want]);
    }
    // A backup that cannot be read is not a missing backup.
    d.link("backups/rm_340.sql", "/nonexistent/rm_340.sql");
    let mut args = base.to_vec();
    args.extend_from_slice(&["--backup-dir", "backups"]);
    let out = d.lint_flags(&args);
    expect_error(
        "backup link",
        &out,
        3,
        &["cannot read backups/rm_340.sql: dangling"],
    );
    // A dump is read more than once: a pipe cannot be one.
    let status = Command::new("mkfifo")
        .arg(d.path("pipe.sql"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let mut args = base.to_vec();
    args.extend_from_slice(&["--dump", "pipe.sql"]);
    let out = d.lint_flags(&args);
    expect_error("pipe dump", &out, 2, &["pipe.sql: is a named pipe"]);
}

#[test]
fn a_config_from_a_pipe_is_read_once_and_digested_as_read() {
    // `--config <(ssh node cat config.yaml)`: the report's digest is of what was read.
    let d = Deployment::new("pipe-config");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} lint --to 4.2.3 --format json --config <(cat config.yaml) --dump metadb/rm_340.sql --dump metadb/cm_340.sql --dump metadb/cm_hb_340.sql",
            env!("CARGO_BIN_EXE_omslint")
        ))
        .current_dir(&d.0)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let config = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "config")
        .expect("the config input");
    let file = Command::new("sha256sum")
        .arg(d.path("config.yaml"))
        .output()
        .expect("sha256sum");
    let want = String::from_utf8_lossy(&file.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(config["sha256"], want.as_str(), "{config}");
}

/// GBK bytes of 杭州 (Hangzhou), as a GBK terminal types them.
const GBK_HANGZHOU: &[u8] = &[0xBA, 0xBC, 0xD6, 0xDD];

fn with_gbk(prefix: &str, suffix: &str) -> Vec<u8> {
    let mut v = prefix.as_bytes().to_vec();
    v.extend_from_slice(GBK_HANGZHOU);
    v.extend_from_slice(suffix.as_bytes());
    v
}

#[test]
fn inputs_that_are_not_utf8_are_exit_2_at_the_byte() {
    // config.yaml line 12 is `cm_region_cn: 杭州`.
    let d = Deployment::new("gbk-config");
    d.replace_line(
        "config.yaml",
        "cm_region_cn:",
        &with_gbk("cm_region_cn: ", ""),
    );
    let out = d.lint(&[]);
    expect_error(
        "config.yaml",
        &out,
        2,
        &["config.yaml:12:15: not UTF-8", "0xBA 0xBC", "GBK"],
    );

    // source.json line 22 is `"drcMarkDb": "oms_drc",`.
    let d = Deployment::new("gbk-json");
    let rel = format!("{COMPONENT}/conf/source.json");
    d.replace_line(
        &rel,
        "  \"drcMarkDb\"",
        &with_gbk("  \"drcMarkDb\": \"", "\","),
    );
    let out = d.lint(&[]);
    expect_error(
        "source.json",
        &out,
        2,
        &[&format!("{rel}:22:17: not UTF-8")],
    );

    // The legacy INI form.
    let d = Deployment::new("gbk-ini");
    d.remove(&format!("{COMPONENT}/conf/source.json"));
    let rel = format!("{COMPONENT}/conf/source.conf");
    d.write(&rel, &with_gbk("[source]\ndbType = MYSQL\n# ", "\n"));
    let out = d.lint(&[]);
    expect_error("source.conf", &out, 2, &[&format!("{rel}:3:3: not UTF-8")]);

    let d = Deployment::new("gbk-docker");
    let text = d.read("docker-inspect.json");
    let mut bytes = b"[\n".to_vec();
    bytes.extend_from_slice(&with_gbk("", "\n"));
    bytes.extend_from_slice(&text[2..]);
    d.write("docker-inspect.json", &bytes);
    let out = d.lint(&[]);
    expect_error(
        "docker-inspect.json",
        &out,
        2,
        &["docker-inspect.json:2:1: not UTF-8"],
    );

    let d = Deployment::new("gbk-settings");
    d.write("omslint.yaml", &with_gbk("to: 4.2.3\n# region ", "\n"));
    let out = d.lint(&[]);
    expect_error("omslint.yaml", &out, 2, &["omslint.yaml:2:10: not UTF-8"]);

    // A file saved as UTF-16 (Windows Notepad's "Unicode").
    let d = Deployment::new("utf16");
    let text = String::from_utf8(d.read("config.yaml")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    d.write("config.yaml", &utf16);
    let out = d.lint(&[]);
    expect_error("utf-16", &out, 2, &["config.yaml:1:1:", "UTF-16"]);
}

#[test]
fn a_bad_byte_in_a_secret_is_located_but_never_shown() {
    let d = Deployment::new("gbk-secret");
    d.replace_line(
        "config.yaml",
        "oms_meta_password:",
        &with_gbk("oms_meta_password: S3cr3t-", ""),
    );
    let out = d.lint(&[]);
    expect_error(
        "secret",
        &out,
        2,
        &["config.yaml:5:27: not UTF-8 (a byte in a secret's value)"],
    );
    assert!(
        !out.stderr.contains("0xBA") && !out.stderr.contains("S3cr3t"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_utf8_bom_is_accepted() {
    let d = Deployment::new("bom");
    for rel in [
        "config.yaml",
        "docker-inspect.json",
        &format!("{COMPONENT}/conf/source.json"),
    ] {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(d.read(rel));
        d.write(rel, &bytes);
    }
    d.write("omslint.yaml", b"\xEF\xBB\xBFto: 4.2.3\n");
    let out = d.lint(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn two_dumps_of_one_database_are_exit_2_naming_both() {
    let d = Deployment::new("two-dumps");
    let rm = d.read("metadb/rm_340.sql");
    d.write("metadb/rm_340_2023-10-02.sql", &rm);
    let out = d.lint(&[]);
    expect_error(
        "snapshot",
        &out,
        2,
        &[
            "metadb/rm_340_2023-10-02.sql:4: a second dump of database `rm_340`",
            "metadb/rm_340.sql:4",
        ],
    );
    // The same with --dump, the old one elsewhere.
    std::fs::create_dir_all(d.path("old")).unwrap();
    std::fs::rename(d.path("metadb/rm_340_2023-10-02.sql"), d.path("old/rm.sql")).unwrap();
    let out = d.lint(&["--dump", "old/rm.sql"]);
    expect_error(
        "--dump",
        &out,
        2,
        &[
            "old/rm.sql:4: a second dump of database `rm_340`",
            "metadb/rm_340.sql:4",
        ],
    );
    // One file named twice (the snapshot's and --dump) is one dump, read once.
    let out = d.lint(&["--dump", "metadb/rm_340.sql"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = d.lint(&[
        "--dump",
        "./metadb/../metadb/rm_340.sql",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let dumps = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "dump")
        .count();
    assert_eq!(dumps, 3, "{}", report["inputs"]);
}

#[test]
fn a_dump_of_several_databases_beside_a_dump_of_one_of_them_is_exit_2() {
    // `mariadb-dump --databases rm_340 cm_340` names rm_340 in its head and cm_340 further
    // on: the second is found by the scan, and a cm_340.sql beside it is a second dump.
    let db = common::mariadb::MariaDb::start();
    let d = Deployment::new("several-databases");
    db.load_deployment(&d.0);
    db.dump_databases(&["rm_340", "cm_340"], &d.path("metadb/rm_and_cm.sql"));
    d.remove("metadb/rm_340.sql");
    let out = d.lint(&[]);
    expect_error(
        "--databases",
        &out,
        2,
        &[
            "metadb/rm_and_cm.sql",
            "a second dump of database `cm_340`",
            "metadb/cm_340.sql",
        ],
    );
    // Without the separate dump, the dump of several databases is read as usual.
    d.remove("metadb/cm_340.sql");
    let out = d.lint(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Misspelt and unusual secret keys, each with its own value.
const SECRET_LINES: &[(&str, &str)] = &[
    ("oms_meta_pasword", "S3cr3t-typo-pasword"),
    ("passwd", "S3cr3t-typo-passwd"),
    ("tsdb_pass", "S3cr3t-typo-tsdb-pass"),
    ("secret_key", "S3cr3t-typo-secret-key"),
    ("access_token", "S3cr3t-typo-access-token"),
    ("drcCredential", "S3cr3t-typo-credential"),
    ("OMS_META_PASSWROD", "S3cr3t-typo-passwrod"),
];

/// bad/control with the line `key: value` where findings quote it: in config.yaml just
/// before `cm_url` (OMS012: port 8080; the human report shows the line before), and as
/// the first key of the component's source.json, which lacks `dbType` on source 3.2.1
/// (OMS005 points at its line 1 and shows line 2).
fn deployment_with_secret(key: &str, value: &str) -> Deployment {
    let d = Deployment::new("secrets");
    d.replace_line(
        "config.yaml",
        "cm_url:",
        format!("{key}: {value}\ncm_url: http://10.0.0.1:8080").as_bytes(),
    );
    let rel = format!("{COMPONENT}/conf/source.json");
    let text = String::from_utf8(d.read(&rel)).unwrap();
    let json = text
        .replacen("{\n", &format!("{{\n  \"{key}\": \"{value}\",\n"), 1)
        .replace("  \"dbType\": \"MYSQL\",\n", "");
    d.write(&rel, json.as_bytes());
    d
}

#[test]
fn misspelt_secret_keys_never_show_their_values() {
    let mut leaks = Vec::new();
    for (key, value) in SECRET_LINES {
        let d = deployment_with_secret(key, value);
        for format in ["human", "json", "sarif", "junit", "markdown", "github"] {
            let out = d.lint(&["--from", "3.2.1", "--format", format]);
            assert_eq!(out.code, 1, "{key} {format}: {}", out.stderr);
            for code in ["OMS012", "OMS005"] {
                assert!(
                    out.stdout.contains(code),
                    "{format}: {code} fires:\n{}",
                    out.stdout
                );
            }
            if out.stdout.contains(value) || out.stderr.contains(value) {
                leaks.push(format!("{format}: the value of {key}"));
            }
            if format == "human" {
                // The lines are quoted (so the check above means something), masked.
                for line in [
                    format!("{key}: <redacted>"),
                    format!("\"{key}\": \"<redacted>\""),
                ] {
                    assert!(out.stdout.contains(&line), "{line}:\n{}", out.stdout);
                }
            }
        }
        let out = d.lint(&["--from", "3.2.1", "--diff"]);
        if out.stdout.contains(value) || out.stderr.contains(value) {
            leaks.push(format!("--diff: the value of {key}"));
        }
        for format in ["markdown", "json"] {
            let out = omslint_in(
                &d.0,
                &[
                    "plan", ".", "--to", "4.2.3", "--from", "3.2.1", "--format", format,
                ],
            );
            if out.stdout.contains(value) || out.stderr.contains(value) {
                leaks.push(format!("plan {format}: the value of {key}"));
            }
        }
    }
    assert!(leaks.is_empty(), "printed:\n{}", leaks.join("\n"));
}
