//! `--format junit`: JUnit XML for CI test reports (Jenkins, GitLab), built with
//! `quick-junit` (cargo-nextest's JUnit model) and valid against Jenkins' `junit-10.xsd`
//! (the xUnit plugin's JUnit schema, kept in `tests/schemas/`).
//!
//! One `<testcase>` per check, passing checks included, in the report's check order; a
//! check of one hop of a multi-hop path is its own case, named `… (hop A → B)`. A case
//! **fails exactly when its check fails the `--fail-on` gate** (default `error`), that is
//! when one of its open findings is at or above the gate: the same rule that sets the
//! exit code, so that a run that exits 0 has no failed test and Jenkins does not mark it
//! UNSTABLE. The `<failure>`'s `message` says what failed (`2 errors: …` with the first
//! findings' messages, shortened), its `type` is the highest severity, its body every
//! failing finding with hop, location, evidence and fix. Findings below the gate, and
//! waived findings, never fail a case: they are listed in its `<system-out>`, one line
//! each before the details (Jenkins keeps 1,000 characters of a passing test's output
//! unless the `junit` step sets `stdioRetention: 'ALL'`). `junit-10.xsd` allows no
//! `<properties>` in a `<testcase>`, so none are written there.
//! `--exit-zero` changes the exit code only, not the tests: it lets the pipeline go on
//! and leaves the verdict to the JUnit consumer.
//!
//! A check that could not run has an `<error>`; a skipped check a `<skipped>` with the
//! reason. The suite's properties say the tool, the upgrade, the gate and the inputs.
//!
//! Text from the inputs is shown, never interpreted: quick-xml escapes the markup, and
//! control characters (which XML 1.0 cannot carry, or a terminal would obey) are written
//! as `\x1b`-style escapes by the same layer as the terminal report.
//!
//! quick-junit writes a `skipped` attribute on `<testsuites>`, which `junit-10.xsd` does
//! not allow (Jenkins' xUnit plugin rejects the file); [`render`] removes that one
//! attribute from the root tag, and the `<testsuite>` keeps its own `skipped` count.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{Report, RunKind};
use crate::finding::{Finding, HopRef, Severity};

/// How one check ends up in the XML.
#[derive(Debug, PartialEq, Eq)]
enum Outcome<'a> {
    Passed,
    Failed,
    Error(&'a str),
    Skipped(&'a str),
}

struct Case<'a> {
    code: &'a str,
    /// The hop of a per-hop check, on a path with several hops.
    hop: Option<&'a HopRef>,
    outcome: Outcome<'a>,
    /// Open findings at or above the gate: they fail the case.
    failing: Vec<Cow<'a, Finding>>,
    /// Open findings below the gate: listed, never failing.
    below: Vec<Cow<'a, Finding>>,
    waived: Vec<Cow<'a, Finding>>,
}

/// The findings of a check: a check of one hop owns that hop's findings and those that
/// hold for every hop.
fn findings_of<'a>(
    report: &'a Report,
    code: &'a str,
    hop: Option<&HopRef>,
    suppressed: bool,
) -> Vec<Cow<'a, Finding>> {
    report
        .findings
        .of_code(code)
        .filter(|f| f.suppressed.is_some() == suppressed)
        .filter(|f| hop.is_none() || f.hop.is_none() || f.hop.as_deref() == hop)
        .collect()
}

/// One check's case; `status` is `None` for findings of a code with no check entry.
fn case<'a>(
    report: &'a Report,
    gate: Severity,
    code: &'a str,
    hop: Option<&'a HopRef>,
    status: Option<&str>,
    reason: Option<&'a str>,
) -> Case<'a> {
    let (failing, below): (Vec<Cow<'_, Finding>>, Vec<Cow<'_, Finding>>) =
        findings_of(report, code, hop, false)
            .into_iter()
            .partition(|f| f.severity >= gate);
    let outcome = match status {
        Some("error") => Outcome::Error(reason.unwrap_or("the check could not run")),
        Some("skipped") => Outcome::Skipped(reason.unwrap_or("skipped")),
        None | Some("passed" | "failed") if failing.is_empty() => Outcome::Passed,
        None | Some("passed" | "failed") => Outcome::Failed,
        Some(_) => Outcome::Error(reason.unwrap_or("unknown check status")),
    };
    Case {
        code,
        hop,
        outcome,
        failing,
        below,
        waived: findings_of(report, code, hop, true),
    }
}

