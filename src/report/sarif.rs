//! `--format sarif`: SARIF 2.1.0, one run, every rule of the catalog declared.
//!
//! What goes where:
//! - `tool.driver.rules`: the whole catalog, in code order (`ruleIndex` points into it),
//!   each with its `explain` text as `help` and a link to its rule file.
//! - one result per finding, in report order; a finding without a file location gets a
//!   logical location naming its subject (project, component, database, …).
//! - a config patch (`Apply::LineEdit`) becomes a SARIF `fix` replacing that one line. A
//!   SARIF `fix` must change an artifact (`artifactChanges` is required, at least one), so
//!   SQL fixes, which change the MetaDB and no file, are carried in the result's
//!   `properties.fix` (with the SQL, its rollback and its applicability) instead.
//! - waived findings carry an `external` suppression with the waiver's reason.
//! - `invocations[0].executionSuccessful` is false when a check could not run, each such
//!   check a `toolExecutionNotification`.
//!
//! The output depends only on the report (no clock beyond `generated_at`, which
//! `SOURCE_DATE_EPOCH` pins), and findings never carry secrets.

use std::collections::HashMap;
use std::io::Write;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::Report;
use crate::catalog::{self, RuleMeta};
use crate::finding::{Apply, Finding, Fix, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/omslint/omslint";
/// The key of the fingerprint in `partialFingerprints`; bump the version if what it
/// hashes changes, so that code-scanning services do not match old and new values.
pub const FINGERPRINT_KEY: &str = "omslint/v1";

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_value(report)).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report) -> Value {
    let rules = catalog::catalog();
    let fingerprints = fingerprints(&report.findings);
    let results: Vec<Value> = report
        .findings
        .iter()
        .zip(&fingerprints)
        .map(|(f, fp)| result(f, rules, fp))
        .collect();

    let errored: Vec<&crate::engine::CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.status == "error")
        .collect();
    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(errored.is_empty()));
    if !errored.is_empty() {
        let notes: Vec<Value> = errored
            .iter()
            .map(|c| {
                let mut n = Map::new();
                n.insert("level".into(), json!("error"));
                n.insert(
                    "message".into(),
                    json!({"text": format!(
                        "{} could not run: {}",
                        c.code,
                        c.reason.as_deref().unwrap_or("no reason given")
                    )}),
                );
                if let Some(i) = rule_index(rules, c.code) {
                    n.insert("associatedRule".into(), json!({"id": c.code, "index": i}));
                }
                Value::Object(n)
            })
            .collect();
        invocation.insert("toolExecutionNotifications".into(), Value::Array(notes));
    }
    if !report.generated_at.is_empty() {
        invocation.insert("endTimeUtc".into(), json!(report.generated_at));
    }

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules.iter().map(rule_descriptor).collect::<Vec<_>>(),
                }
            },
            "invocations": [Value::Object(invocation)],
            // Columns are counted in characters (see `Location`).
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "upgrade": {
                    "from": report.upgrade.from,
                    "to": report.upgrade.to,
                    "path": report.upgrade.path,
                },
                "summary": report.summary,
                "checks": report.checks,
            },
        }],
    })
}

/// Where a rule's documentation lives.
fn help_uri(meta: &RuleMeta) -> String {
    format!(
        "{INFORMATION_URI}/blob/main/rules/{}-{}.yaml",
        meta.code, meta.name
    )
}

/// SARIF levels: `notice` is SARIF's `note`.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "note",
    }
}

fn rule_index(rules: &[RuleMeta], code: &str) -> Option<usize> {
    rules.iter().position(|m| m.code == code)
}

fn rule_descriptor(meta: &RuleMeta) -> Value {
    let mut tags = vec!["oms".to_string(), "upgrade".to_string()];
    for t in meta
        .subject
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|t| !t.is_empty())
    {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    if meta.fixable() != "no" {
        tags.push("fixable".into());
    }
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary.trim()},
        "fullDescription": {"text": meta.docs.what.trim()},
        "helpUri": help_uri(meta),
        "help": {"text": meta.explain(), "markdown": help_markdown(meta)},
        "defaultConfiguration": {"level": level(meta.default_severity())},
        "properties": {
            "tags": tags,
            "appliesTo": meta.applies_to.trim(),
            "subject": meta.subject.trim(),
            "fix": {"kind": meta.fix.kind, "applicability": meta.fix.applicability},
        },
    })
}

