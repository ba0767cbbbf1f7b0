//! `--format markdown`: a report that stands alone on a change ticket.
//!
//! Rendered for GitHub/GitLab-flavoured Markdown. Text that comes from the deployment
//! (names, messages, paths, reasons) is escaped where it lands: in tables `|` and
//! newlines cannot break a row; in code spans and fenced blocks the fence is always
//! longer than any backtick run of the content. Deterministic: the same report gives
//! the same bytes.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use super::{Report, RunKind};
use crate::escape::markdown::{code, fenced, inline, paragraph};
use crate::escape::shell::quote as sh_quote;
use crate::finding::{Applicability, Finding, Fix, Severity};

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(render(report).as_bytes())
}

// ---------------------------------------------------------------------------------------
// Pieces

fn heading_of(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "Errors",
        Severity::Warning => "Warnings",
        Severity::Notice => "Notices",
    }
}

fn is_deployment(f: &Finding) -> bool {
    f.subject.kind == "deployment" && f.subject.id == "deployment"
}

/// `project `p_1``, or `deployment`.
fn subject_short(f: &Finding, in_table: bool) -> String {
    if is_deployment(f) {
        "deployment".to_string()
    } else {
        format!("{} {}", f.subject.kind, code(&f.subject.id, in_table))
    }
}

/// The subject with its name and project.
fn subject_long(f: &Finding, in_table: bool) -> String {
    let mut out = subject_short(f, in_table);
    if let Some(name) = &f.subject.name {
        let _ = write!(out, " — name {}", code(name, in_table));
    }
    if let Some(p) = &f.subject.project_id {
        if *p != f.subject.id {
            let _ = write!(out, " — project {}", code(p, in_table));
        }
    }
    out
}

fn location(f: &Finding) -> Option<String> {
    let loc = f.location.as_ref()?;
    Some(if loc.column > 0 {
        format!("{}:{}:{}", loc.path, loc.line, loc.column)
    } else {
        format!("{}:{}", loc.path, loc.line)
    })
}

fn rule_name(code: &str) -> String {
    crate::catalog::lookup(code).map_or_else(String::new, |m| m.name.clone())
}