fn cases(report: &Report, gate: Severity) -> Vec<Case<'_>> {
    let mut out: Vec<Case<'_>> = report
        .checks
        .iter()
        .map(|c| {
            case(
                report,
                gate,
                c.code,
                c.hop.as_ref(),
                Some(c.status),
                c.reason.as_deref(),
            )
        })
        .collect();
    // Findings of a code without a check entry still get a case: none may go unseen.
    let orphans: Vec<&str> = report
        .findings
        .codes()
        .into_iter()
        .filter(|code| !report.checks.iter().any(|c| c.code == *code))
        .collect();
    out.extend(
        orphans
            .into_iter()
            .map(|code| case(report, gate, code, None, None, None)),
    );
    out
}

/// Text for the XML: control characters and the two non-characters XML 1.0 cannot carry
/// (U+FFFE, U+FFFF) shown as escapes; quick-xml escapes the markup.
fn clean(s: &str) -> String {
    crate::escape::terminal::visible(s)
        .replace('\u{fffe}', "\\u{fffe}")
        .replace('\u{ffff}', "\\u{ffff}")
}

fn subject(f: &Finding) -> String {
    let s = &f.subject;
    let mut out = if s.kind == "deployment" && s.id == "deployment" {
        "deployment".to_string()
    } else {
        format!("{} {}", s.kind, s.id)
    };
    if let Some(name) = &s.name {
        let _ = write!(out, " ({name:?})");
    }
    if let Some(p) = &s.project_id {
        if *p != s.id {
            let _ = write!(out, " [project {p}]");
        }
    }
    out
}

fn indent(out: &mut String, body: &str, prefix: &str) {
    for line in body.trim_end_matches(['\n', '\r']).lines() {
        out.push_str(prefix);
        out.push_str(line);
        out.push('\n');
    }
}

/// The plain text of one finding.
fn describe(out: &mut String, n: usize, f: &Finding) {
    let _ = writeln!(out, "{n}. [{}] {}", f.severity, subject(f));
    indent(out, &f.message, "   ");
    if let Some(h) = &f.hop {
        let _ = writeln!(out, "   hop: {h}");
    }
    if let Some(loc) = &f.location {
        if loc.column > 0 {
            let _ = writeln!(out, "   at {}:{}:{}", loc.path, loc.line, loc.column);
        } else {
            let _ = writeln!(out, "   at {}:{}", loc.path, loc.line);
        }
    }
    if !f.evidence.is_empty() {
        let parts: Vec<String> = f
            .evidence
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_json::to_string(&v).unwrap_or_default()))
            .collect();
        let _ = writeln!(out, "   evidence: {}", parts.join(", "));
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(
            out,
            "   fix ({}, {}): {}",
            fix.kind.as_str(),
            fix.applicability.as_str(),
            fix.description
        );
        if let Some(sql) = &fix.sql {
            indent(out, sql, "     ");
        }
        if let Some(rollback) = &fix.rollback_sql {
            let _ = writeln!(out, "   rollback:");
            indent(out, rollback, "     ");
        }
        if let Some(patch) = &fix.patch {
            indent(out, patch, "     ");
        }
    }
}

fn waived_text(out: &mut String, fs: &[Cow<'_, Finding>]) {
    for f in fs {
        let _ = writeln!(out, "waived: [{}] {}", f.severity, subject(f));
        indent(out, &f.message, "  ");
        if let Some(h) = &f.hop {
            let _ = writeln!(out, "  hop: {h}");
        }
        if let Some(s) = &f.suppressed {
            let _ = writeln!(out, "  reason: {}", s.reason);
            if let Some(t) = &s.ticket {
                let _ = writeln!(out, "  ticket: {t}");
            }
        }
    }
}

/// `2 errors, 1 warning`: the findings counted by severity, the highest first.
fn counts(fs: &[Cow<'_, Finding>]) -> String {
    let mut parts = Vec::new();
    for s in [Severity::Error, Severity::Warning, Severity::Notice] {
        let n = fs.iter().filter(|f| f.severity == s).count();
        if n > 0 {
            parts.push(format!("{n} {s}{}", if n == 1 { "" } else { "s" }));
        }
    }
    parts.join(", ")
}

/// At most `max` characters of `s`, cut at a word boundary when one is near, `…` added.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > cut.len() / 2 => cut[..i].trim_end().to_string(),
        _ => cut,
    };
    format!("{cut}…")
}