/// The rule's documentation as Markdown, the same sections as `omslint explain`.
fn help_markdown(meta: &RuleMeta) -> String {
    let fix = match meta.fix.applicability.as_str() {
        "none" | "" => meta.fix.kind.clone(),
        a => format!("{} ({a})", meta.fix.kind),
    };
    let mut out = format!(
        "**{} {}**: {}\n\n- Default severity: {}\n- Applies to: {}\n- Fix: {}\n",
        meta.code,
        meta.name,
        meta.summary.trim(),
        meta.severity,
        meta.applies_to.trim(),
        fix
    );
    let mut section = |title: &str, body: &str, code: bool| {
        let body = body.trim();
        if body.is_empty() {
            return;
        }
        if code {
            out.push_str(&format!("\n### {title}\n\n```text\n{body}\n```\n"));
        } else {
            out.push_str(&format!("\n### {title}\n\n{body}\n"));
        }
    };
    section("What it does", &meta.docs.what, false);
    section("Why it matters", &meta.docs.why, false);
    section("Example", &meta.docs.example, true);
    section("How to fix", &meta.docs.fix, false);
    section("Fix safety", &meta.docs.safety, false);
    section("Where it refines the guides", &meta.docs.refines, false);
    section("Across hops", &meta.docs.hops, false);
    if !meta.docs.sources.is_empty() {
        out.push_str("\n### Sources\n\n");
        for s in &meta.docs.sources {
            out.push_str(&format!(
                "- {}, {}: \"{}\"\n",
                s.guide.trim(),
                s.section.trim(),
                s.quote.trim()
            ));
        }
    }
    out
}

fn result(f: &Finding, rules: &[RuleMeta], fingerprint: &str) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.code));
    if let Some(i) = rule_index(rules, f.code) {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    let text = match &f.hop {
        Some(h) => format!("[hop {h}] {}", f.message),
        None => f.message.clone(),
    };
    r.insert("message".into(), json!({ "text": text }));
    r.insert("locations".into(), json!([location(f)]));
    r.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint }),
    );
    if let Some(fix) = &f.fix {
        if let Some(Apply::LineEdit(e)) = &fix.apply {
            let uri = path_uri(&e.path.display().to_string());
            r.insert(
                "fixes".into(),
                json!([{
                    "description": {"text": fix.description},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": uri},
                        "replacements": [{
                            // The whole old line, without its line ending (a region with no
                            // columns covers the line's characters), replaced by the new one.
                            "deletedRegion": {"startLine": e.line, "endLine": e.line},
                            "insertedContent": {"text": e.new},
                        }],
                    }],
                    "properties": {"applicability": fix.applicability},
                }]),
            );
        }
    }
    if let Some(s) = &f.suppressed {
        let mut sup = Map::new();
        sup.insert("kind".into(), json!("external"));
        sup.insert("status".into(), json!("accepted"));
        sup.insert("justification".into(), json!(s.reason));
        if let Some(t) = &s.ticket {
            sup.insert("properties".into(), json!({"ticket": t}));
        }
        r.insert("suppressions".into(), json!([Value::Object(sup)]));
    }
    let mut props = Map::new();
    props.insert("subject".into(), json!(f.subject));
    if let Some(h) = &f.hop {
        props.insert("hop".into(), json!(h));
    }
    if !f.evidence.is_empty() {
        props.insert("evidence".into(), json!(f.evidence));
    }
    if let Some(fix) = &f.fix {
        props.insert("fix".into(), fix_properties(fix));
    }
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

