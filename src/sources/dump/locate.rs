//! Re-reading one row by its offset, after a streaming pass.
//!
//! A row's values are in its INSERT's column order, which differs from the table's when
//! the INSERT lists columns (`--complete-insert`, or MySQL 8 leaving out generated
//! columns). So the statement's head is found too: searching backwards from the row for
//! an `INSERT`/`REPLACE`, and accepting a candidate only when walking its rows forward
//! lands exactly on the offset (a candidate inside some string literal never does).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::input::Input;
use super::insert_head::{parse_insert_head, Head, InsertHead};
use super::literal::parse_row;
use super::scanner::{advance_in_row, is_space, State, Step, NUL_OUTSIDE_STRING};
use super::{OwnedValue, TableDef};
use crate::error::{Error, Result};

/// How far back the statement head is searched for (an INSERT is at most
/// max_allowed_packet long, 1 GiB, and dumps write far shorter ones).
const MAX_BACK: u64 = 256 << 20;
const BLOCK: u64 = 64 << 10;
/// A row is re-read with a small buffer (it grows for a longer row): the caller fetches
/// a few rows, and zeroing a full scan buffer each time would cost more than reading.
const ROW_BUFFER: usize = 64 << 10;

pub(super) fn read_row_at(
    path: &Path,
    table: &TableDef,
    offset: u64,
    capacity: usize,
) -> Result<Vec<OwnedValue>> {
    let capacity = capacity.min(ROW_BUFFER);
    let mut input = Input::open_at(path, offset, capacity)?;
    let values = read_row(&mut input)?;
    let Some(head) = find_head(path, offset, capacity)? else {
        return Err(input.error_at(0, "no INSERT statement holds a row at this offset"));
    };
    if head.table != table.name {
        return Err(input.error_at(0, "the row at this offset belongs to another table"));
    }
    let Some(names) = head.columns else {
        if values.len() != table.columns.len() {
            return Err(input.error_at(
                0,
                format!(
                    "row has {} values but there are {} columns in the table",
                    values.len(),
                    table.columns.len()
                ),
            ));
        }
        return Ok(values);
    };
    if names.len() != values.len() {
        return Err(input.error_at(
            0,
            format!(
                "row has {} values but there are {} names in its column list",
                values.len(),
                names.len()
            ),
        ));
    }
    let mut ordered = vec![OwnedValue::Null; table.columns.len()];
    for (name, value) in names.iter().zip(values) {
        let Some(slot) = table.column_index(name).and_then(|k| ordered.get_mut(k)) else {
            return Err(
                input.error_at(0, "the row's INSERT names a column the table does not have")
            );
        };
        *slot = value;
    }
    Ok(ordered)
}

/// Decodes the row starting at the input's first byte, in the order written.
fn read_row(input: &mut Input) -> Result<Vec<OwnedValue>> {
    input.ensure(1)?;
    if input.avail().first() != Some(&b'(') {
        return Err(input.error_at(0, "no row starts at this offset"));
    }
    let end = row_end(input)?;
    let inner = input
        .avail()
        .get(1..end.saturating_sub(1))
        .unwrap_or_default();
    let mut values = Vec::new();
    if let Err(e) = parse_row(inner, &mut values) {
        return Err(input.error_at(1 + e.at, e.message));
    }
    let owned = values.iter().map(super::Value::to_owned_value).collect();
    Ok(owned)
}

/// The index just after the `)` of the row at the input's first byte (all of it then
/// sits in the buffer).
fn row_end(input: &mut Input) -> Result<usize> {
    let mut st = State::InRow;
    let mut scanned = 1;
    loop {
        let a = input.avail();
        match advance_in_row(a, scanned, &mut st) {
            Step::Closed(end) => return Ok(end),
            Step::Nul(at) => return Err(input.error_at(at, NUL_OUTSIDE_STRING)),
            Step::More => {
                scanned = a.len();
                if !input.fill()? {
                    return Err(
                        input.error_at_end("file ends inside a row (the dump is truncated)")
                    );
                }
            }
        }
    }
}

