//! `--format junit`: JUnit XML for CI test reports (GitLab, Jenkins).
//!
//! One `<testcase>` per check, passing checks included, in the report's check order:
//! a check that failed has one `<failure>` listing its open findings with their fixes;
//! a check that could not run has an `<error>`; a skipped check a `<skipped>`. Waived
//! findings never fail a case: they are listed in its `<system-out>`. The XML is written
//! by hand: every value is escaped, and characters XML 1.0 does not allow are dropped.

use std::fmt::Write as _;
use std::io::Write;

use super::Report;
use crate::finding::{Finding, HopRef, Severity};

/// How one check ends up in the XML.
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
    open: Vec<&'a Finding>,
    waived: Vec<&'a Finding>,
}

fn cases(report: &Report) -> Vec<Case<'_>> {
    // A check of one hop owns that hop's findings and those that hold for every hop.
    let of = |code: &str, hop: Option<&HopRef>, suppressed: bool| -> Vec<&Finding> {
        report
            .findings
            .iter()
            .filter(|f| f.code == code && f.suppressed.is_some() == suppressed)
            .filter(|f| hop.is_none() || f.hop.is_none() || f.hop.as_deref() == hop)
            .collect()
    };
    let mut out: Vec<Case<'_>> = report
        .checks
        .iter()
        .map(|c| {
            let open = of(c.code, c.hop.as_ref(), false);
            let reason = c.reason.as_deref();
            let outcome = match c.status {
                "error" => Outcome::Error(reason.unwrap_or("the check could not run")),
                "skipped" => Outcome::Skipped(reason.unwrap_or("skipped")),
                "failed" => Outcome::Failed,
                "passed" if open.is_empty() => Outcome::Passed,
                "passed" => Outcome::Failed,
                _ => Outcome::Error(reason.unwrap_or("unknown check status")),
            };
            Case {
                code: c.code,
                hop: c.hop.as_ref(),
                outcome,
                open,
                waived: of(c.code, c.hop.as_ref(), true),
            }
        })
        .collect();
    // Findings of a code without a check entry still get a case: none may go unseen.
    let mut orphans: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.code)
        .filter(|code| !report.checks.iter().any(|c| c.code == *code))
        .collect();
    orphans.sort_unstable();
    orphans.dedup();
    for code in orphans {
        let open = of(code, None, false);
        out.push(Case {
            code,
            hop: None,
            outcome: if open.is_empty() {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
            open,
            waived: of(code, None, true),
        });
    }
    out
}

/// XML 1.0 `Char`: tab, newline, carriage return and everything from U+0020 on except
/// the surrogates (which a Rust `char` cannot hold) and U+FFFE / U+FFFF.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Escapes an attribute value (double-quoted). Tab, newline and CR become character
/// references so that attribute-value normalisation keeps them.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes character data. CR becomes a reference, else the parser turns it into LF.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
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

/// The plain text of one finding, for a failure's body.
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
            .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap_or_default()))
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

fn waived_text(fs: &[&Finding]) -> String {
    let mut out = String::new();
    for f in fs {
        let _ = writeln!(out, "waived: [{}] {}", f.severity, subject(f));
        indent(&mut out, &f.message, "  ");
        if let Some(s) = &f.suppressed {
            let _ = writeln!(out, "  reason: {}", s.reason);
            if let Some(t) = &s.ticket {
                let _ = writeln!(out, "  ticket: {t}");
            }
        }
    }
    out
}

