//! What the consumers of a run see (issue 12): `--output` written atomically and never
//! left stale, `--diff` a patch that `git apply` and `patch` take with nothing else on
//! stdout, and the human report under a real pseudo-terminal at 80 and 200 columns with
//! the colour conventions.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, omslint_in, root};

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "omslint-out-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &dst.join(e.file_name()));
        } else {
            std::fs::copy(&p, dst.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn output_is_replaced_whole_and_never_left_stale() {
    let dir = temp("output");
    let report = dir.join("report.json");
    let sample = fixture("sample");
    let out = omslint_in(
        &sample,
        &[
            "lint",
            ".",
            "--format",
            "json",
            "--output",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains(&format!("wrote {}: ", report.display()))
            && out.stderr.contains("error(s)"),
        "one line says where the report went and what it found: {}",
        out.stderr
    );
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(first["summary"]["error"].as_u64().unwrap() > 0);
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["report.json".to_string()]);
    // A run that stops before it has a report removes the previous one.
    let bad = omslint_in(
        &sample,
        &[
            "lint",
            ".",
            "--to",
            "4.2",
            "--format",
            "json",
            "--output",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(
        !report.exists(),
        "a stale report would be published by an always() upload"
    );
    assert!(bad.stderr.contains("removed"), "{}", bad.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_is_a_patch_git_apply_and_patch_accept() {
    let dir = temp("diff");
    copy_dir(&fixture("cases/OMS012-fires-port"), &dir);
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("git")
    };
    assert!(git(&["init", "-q", "."]).status.success());
    let out = omslint_in(&dir, &["lint", ".", "--to", "4.2.3", "--diff"]);
    assert_eq!(out.code, 1, "a change to make: exit 1 ({})", out.stderr);
    assert!(!out.stdout.contains("omslint 0.1"), "no report on stdout");
    assert!(out.stdout.contains("@@ -"), "{}", out.stdout);
    // Context lines around the change.
    assert!(
        out.stdout.contains("\n drc_cm_heartbeat_db: cm_hb_340\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("S3cr3t"), "no secret in the context");
    let patch = dir.join("fix.patch");
    std::fs::write(&patch, &out.stdout).unwrap();
    let check = git(&["apply", "--check", patch.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "git apply --check: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let dry = Command::new("patch")
        .args(["--dry-run", "-p1", "-i"])
        .arg(&patch)
        .current_dir(&dir)
        .output()
        .expect("patch");
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
    // Nothing was changed by --diff itself; applying the patch is what fixes it.
    assert!(git(&["apply", patch.to_str().unwrap()]).status.success());
    let after = omslint_in(&dir, &["lint", ".", "--to", "4.2.3", "--diff"]);
    assert_eq!(after.code, 0, "nothing left to fix: {}", after.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The human report as a terminal of `cols` columns shows it.
fn under_pty(cols: u16, env: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_omslint");
    let cmd = format!(
        "stty cols {cols} rows 60; {env} OMSLINT_NO_PROGRESS=1 {bin} lint {} --backup-dir {}",
        root().join("fixtures/sample").display(),
        root().join("fixtures/sample/backups").display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux)");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn the_human_report_follows_the_terminal() {
    let narrow = under_pty(80, "NO_COLOR=1");
    let wide = under_pty(200, "NO_COLOR=1");
    assert!(
        !narrow.contains('\u{1b}') && !wide.contains('\u{1b}'),
        "NO_COLOR"
    );
    // Prose wraps at the width; only an unbreakable token may run past it.
    for line in narrow.lines() {
        let width = line.chars().count();
        if width > 80 {
            let longest = line
                .split(' ')
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(0);
            assert!(longest > 40, "a line of prose past 80 columns: {line}");
        }
    }
    assert!(
        wide.lines().any(|l| l.chars().count() > 100),
        "200 columns are used"
    );
    // SQL and JSON are never broken inside a token.
    let json = "\"perceiveStoreClientCheckpoint\":false,\"enableConnector\":true";
    assert!(narrow.contains(json) && wide.contains(json));
    assert!(!narrow.contains("\"perceiveStoreClientCheckpoint\":fals\n"));
    // The summary: code and name apart, passed checks on one line, the fix hint.
    assert!(narrow.contains("OMS003 (duplicate-project-name)"));
    assert!(narrow.contains("passed: "), "{narrow}");
    assert!(narrow.contains("fixable with `omslint lint … --fix`"));
    // Colour: on by default on a terminal, off with TERM=dumb, forced through a pipe.
    assert!(under_pty(100, "").contains("\u{1b}["));
    assert!(!under_pty(100, "TERM=dumb").contains("\u{1b}["));
    let piped = Command::new(env!("CARGO_BIN_EXE_omslint"))
        .args(["lint", "."])
        .current_dir(fixture("sample"))
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&piped.stdout).contains("\u{1b}["));
}

#[test]
fn a_waived_finding_says_so_with_its_reason() {
    let dir = temp("waiver");
    copy_dir(&fixture("sample"), &dir);
    std::fs::write(
        dir.join("omslint.yaml"),
        "to: 4.2.3\nwaivers:\n  - code: OMS016\n    subject: \"*\"\n    reason: the store moves to a host path in CHG-7\n    ticket: CHG-7\n",
    )
    .unwrap();
    let out = omslint_in(&dir, &["lint", ".", "--color", "never"]);
    assert!(
        out.stdout
            .contains("[waived CHG-7: the store moves to a host path in CHG-7]"),
        "{}",
        out.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}
