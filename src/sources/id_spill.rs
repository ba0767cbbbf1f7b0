//! The ids of a live project table's rows, in the order they streamed, kept on disk rather
//! than in memory: an unlinked temporary file (gone with the process, however it ends).
//!
//! After the first pass the rows whose name hashes collided are known only by their place
//! in the stream (`ProjectAggregator` keeps 8 bytes a row). With their ids at hand the
//! server finds them by primary key, a few milliseconds, where selecting them by the
//! CRC-32 of their ids made it scan the table again (0.4–0.8 s on 2 M rows). Memory: 8
//! bytes for every `MARK_EVERY` rows; disk: 2 bytes and the id, a row (~30 MB for 2 M).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Every this many rows the file offset of a row is noted: a row is found by reading on
/// from the mark before it.
const MARK_EVERY: u32 = 32;

pub struct IdSpill {
    out: BufWriter<File>,
    /// Bytes written so far: the offset of the next row's record.
    written: u64,
    rows: u32,
    marks: Vec<u64>,
    /// A write failed: the ids are not all there, and none is given.
    failed: bool,
}

impl IdSpill {
    /// `None` when no temporary file can be made (the caller then selects rows another
    /// way).
    pub fn new() -> Option<IdSpill> {
        let file = tempfile::tempfile().ok()?;
        Some(IdSpill {
            out: BufWriter::with_capacity(1 << 16, file),
            written: 0,
            rows: 0,
            marks: Vec::new(),
            failed: false,
        })
    }

    /// The next row's id. Ids longer than 65,535 bytes (no id column is) fail the spill.
    pub fn push(&mut self, id: &[u8]) {
        if self.failed {
            return;
        }
        if self.rows % MARK_EVERY == 0 {
            self.marks.push(self.written);
        }
        self.rows += 1;
        let Ok(len) = u16::try_from(id.len()) else {
            self.failed = true;
            return;
        };
        let wrote = self
            .out
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.out.write_all(id));
        self.failed = wrote.is_err();
        self.written += 2 + u64::from(len);
    }

    /// The ids of the rows at `places` (ascending), in that order; `None` if the spill
    /// failed, or a place is past the last row.
    pub fn ids_at(&mut self, places: &[u32]) -> Option<Vec<Vec<u8>>> {
        if self.failed || places.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        self.out.flush().ok()?;
        let file = self.out.get_mut();
        let mut ids = Vec::with_capacity(places.len());
        // The reader at the place after the last one read, when it is where a row starts.
        let mut at: Option<u32> = None;
        let mut reader = BufReader::with_capacity(1 << 12, &*file);
        for &place in places {
            if place >= self.rows {
                return None;
            }
            let mark = place / MARK_EVERY * MARK_EVERY;
            let mut next = match at {
                Some(next) if next >= mark && next <= place => next,
                _ => {
                    let offset = *self.marks.get((place / MARK_EVERY) as usize)?;
                    reader.seek(SeekFrom::Start(offset)).ok()?;
                    mark
                }
            };
            loop {
                let mut len = [0u8; 2];
                reader.read_exact(&mut len).ok()?;
                let mut id = vec![0u8; usize::from(u16::from_le_bytes(len))];
                reader.read_exact(&mut id).ok()?;
                next += 1;
                if next > place {
                    ids.push(id);
                    break;
                }
            }
            at = Some(next);
        }
        drop(reader);
        // The writer writes where the file's cursor is: back to the end.
        file.seek(SeekFrom::End(0)).ok()?;
        Some(ids)
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u32 {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u32) -> Vec<u8> {
        // Lengths vary, so a mark's offset is not a multiple of anything.
        format!("p_{}{}", i, "x".repeat((i % 7) as usize)).into_bytes()
    }

    #[test]
    fn ids_come_back_by_place() {
        let mut s = IdSpill::new().expect("a temporary file");
        for i in 0..1000 {
            s.push(&id(i));
        }
        assert_eq!(s.rows(), 1000);
        let places = [0, 1, 31, 32, 33, 63, 64, 500, 998, 999];
        let got = s.ids_at(&places).unwrap();
        let want: Vec<Vec<u8>> = places.iter().map(|&p| id(p)).collect();
        assert_eq!(got, want);
        // Asked again, and sparsely: the same.
        assert_eq!(s.ids_at(&[7, 900]).unwrap(), vec![id(7), id(900)]);
        assert_eq!(s.ids_at(&[]).unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn a_place_past_the_end_or_out_of_order_gives_nothing() {
        let mut s = IdSpill::new().unwrap();
        for i in 0..40 {
            s.push(&id(i));
        }
        assert_eq!(s.ids_at(&[39]).unwrap(), vec![id(39)]);
        assert!(s.ids_at(&[40]).is_none());
        assert!(s.ids_at(&[5, 3]).is_none());
        assert!(s.ids_at(&[5, 5]).is_none());
    }

    #[test]
    fn an_id_too_long_fails_the_spill() {
        let mut s = IdSpill::new().unwrap();
        s.push(b"p1");
        s.push(&vec![b'a'; 70_000]);
        s.push(b"p3");
        assert!(s.ids_at(&[0]).is_none());
    }
}