/// Every fix as the JSON report has it (SQL, rollback, patch), camel-cased as SARIF
/// property bags usually are.
fn fix_properties(fix: &Fix) -> Value {
    let mut o = Map::new();
    o.insert("kind".into(), json!(fix.kind));
    o.insert("applicability".into(), json!(fix.applicability));
    o.insert("description".into(), json!(fix.description));
    if let Some(s) = &fix.sql {
        o.insert("sql".into(), json!(s));
    }
    if let Some(s) = &fix.rollback_sql {
        o.insert("rollbackSql".into(), json!(s));
    }
    if let Some(s) = &fix.patch {
        o.insert("patch".into(), json!(s));
    }
    Value::Object(o)
}

fn location(f: &Finding) -> Value {
    let logical = {
        let mut l = Map::new();
        l.insert(
            "name".into(),
            json!(f.subject.name.as_deref().unwrap_or(&f.subject.id)),
        );
        l.insert(
            "fullyQualifiedName".into(),
            json!(format!("{}:{}", f.subject.kind, f.subject.id)),
        );
        l.insert("kind".into(), json!(f.subject.kind));
        Value::Object(l)
    };
    match &f.location {
        Some(loc) => {
            let mut region = Map::new();
            if loc.line > 0 {
                region.insert("startLine".into(), json!(loc.line));
                if loc.column > 0 {
                    region.insert("startColumn".into(), json!(loc.column));
                }
            }
            let mut physical = Map::new();
            physical.insert(
                "artifactLocation".into(),
                json!({"uri": path_uri(&loc.path)}),
            );
            if !region.is_empty() {
                physical.insert("region".into(), Value::Object(region));
            }
            json!({"physicalLocation": Value::Object(physical), "logicalLocations": [logical]})
        }
        None => json!({"logicalLocations": [logical]}),
    }
}

