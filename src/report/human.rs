//! `--format human`: diagnostics that point into the config files, and a summary table.
//! Readable without a terminal: colour only on a TTY and never with NO_COLOR.

use std::fmt::Write as _;
use std::path::Path;

use comfy_table::{presets, Cell, ContentArrangement, Table};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as MSeverity,
};

use super::{Report, RunKind};
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
    let mut message = match &f.hop {
        Some(h) => format!("[hop {h}] {}", visible(&f.message)),
        None => visible(&f.message),
    };
    // A waived finding is shown for the record, never as a live error.
    if let Some(w) = &f.suppressed {
        message = format!(
            "[waived{}: {}] {message}",
            w.ticket
                .as_deref()
                .map(|t| format!(" {}", visible(t)))
                .unwrap_or_default(),
            visible(&w.reason)
        );
    }
    let mut diag = MietteDiagnostic::new(message)
        .with_code(format!("{} ({})", f.code, f.rule))
        .with_severity(match (f.severity, &f.suppressed) {
            (_, Some(_)) => MSeverity::Advice,
            (Severity::Error, None) => MSeverity::Error,
            (Severity::Warning, None) => MSeverity::Warning,
            (Severity::Notice, None) => MSeverity::Advice,
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
    // Prose wraps at spaces; a token (SQL, JSON, an identifier, a path) is never broken,
    // so what is copied from the report still works.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = String::new();
    let path = report.upgrade.path.join(" → ");
    let _ = match report.run_kind() {
        RunKind::AfterRollback => writeln!(
            out,
            "omslint {} — verify: after the rollback of the upgrade {path}\n",
            report.tool.version
        ),
        RunKind::AfterUpgrade => writeln!(
            out,
            "omslint {} — verify: after the upgrade {path}\n",
            report.tool.version
        ),
        RunKind::Precheck => writeln!(
            out,
            "omslint {} — upgrade {path} ({})\n",
            report.tool.version,
            if report.upgrade.path.len() > 2 {
                "several hops: every hop evaluated, findings name their hop"
            } else {
                "one hop"
            }
        ),
    };
    for f in report.findings.iter() {
        render_finding(&mut out, &f, &handler);
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
        .set_header(vec!["check", "status", "findings", "note"]);
    // Passed checks are listed on one line below the table; the table holds the ones that
    // found something, were skipped or could not run.
    let passed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == "passed" && c.reason.is_none())
        .map(|c| match &c.hop {
            Some(h) => format!("{} ({h})", c.code),
            None => c.code.to_string(),
        })
        .collect();
    for c in report
        .checks
        .iter()
        .filter(|c| c.status != "passed" || c.reason.is_some())
    {
        let mut counts = [0usize; 3];
        for f in report
            .findings
            .of_code(c.code)
            .filter(|f| f.suppressed.is_none())
            .filter(|f| c.hop.is_none() || f.hop.as_deref() == c.hop.as_ref())
        {
            counts[f.severity as usize] += 1;
        }
        let findings: Vec<String> = [Severity::Error, Severity::Warning, Severity::Notice]
            .into_iter()
            .filter_map(|s| {
                let n = counts[s as usize];
                (n > 0).then(|| format!("{n} {}{}", s.as_str(), if n == 1 { "" } else { "s" }))
            })
            .collect();
        table.add_row(vec![
            Cell::new(match &c.hop {
                Some(h) => format!("{} ({h})", c.code),
                None => c.code.to_string(),
            }),
            Cell::new(c.status),
            Cell::new(findings.join(", ")),
            Cell::new(visible(c.reason.as_deref().unwrap_or_default())),
        ]);
    }
    if !table.is_empty() {
        let _ = writeln!(out, "{table}");
    }
    let wrap = |text: &str| {
        let opts = textwrap::Options::new(style.width)
            .break_words(false)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        textwrap::fill(text, opts)
    };
    if !passed.is_empty() {
        let _ = writeln!(out, "\n{}", wrap(&format!("passed: {}", passed.join(", "))));
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{}",
        wrap(&format!(
            "{} error(s), {} warning(s), {} notice(s); {} check(s) run, {} skipped{}",
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
        ))
    );
    // Every finding with a fix is held.
    let open = |a: &str| {
        report
            .findings
            .held()
            .iter()
            .filter(|f| f.suppressed.is_none())
            .filter(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|x| x.applicability.as_str() == a && x.apply.is_some())
            })
            .count()
    };
    let (safe, unsafe_) = (open("safe"), open("unsafe"));
    if safe + unsafe_ > 0 {
        let _ = writeln!(
            out,
            "{}",
            wrap(&format!(
                "{safe} fixable with `omslint lint … --fix`{}; preview with `--diff`",
                if unsafe_ > 0 {
                    format!(" ({unsafe_} more with `--unsafe-fixes`)")
                } else {
                    String::new()
                }
            ))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first line says what the run was: the upgrade's precheck, or a verify after
    /// the upgrade or after its rollback.
    #[test]
    fn the_header_says_what_was_checked() {
        let mut r = crate::report::sarif::tests::sample_report();
        let style = Style {
            color: false,
            width: 100,
        };
        let first = |r: &Report| render(r, &style).lines().next().unwrap().to_string();
        assert_eq!(first(&r), "omslint 0.1.0 — upgrade 3.4.0 → 4.2.3 (one hop)");
        r.command = "verify";
        assert_eq!(
            first(&r),
            "omslint 0.1.0 — verify: after the upgrade 3.4.0 → 4.2.3"
        );
        r.rolled_back = true;
        assert_eq!(
            first(&r),
            "omslint 0.1.0 — verify: after the rollback of the upgrade 3.4.0 → 4.2.3"
        );
    }
}
