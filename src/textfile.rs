//! Text files a user writes (YAML, JSON, INI, settings, schema maps, upgrade graphs):
//! UTF-8 or an error at the first byte that is not, never a guess at another encoding;
//! and the line a YAML parser's message points at.

use std::path::Path;

use crate::error::{Error, Result};
use crate::redact;

/// A file that must be UTF-8, read whole.
pub fn read_utf8(path: &Path) -> Result<String> {
    if path.is_dir() {
        return Err(Error::parse_no_pos(path, "is a directory, expected a file"));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::unreadable(path, e))?;
    decode_utf8(path, bytes)
}

/// The text of a file that must be UTF-8 (YAML, JSON, INI, settings): anything else is a
/// parse error (exit 2) at the line and column of the first byte that is not UTF-8, never
/// a guess at another encoding. A UTF-8 byte-order mark is kept (the parsers skip it).
pub fn decode_utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let err = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e,
    };
    let bytes = err.as_bytes();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::parse(
            path,
            1,
            1,
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8",
        ));
    }
    let at = err.utf8_error().valid_up_to();
    let head = &bytes[..at];
    let line_start = memchr::memrchr(b'\n', head).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', head).count() as u64 + 1;
    let before = std::str::from_utf8(&head[line_start..]).unwrap_or_default();
    let before = if line_start == 0 {
        before.trim_start_matches('\u{feff}')
    } else {
        before
    };
    let column = before.chars().count() as u64 + 1;
    let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    // Whether the line is part of a secret's value, as the masking of quoted lines sees
    // it (continuation lines of a block scalar included).
    let lossy = String::from_utf8_lossy(bytes);
    let index = usize::try_from(line - 1).unwrap_or(usize::MAX);
    let in_secret = redact::redact_text(&lossy).lines().nth(index) != lossy.lines().nth(index);
    let shown = if !in_secret {
        let bad = invalid_run(&bytes[at..line_end]);
        let plural = if bad.len() > 1 { "s" } else { "" };
        let hex: Vec<String> = bad.iter().map(|b| format!("0x{b:02X}")).collect();
        format!("byte{plural} {}", hex.join(" "))
    } else {
        // The line holds a secret: not even a byte of it is shown.
        "a byte in a secret's value".to_string()
    };
    Err(Error::parse(
        path,
        line,
        column,
        format!(
            "not UTF-8 ({shown}): the file must be UTF-8 text; if it was saved in another \
             encoding (GBK, Latin-1), convert it, e.g. `iconv -f GBK -t UTF-8`"
        ),
    ))
}

/// The invalid bytes at the start of `bytes`, at most four: what an editor shows as `�`.
fn invalid_run(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while out.len() < 4 && !rest.is_empty() {
        let n = match std::str::from_utf8(rest) {
            Err(e) if e.valid_up_to() == 0 => e.error_len().unwrap_or(rest.len()),
            _ => break,
        };
        let take = n.min(4 - out.len());
        out.extend_from_slice(&rest[..take]);
        rest = &rest[n..];
    }
    out
}

/// The line number a serde-saphyr error message mentions, 0 when none.
pub fn yaml_error_line(message: &str) -> u64 {
    let re = regex::Regex::new(r"line (\d+)").expect("static regex");
    re.captures(message)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or(0)
}
