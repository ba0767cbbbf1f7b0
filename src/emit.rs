//! Writing a report (`lint` and `verify` alike, SPEC §8): the format, `--output`,
//! colour, width, the stderr summary and the exit code.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::cli::{ColorArg, FailOn, Format, ReportArgs};
use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::report::{self, Report};

/// How a command asked for its report.
pub struct Emit<'a> {
    pub format: Format,
    pub output: Option<&'a Path>,
    pub color: ColorArg,
    pub fail_on: FailOn,
    pub exit_zero: bool,
    pub sarif: report::sarif::Options,
}

impl<'a> Emit<'a> {
    /// As a command's report options ask; `sarif` is what else SARIF needs (its category
    /// comes from the options).
    pub fn new(args: &'a ReportArgs, sarif: report::sarif::Options) -> Self {
        Emit {
            format: args.format,
            output: args.output.as_deref(),
            color: args.color,
            fail_on: args.fail_on,
            exit_zero: args.exit_zero,
            sarif: report::sarif::Options {
                category: args.sarif_category.clone(),
                ..sarif
            },
        }
    }
}

pub fn fail_threshold(f: FailOn) -> Severity {
    match f {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Notice => Severity::Notice,
    }
}

/// Renders the report, says where it went, and returns the exit code (SPEC §2: 3 when a
/// check could not run, 1 at the `--fail-on` gate, else 0).
pub fn emit(e: &Emit<'_>, report: &Report, check_errors: bool) -> Result<u8> {
    let threshold = fail_threshold(e.fail_on);
    match e.format {
        Format::Json => write_output(e.output, |w| report::json::write(report, w))?,
        Format::Sarif => {
            write_output(e.output, |w| report::sarif::write_with(report, &e.sarif, w))?
        }
        Format::Junit => write_output(e.output, |w| {
            report::junit::write_with_gate(report, threshold, w)
        })?,
        Format::Markdown => write_output(e.output, |w| report::markdown::write(report, w))?,
        Format::Github => write_output(e.output, |w| report::github::write(report, w))?,
        Format::Human => {
            let to_file = e.output.is_some();
            let style = report::human::Style {
                color: use_color(e.color, to_file),
                width: report_width(to_file),
            };
            write_output(e.output, |w| {
                w.write_all(report::human::render(report, &style).as_bytes())
            })?
        }
    }
    if let Some(path) = e.output {
        let s = &report.summary;
        eprintln!(
            "omslint: wrote {}: {} error(s), {} warning(s), {} notice(s), {} suppressed{}",
            path.display(),
            s.error,
            s.warning,
            s.notice,
            s.suppressed,
            if check_errors {
                "; some checks could not run"
            } else {
                ""
            }
        );
    }
    if check_errors {
        // One line per distinct reason: a MetaDB that cannot be read stops a dozen checks.
        let mut reasons: Vec<(String, Vec<&str>)> = Vec::new();
        for c in report.checks.iter().filter(|c| c.status == "error") {
            let why = c.reason.clone().unwrap_or_else(|| "unknown reason".into());
            match reasons.iter_mut().find(|(r, _)| *r == why) {
                Some((_, codes)) => codes.push(c.code),
                None => reasons.push((why, vec![c.code])),
            }
        }
        for (why, codes) in reasons {
            eprintln!("omslint: error: {why} ({} could not run)", codes.join(", "));
        }
        return Ok(3);
    }
    let failing = !e.exit_zero && report.worst().is_some_and(|w| w >= threshold);
    Ok(u8::from(failing))
}

/// Streams the report to `--output` or standard output: a report with tens of thousands
/// of findings is never held twice in memory. `--output` is written to a temporary file
/// beside it and renamed into place, so a reader never sees half a report.
fn write_output(
    output: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match output {
        Some(path) => {
            let failed = |e: std::io::Error| {
                Error::CheckFailed(format!(
                    "cannot write the report to {}: {e}",
                    path.display()
                ))
            };
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "report".into());
            let tmp = path.with_file_name(format!(".{name}.omslint-tmp-{}", std::process::id()));
            let written = (|| {
                let file = std::fs::File::create(&tmp)?;
                let mut w = std::io::BufWriter::new(file);
                render(&mut w)?;
                w.flush()?;
                w.get_ref().sync_all()?;
                std::fs::rename(&tmp, path)
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written.map_err(failed)
        }
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = render(&mut w).and_then(|()| w.flush());
            Ok(())
        }
    }
}

/// The colour conventions of the command line (no-color.org, bixense.com/clicolors):
/// NO_COLOR wins, then CLICOLOR_FORCE, then TERM=dumb and CLICOLOR=0, then whether the
/// report goes to a terminal.
fn use_color(arg: ColorArg, to_file: bool) -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let is = |k: &str, v: &str| std::env::var_os(k).is_some_and(|x| x == v);
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto if set("NO_COLOR") => false,
        ColorArg::Auto if set("CLICOLOR_FORCE") && !is("CLICOLOR_FORCE", "0") => !to_file,
        ColorArg::Auto => {
            !to_file
                && !is("TERM", "dumb")
                && !is("CLICOLOR", "0")
                && std::io::stdout().is_terminal()
        }
    }
}

/// The width the human report wraps at: the terminal's, else COLUMNS, else 100.
fn report_width(to_file: bool) -> usize {
    if !to_file {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w).max(40);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w >= 20)
        .unwrap_or(100)
}

/// A sign of life on a terminal while the sources are read (a large dump takes
/// seconds): a spinner on stderr, only when stderr is a terminal, cleared when done.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn start(what: &str) -> Progress {
        if !std::io::stderr().is_terminal() || std::env::var_os("OMSLINT_NO_PROGRESS").is_some() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(Some(bar))
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