/// The head of the INSERT whose row list has a row at `offset`.
fn find_head(path: &Path, offset: u64, capacity: usize) -> Result<Option<InsertHead>> {
    let mut file = File::open(path).map_err(|e| Error::unreadable(path, e))?;
    let mut hi = offset;
    let mut block = Vec::new();
    while hi > 0 && offset - hi <= MAX_BACK {
        let lo = hi.saturating_sub(BLOCK);
        // One byte before (to see what precedes a keyword) and a few after (to read a
        // keyword that starts before `hi`).
        let from = lo.saturating_sub(1);
        let to = (hi + 7).min(offset);
        block.clear();
        file.seek(SeekFrom::Start(from))
            .map_err(|e| Error::unreadable(path, e))?;
        (&mut file)
            .take(to - from)
            .read_to_end(&mut block)
            .map_err(|e| Error::unreadable(path, e))?;
        let mut candidates = keyword_starts(&block, from, lo, hi);
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        for start in candidates {
            if let Some(head) = head_if_holds(path, start, offset, capacity)? {
                return Ok(Some(head));
            }
        }
        hi = lo;
    }
    Ok(None)
}

/// Offsets in `[lo, hi)` where `INSERT` or `REPLACE` starts a word; `block` begins at
/// file offset `from`.
fn keyword_starts(block: &[u8], from: u64, lo: u64, hi: u64) -> Vec<u64> {
    let mut out = Vec::new();
    for word in [&b"INSERT"[..], b"insert", b"REPLACE", b"replace"] {
        for k in memchr::memmem::find_iter(block, word) {
            let at = from + k as u64;
            if at < lo || at >= hi {
                continue;
            }
            let before = k.checked_sub(1).and_then(|p| block.get(p));
            if before.is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'_')) {
                out.push(at);
            }
        }
    }
    out
}

/// The head of the INSERT at `start` if one of its rows starts exactly at `offset`.
fn head_if_holds(
    path: &Path,
    start: u64,
    offset: u64,
    capacity: usize,
) -> Result<Option<InsertHead>> {
    let mut input = Input::open_at(path, start, capacity)?;
    let head = loop {
        match parse_insert_head(input.avail()) {
            Head::Done(head, used) => {
                input.consume(used);
                break head;
            }
            Head::Error(..) => return Ok(None),
            Head::NeedMore => {
                if input.avail().len() > (1 << 20) || !input.fill()? {
                    return Ok(None);
                }
            }
        }
    };
    loop {
        // Blanks, then a row's '('.
        loop {
            let skip = input.avail().iter().take_while(|&&b| is_space(b)).count();
            input.consume(skip);
            if !input.avail().is_empty() {
                break;
            }
            if !input.fill()? {
                return Ok(None);
            }
        }
        let at = input.offset(0);
        if at == offset && input.avail().first() == Some(&b'(') {
            return Ok(Some(head));
        }
        if at > offset || input.avail().first() != Some(&b'(') {
            return Ok(None);
        }
        // Walk over this row without keeping it.
        let mut st = State::InRow;
        input.consume(1);
        loop {
            let a = input.avail();
            match advance_in_row(a, 0, &mut st) {
                Step::Closed(end) => {
                    input.consume(end);
                    break;
                }
                Step::Nul(_) => return Ok(None),
                Step::More => {
                    let n = a.len();
                    input.consume(n);
                    if !input.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
        // Then ',' and another row, or the end of the statement.
        loop {
            let skip = input.avail().iter().take_while(|&&b| is_space(b)).count();
            input.consume(skip);
            if !input.avail().is_empty() || !input.fill()? {
                break;
            }
        }
        if input.avail().first() != Some(&b',') {
            return Ok(None);
        }
        input.consume(1);
    }
}