fn count_label(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn render_fix(out: &mut String, fix: &Fix) {
    let _ = writeln!(
        out,
        "**Fix** ({}, {}): {}\n",
        fix.kind.as_str(),
        fix.applicability.as_str(),
        inline(fix.description.trim())
    );
    out.push_str(match fix.applicability {
        Applicability::Safe => "Safe: `omslint lint --fix` applies it.\n\n",
        Applicability::Unsafe => {
            "Unsafe: only `omslint lint --unsafe-fixes` applies it; read the description first.\n\n"
        }
        Applicability::DisplayOnly => "Display only: omslint never applies it.\n\n",
    });
    if let Some(sql) = &fix.sql {
        fenced(out, "sql", sql);
    }
    if let Some(rollback) = &fix.rollback_sql {
        out.push_str("Rollback:\n\n");
        fenced(out, "sql", rollback);
    }
    if let Some(patch) = &fix.patch {
        fenced(out, "diff", patch);
    }
}

fn render_finding(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "#### {} {} — {}\n",
        f.code,
        inline(f.rule),
        subject_short(f, false)
    );
    let _ = writeln!(out, "- **Severity:** {}", f.severity);
    if let Some(h) = &f.hop {
        let _ = writeln!(out, "- **Hop:** {}", inline(&h.to_string()));
    }
    let _ = writeln!(out, "- **Subject:** {}", subject_long(f, false));
    if let Some(loc) = location(f) {
        let _ = writeln!(out, "- **Location:** {}", code(&loc, false));
    }
    if let Some(m) = crate::catalog::lookup(f.code) {
        let _ = writeln!(
            out,
            "- **Rule:** {} (`omslint explain {}`)",
            inline(m.summary.trim()),
            m.code
        );
    }
    out.push('\n');
    let _ = writeln!(out, "{}\n", paragraph(&f.message));
    if !f.evidence.is_empty() {
        out.push_str("| Evidence | Value |\n|---|---|\n");
        for (k, v) in f.evidence.iter() {
            let json = serde_json::to_string(&v).unwrap_or_default();
            let _ = writeln!(out, "| {} | {} |", code(&k, true), code(&json, true));
        }
        out.push('\n');
    }
    match &f.fix {
        Some(fix) => render_fix(out, fix),
        None => {
            let _ = writeln!(
                out,
                "**Fix:** none that omslint can give: see the message and `omslint explain {}`.\n",
                f.code
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The report

fn render(report: &Report) -> String {
    let mut out = String::new();
    let up = &report.upgrade;
    let s = &report.summary;
    let errored = report.checks.iter().filter(|c| c.status == "error").count();
    let (waived, open): (Vec<Cow<'_, Finding>>, Vec<Cow<'_, Finding>>) =
        report.findings.iter().partition(|f| f.suppressed.is_some());

    // Title and deployment.
    let _ = writeln!(
        out,
        "# OMS {}: {} → {}\n",
        match report.run_kind() {
            RunKind::Precheck => "upgrade precheck",
            RunKind::AfterUpgrade => "upgrade verification",
            RunKind::AfterRollback => "rollback verification",
        },
        inline(&up.from),
        inline(&up.to)
    );
    let _ = writeln!(
        out,
        "**Result:** {}, {}, {}; {} waived. {} run, {} skipped{}.\n",
        count_label(s.error, "error"),
        count_label(s.warning, "warning"),
        count_label(s.notice, "notice"),
        s.suppressed,
        count_label(s.checks_run, "check"),
        s.checks_skipped,
        if errored > 0 {
            format!(
                ", **{} could not run: the result is incomplete**",
                count_label(errored, "check")
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "- **Upgrade:** OMS {} → {}",
        inline(&up.from),
        inline(&up.to)
    );
    let path: Vec<String> = up.path.iter().map(|v| inline(v)).collect();
    if up.path.len() > 2 {
        let _ = writeln!(
            out,
            "- **Path:** {} ({} hops; the rules are evaluated for every hop, on the deployment as it is now: lint again between hops)",
            path.join(" → "),
            up.path.len() - 1,
        );
    } else if !path.is_empty() {
        let _ = writeln!(out, "- **Path:** {} (one hop)", path.join(" → "));
    }
    let _ = writeln!(out, "- **Generated:** {}", inline(&report.generated_at));
    let _ = writeln!(
        out,
        "- **Tool:** {} {}\n",
        report.tool.name, report.tool.version
    );

    // Inputs.
    out.push_str("## Inputs\n\n");
    if report.inputs.is_empty() {
        out.push_str("No inputs.\n\n");
    } else {
        out.push_str("| Kind | Path | SHA-256 |\n|---|---|---|\n");
        for i in &report.inputs {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                inline(i.kind),
                code(&i.path, true),
                i.sha256
                    .as_deref()
                    .map_or_else(|| "—".to_string(), |h| code(h, true))
            );
        }
        out.push('\n');
    }

    // Summary.
    out.push_str("## Summary\n\n| Findings | Count |\n|---|---:|\n");
    let _ = writeln!(out, "| error | {} |", s.error);
    let _ = writeln!(out, "| warning | {} |", s.warning);
    let _ = writeln!(out, "| notice | {} |", s.notice);
    let _ = writeln!(out, "| waived | {} |\n", s.suppressed);
    out.push_str("| Checks | Count |\n|---|---:|\n");
    let _ = writeln!(out, "| run | {} |", s.checks_run);
    let _ = writeln!(out, "| skipped | {} |", s.checks_skipped);
    let _ = writeln!(out, "| could not run | {errored} |\n");

    out.push_str(
        "### Checks\n\n| Code | Rule | Status | Findings | Note |\n|---|---|---|---|---|\n",
    );
    for c in &report.checks {
        let mine = |sev: Severity| {
            open.iter()
                .filter(|f| f.code == c.code && f.severity == sev)
                .filter(|f| c.hop.is_none() || f.hop.as_deref() == c.hop.as_ref())
                .count()
        };
        let mut counts: Vec<String> = [Severity::Error, Severity::Warning, Severity::Notice]
            .into_iter()
            .filter_map(|sev| {
                let n = mine(sev);
                (n > 0).then(|| count_label(n, sev.as_str()))
            })
            .collect();
        let w = waived.iter().filter(|f| f.code == c.code).count();
        if w > 0 {
            counts.push(format!("{w} waived"));
        }
        let findings = if counts.is_empty() {
            "—".to_string()
        } else {
            counts.join(", ")
        };
        let status = match c.status {
            "failed" | "error" => format!("**{}**", c.status),
            other => inline(other),
        };
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} |",
            c.code,
            c.hop
                .as_ref()
                .map(|h| format!(" ({})", inline(&h.to_string())))
                .unwrap_or_default(),
            inline(&rule_name(c.code)),
            status,
            findings,
            c.reason.as_deref().map(inline).unwrap_or_default()
        );
    }
    out.push('\n');

    // Findings, by severity then code (the report's order within a code).
    out.push_str("## Findings\n\n");
    if open.is_empty() {
        out.push_str("No open findings.\n\n");
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Notice] {
        let mut group: Vec<&Finding> = open
            .iter()
            .map(|f| &**f)
            .filter(|f| f.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by_key(|f| f.code);
        let _ = writeln!(out, "### {} ({})\n", heading_of(sev), group.len());
        for f in group {
            render_finding(&mut out, f);
        }
    }

    // Waived.
    let _ = writeln!(out, "## Waived findings ({})\n", waived.len());
    if waived.is_empty() {
        out.push_str("None.\n\n");
    } else {
        out.push_str(
            "| Code | Rule | Severity | Subject | Reason | Ticket | Message |\n|---|---|---|---|---|---|---|\n",
        );
        for f in &waived {
            let (reason, ticket) = f.suppressed.as_ref().map_or((String::new(), None), |w| {
                (w.reason.clone(), w.ticket.clone())
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                f.code,
                inline(f.rule),
                f.severity,
                subject_long(f, true),
                inline(&reason),
                ticket.as_deref().map_or_else(|| "—".to_string(), inline),
                inline(&f.message)
            );
        }
        out.push('\n');
    }

    // Footer.
    out.push_str("---\n\n");
    let _ = writeln!(
        out,
        "Generated by {} {} at {}. To reproduce, from the directory it ran in:\n",
        report.tool.name,
        report.tool.version,
        inline(&report.generated_at)
    );
    fenced(&mut out, "sh", &reproduce(report));
    let unrecorded = if report.command == "verify" {
        "`--downtime`, `--schema-map`"
    } else {
        "`--stage`, `--downtime`, `--heartbeat-threshold`, `--schema-map`"
    };
    let mut notes = vec![format!(
        "Options the report does not record ({unrecorded}) must be given again if the original run set them on the command line rather than in its settings file."
    )];
    if report.inputs.iter().any(|i| i.kind == "metadb") {
        notes.push(
            "The MetaDB password comes from `OMSLINT_METADB_PASSWORD`, `--password-file` or a prompt, never from the command line.".to_string(),
        );
    }
    for n in notes {
        let _ = writeln!(out, "{n}\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The `omslint lint` (or `verify`) command line that reads the same inputs.
fn reproduce(report: &Report) -> String {
    let mut args: Vec<String> = Vec::new();
    for i in &report.inputs {
        let flag = match i.kind {
            "config" => "--config",
            "dump" => "--dump",
            "components" => "--components",
            "docker-inspect" => "--docker-inspect",
            "backup-dir" => "--backup-dir",
            "metadb" => "--metadb",
            "settings" => "--settings",
            "schema-map" => "--schema-map",
            _ => continue,
        };
        args.push(format!("{flag} {}", sh_quote(&i.path)));
    }
    if !report.upgrade.from.is_empty() {
        args.push(format!("--from {}", sh_quote(&report.upgrade.from)));
    }
    if !report.upgrade.to.is_empty() {
        args.push(format!("--to {}", sh_quote(&report.upgrade.to)));
    }
    if report.rolled_back {
        args.push("--rolled-back".to_string());
    }
    args.push("--format markdown".to_string());
    let verify = report.command == "verify";
    let mut out = format!("omslint {}", if verify { "verify" } else { "lint" });
    for a in args {
        let _ = write!(out, " \\\n  {a}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::CheckResult;
    use crate::finding::FixKind;
    use crate::finding::{Evidence, Location, Subject, Suppression};
    use crate::report::{InputEntry, Summary, Tool, Upgrade};

    fn finding(code: &'static str, rule: &'static str, severity: Severity, id: &str) -> Finding {
        Finding {
            code,
            rule,
            severity,
            message: format!("message about {id}"),
            subject: Subject::new("project", id),
            location: None,
            evidence: Evidence::default(),
            fix: None,
            hop: None,
            suppressed: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        let mut summary = Summary::default();
        for f in &findings {
            if f.suppressed.is_some() {
                summary.suppressed += 1;
            } else {
                match f.severity {
                    Severity::Error => summary.error += 1,
                    Severity::Warning => summary.warning += 1,
                    Severity::Notice => summary.notice += 1,
                }
            }
        }
        let mut codes: Vec<&'static str> = findings.iter().map(|f| f.code).collect();
        codes.sort_unstable();
        codes.dedup();
        Report {
            schema_version: 1,
            command: "lint",
            tool: Tool {
                name: "omslint",
                version: "0.0.0",
            },
            generated_at: "2026-01-01T00:00:00Z".into(),
            upgrade: Upgrade {
                from: "2.1.0".into(),
                to: "4.2.3".into(),
                path: vec!["2.1.0".into(), "3.2.1".into(), "4.2.3".into()],
            },
            inputs: vec![
                InputEntry {
                    kind: "config",
                    path: "regions/a|b/config.yaml".into(),
                    sha256: Some("ab".repeat(32)),
                },
                InputEntry {
                    kind: "backup-dir",
                    path: "my backups".into(),
                    sha256: None,
                },
            ],
            summary,
            findings: findings.into(),
            checks: codes
                .into_iter()
                .map(|code| CheckResult {
                    code,
                    status: "failed",
                    reason: None,
                    hop: None,
                })
                .chain([CheckResult {
                    code: "OMS011",
                    status: "error",
                    reason: Some("cannot read x | y\nsecond".into()),
                    hop: None,
                }])
                .collect(),
            rolled_back: false,
        }
    }

    #[test]
    fn inline_escapes_table_breakers_and_markup() {
        assert_eq!(inline("a|b"), "a\\|b");
        assert_eq!(inline("a\nb\r\nc"), "a<br>b<br>c");
        assert_eq!(
            inline("*x* [l](u) <b> &amp; `c` ~s~ $m$"),
            "\\*x\\* \\[l\\](u) \\<b\\> \\&amp; \\`c\\` \\~s\\~ \\$m\\$"
        );
        assert_eq!(inline("p_4ch3 _x_ a\\b"), "p_4ch3 \\_x\\_ a\\\\b");
        assert_eq!(inline("tmp_O'Neil\\backup"), "tmp_O'Neil\\\\backup");
    }

    #[test]
    fn paragraph_never_starts_a_block() {
        assert_eq!(paragraph("# not a heading"), "\\# not a heading");
        assert_eq!(paragraph("- item"), "\\- item");
        assert_eq!(paragraph("12. item"), "12\\. item");
        assert_eq!(paragraph("  plain"), "plain");
    }

    #[test]
    fn code_spans_survive_backticks_pipes_and_spaces() {
        assert_eq!(code("p_1", false), "`p_1`");
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x", false), "`` `x ``");
        assert_eq!(code(" x ", false), "`  x  `");
        assert_eq!(code("name ", false), "`name `");
        assert_eq!(code("a|b", true), "`a\\|b`");
        assert_eq!(code("a|b", false), "`a|b`");
        assert_eq!(code("a\\|b", true), "a\\\\\\|b");
        assert_eq!(code("two\nlines", true), "`two lines`");
    }

    #[test]
    fn fences_are_longer_than_the_content() {
        let mut out = String::new();
        fenced(&mut out, "sql", "SELECT '```';\n");
        assert_eq!(out, "````sql\nSELECT '```';\n````\n\n");
        let mut out = String::new();
        fenced(&mut out, "diff", "-a\n+b");
        assert_eq!(out, "```diff\n-a\n+b\n```\n\n");
    }

    #[test]
    fn shell_words() {
        assert_eq!(sh_quote("metadb/rm_340.sql"), "metadb/rm_340.sql");
        assert_eq!(sh_quote("my dir"), "'my dir'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
    }

    #[test]
    fn full_report() {
        let mut dup = finding("OMS003", "duplicate-project-name", Severity::Error, "p_1");
        dup.subject = dup.subject.named("sales | EU");
        dup.message = "# named \"sales | EU\" twice\nsee `x`".into();
        dup.location = Some(Location {
            path: "metadb/rm.sql".into(),
            line: 7,
            column: 0,
        });
        dup.evidence.insert(
            "names".into(),
            serde_json::json!(["sales | EU", "Sales | eu"]),
        );
        dup.fix = Some(Box::new(Fix {
            kind: FixKind::Sql,
            applicability: Applicability::Safe,
            description: "rename p_1".into(),
            database: None,
            sql: Some("UPDATE t SET n = '```' WHERE id = 'p_1';".into()),
            rollback_sql: Some("UPDATE t SET n = 'sales | EU' WHERE id = 'p_1';".into()),
            patch: None,
            apply: None,
        }));
        let mut patch = finding("OMS012", "config-inconsistent", Severity::Error, "r1");
        patch.subject = Subject::new("region", "cn-hangzhou");
        patch.fix = Some(Box::new(Fix {
            kind: FixKind::ConfigPatch,
            applicability: Applicability::Safe,
            description: "set cm_url port".into(),
            database: None,
            sql: None,
            rollback_sql: None,
            patch: Some("--- a/config.yaml\n+++ b/config.yaml\n@@ -1 +1 @@\n-x\n+y\n".into()),
            apply: None,
        }));
        let notice = finding(
            "OMS002",
            "console-port-change",
            Severity::Notice,
            "deployment",
        );
        let mut notice = notice;
        notice.subject = Subject::deployment();
        let warn = finding("OMS014", "project-not-ready", Severity::Warning, "p_2");
        let mut waived = finding("OMS014", "project-not-ready", Severity::Warning, "p_3");
        waived.suppressed = Some(Box::new(Suppression {
            reason: "known | accepted".into(),
            ticket: Some("CHG-42".into()),
        }));
        let r = report(vec![dup, notice, patch, warn, waived]);
        let md = render(&r);
        assert_eq!(md, render(&r), "deterministic");

        assert!(
            md.starts_with("# OMS upgrade precheck: 2.1.0 → 4.2.3\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "- **Path:** 2.1.0 → 3.2.1 → 4.2.3 (2 hops; the rules are evaluated for every hop"
            ),
            "{md}"
        );
        // Inputs table: the pipe in the path is escaped, the hash is there.
        assert!(
            md.contains("| config | `regions/a\\|b/config.yaml` | `abab"),
            "{md}"
        );
        assert!(md.contains(&"ab".repeat(32)));
        assert!(md.contains("| backup-dir | `my backups` | — |"), "{md}");
        // Checks table with the error reason escaped onto one row.
        assert!(
            md.contains(
                "| OMS011 | backup-missing | **error** | — | cannot read x \\| y<br>second |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| OMS003 | duplicate-project-name | **failed** | 1 error |"),
            "{md}"
        );
        assert!(
            md.contains("| OMS014 | project-not-ready | **failed** | 1 warning, 1 waived |"),
            "{md}"
        );
        // Findings: errors first, then warnings, then notices; codes ordered within.
        let e = md.find("### Errors (2)").unwrap();
        let w = md.find("### Warnings (1)").unwrap();
        let n = md.find("### Notices (1)").unwrap();
        assert!(e < w && w < n);
        let h3 = md
            .find("#### OMS003 duplicate-project-name — project `p_1`")
            .unwrap();
        let h12 = md
            .find("#### OMS012 config-inconsistent — region `cn-hangzhou`")
            .unwrap();
        assert!(e < h3 && h3 < h12 && h12 < w);
        assert!(
            md.contains("#### OMS002 console-port-change — deployment\n"),
            "{md}"
        );
        assert!(
            md.contains("- **Subject:** project `p_1` — name `sales | EU`"),
            "{md}"
        );
        assert!(md.contains("- **Location:** `metadb/rm.sql:7`"), "{md}");
        assert!(
            md.contains("\n\\# named \"sales \\| EU\" twice<br>see \\`x\\`\n"),
            "{md}"
        );
        assert!(
            md.contains("| `names` | `[\"sales \\| EU\",\"Sales \\| eu\"]` |"),
            "{md}"
        );
        // The SQL holds ``` so its fence is longer; the rollback has its own block.
        assert!(
            md.contains("````sql\nUPDATE t SET n = '```' WHERE id = 'p_1';\n````\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "Rollback:\n\n```sql\nUPDATE t SET n = 'sales | EU' WHERE id = 'p_1';\n```\n"
            ),
            "{md}"
        );
        assert!(md.contains("```diff\n--- a/config.yaml\n"), "{md}");
        // Waived: not under Findings, in its own table with reason and ticket.
        assert!(
            !md.contains("#### OMS014 project-not-ready — project `p_3`"),
            "{md}"
        );
        assert!(md.contains("## Waived findings (1)"), "{md}");
        assert!(md.contains("| OMS014 | project-not-ready | warning | project `p_3` | known \\| accepted | CHG-42 |"), "{md}");
        // Footer.
        assert!(md.contains("omslint lint \\\n  --config 'regions/a|b/config.yaml' \\\n  --backup-dir 'my backups' \\\n  --from 2.1.0 \\\n  --to 4.2.3 \\\n  --format markdown\n```"), "{md}");
        assert!(md.ends_with('\n') && !md.ends_with("\n\n"));
        // Every table row has as many unescaped pipes as its header.
        for block in md.split("\n\n") {
            let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
            if let Some(head) = rows.first() {
                let cells = |l: &str| {
                    l.replace("\\\\", "")
                        .replace("\\|", "")
                        .matches('|')
                        .count()
                };
                for row in &rows {
                    assert_eq!(cells(row), cells(head), "row {row:?} in\n{block}");
                }
            }
        }
    }

    /// A verify report says what it checked in its title, and reproduces the verify it
    /// was (after the upgrade, or `--rolled-back`), with the options verify does not
    /// record; the command parses as omslint's own command line.
    #[test]
    fn verify_reports_say_what_they_checked() {
        use clap::Parser;
        let mut r = report(vec![]);
        r.command = "verify";
        r.inputs.retain(|i| i.kind == "backup-dir");
        r.inputs[0].path = "backups".into();
        r.inputs.push(InputEntry {
            kind: "dump",
            path: "metadb/rm.sql".into(),
            sha256: None,
        });
        let argv = |md: &str| -> Vec<String> {
            let start = md.find("```sh\n").unwrap() + 6;
            let end = start + md[start..].find("```").unwrap();
            md[start..end]
                .replace("\\\n", " ")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        let md = render(&r);
        assert!(
            md.starts_with("# OMS upgrade verification: 2.1.0 → 4.2.3\n"),
            "{md}"
        );
        let words = argv(&md);
        assert_eq!(
            words.join(" "),
            "omslint verify --backup-dir backups --dump metadb/rm.sql --from 2.1.0 --to 4.2.3 --format markdown"
        );
        crate::cli::Cli::try_parse_from(&words).unwrap();
        assert!(
            md.contains("Options the report does not record (`--downtime`, `--schema-map`)"),
            "{md}"
        );

        r.rolled_back = true;
        let md = render(&r);
        assert!(
            md.starts_with("# OMS rollback verification: 2.1.0 → 4.2.3\n"),
            "{md}"
        );
        let words = argv(&md);
        assert_eq!(words.last().map(String::as_str), Some("markdown"));
        assert!(words.contains(&"--rolled-back".to_string()), "{words:?}");
        crate::cli::Cli::try_parse_from(&words).unwrap();

        r.command = "lint";
        r.rolled_back = false;
        let md = render(&r);
        assert!(
            md.starts_with("# OMS upgrade precheck: 2.1.0 → 4.2.3\n"),
            "{md}"
        );
        assert_eq!(argv(&md)[1], "lint");
        assert!(md.contains("(`--stage`, `--downtime`, `--heartbeat-threshold`, `--schema-map`)"));
    }

    #[test]
    fn empty_report() {
        let mut r = report(vec![]);
        r.checks.clear();
        r.inputs.clear();
        r.upgrade.path = vec!["3.4.0".into(), "4.2.3".into()];
        let md = render(&r);
        assert!(md.contains("No inputs."));
        assert!(md.contains("No open findings."));
        assert!(md.contains("## Waived findings (0)\n\nNone."));
        assert!(md.contains("(one hop)"));
    }
}