/// The longest a failure's message gets, and one finding's part of it.
const MESSAGE_MAX: usize = 400;
const ITEM_MAX: usize = 160;

/// A finding on one line: severity, hop, the message's first line shortened.
fn one_line(f: &Finding) -> String {
    let first = f.message.lines().next().unwrap_or_default().trim();
    let item = match &f.hop {
        Some(h) => format!("[{}] [hop {h}] {first}", f.severity),
        None => format!("[{}] {first}", f.severity),
    };
    shorten(&item, ITEM_MAX)
}

/// What failed, on one line: `2 errors: <first message>; <second message>`, each
/// message's first line shortened, as many as fit, then `; and N more`.
fn failure_message(fs: &[Cow<'_, Finding>]) -> String {
    let mut out = format!("{}:", counts(fs));
    for (i, f) in fs.iter().enumerate() {
        let first = f.message.lines().next().unwrap_or_default().trim();
        let item = match &f.hop {
            Some(h) => format!("[hop {h}] {first}"),
            None => first.to_string(),
        };
        let item = shorten(&item, ITEM_MAX);
        let sep = if i == 0 { " " } else { "; " };
        let rest = fs.len() - i - 1;
        let tail = if rest > 0 {
            format!("; and {rest} more")
        } else {
            String::new()
        };
        let fits = out.chars().count() + sep.len() + item.chars().count() + tail.chars().count()
            <= MESSAGE_MAX;
        if i > 0 && !fits {
            let _ = write!(out, "; and {} more", fs.len() - i);
            break;
        }
        out.push_str(sep);
        out.push_str(&item);
    }
    out
}

fn test_case(case: &Case<'_>, gate: Severity) -> TestCase {
    let mut name = match crate::catalog::lookup(case.code) {
        Some(m) => format!("{} {}", case.code, m.name),
        None => case.code.to_string(),
    };
    if let Some(h) = case.hop {
        let _ = write!(name, " (hop {h})");
    }
    let status = match case.outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Failed => {
            let worst = case
                .failing
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Error);
            let mut body = String::new();
            for (i, f) in case.failing.iter().enumerate() {
                describe(&mut body, i + 1, f);
            }
            if let Some(m) = crate::catalog::lookup(case.code) {
                let _ = writeln!(
                    body,
                    "\n{}: {} (omslint explain {})",
                    m.code, m.summary, m.code
                );
            }
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(clean(&failure_message(&case.failing)))
                .set_type(worst.as_str())
                .set_description(clean(&body));
            s
        }
        Outcome::Error(reason) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(clean(reason))
                .set_type("check-error")
                .set_description(clean(reason));
            s
        }
        Outcome::Skipped(reason) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(clean(reason));
            s
        }
    };
    let mut tc = TestCase::new(clean(&name), status);
    tc.set_classname(format!("omslint.{}", case.code));
    let mut out = String::new();
    if !case.below.is_empty() {
        let _ = writeln!(
            out,
            "{} below the --fail-on gate ({gate}), not failing this test:",
            counts(&case.below)
        );
        // One line each first: Jenkins keeps only 1,000 characters of a passing test's
        // output unless the job sets `stdioRetention: 'ALL'`.
        for f in &case.below {
            let _ = writeln!(out, "- {}", one_line(f));
        }
        out.push('\n');
        for (i, f) in case.below.iter().enumerate() {
            describe(&mut out, i + 1, f);
        }
    }
    if !case.waived.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        waived_text(&mut out, &case.waived);
    }
    if !out.is_empty() {
        tc.set_system_out(clean(&out));
    }
    tc
}

/// Removes the `skipped` attribute quick-junit writes on the root `<testsuites>` tag,
/// which `junit-10.xsd` does not declare. Only that tag is touched; its other attribute
/// values are escaped, so they hold no `"` or `>`.
fn drop_root_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let Some(end) = xml[start..].find('>').map(|e| start + e) else {
        return xml;
    };
    const ATTR: &str = " skipped=\"";
    let Some(a) = xml[start..end].find(ATTR).map(|a| start + a) else {
        return xml;
    };
    let Some(q) = xml[a + ATTR.len()..end].find('"') else {
        return xml;
    };
    let mut out = String::with_capacity(xml.len());
    out.push_str(&xml[..a]);
    out.push_str(&xml[a + ATTR.len() + q + 1..]);
    out
}