/// A file path as a relative (or absolute) URI reference: `\` becomes `/`, and every byte
/// outside the unreserved characters and `/` is percent-encoded, `:` included, so that a
/// first segment like `10.0.0.1-9000:connector_v2` cannot read as a URI scheme.
fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One fingerprint per finding, stable across runs: the hash of the rule, the subject
/// (kind and id), the file and the evidence's keys (not its values, which change as the
/// deployment does). Findings that still share one (two problems of one rule in one
/// file, say) are told apart by their rank among themselves in report order.
fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let mut h = Sha256::new();
            for part in [
                f.code,
                f.subject.kind,
                f.subject.id.as_str(),
                f.location.as_ref().map_or("", |l| l.path.as_str()),
                f.hop.as_ref().map_or("", |h| h.to.as_str()),
            ] {
                h.update(part.as_bytes());
                h.update([0u8]);
            }
            for (k, _) in f.evidence.iter() {
                h.update(k.as_bytes());
                h.update([1u8]);
            }
            let base: String = h.finalize()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}:{n}")
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::CheckResult;
    use crate::finding::{Applicability, FixKind, Location, Subject, Suppression};
    use crate::report::{InputEntry, Summary, Tool, Upgrade};

    pub(crate) fn finding(code: &'static str, sev: Severity, subject: Subject) -> Finding {
        let meta = catalog::lookup(code).expect("a catalog rule");
        Finding {
            code: meta.code.as_str(),
            rule: meta.name.as_str(),
            severity: sev,
            message: format!("{code} fired"),
            subject,
            location: None,
            evidence: Default::default(),
            fix: None,
            hop: None,
            suppressed: None,
        }
    }

    /// A report with a located config-patch finding, a SQL fix, a waived finding and a
    /// check that errored.
    pub(crate) fn sample_report() -> Report {
        let mut patch = finding(
            "OMS012",
            Severity::Error,
            Subject::new("region", "cn-hangzhou"),
        );
        patch.location = Some(Location {
            path: "regions/hz/config.yaml".into(),
            line: 9,
            column: 9,
        });
        let edit = crate::fix::patch::LineEdit {
            path: "regions/hz/config.yaml".into(),
            line: 9,
            old: "cm_url: http://10.0.0.1:8080".into(),
            new: "cm_url: http://10.0.0.1:8088".into(),
        };
        patch.fix = Some(Box::new(Fix {
            kind: FixKind::ConfigPatch,
            applicability: Applicability::Safe,
            description: "set cm_url to http://10.0.0.1:8088".into(),
            database: None,
            sql: None,
            rollback_sql: None,
            patch: Some(crate::fix::patch::unified_diff(&edit)),
            apply: Some(Apply::LineEdit(edit)),
        }));
        let mut sql = finding(
            "OMS003",
            Severity::Error,
            Subject::new("project", "p_1").named("orders"),
        );
        sql.evidence.insert("table".into(), json!("oms_project"));
        sql.fix = Some(Box::new(Fix {
            kind: FixKind::Sql,
            applicability: Applicability::Safe,
            description: "rename p_1".into(),
            database: Some("rm".into()),
            sql: Some(
                "UPDATE `rm`.`oms_project` SET `project_name` = 'x' WHERE `id` = 'p_1';".into(),
            ),
            rollback_sql: Some(
                "UPDATE `rm`.`oms_project` SET `project_name` = 'orders' WHERE `id` = 'p_1';"
                    .into(),
            ),
            patch: None,
            apply: Some(Apply::GuardedSql),
        }));
        let mut waived = finding("OMS014", Severity::Warning, Subject::new("project", "p_2"));
        waived.suppressed = Some(Box::new(Suppression {
            reason: "recovered by hand after the window".into(),
            ticket: Some("CHG-42".into()),
        }));
        let notice = finding("OMS002", Severity::Notice, Subject::deployment());
        Report {
            schema_version: 1,
            tool: Tool {
                name: "omslint",
                version: "0.1.0",
            },
            generated_at: "2026-01-02T03:04:05Z".into(),
            upgrade: Upgrade {
                from: "3.4.0".into(),
                to: "4.2.3".into(),
                path: vec!["3.4.0".into(), "4.2.3".into()],
            },
            inputs: vec![InputEntry {
                kind: "config",
                path: "regions/hz/config.yaml".into(),
                sha256: None,
            }],
            summary: Summary {
                error: 2,
                warning: 0,
                notice: 1,
                suppressed: 1,
                checks_run: 3,
                checks_skipped: 0,
            },
            findings: vec![sql, patch, waived, notice],
            checks: vec![
                CheckResult {
                    code: "OMS003",
                    status: "failed",
                    reason: None,
                    hop: None,
                },
                CheckResult {
                    code: "OMS011",
                    status: "error",
                    reason: Some("backups/rm.sql: permission denied".into()),
                    hop: None,
                },
            ],
        }
    }

    fn render(report: &Report) -> Value {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// Validates against the official schema kept in `tests/schemas/` (see its README).
    pub(crate) fn assert_valid_sarif(v: &Value) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let id = schema["$id"].as_str().unwrap().to_string();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler.add_resource(&id, schema).unwrap();
        let index = compiler.compile(&id, &mut schemas).unwrap();
        if let Err(e) = schemas.validate(v, index) {
            panic!("not valid SARIF 2.1.0:\n{e:#}");
        }
    }

    #[test]
    fn validates_against_the_sarif_schema() {
        assert_valid_sarif(&render(&sample_report()));
        let mut empty = sample_report();
        empty.findings.clear();
        empty.checks.clear();
        assert_valid_sarif(&render(&empty));
    }

    #[test]
    fn the_validator_rejects_invalid_sarif() {
        let mut v = render(&sample_report());
        v["runs"][0]["results"][1]["fixes"][0]
            .as_object_mut()
            .unwrap()
            .remove("artifactChanges");
        let caught = std::panic::catch_unwind(|| assert_valid_sarif(&v));
        assert!(
            caught.is_err(),
            "a fix without artifactChanges is not SARIF"
        );
    }

    #[test]
    fn declares_every_rule_with_docs() {
        let v = render(&sample_report());
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SCHEMA_URI);
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), catalog::catalog().len());
        for (r, m) in rules.iter().zip(catalog::catalog()) {
            assert_eq!(r["id"], m.code.as_str());
            assert_eq!(r["name"], m.name.as_str());
            assert_eq!(r["help"]["text"], m.explain().as_str());
            assert!(r["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("### What it does"));
            assert_eq!(
                r["helpUri"],
                format!(
                    "https://github.com/omslint/omslint/blob/main/rules/{}-{}.yaml",
                    m.code, m.name
                )
            );
        }
        let oms002 = &rules[1];
        assert_eq!(oms002["defaultConfiguration"]["level"], "note");
    }

    #[test]
    fn results_locations_fixes_and_suppressions() {
        let v = render(&sample_report());
        let run = &v["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);

        let sql = &results[0];
        assert_eq!(sql["ruleId"], "OMS003");
        assert_eq!(sql["ruleIndex"], 2);
        assert_eq!(sql["level"], "error");
        assert!(sql.get("fixes").is_none(), "SQL changes no artifact");
        assert!(sql["properties"]["fix"]["sql"]
            .as_str()
            .unwrap()
            .starts_with("UPDATE"));
        let logical = &sql["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["kind"], "project");
        assert_eq!(logical["name"], "orders");
        assert_eq!(logical["fullyQualifiedName"], "project:p_1");
        assert!(sql["locations"][0].get("physicalLocation").is_none());

        let patch = &results[1];
        let phys = &patch["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "regions/hz/config.yaml");
        assert_eq!(phys["region"]["startLine"], 9);
        assert_eq!(phys["region"]["startColumn"], 9);
        let change = &patch["fixes"][0]["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "regions/hz/config.yaml");
        let rep = &change["replacements"][0];
        assert_eq!(rep["deletedRegion"]["startLine"], 9);
        assert_eq!(rep["deletedRegion"]["endLine"], 9);
        assert_eq!(
            rep["insertedContent"]["text"],
            "cm_url: http://10.0.0.1:8088"
        );

        let waived = &results[2];
        assert_eq!(waived["suppressions"][0]["kind"], "external");
        assert_eq!(
            waived["suppressions"][0]["justification"],
            "recovered by hand after the window"
        );
        assert_eq!(results[3]["level"], "note");

        let inv = &run["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let n = &inv["toolExecutionNotifications"][0];
        assert_eq!(n["associatedRule"]["id"], "OMS011");
        assert!(n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("permission denied"));
        assert_eq!(
            run["properties"]["upgrade"]["path"],
            json!(["3.4.0", "4.2.3"])
        );
    }

    #[test]
    fn output_is_deterministic_and_fingerprints_unique() {
        let r = sample_report();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write(&r, &mut a).unwrap();
        write(&r, &mut b).unwrap();
        assert_eq!(a, b);

        let mut same = r.findings.clone();
        same.push(r.findings[0].clone());
        let fps = fingerprints(&same);
        assert_eq!(fps[0].len(), 32);
        assert_eq!(fps[4], format!("{}:2", fps[0]));
        let unique: std::collections::BTreeSet<_> = fps.iter().collect();
        assert_eq!(unique.len(), fps.len());
        // Stable: a message or line change keeps the fingerprint.
        let mut moved = r.findings[1].clone();
        moved.message.push_str(" (again)");
        moved.location.as_mut().unwrap().line = 12;
        assert_eq!(
            fingerprints(&[moved])[0],
            fingerprints(&r.findings[1..2])[0]
        );
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(path_uri("regions/hz/config.yaml"), "regions/hz/config.yaml");
        assert_eq!(
            path_uri("components/10.0.0.1-9000:connector_v2/conf/source.json"),
            "components/10.0.0.1-9000%3Aconnector_v2/conf/source.json"
        );
        assert_eq!(path_uri("a b\\c%.yaml"), "a%20b/c%25.yaml");
        assert_eq!(path_uri("é"), "%C3%A9");
    }

    #[test]
    fn all_checks_fine_means_execution_successful() {
        let mut r = sample_report();
        r.checks.retain(|c| c.status != "error");
        let v = render(&r);
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], true);
        assert!(inv.get("toolExecutionNotifications").is_none());
    }
}
