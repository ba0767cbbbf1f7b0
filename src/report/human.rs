//! `--format human`: diagnostics that point into the config files, and a summary table.
//! Readable without a terminal: colour only on a TTY and never with NO_COLOR.

use std::fmt::Write as _;
use std::path::Path;

use comfy_table::{presets, Cell, ContentArrangement, Table};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as MSeverity,
};

use super::Report;
use crate::escape::terminal::visible;
use crate::finding::{Finding, Severity};

pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// Reads the file a finding points at, secrets masked, for its snippet.
fn snippet_source(path: &str) -> Option<String> {
    let p = Path::new(path);
    let meta = std::fs::metadata(p).ok()?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return None;
    }
    let text = String::from_utf8(std::fs::read(p).ok()?).ok()?;
    Some(visible(&crate::sources::redact::redact_text(&text)))
}

fn offset_of(text: &str, line: u64, column: u64) -> Option<usize> {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = column.saturating_sub(1) as usize;
            let within: usize = l.chars().take(col).map(char::len_utf8).sum();
            return Some(off + within);
        }
        off += l.len();
    }
    None
}

fn render_finding(out: &mut String, f: &Finding, handler: &GraphicalReportHandler) {
    let message = match &f.hop {
        Some(h) => format!("[hop {h}] {}", visible(&f.message)),
        None => visible(&f.message),
    };
    let mut diag = MietteDiagnostic::new(message)
        .with_code(format!("{}({})", f.code, f.rule))
        .with_severity(match f.severity {
            Severity::Error => MSeverity::Error,
            Severity::Warning => MSeverity::Warning,
            Severity::Notice => MSeverity::Advice,
        });
    if let Some(fix) = &f.fix {
        let mut help = format!(
            "fix ({}): {}",
            fix.applicability.as_str(),
            visible(&fix.description)
        );
        if let Some(sql) = &fix.sql {
            let _ = write!(help, "\n{}", visible(sql));
        }
        if let Some(patch) = &fix.patch {
            let _ = write!(help, "\n{}", visible(patch.trim_end()));
        }
        diag = diag.with_help(help);
    }
    let located = f.location.as_ref().and_then(|loc| {
        let text = snippet_source(&loc.path)?;
        let start = offset_of(&text, loc.line, loc.column.max(1))?;
        let len = text[start..]
            .find('\n')
            .unwrap_or(text.len() - start)
            .max(1);
        Some((loc.path.clone(), text, start, len))
    });
    let report = match located {
        Some((path, text, start, len)) => {
            let d = diag.with_label(LabeledSpan::at(start..start + len, subject_label(f)));
            miette::Report::new(d).with_source_code(NamedSource::new(path, text))
        }
        None => {
            let mut text = if f.subject.kind == "deployment" {
                "deployment".to_string()
            } else {
                format!("{} {}", f.subject.kind, visible(&f.subject.id))
            };
            if let Some(loc) = &f.location {
                let _ = write!(text, " ({}:{})", loc.path, loc.line);
            }
            miette::Report::new(diag.with_help_suffix(&text))
        }
    };
    let _ = handler.render_report(out, report.as_ref());
    out.push('\n');
}

trait HelpSuffix {
    fn with_help_suffix(self, subject: &str) -> Self;
}

impl HelpSuffix for MietteDiagnostic {
    fn with_help_suffix(self, subject: &str) -> Self {
        let help = match &self.help {
            Some(h) => format!("subject: {subject}\n{h}"),
            None => format!("subject: {subject}"),
        };
        self.with_help(help)
    }
}

fn subject_label(f: &Finding) -> String {
    if f.subject.kind == "deployment" && f.subject.id == "deployment" {
        return match &f.subject.name {
            Some(n) => format!("deployment ({})", visible(n)),
            None => "deployment".into(),
        };
    }
    match &f.subject.name {
        Some(n) => format!(
            "{} {} ({})",
            f.subject.kind,
            visible(&f.subject.id),
            visible(n)
        ),
        None => format!("{} {}", f.subject.kind, visible(&f.subject.id)),
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "omslint {} — upgrade {} ({})\n",
        report.tool.version,
        report.upgrade.path.join(" → "),
        if report.upgrade.path.len() > 2 {
            "several hops: every hop evaluated, findings name their hop"
        } else {
            "one hop"
        }
    );
    for f in &report.findings {
        render_finding(&mut out, f, &handler);
    }

    let mut table = Table::new();
    table
        .load_preset(if style.color {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_MARKDOWN
        })
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width as u16)
        .set_header(vec![
            "code", "rule", "status", "error", "warning", "notice", "note",
        ]);
    for c in &report.checks {
        let count = |s: Severity| {
            report
                .findings
                .iter()
                .filter(|f| f.code == c.code && f.severity == s && f.suppressed.is_none())
                .filter(|f| c.hop.is_none() || f.hop.as_deref() == c.hop.as_ref())
                .count()
        };
        let rule = crate::catalog::lookup(c.code).map_or("", |m| m.name.as_str());
        table.add_row(vec![
            Cell::new(match &c.hop {
                Some(h) => format!("{} ({h})", c.code),
                None => c.code.to_string(),
            }),
            Cell::new(rule),
            Cell::new(c.status),
            Cell::new(count(Severity::Error)),
            Cell::new(count(Severity::Warning)),
            Cell::new(count(Severity::Notice)),
            Cell::new(visible(c.reason.as_deref().unwrap_or_default())),
        ]);
    }
    let _ = writeln!(out, "{table}");
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} error(s), {} warning(s), {} notice(s); {} check(s) run, {} skipped{}",
        s.error,
        s.warning,
        s.notice,
        s.checks_run,
        s.checks_skipped,
        if report.checks.iter().any(|c| c.status == "error") {
            "; some checks could not run (see the table)"
        } else {
            ""
        }
    );
    out
}
