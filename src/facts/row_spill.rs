//! A live project table's per-row state on disk rather than in memory: for every
//! non-DELETED row, in the order the rows streamed, its 8-byte word (name hash, id hash)
//! in one unlinked temporary file and its id in another (both gone with the process,
//! however it ends).
//!
//! `ProjectAggregator` otherwise keeps the words in memory, 8 bytes a row: 20 MB for the
//! 2.5 M project rows of a large MetaDB, the one part of a live run's memory that grew with
//! the tables. On disk the words are read back in a few sequential passes (the duplicate
//! name hashes, an eighth at a time; the ids of the rows with those hashes; the new names
//! already taken), from the page cache, and the server is asked for the rows by primary
//! key. Disk: 10 bytes and the id, a row (~60 MB for 2.5 M rows of 20-byte ids).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

const BUFFER: usize = 1 << 16;

pub struct RowSpill {
    words: BufWriter<File>,
    ids: BufWriter<File>,
    rows: u64,
    /// Why a write or a read failed (a full disk, an id over 65,535 bytes): the files
    /// are not whole, and nothing more is read back from them.
    failed: Option<String>,
}

impl std::fmt::Debug for RowSpill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSpill")
            .field("rows", &self.rows)
            .field("failed", &self.failed)
            .finish()
    }
}

impl RowSpill {
    /// `None` when no temporary file can be made: the caller keeps the rows in memory.
    pub fn new() -> Option<RowSpill> {
        Some(RowSpill {
            words: BufWriter::with_capacity(BUFFER, tempfile::tempfile().ok()?),
            ids: BufWriter::with_capacity(BUFFER, tempfile::tempfile().ok()?),
            rows: 0,
            failed: None,
        })
    }

    pub fn push(&mut self, word: u64, id: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        self.rows += 1;
        let Ok(len) = u16::try_from(id.len()) else {
            self.failed = Some(format!(
                "an id of {} bytes (at most 65,535 are kept)",
                id.len()
            ));
            return;
        };
        let wrote = self
            .words
            .write_all(&word.to_le_bytes())
            .and_then(|()| self.ids.write_all(&len.to_le_bytes()))
            .and_then(|()| self.ids.write_all(id));
        if let Err(e) = wrote {
            self.failed = Some(format!("writing: {e}"));
        }
    }

    /// Why the rows cannot be read back, once a write or a read failed.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Every word, in row order; `None` if the spill failed or could not be read back
    /// (`failure` says why).
    pub fn each_word(&mut self, f: impl FnMut(u64)) -> Option<()> {
        let read = self.read_words(f);
        self.settle(read)
    }

    /// Every word with its row's id, in row order; `None` as for `each_word`.
    pub fn each_row(&mut self, f: impl FnMut(u64, &[u8])) -> Option<()> {
        let read = self.read_rows(f);
        self.settle(read)
    }

    fn settle(&mut self, read: std::io::Result<()>) -> Option<()> {
        if self.failed.is_some() {
            return None;
        }
        // The writers write where the files' cursors are: back to the ends.
        let ends = read
            .and_then(|()| self.words.get_mut().seek(SeekFrom::End(0)))
            .and_then(|_| self.ids.get_mut().seek(SeekFrom::End(0)));
        match ends {
            Ok(_) => Some(()),
            Err(e) => {
                self.failed = Some(format!("reading back: {e}"));
                None
            }
        }
    }

    fn read_words(&mut self, mut f: impl FnMut(u64)) -> std::io::Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        let mut words = reader(&mut self.words)?;
        let mut buf = [0u8; 8];
        for _ in 0..self.rows {
            words.read_exact(&mut buf)?;
            f(u64::from_le_bytes(buf));
        }
        Ok(())
    }

    fn read_rows(&mut self, mut f: impl FnMut(u64, &[u8])) -> std::io::Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        let mut words = reader(&mut self.words)?;
        let mut ids = reader(&mut self.ids)?;
        let (mut word, mut len) = ([0u8; 8], [0u8; 2]);
        let mut id = Vec::new();
        for _ in 0..self.rows {
            words.read_exact(&mut word)?;
            ids.read_exact(&mut len)?;
            id.resize(usize::from(u16::from_le_bytes(len)), 0);
            ids.read_exact(&mut id)?;
            f(u64::from_le_bytes(word), &id);
        }
        Ok(())
    }
}

/// A reader from the start of what `out` has written.
fn reader(out: &mut BufWriter<File>) -> std::io::Result<BufReader<&File>> {
    out.flush()?;
    let file = out.get_mut();
    file.seek(SeekFrom::Start(0))?;
    Ok(BufReader::with_capacity(BUFFER, &*file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u64) -> Vec<u8> {
        // Lengths vary, so no record is where a fixed size would put it.
        format!("p_{}{}", i, "x".repeat((i % 7) as usize)).into_bytes()
    }

    #[test]
    fn rows_come_back_in_order_and_again_after_more_are_pushed() {
        let mut s = RowSpill::new().expect("a temporary file");
        for i in 0..1000 {
            s.push(i * 3, &id(i));
        }
        let mut got = Vec::new();
        s.each_row(|w, i| got.push((w, i.to_vec()))).unwrap();
        let want: Vec<(u64, Vec<u8>)> = (0..1000).map(|i| (i * 3, id(i))).collect();
        assert_eq!(got, want);
        // Reading moved the cursors: what comes next must still land at the end.
        s.push(7, b"last");
        let mut words = Vec::new();
        s.each_word(|w| words.push(w)).unwrap();
        assert_eq!(words.len(), 1001);
        assert_eq!(words[..3], [0, 3, 6]);
        assert_eq!(words[1000], 7);
        let mut last = Vec::new();
        s.each_row(|_, i| last = i.to_vec()).unwrap();
        assert_eq!(last, b"last");
        assert_eq!(s.rows(), 1001);
    }

    #[test]
    fn an_id_too_long_fails_the_spill() {
        let mut s = RowSpill::new().unwrap();
        s.push(1, b"p1");
        s.push(2, &vec![b'a'; 70_000]);
        s.push(3, b"p3");
        assert!(s.each_word(|_| {}).is_none());
        assert!(s.each_row(|_, _| {}).is_none());
        assert!(
            s.failure().unwrap().contains("70000 bytes"),
            "{:?}",
            s.failure()
        );
    }

    #[test]
    fn nothing_pushed_reads_as_nothing() {
        let mut s = RowSpill::new().unwrap();
        let mut n = 0;
        s.each_row(|_, _| n += 1).unwrap();
        assert_eq!(n, 0);
    }
}
