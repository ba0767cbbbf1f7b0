//! A sliding window over the dump file, with byte offsets and lazily counted lines.
//!
//! Lines are counted only over bytes that have been consumed (or that an error points
//! at), each byte once, so the count costs one fast pass and nothing per row; errors can
//! still name the exact line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub(super) struct Input {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    /// First unconsumed byte.
    pos: usize,
    /// End of the valid bytes.
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// Newlines in `buf[..counted]` are included in `lines`.
    counted: usize,
    /// Newlines in the file before `buf[counted]` (or since `start` when opened mid-file).
    lines: u64,
    /// Where reading started: line numbers are exact only when this is 0.
    start: u64,
    eof: bool,
    /// SHA-256 of every byte read, when asked for: the report's input digest comes from
    /// the scan's own reads instead of a second read of the whole file.
    hasher: Option<Sha256>,
}

impl Input {
    pub fn open(path: &Path, capacity: usize) -> Result<Self> {
        Self::open_at(path, 0, capacity)
    }

    pub fn open_at(path: &Path, offset: u64, capacity: usize) -> Result<Self> {
        if path.is_dir() {
            return Err(Error::parse_no_pos(
                path,
                "is a directory, expected a dump file",
            ));
        }
        let mut file = File::open(path).map_err(|e| Error::unreadable(path, e))?;
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| Error::unreadable(path, e))?;
        }
        Ok(Input {
            file,
            path: path.to_path_buf(),
            buf: vec![0; capacity.max(16)],
            pos: 0,
            end: 0,
            base: offset,
            counted: 0,
            lines: 0,
            start: offset,
            eof: false,
            hasher: None,
        })
    }

    /// Hashes every byte from here on (call before the first read of a file opened at 0).
    pub fn hash_contents(&mut self) {
        debug_assert!(self.start == 0 && self.end == 0);
        self.hasher = Some(Sha256::new());
    }

    /// The SHA-256 of the whole file, reading (and hashing) whatever the scan left unread.
    pub fn finish_hash(&mut self) -> Result<Option<String>> {
        let Some(mut h) = self.hasher.take() else {
            return Ok(None);
        };
        let mut buf = vec![0; super::CHUNK];
        while !self.eof {
            match self.file.read(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => h.update(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::unreadable(&self.path, e)),
            }
        }
        Ok(Some(crate::sources::hex(&h.finalize())))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes read and not consumed yet.
    pub fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// File offset of `avail()[rel]`.
    pub fn offset(&self, rel: usize) -> u64 {
        self.base + (self.pos + rel) as u64
    }

    /// Bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.base + self.end as u64 - self.start
    }

    /// Reads more bytes after the unconsumed ones (moving them to the front, or growing
    /// the buffer when they fill it). `false` at end of file.
    pub fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.compact();
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        loop {
            let room = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.file.read(room) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    if let Some(h) = self.hasher.as_mut() {
                        h.update(self.buf.get(self.end..self.end + n).unwrap_or_default());
                    }
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::unreadable(&self.path, e)),
            }
        }
    }

    /// Fills until at least `n` bytes are available or the file ends; `false` if fewer.
    pub fn ensure(&mut self, n: usize) -> Result<bool> {
        while self.end - self.pos < n {
            if !self.fill()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn compact(&mut self) {
        self.count_to(self.pos);
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.counted -= self.pos;
        self.pos = 0;
    }

    fn count_to(&mut self, idx: usize) {
        let idx = idx.min(self.end);
        if idx >= self.counted {
            self.lines += count_newlines(self.buf.get(self.counted..idx).unwrap_or_default());
        } else {
            self.lines -= count_newlines(self.buf.get(idx..self.counted).unwrap_or_default());
        }
        self.counted = idx;
    }

    /// 1-based line of `avail()[rel]` (or of the end of the data, past it).
    pub fn line_at(&mut self, rel: usize) -> u64 {
        self.count_to(self.pos + rel);
        self.lines + 1
    }

    /// A parse error at `avail()[rel]`, naming the file, line and column.
    pub fn error_at(&mut self, rel: usize, message: impl Into<String>) -> Error {
        let idx = (self.pos + rel).min(self.end);
        let line = self.line_at(rel);
        let before = self.buf.get(..idx).unwrap_or_default();
        // The column is known only when the line starts inside the buffer.
        let column = match memchr::memrchr(b'\n', before) {
            Some(nl) => (idx - nl) as u64,
            None if self.base == 0 => idx as u64 + 1,
            None => 0,
        };
        if self.start == 0 {
            Error::parse(&self.path, line, column, message)
        } else {
            // Opened mid-file: count the lines before the start once, on this error path.
            let before_start = count_file_lines(&self.path, self.start).unwrap_or(0);
            Error::parse(&self.path, before_start + line, column, message)
        }
    }

    /// A parse error at the end of the data read (a file cut short).
    pub fn error_at_end(&mut self, message: impl Into<String>) -> Error {
        let rel = self.end - self.pos;
        self.error_at(rel, message)
    }
}

pub(super) fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Newlines in the first `limit` bytes of a file.
fn count_file_lines(path: &Path, limit: u64) -> std::io::Result<u64> {
    let mut file = File::open(path)?.take(limit);
    let mut buf = vec![0; super::CHUNK];
    let mut lines = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += count_newlines(buf.get(..n).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, content: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("omslint-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn lines_and_offsets_survive_refills_with_a_tiny_buffer() {
        let path = temp_file("lines.txt", b"ab\ncd\nef\ngh");
        let mut input = Input::open(&path, 2).unwrap();
        let mut seen = Vec::new();
        loop {
            if !input.ensure(1).unwrap() {
                break;
            }
            let b = input.avail()[0];
            let line = input.line_at(0);
            seen.push((b, input.offset(0), line));
            input.consume(1);
        }
        assert_eq!(seen.len(), 11);
        assert_eq!(seen[0], (b'a', 0, 1));
        assert_eq!(seen[3], (b'c', 3, 2));
        assert_eq!(seen[10], (b'h', 10, 4));
        assert_eq!(input.bytes_read(), 11);
    }

    #[test]
    fn error_names_line_and_column() {
        let path = temp_file("err.txt", b"one\ntwo three\n");
        let mut input = Input::open(&path, 64).unwrap();
        input.ensure(10).unwrap();
        input.consume(8);
        let err = input.error_at(0, "boom").to_string();
        assert!(err.ends_with(":2:5: boom"), "{err}");
    }

    #[test]
    fn opened_mid_file_errors_still_count_lines_from_the_start() {
        let path = temp_file("mid.txt", b"a\nb\nc\nd");
        let mut input = Input::open_at(&path, 4, 64).unwrap();
        input.ensure(1).unwrap();
        assert_eq!(input.offset(0), 4);
        let err = input.error_at(0, "x").to_string();
        assert!(err.contains(":3:"), "{err}");
    }
}
