//! `--format github`: GitHub Actions workflow commands, one annotation per finding that
//! counts (waived findings are left out), one per check that could not run, then a
//! summary notice.
//!
//! ```text
//! ::error file=regions/hz/config.yaml,line=9,col=9,title=OMS012 config-inconsistent::cm_url …
//! ::notice title=omslint::1 error, 0 warnings, 0 notices (0 waived); 11 checks run, 5 skipped
//! ```
//!
//! Escaping is the Actions toolkit's: in the message `%`, CR and LF are percent-encoded;
//! in a property value `:` and `,` too.

use std::io::Write;

use super::Report;
use crate::finding::{Finding, Severity};

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        writeln!(w, "{}", annotation(&f))?;
    }
    // A check that could not run is no pass (exit 3): say which and why where CI shows it.
    for c in report.checks.iter().filter(|c| c.status == "error") {
        let title = match crate::catalog::lookup(c.code) {
            Some(m) => format!("{} {} (check error)", m.code, m.name),
            None => format!("{} (check error)", c.code),
        };
        writeln!(
            w,
            "::error title={}::{}",
            escape_property(&title),
            escape_data(&format!(
                "{} could not run: {}",
                c.code,
                c.reason.as_deref().unwrap_or("no reason given")
            ))
        )?;
    }
    writeln!(
        w,
        "::notice title=omslint::{}",
        escape_data(&summary(report))
    )
}

/// The workflow command for one finding.
fn annotation(f: &Finding) -> String {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "notice",
    };
    let mut props = Vec::with_capacity(4);
    if let Some(loc) = &f.location {
        props.push(format!("file={}", escape_property(&loc.path)));
        if loc.line > 0 {
            props.push(format!("line={}", loc.line));
            if loc.column > 0 {
                props.push(format!("col={}", loc.column));
            }
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{} {}", f.code, f.rule))
    ));
    format!(
        "::{command} {}::{}",
        props.join(","),
        escape_data(&f.message)
    )
}

/// The last line: what was found, what was waived, what ran.
fn summary(report: &Report) -> String {
    let s = &report.summary;
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut out = format!(
        "{}, {}, {} ({} waived); {} run, {} skipped",
        count(s.error, "error", "errors"),
        count(s.warning, "warning", "warnings"),
        count(s.notice, "notice", "notices"),
        s.suppressed,
        count(s.checks_run, "check", "checks"),
        s.checks_skipped,
    );
    let errored = report.checks.iter().filter(|c| c.status == "error").count();
    if errored > 0 {
        out.push_str(&format!(", {errored} could not run"));
    }
    if !report.upgrade.path.is_empty() {
        out.push_str(&format!(" (upgrade {})", report.upgrade.path.join(" -> ")));
    }
    out
}

/// A command's message: `%`, CR and LF percent-encoded.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A property value: as a message, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Subject};
    use crate::report::sarif::tests::{finding, sample_report};

    fn lines(report: &Report) -> Vec<String> {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Undoes the toolkit's escaping, as the runner does.
    fn unescape(s: &str) -> String {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    }

    /// (command, properties, message) of a workflow command line.
    fn parse(line: &str) -> (String, Vec<(String, String)>, String) {
        let rest = line.strip_prefix("::").expect("a workflow command");
        let (head, message) = rest.split_once("::").expect("command::message");
        let (command, props) = head.split_once(' ').unwrap_or((head, ""));
        let props = props
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').expect("key=value");
                (k.to_string(), unescape(v))
            })
            .collect();
        (command.to_string(), props, unescape(message))
    }

    #[test]
    fn one_line_per_unwaived_finding_then_summary() {
        let r = sample_report();
        let out = lines(&r);
        let unwaived = r.findings.iter().filter(|f| f.suppressed.is_none()).count();
        // findings, the errored check, the summary.
        assert_eq!(out.len(), unwaived + 2);
        let parsed: Vec<_> = out.iter().map(|l| parse(l)).collect();

        let (cmd, props, msg) = &parsed[0];
        assert_eq!(cmd, "error");
        assert_eq!(
            props,
            &[(
                "title".to_string(),
                "OMS003 duplicate-project-name".to_string()
            )]
        );
        assert_eq!(msg, "OMS003 fired");

        let (cmd, props, _) = &parsed[1];
        assert_eq!(cmd, "error");
        let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["file", "line", "col", "title"]);
        assert_eq!(props[0].1, "regions/hz/config.yaml");
        assert_eq!(props[1].1, "9");
        assert_eq!(props[2].1, "9");

        assert_eq!(parsed[2].0, "notice");
        assert!(parsed[2]
            .1
            .iter()
            .any(|(k, v)| k == "title" && v == "OMS002 console-port-change"));

        let (cmd, _, msg) = &parsed[3];
        assert_eq!(cmd, "error");
        assert!(msg.contains("OMS011 could not run: backups/rm.sql: permission denied"));

        let (cmd, props, msg) = parsed.last().unwrap();
        assert_eq!(cmd, "notice");
        assert_eq!(props, &[("title".to_string(), "omslint".to_string())]);
        assert_eq!(
            msg,
            "2 errors, 0 warnings, 1 notice (1 waived); 3 checks run, 0 skipped, 1 could not run (upgrade 3.4.0 -> 4.2.3)"
        );
        assert!(
            !out.iter().any(|l| l.contains("OMS014")),
            "waived findings are not annotated"
        );
    }

    #[test]
    fn escapes_message_and_properties() {
        let mut f = finding("OMS012", Severity::Warning, Subject::deployment());
        f.message = "100% sure: a, b\r\nnext line\nlast".into();
        f.location = Some(Location {
            path: "dir,with:odd%chars/config.yaml".into(),
            line: 3,
            column: 0,
        });
        let line = annotation(&f);
        assert_eq!(
            line,
            "::warning file=dir%2Cwith%3Aodd%25chars/config.yaml,line=3,title=OMS012 config-inconsistent\
             ::100%25 sure: a, b%0D%0Anext line%0Alast"
        );
        assert!(!line.contains('\n') && !line.contains('\r'));
        let (cmd, props, msg) = parse(&line);
        assert_eq!(cmd, "warning");
        assert_eq!(props[0].1, "dir,with:odd%chars/config.yaml");
        assert_eq!(msg, f.message);
    }

    #[test]
    fn summary_without_errored_checks() {
        let mut r = sample_report();
        r.checks.retain(|c| c.status != "error");
        r.summary.error = 1;
        let s = summary(&r);
        assert_eq!(
            s,
            "1 error, 0 warnings, 1 notice (1 waived); 3 checks run, 0 skipped (upgrade 3.4.0 -> 4.2.3)"
        );
    }
}
