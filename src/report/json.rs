//! `--format json`: exactly SPEC §4, streamed to the writer.

use std::io::Write;

use super::Report;

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    // serde_json writes a report in tens of millions of small pieces: into a buffer of a
    // known type they are copies, not calls through `dyn Write`.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut *w);
    serde_json::to_writer_pretty(&mut buffered, report).map_err(std::io::Error::other)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}
