//! Streaming reader for mysqldump / mariadb-dump files.
//!
//! A MetaDB dump can be gigabytes, most of it heartbeat rows nobody needs one by one, and
//! it is bytes, not text (BLOBs are written raw). So the file is read in large chunks and
//! only statement heads are ever decoded as text: `CREATE TABLE` goes through sqlparser
//! (with fallbacks for OceanBase's table options), while row data goes through a
//! hand-written byte scanner that jumps between quotes and parentheses with memchr. The
//! caller says per table, through [`Visitor::table`], whether it wants the rows, only
//! their count, or nothing, so uninteresting tables cost little more than reading them.

mod again;
mod charset;
mod ddl;
mod driver;
mod input;
mod insert_head;
mod literal;
mod scanner;
mod sql_text;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::path::Path;

use crate::error::Result;

pub use again::read_rows_at;

/// A column of a `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// The declared type in lower case, e.g. `varchar(64)`, `bigint(20) unsigned`.
    pub data_type: String,
    /// The column's character set (explicit, else implied by its collation, else the
    /// table's); `None` for non-text columns.
    pub charset: Option<String>,
    /// Resolved: explicit `COLLATE` on the column; else the default collation of the
    /// column's `CHARACTER SET`; else the table's `COLLATE`; else the default collation of
    /// the table's `CHARSET` (as MariaDB defaults them). `None` for non-text columns.
    pub collation: Option<String>,
    /// The N of `varchar(N)` / `char(N)`.
    pub max_len: Option<u32>,
}

/// A table as its `CREATE TABLE` defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The database current when the table was created (header, `USE`, or a qualified name).
    pub database: Option<String>,
    pub name: String,
    /// Empty for a table that rows were inserted into but that the dump never created.
    pub columns: Vec<ColumnDef>,
    pub charset: Option<String>,
    pub collation: Option<String>,
}

impl TableDef {
    /// The index of a column, compared case-insensitively as MySQL does.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// One value of a row, borrowed from the read buffer where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    /// A string, hex, or bit literal, decoded to the bytes the column holds.
    Text(Cow<'a, [u8]>),
    /// An unquoted literal (`123`, `-1.5e3`) as written.
    Number(&'a [u8]),
}

impl Value<'_> {
    pub fn to_owned_value(&self) -> OwnedValue {
        match self {
            Value::Null => OwnedValue::Null,
            Value::Text(t) => OwnedValue::Text(t.to_vec()),
            Value::Number(n) => OwnedValue::Number(n.to_vec()),
        }
    }

    /// The value as UTF-8 text (lossy), `None` for NULL.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Text(t) => Some(crate::facts::utf8::lossy(t)),
            Value::Number(n) => Some(crate::facts::utf8::lossy(n)),
        }
    }
}

/// A [`Value`] that outlives the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedValue {
    Null,
    Text(Vec<u8>),
    Number(Vec<u8>),
}

impl OwnedValue {
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::Text(t) => Value::Text(Cow::Borrowed(t)),
            OwnedValue::Number(n) => Value::Number(n),
        }
    }
}

/// What the visitor wants of a table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Neither rows nor a meaningful count (the count is still reported, it costs nothing).
    Skip,
    /// Only how many rows there are: tuples are counted without building values.
    CountOnly,
    /// Every row, through [`Visitor::row`].
    Rows,
}

pub trait Visitor {
    /// The current database changed (header comment, or `USE`).
    fn database(&mut self, _name: &str) {}
    /// A `CREATE TABLE`, or an `INSERT` into a table the dump never created (then
    /// `columns` is empty and its rows are only counted, whatever is returned).
    fn table(&mut self, table: &TableDef) -> Interest;
    /// One row of a table whose interest is [`Interest::Rows`]. `values` are in the
    /// TABLE's column order, even when the INSERT has an explicit column list (absent
    /// columns are `Null`). `offset` is the byte offset in the file of the row's opening
    /// `(`.
    fn row(&mut self, table: &TableDef, values: &[Value<'_>], offset: u64) -> Result<()>;
    /// An INSERT into a table whose rows are wanted begins; its rows follow. With
    /// `column_list` it names its columns (their order may differ from the table's).
    fn insert_begins(&mut self, _table: &TableDef, _column_list: bool) {}
    /// Called once per table at the end of the scan, with its row count.
    fn table_done(&mut self, _table: &TableDef, _rows: u64) {}
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpSummary {
    /// The header's database, else the first one the dump names.
    pub database: Option<String>,
    /// Every database the dump names, in order of appearance.
    pub databases: Vec<String>,
    /// The `-- Dump completed` trailer was seen: the dump was not cut short.
    pub completed: bool,
    /// Bytes read.
    pub bytes: u64,
    /// Tables seen (created, or inserted into).
    pub tables: usize,
    /// SHA-256 of the whole file, from [`scan_hashed`].
    pub sha256: Option<String>,
}

/// Read chunk size: large enough that syscalls and buffer moves vanish in the cost, small
/// enough that the dumps read at once (and their digests' reads) hold little memory.
const CHUNK: usize = 1 << 20;

/// Reads a whole dump, calling `visitor` for databases, tables and the rows it asks for.
pub fn scan(path: &Path, visitor: &mut dyn Visitor) -> Result<DumpSummary> {
    driver::scan(path, visitor, CHUNK, false)
}

/// [`scan`], and the SHA-256 of the whole file from the same reads.
pub fn scan_hashed(path: &Path, visitor: &mut dyn Visitor) -> Result<DumpSummary> {
    driver::scan(path, visitor, CHUNK, true)
}

/// The dump's database, from its head only: the header comment
/// (`-- Host: …    Database: x`), else the first `USE` or `CREATE DATABASE` before any
/// table. `None` when the head names none.
pub fn peek_database(path: &Path) -> Result<Option<String>> {
    driver::peek_database(path, CHUNK)
}
