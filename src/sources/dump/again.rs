//! Reading rows again by their place in the dump.
//!
//! After the first pass a project table's reader knows which few rows it must see again
//! (names whose hashes collide, projects a component names) and where runs of rows start
//! (`Visitor::insert_begins` marks each INSERT, and the reader notes every 32nd row). So
//! those rows are read where they lie instead of streaming the whole dump past again.

use std::path::Path;

use super::driver::recycle;
use super::input::Input;
use super::literal::parse_row_closed;
use super::scanner::is_space;
use super::Value;
use crate::error::{Error, Result};

/// A run is longer than this only in a dump that is not what the first pass read.
const MAX_ROW: usize = 64 << 20;

/// Reads `count` rows from each run, a run starting at the byte offset of a row's `(`
/// with every row of it in one INSERT, and calls `f(run, row_in_run, values)` for each.
/// Rows are checked against `columns` as the first pass checked them.
pub fn read_rows_at(
    path: &Path,
    runs: &[(u64, u32)],
    columns: usize,
    f: &mut dyn FnMut(usize, u32, &[Value<'_>]),
) -> Result<()> {
    let mut spare: Vec<Value<'static>> = Vec::new();
    for (r, &(offset, count)) in runs.iter().enumerate() {
        let changed = || {
            Error::parse_no_pos(
                path,
                format!("the dump changed while it was read: the row at byte {offset} is not what the first pass read"),
            )
        };
        let mut input = Input::open_at(path, offset, 64 << 10)?;
        for k in 0..count {
            if k > 0 {
                skip_space(&mut input)?;
                if input.avail().first() != Some(&b',') {
                    return Err(changed());
                }
                input.consume(1);
            }
            skip_space(&mut input)?;
            if input.avail().first() != Some(&b'(') {
                return Err(changed());
            }
            loop {
                let mut values = recycle(std::mem::take(&mut spare));
                let a = input.avail();
                if let Some(end) = parse_row_closed(a.get(1..).unwrap_or_default(), &mut values) {
                    if values.len() != columns {
                        return Err(changed());
                    }
                    f(r, k, &values);
                    spare = recycle(values);
                    input.consume(1 + end);
                    break;
                }
                spare = recycle(values);
                if input.avail().len() > MAX_ROW || !input.fill()? {
                    return Err(changed());
                }
            }
        }
    }
    Ok(())
}

fn skip_space(input: &mut Input) -> Result<()> {
    loop {
        let a = input.avail();
        let n = a.iter().take_while(|&&b| is_space(b)).count();
        let all = n == a.len();
        input.consume(n);
        if !all || !input.fill()? {
            return Ok(());
        }
    }
}