/// The JUnit XML of `report` with `gate` as the `--fail-on` threshold.
pub fn render(report: &Report, gate: Severity) -> std::io::Result<String> {
    let suite_name = format!(
        "omslint {} {} → {}",
        match report.run_kind() {
            RunKind::AfterRollback => "verify rollback",
            RunKind::AfterUpgrade => "verify upgrade",
            RunKind::Precheck => "upgrade",
        },
        report.upgrade.from,
        report.upgrade.to
    );
    let mut suite = TestSuite::new(clean(&suite_name));
    let mut property = |name: &str, value: &str| {
        suite.add_property(Property::new(clean(name), clean(value)));
    };
    property(
        "tool",
        &format!("{} {}", report.tool.name, report.tool.version),
    );
    property("generated_at", &report.generated_at);
    property("upgrade.from", &report.upgrade.from);
    property("upgrade.to", &report.upgrade.to);
    property("upgrade.path", &report.upgrade.path.join(" → "));
    property("fail_on", gate.as_str());
    for i in &report.inputs {
        let value = match &i.sha256 {
            Some(h) => format!("{} {} sha256:{h}", i.kind, i.path),
            None => format!("{} {}", i.kind, i.path),
        };
        property("input", &value);
    }
    for case in cases(report, gate) {
        suite.add_test_case(test_case(&case, gate));
    }
    let mut junit = quick_junit::Report::new("omslint");
    junit.add_test_suite(suite);
    let xml = junit.to_string().map_err(std::io::Error::other)?;
    Ok(drop_root_skipped(xml))
}

/// The JUnit XML with the default gate (`--fail-on error`).
pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    write_with_gate(report, Severity::Error, w)
}