fn render(report: &Report) -> String {
    let cases = cases(report);
    let count = |p: fn(&Outcome<'_>) -> bool| cases.iter().filter(|c| p(&c.outcome)).count();
    let tests = cases.len();
    let failures = count(|o| matches!(o, Outcome::Failed));
    let errors = count(|o| matches!(o, Outcome::Error(_)));
    let skipped = count(|o| matches!(o, Outcome::Skipped(_)));
    let totals = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\""
    );

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"omslint\" {totals} time=\"0\">");
    let suite = format!(
        "omslint upgrade {} → {}",
        report.upgrade.from, report.upgrade.to
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" {totals} time=\"0\">",
        attr(&suite)
    );

    out.push_str("    <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(value)
        );
    };
    property(
        "tool",
        &format!("{} {}", report.tool.name, report.tool.version),
    );
    property("generated_at", &report.generated_at);
    property("upgrade.from", &report.upgrade.from);
    property("upgrade.to", &report.upgrade.to);
    property("upgrade.path", &report.upgrade.path.join(" → "));
    for i in &report.inputs {
        let value = match &i.sha256 {
            Some(h) => format!("{} {} sha256:{h}", i.kind, i.path),
            None => format!("{} {}", i.kind, i.path),
        };
        property("input", &value);
    }
    out.push_str("    </properties>\n");

    for case in &cases {
        let mut name = match crate::catalog::lookup(case.code) {
            Some(m) => format!("{} {}", case.code, m.name),
            None => case.code.to_string(),
        };
        if let Some(h) = case.hop {
            let _ = write!(name, " (hop {h})");
        }
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
            attr(&format!("omslint.{}", case.code)),
            attr(&name)
        );
        let waived = (!case.waived.is_empty()).then(|| waived_text(&case.waived));
        if matches!(case.outcome, Outcome::Passed) && waived.is_none() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        match case.outcome {
            Outcome::Passed => {}
            Outcome::Failed => {
                let kind = case
                    .open
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .unwrap_or(Severity::Error);
                let mut body = String::new();
                for (i, f) in case.open.iter().enumerate() {
                    describe(&mut body, i + 1, f);
                }
                if let Some(m) = crate::catalog::lookup(case.code) {
                    let _ = writeln!(
                        body,
                        "\n{}: {} (omslint explain {})",
                        m.code, m.summary, m.code
                    );
                }
                let _ = writeln!(
                    out,
                    "      <failure message=\"{} finding(s)\" type=\"{}\">{}</failure>",
                    case.open.len(),
                    kind,
                    text(&body)
                );
            }
            Outcome::Error(reason) => {
                let _ = writeln!(
                    out,
                    "      <error message=\"{}\" type=\"check-error\">{}</error>",
                    attr(reason),
                    text(reason)
                );
            }
            Outcome::Skipped(reason) => {
                let _ = writeln!(out, "      <skipped message=\"{}\"/>", attr(reason));
            }
        }
        if let Some(w) = waived {
            let _ = writeln!(out, "      <system-out>{}</system-out>", text(&w));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(render(report).as_bytes())
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

    fn report(findings: Vec<Finding>, checks: Vec<CheckResult>) -> Report {
        Report {
            schema_version: 1,
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
            findings,
            checks,
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

    /// Parses `xml` with Python's ElementTree, a real XML parser, and returns what the
    /// script printed.
    fn python_parse(xml: &str, script: &str) -> String {
        let dir = std::env::temp_dir().join(format!("omslint-junit-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.xml");
        std::fs::write(&path, xml).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output();
        let _ = std::fs::remove_dir_all(&dir);
        let out = out.expect("python3 runs (the XML is checked with xml.etree.ElementTree)");
        assert!(
            out.status.success(),
            "python3 could not parse the XML:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn escapes_and_drops_invalid_characters() {
        assert_eq!(attr("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
        assert_eq!(attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(text("a\u{0}b\u{1b}c\u{fffe}d\te\nf"), "abcd\te\nf");
        assert_eq!(text("]]>"), "]]&gt;");
        assert_eq!(text("会员 😀"), "会员 😀");
    }

    #[test]
    fn hostile_text_gives_well_formed_xml() {
        let msg = "name <&>\"' with a NUL \u{0} and ESC \u{1b}\r\nsecond line";
        let r = report(
            vec![finding("OMS003", msg)],
            vec![
                check("OMS003", "failed", None),
                check("OMS004", "skipped", Some("why <&>\"'\u{0}")),
                check("OMS005", "error", Some("cannot read \"x\" & <y>\u{7}")),
                check("OMS001", "passed", None),
            ],
        );
        let xml = render(&r);
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}') && !xml.contains('\u{7}'));
        let script = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
failure = root.find("./testsuite/testcase/failure")
print(json.dumps({
    "root": root.tag,
    "tests": root.get("tests"),
    "failures": root.get("failures"),
    "errors": root.get("errors"),
    "skipped": root.get("skipped"),
    "suite": root.find("testsuite").get("name"),
    "failure_text": failure.text,
    "skip": root.find("./testsuite/testcase/skipped").get("message"),
    "error": root.find("./testsuite/testcase/error").get("message"),
}))
"#;
        let out = python_parse(&xml, script);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["root"], "testsuites");
        assert_eq!(v["tests"], "4");
        assert_eq!(v["failures"], "1");
        assert_eq!(v["errors"], "1");
        assert_eq!(v["skipped"], "1");
        assert_eq!(v["suite"], "omslint upgrade 3.4.0 → 4.2.3<x>");
        let text = v["failure_text"].as_str().unwrap();
        assert!(
            text.contains("name <&>\"' with a NUL  and ESC \n   second line"),
            "{text}"
        );
        assert!(text.contains("project p_1 (\"x'y\\0z\")"), "{text}");
        assert!(text.contains("at metadb/rm.sql:12:3"), "{text}");
        assert!(text.contains("UPDATE t SET n = 'a]]>b'"), "{text}");
        assert!(text.contains("rename <p_1> & co"), "{text}");
        assert_eq!(v["skip"], "why <&>\"'");
        assert_eq!(v["error"], "cannot read \"x\" & <y>");
    }

    #[test]
    fn waived_findings_do_not_fail_and_are_listed() {
        let mut f = finding("OMS003", "dup");
        f.suppressed = Some(Box::new(Suppression {
            reason: "renamed in CHG-1 <done>".into(),
            ticket: Some("CHG-1".into()),
        }));
        let r = report(vec![f], vec![check("OMS003", "passed", None)]);
        let xml = render(&r);
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
        let r = report(
            vec![finding("OMS003", "a"), finding("OMS003", "b")],
            vec![
                check("OMS001", "passed", None),
                check("OMS003", "failed", None),
            ],
        );
        let xml = render(&r);
        assert_eq!(xml, render(&r));
        assert_eq!(xml.matches("<testcase ").count(), 2);
        assert!(xml.contains(
            "<testcase classname=\"omslint.OMS001\" name=\"OMS001 unsupported-upgrade-path\" time=\"0\"/>"
        ));
        assert!(xml.contains("<failure message=\"2 finding(s)\" type=\"error\">1. [error]"));
        assert!(xml.contains("\n2. [error] project p_1"));
    }

    #[test]
    fn findings_without_a_check_still_get_a_case() {
        let r = report(vec![finding("OMS009", "x")], vec![]);
        let xml = render(&r);
        assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
        assert!(xml.contains("classname=\"omslint.OMS009\""), "{xml}");
    }
}
