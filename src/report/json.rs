//! `--format json`: exactly SPEC §4, streamed to the writer.

use std::io::Write;

use super::Report;

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}