/// The JUnit XML with `gate` as the `--fail-on` threshold: a test fails exactly when its
/// check has an open finding at or above it.
pub fn write_with_gate(report: &Report, gate: Severity, w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(render(report, gate)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::CheckResult;
    use crate::finding::{Applicability, FixKind};
    use crate::finding::{Evidence, Fix, Location, Subject, Suppression};
    use crate::report::{Summary, Tool, Upgrade};

    fn finding(code: &'static str, message: &str) -> Finding {
        let mut evidence = Evidence::default();
        evidence.insert("name".into(), serde_json::json!("a<b>&\"c\""));
        Finding {
            code,
            rule: "duplicate-project-name",
            severity: Severity::Error,
            message: message.to_string(),
            subject: Subject::new("project", "p_1").named("x'y\u{0}z"),
            location: Some(Location {
                path: "metadb/rm.sql".into(),
                line: 12,
                column: 3,
            }),
            evidence,
            fix: Some(Box::new(Fix {
                kind: FixKind::Sql,
                applicability: Applicability::Safe,
                description: "rename <p_1> & co".into(),
                database: None,
                sql: Some("UPDATE t SET n = 'a]]>b' WHERE id = 'p_1';".into()),
                rollback_sql: Some("UPDATE t SET n = 'x' WHERE id = 'p_1';".into()),
                patch: None,
                apply: None,
            })),
            hop: None,
            suppressed: None,
        }
    }

    fn with_severity(mut f: Finding, s: Severity) -> Finding {
        f.severity = s;
        f
    }

    fn report(findings: Vec<Finding>, checks: Vec<CheckResult>) -> Report {
        Report {
            schema_version: 1,
            command: "lint",
            tool: Tool {
                name: "omslint",
                version: "0.0.0",
            },
            generated_at: "2026-01-01T00:00:00Z".into(),
            upgrade: Upgrade {
                from: "3.4.0".into(),
                to: "4.2.3\u{1}<x>".into(),
                path: vec!["3.4.0".into(), "4.2.3".into()],
            },
            inputs: vec![],
            summary: Summary::default(),
            findings: findings.into(),
            checks,
            rolled_back: false,
        }
    }

    fn check(code: &'static str, status: &'static str, reason: Option<&str>) -> CheckResult {
        CheckResult {
            code,
            status,
            reason: reason.map(str::to_string),
            hop: None,
        }
    }

    fn xml(r: &Report, gate: Severity) -> String {
        render(r, gate).unwrap()
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "omslint-junit-unit-{name}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Parses `xml` with Python's ElementTree, a real XML parser, and returns what the
    /// script printed.
    fn python_parse(xml: &str, script: &str) -> String {
        let dir = TempDir::new("py");
        let path = dir.0.join("report.xml");
        std::fs::write(&path, xml).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output()
            .expect("python3 runs (the XML is checked with xml.etree.ElementTree)");
        assert!(
            out.status.success(),
            "python3 could not parse the XML:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Validates `xml` against Jenkins' junit-10.xsd (tests/schemas/) with xmllint.
    pub(crate) fn assert_valid_junit(xml: &str) {
        let xsd = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas/junit-10.xsd");
        let dir = TempDir::new("xsd");
        let path = dir.0.join("report.xml");
        std::fs::write(&path, xml).unwrap();
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--schema", xsd])
            .arg(&path)
            .output()
            .expect("xmllint runs (Debian package libxml2-utils; scripts/test.sh installs it)");
        assert!(
            out.status.success(),
            "not valid against junit-10.xsd:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn text_is_shown_not_interpreted() {
        assert_eq!(
            clean("a\u{0}b\u{1b}[31mc\u{7}\r"),
            "a\\x00b\\x1b[31mc\\x07\\x0d"
        );
        assert_eq!(clean("x\u{fffe}y\u{ffff}"), "x\\u{fffe}y\\u{ffff}");
        assert_eq!(clean("会员 😀\tline\n"), "会员 😀\tline\n");
        assert_eq!(
            clean("]]> <&>"),
            "]]> <&>",
            "markup is quick-xml's to escape"
        );
    }

    #[test]
    fn hostile_text_gives_valid_xml() {
        let msg = "name <&>\"' with a NUL \u{0} and ESC \u{1b}[2J\r\nsecond line \u{fffe}";
        let r = report(
            vec![finding("OMS003", msg)],
            vec![
                check("OMS003", "failed", None),
                check("OMS004", "skipped", Some("why <&>\"'\u{0}")),
                check("OMS005", "error", Some("cannot read \"x\" & <y>\u{7}")),
                check("OMS001", "passed", None),
            ],
        );
        let xml = xml(&r, Severity::Error);
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}') && !xml.contains('\u{7}'));
        assert_valid_junit(&xml);
        let script = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
failure = root.find("./testsuite/testcase/failure")
print(json.dumps({
    "root": root.tag,
    "attrs": sorted(root.attrib),
    "tests": root.get("tests"),
    "failures": root.get("failures"),
    "errors": root.get("errors"),
    "suite": root.find("testsuite").get("name"),
    "suite_skipped": root.find("testsuite").get("skipped"),
    "failure_message": failure.get("message"),
    "failure_text": failure.text,
    "skip": root.find("./testsuite/testcase/skipped").get("message"),
    "error": root.find("./testsuite/testcase/error").get("message"),
}))
"#;
        let out = python_parse(&xml, script);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["root"], "testsuites");
        assert_eq!(
            v["attrs"],
            serde_json::json!(["errors", "failures", "name", "tests"]),
            "no skipped on <testsuites>"
        );
        assert_eq!(v["tests"], "4");
        assert_eq!(v["failures"], "1");
        assert_eq!(v["errors"], "1");
        assert_eq!(v["suite_skipped"], "1");
        assert_eq!(v["suite"], "omslint upgrade 3.4.0 → 4.2.3\\x01<x>");
        let text = v["failure_text"].as_str().unwrap();
        assert!(
            text.contains(
                "name <&>\"' with a NUL \\x00 and ESC \\x1b[2J\n   second line \\u{fffe}"
            ),
            "{text}"
        );
        assert!(text.contains("project p_1 (\"x'y\\0z\")"), "{text}");
        assert!(text.contains("at metadb/rm.sql:12:3"), "{text}");
        assert!(text.contains("UPDATE t SET n = 'a]]>b'"), "{text}");
        assert!(text.contains("rename <p_1> & co"), "{text}");
        assert_eq!(
            v["failure_message"],
            "1 error: name <&>\"' with a NUL \\x00 and ESC \\x1b[2J"
        );
        assert_eq!(v["skip"], "why <&>\"'\\x00");
        assert_eq!(v["error"], "cannot read \"x\" & <y>\\x07");
    }

    #[test]
    fn a_test_fails_exactly_when_its_check_fails_the_gate() {
        let warn = with_severity(
            finding("OMS014", "project p_9 is FAILED"),
            Severity::Warning,
        );
        let note = with_severity(finding("OMS013", "cm_nodes differ"), Severity::Notice);
        let err = finding("OMS003", "project p_1 duplicates p_2");
        let r = report(
            vec![err, note, warn],
            vec![
                check("OMS003", "failed", None),
                check("OMS013", "failed", None),
                check("OMS014", "failed", None),
            ],
        );
        let failed = |gate: Severity| -> Vec<String> {
            cases(&r, gate)
                .into_iter()
                .filter(|c| c.outcome == Outcome::Failed)
                .map(|c| c.code.to_string())
                .collect()
        };
        assert_eq!(failed(Severity::Error), ["OMS003"]);
        assert_eq!(failed(Severity::Warning), ["OMS003", "OMS014"]);
        assert_eq!(failed(Severity::Notice), ["OMS003", "OMS013", "OMS014"]);

        // Below the gate: a passing case, its findings in system-out.
        let x = xml(&r, Severity::Error);
        assert_valid_junit(&x);
        assert!(x.contains("failures=\"1\""), "{x}");
        assert!(
            x.contains("<property name=\"fail_on\" value=\"error\"/>"),
            "{x}"
        );
        assert!(
            x.contains("<system-out>1 warning below the --fail-on gate (error), not failing this test:\n- [warning] project p_9 is FAILED\n\n1. [warning] project p_1"),
            "{x}"
        );
        assert!(x.contains("   project p_9 is FAILED"), "{x}");
        assert!(
            x.contains("not failing this test:\n- [warning] project p_9 is FAILED\n\n1. [warning]"),
            "{x}"
        );
        assert!(
            x.contains("<system-out>1 notice below the --fail-on gate (error)"),
            "{x}"
        );
        // At the warning gate the warning fails, typed as such; the notice still passes.
        let x = xml(&r, Severity::Warning);
        assert_valid_junit(&x);
        assert!(x.contains("failures=\"2\""), "{x}");
        assert!(
            x.contains("<failure message=\"1 warning: project p_9 is FAILED\" type=\"warning\">"),
            "{x}"
        );
        assert!(
            x.contains("<system-out>1 notice below the --fail-on gate (warning)"),
            "{x}"
        );
    }

    #[test]
    fn a_failure_says_what_failed() {
        let mut fs = vec![
            finding("OMS003", "project p_1 (orders) duplicates p_2\nmore detail"),
            finding("OMS003", "project p_3 (billing) duplicates p_4"),
            with_severity(
                finding("OMS003", "project p_5 is a notice"),
                Severity::Notice,
            ),
        ];
        fs[1].hop = Some(Box::new(HopRef {
            from: "3.2.1".into(),
            to: "4.3.1".into(),
        }));
        let r = report(fs.clone(), vec![check("OMS003", "failed", None)]);
        let c = cases(&r, Severity::Error);
        assert_eq!(
            failure_message(&c[0].failing),
            "2 errors: project p_1 (orders) duplicates p_2; [hop 3.2.1 → 4.3.1] project p_3 (billing) duplicates p_4"
        );
        let x = xml(&r, Severity::Error);
        assert!(x.contains("   hop: 3.2.1 → 4.3.1"), "{x}");
        assert_eq!(
            counts(&[
                Cow::Borrowed(&fs[0]),
                Cow::Borrowed(&fs[2]),
                Cow::Borrowed(&fs[1])
            ]),
            "2 errors, 1 notice"
        );

        // Many, long: shortened at a word, capped, the rest counted.
        let long = "word ".repeat(100);
        let many: Vec<Finding> = (0..10).map(|_| finding("OMS003", &long)).collect();
        let refs: Vec<Cow<'_, Finding>> = many.iter().map(Cow::Borrowed).collect();
        let m = failure_message(&refs);
        assert!(m.starts_with("10 errors: word word"), "{m}");
        assert!(
            m.chars().count() <= MESSAGE_MAX,
            "{} chars: {m}",
            m.chars().count()
        );
        assert!(m.contains("word…; "), "{m}");
        assert!(m.ends_with("; and 8 more"), "{m}");
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("会员中心迁移", 3), "会员…");
    }

    #[test]
    fn waived_findings_do_not_fail_and_are_listed() {
        let mut f = finding("OMS003", "dup");
        f.suppressed = Some(Box::new(Suppression {
            reason: "renamed in CHG-1 <done>".into(),
            ticket: Some("CHG-1".into()),
        }));
        let r = report(vec![f], vec![check("OMS003", "passed", None)]);
        let xml = xml(&r, Severity::Notice);
        assert_valid_junit(&xml);
        assert!(xml.contains("failures=\"0\""), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        assert!(
            xml.contains("<system-out>waived: [error] project p_1"),
            "{xml}"
        );
        assert!(
            xml.contains("reason: renamed in CHG-1 &lt;done&gt;"),
            "{xml}"
        );
        assert!(xml.contains("ticket: CHG-1"), "{xml}");
    }

    #[test]
    fn every_check_is_a_case_and_output_is_deterministic() {
        let mut per_hop = check("OMS003", "failed", None);
        per_hop.hop = Some(HopRef {
            from: "3.2.1".into(),
            to: "4.3.1".into(),
        });
        let r = report(
            vec![finding("OMS003", "a"), finding("OMS003", "b")],
            vec![check("OMS001", "passed", None), per_hop],
        );
        let xml = xml(&r, Severity::Error);
        assert_eq!(xml, render(&r, Severity::Error).unwrap());
        assert_valid_junit(&xml);
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"omslint\" tests=\"2\" failures=\"1\" errors=\"0\">"
        ), "{xml}");
        assert_eq!(xml.matches("<testcase ").count(), 2);
        assert!(
            xml.contains(
                "<testcase name=\"OMS001 unsupported-upgrade-path\" classname=\"omslint.OMS001\"/>"
            ),
            "{xml}"
        );
        assert!(xml.contains(
            "<testcase name=\"OMS003 duplicate-project-name (hop 3.2.1 → 4.3.1)\" classname=\"omslint.OMS003\">"
        ), "{xml}");
        assert!(
            xml.contains("<failure message=\"2 errors: a; b\" type=\"error\">1. [error]"),
            "{xml}"
        );
        assert!(xml.contains("\n2. [error] project p_1"));
    }

    #[test]
    fn findings_without_a_check_still_get_a_case() {
        let r = report(vec![finding("OMS009", "x")], vec![]);
        let xml = xml(&r, Severity::Error);
        assert_valid_junit(&xml);
        assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
        assert!(xml.contains("classname=\"omslint.OMS009\""), "{xml}");
        let below = report(
            vec![with_severity(finding("OMS009", "x"), Severity::Warning)],
            vec![],
        );
        assert!(xml_ok_passes(&below));
    }

    /// The suite's name says what the run was: a lint names the upgrade, a verify says
    /// it verifies the upgrade or its rollback (Jenkins keeps suites apart by name).
    #[test]
    fn the_suite_says_what_was_checked() {
        let mut r = report(vec![], vec![]);
        let name = |r: &Report| {
            let x = xml(r, Severity::Error);
            let at = x.find("<testsuite name=\"").unwrap() + 17;
            x[at..at + x[at..].find('"').unwrap()].to_string()
        };
        assert!(
            name(&r).starts_with("omslint upgrade 3.4.0 → "),
            "{}",
            name(&r)
        );
        r.command = "verify";
        assert!(
            name(&r).starts_with("omslint verify upgrade 3.4.0 → "),
            "{}",
            name(&r)
        );
        r.rolled_back = true;
        assert!(
            name(&r).starts_with("omslint verify rollback 3.4.0 → "),
            "{}",
            name(&r)
        );
    }

    fn xml_ok_passes(r: &Report) -> bool {
        let x = xml(r, Severity::Error);
        assert_valid_junit(&x);
        x.contains("failures=\"0\"") && x.contains("<system-out>1 warning below")
    }

    #[test]
    fn only_the_root_loses_its_skipped_attribute() {
        let x = "<?xml?>\n<testsuites name=\"omslint\" tests=\"2\" skipped=\"1\" failures=\"0\" errors=\"0\">\n<testsuite name=\"s\" tests=\"2\" skipped=\"1\">";
        assert_eq!(
            drop_root_skipped(x.to_string()),
            "<?xml?>\n<testsuites name=\"omslint\" tests=\"2\" failures=\"0\" errors=\"0\">\n<testsuite name=\"s\" tests=\"2\" skipped=\"1\">"
        );
        let none = "<testsuites name=\"a\">";
        assert_eq!(drop_root_skipped(none.to_string()), none);
    }

    #[test]
    fn the_schema_check_rejects_what_jenkins_rejects() {
        let bad = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"x\" tests=\"0\" skipped=\"0\" failures=\"0\" errors=\"0\"/>\n";
        let caught = std::panic::catch_unwind(|| assert_valid_junit(bad));
        assert!(caught.is_err(), "skipped on <testsuites> is not junit-10");
    }
}
