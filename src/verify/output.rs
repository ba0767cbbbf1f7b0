//! Writing verify's report: the same formats, `--output`, colour and exit codes as
//! `lint` (SPEC §8). These mirror `lint`'s private helpers, which verify cannot reach.

use std::io::{IsTerminal, Write};

use crate::cli::{ColorArg, FailOn, Format, VerifyArgs};
use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::report::{self, Report};

fn write_output(
    args: &VerifyArgs,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match &args.output {
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
            let _ = render(&mut w).and_then(|()| w.flush());
            Ok(())
        }
    }
}

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

/// Renders the report, says where it went, and returns the exit code.
pub fn emit(args: &VerifyArgs, report: &Report, check_errors: bool) -> Result<u8> {
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Notice => Severity::Notice,
    };
    match args.format {
        Format::Json => write_output(args, |w| report::json::write(report, w))?,
        Format::Sarif => {
            let options = report::sarif::Options {
                category: args.sarif_category.clone(),
                ..Default::default()
            };
            write_output(args, |w| report::sarif::write_with(report, &options, w))?
        }
        Format::Junit => write_output(args, |w| {
            report::junit::write_with_gate(report, threshold, w)
        })?,
        Format::Markdown => write_output(args, |w| report::markdown::write(report, w))?,
        Format::Github => write_output(args, |w| report::github::write(report, w))?,
        Format::Human => {
            let to_file = args.output.is_some();
            let style = report::human::Style {
                color: use_color(args.color, to_file),
                width: report_width(to_file),
            };
            write_output(args, |w| {
                w.write_all(report::human::render(report, &style).as_bytes())
            })?
        }
    }
    if let Some(path) = &args.output {
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
    let failing = !args.exit_zero && report.worst().is_some_and(|w| w >= threshold);
    Ok(u8::from(failing))
}

/// A spinner on stderr while the sources are read, only on a terminal.
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
