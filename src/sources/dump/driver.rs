//! The statement loop: comments, `DELIMITER`, `USE`, `CREATE`, `INSERT`, and everything
//! else a dump holds (SET, LOCK TABLES, conditional comments, triggers, routines), which
//! is skipped with quotes and comments respected.

use std::collections::HashMap;
use std::path::Path;

use super::ddl::{self, Create};
use super::input::Input;
use super::insert_head::{parse_insert_head, Head, InsertHead};
use super::literal::{parse_row, parse_row_closed};
use super::scanner::{advance_in_row, count_rows, is_space, State, Step, Stop, NUL_OUTSIDE_STRING};
use super::{DumpSummary, Interest, TableDef, Value, Visitor};
use crate::error::{Error, Result};

/// Statements longer than this are not kept in memory (they are never a dump's DDL).
const MAX_STATEMENT: usize = 64 << 20;
/// An INSERT's head (up to VALUES) longer than this is not a dump's.
const MAX_INSERT_HEAD: usize = 1 << 20;
/// `peek_database` gives up after this many bytes.
const PEEK_LIMIT: u64 = 1 << 20;

/// Statement keywords a dump may hold besides the ones read here; anything else where a
/// statement should start means the file is not a dump.
const KNOWN_STATEMENTS: &[&str] = &[
    "ALTER",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "CHANGE",
    "CHECK",
    "CHECKSUM",
    "COMMIT",
    "DEALLOCATE",
    "DECLARE",
    "DELETE",
    "DO",
    "DROP",
    "EXECUTE",
    "FLUSH",
    "GRANT",
    "HANDLER",
    "INSTALL",
    "KILL",
    "LOAD",
    "LOCK",
    "OPTIMIZE",
    "PREPARE",
    "PURGE",
    "RELEASE",
    "RENAME",
    "REPAIR",
    "RESET",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "START",
    "STOP",
    "TRUNCATE",
    "UNINSTALL",
    "UNLOCK",
    "UPDATE",
    "WITH",
    "XA",
];

struct TableState {
    def: TableDef,
    interest: Interest,
    rows: u64,
}

struct Driver<'v> {
    input: Input,
    visitor: &'v mut dyn Visitor,
    peek: bool,
    stopped: bool,
    delimiter: Vec<u8>,
    header_db: Option<String>,
    current_db: Option<String>,
    databases: Vec<String>,
    /// Default charset and collation of each database, from its CREATE DATABASE.
    db_defaults: HashMap<String, (Option<String>, Option<String>)>,
    tables: Vec<TableState>,
    by_name: HashMap<(Option<String>, String), usize>,
    completed: bool,
    statements: u64,
    comments: u64,
}

pub(super) fn scan(
    path: &Path,
    visitor: &mut dyn Visitor,
    capacity: usize,
    hash: bool,
) -> Result<DumpSummary> {
    let mut input = Input::open(path, capacity)?;
    if hash {
        input.hash_contents();
    }
    let mut driver = Driver::new(input, visitor, false);
    driver.run()?;
    let sha256 = driver.input.finish_hash()?;
    let mut summary = driver.finish();
    summary.sha256 = sha256;
    Ok(summary)
}

pub(super) fn peek_database(path: &Path, capacity: usize) -> Result<Option<String>> {
    struct Nothing;
    impl Visitor for Nothing {
        fn table(&mut self, _: &TableDef) -> Interest {
            Interest::Skip
        }
        fn row(&mut self, _: &TableDef, _: &[Value<'_>], _: u64) -> Result<()> {
            Ok(())
        }
    }
    let input = Input::open(path, capacity)?;
    let mut nothing = Nothing;
    let mut driver = Driver::new(input, &mut nothing, true);
    driver.run()?;
    Ok(driver
        .header_db
        .or_else(|| driver.databases.first().cloned()))
}

/// Keeps an identifier short enough to quote in a message.
fn short(name: &str) -> String {
    if name.len() <= 60 {
        return name.to_string();
    }
    let mut end = 57;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", name.get(..end).unwrap_or_default())
}

/// Reuses a row's value vector across rows whose borrows differ.
pub(super) fn recycle<'b>(mut v: Vec<Value<'_>>) -> Vec<Value<'b>> {
    v.clear();
    v.into_iter().map(|_| Value::Null).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lex {
    Normal,
    Quote(u8),
    Escape(u8),
    LineComment,
    BlockComment,
}

impl<'v> Driver<'v> {
    fn new(input: Input, visitor: &'v mut dyn Visitor, peek: bool) -> Self {
        Driver {
            input,
            visitor,
            peek,
            stopped: false,
            delimiter: b";".to_vec(),
            header_db: None,
            current_db: None,
            databases: Vec::new(),
            db_defaults: HashMap::new(),
            tables: Vec::new(),
            by_name: HashMap::new(),
            completed: false,
            statements: 0,
            comments: 0,
        }
    }

    fn finish(self) -> DumpSummary {
        for t in &self.tables {
            self.visitor.table_done(&t.def, t.rows);
        }
        DumpSummary {
            database: self
                .header_db
                .clone()
                .or_else(|| self.databases.first().cloned()),
            databases: self.databases,
            completed: self.completed,
            bytes: self.input.bytes_read(),
            tables: self.tables.len(),
            sha256: None,
        }
    }

    fn run(&mut self) -> Result<()> {
        self.check_start()?;
        loop {
            if self.stopped
                || (self.peek
                    && (self.header_db.is_some()
                        || !self.databases.is_empty()
                        || self.input.offset(0) > PEEK_LIMIT))
            {
                return Ok(());
            }
            if !self.skip_space_and_comments()? {
                break;
            }
            self.statement()?;
        }
        if self.statements == 0 && self.comments == 0 {
            return Err(Error::parse(
                self.input.path(),
                1,
                0,
                "empty file, not a dump",
            ));
        }
        Ok(())
    }

    /// Refuses at once what is plainly not a dump, with a hint where one helps.
    fn check_start(&mut self) -> Result<()> {
        self.input.ensure(6)?;
        let a = self.input.avail();
        if a.is_empty() {
            return Err(Error::parse(
                self.input.path(),
                1,
                0,
                "empty file, not a dump",
            ));
        }
        let compressed = [
            (&b"\x1f\x8b"[..], "gzip"),
            (b"\x28\xb5\x2f\xfd", "zstd"),
            (b"BZh", "bzip2"),
            (b"\xfd7zXZ\x00", "xz"),
            (b"PK\x03\x04", "zip"),
        ];
        for (magic, kind) in compressed {
            if a.starts_with(magic) {
                return Err(self.input.error_at(
                    0,
                    format!("not a dump: this is a {kind}-compressed file, decompress it first"),
                ));
            }
        }
        if a.starts_with(b"\xef\xbb\xbf") {
            self.input.consume(3);
        }
        Ok(())
    }

    /// Skips blanks and comments, reading the header and trailer comments on the way.
    /// `false` at end of file.
    fn skip_space_and_comments(&mut self) -> Result<bool> {
        loop {
            self.input.ensure(4)?;
            let a = self.input.avail();
            let Some(skip) = a.iter().position(|&b| !is_space(b)) else {
                if a.is_empty() {
                    return Ok(false);
                }
                let n = a.len();
                self.input.consume(n);
                continue;
            };
            self.input.consume(skip);
            self.input.ensure(4)?;
            let a = self.input.avail();
            let dashes = a.starts_with(b"--") && a.get(2).is_none_or(|&b| is_space(b));
            if dashes || a.starts_with(b"#") {
                self.line_comment()?;
            } else if a.starts_with(b"/*") && !a.starts_with(b"/*!") && !a.starts_with(b"/*M!") {
                self.block_comment()?;
            } else {
                return Ok(true);
            }
            self.comments += 1;
        }
    }

    fn line_comment(&mut self) -> Result<()> {
        const KEEP: usize = 512;
        let mut text: Vec<u8> = Vec::new();
        loop {
            let a = self.input.avail();
            match memchr::memchr(b'\n', a) {
                Some(k) => {
                    let room = KEEP.saturating_sub(text.len()).min(k);
                    text.extend_from_slice(a.get(..room).unwrap_or_default());
                    self.input.consume(k + 1);
                    break;
                }
                None => {
                    let room = KEEP.saturating_sub(text.len()).min(a.len());
                    text.extend_from_slice(a.get(..room).unwrap_or_default());
                    let n = a.len();
                    self.input.consume(n);
                    if !self.input.fill()? {
                        break;
                    }
                }
            }
        }
        self.comment_says(&text);
        Ok(())
    }

    /// The header (`-- Host: …    Database: x`) and trailer (`-- Dump completed`).
    fn comment_says(&mut self, text: &[u8]) {
        let text = String::from_utf8_lossy(text);
        let body = text.trim_start_matches(['-', '#']).trim();
        if body.starts_with("Dump completed") {
            self.completed = true;
        } else if body.starts_with("Host:") {
            if let Some((_, db)) = body.split_once("Database:") {
                let db = db.trim();
                if !db.is_empty() && self.header_db.is_none() {
                    self.header_db = Some(db.to_string());
                    self.use_database(db.to_string());
                }
            }
        }
    }

    fn block_comment(&mut self) -> Result<()> {
        self.input.consume(2);
        loop {
            let a = self.input.avail();
            if let Some(k) = memchr::memmem::find(a, b"*/") {
                self.input.consume(k + 2);
                return Ok(());
            }
            // Keep a trailing '*': the '/' may come with the next read.
            let keep = usize::from(a.ends_with(b"*"));
            let n = a.len() - keep;
            self.input.consume(n);
            if !self.input.fill()? {
                return Err(self
                    .input
                    .error_at_end("file ends inside a /* comment */ (the dump is truncated)"));
            }
        }
    }

    fn note_database(&mut self, name: &str) {
        if !self.databases.iter().any(|d| d == name) {
            self.databases.push(name.to_string());
        }
    }

    fn use_database(&mut self, name: String) {
        self.note_database(&name);
        self.visitor.database(&name);
        self.current_db = Some(name);
    }

    fn starts_with_delimiter(&mut self) -> Result<bool> {
        self.input.ensure(self.delimiter.len())?;
        Ok(self.input.avail().starts_with(&self.delimiter))
    }

    fn statement(&mut self) -> Result<()> {
        if self.starts_with_delimiter()? {
            self.input.consume(self.delimiter.len());
            return Ok(());
        }
        let first_statement = self.statements == 0;
        self.statements += 1;
        self.input.ensure(32)?;
        let a = self.input.avail();
        if a.starts_with(b"/*") {
            // A conditional comment standing as a statement (`/*!40101 SET … */;`).
            self.input.consume(2);
            self.lex_statement(false, true)?;
            return Ok(());
        }
        let word_len = a
            .iter()
            .take(32)
            .take_while(|b| b.is_ascii_alphabetic() || **b == b'_')
            .count();
        let word =
            String::from_utf8_lossy(a.get(..word_len).unwrap_or_default()).to_ascii_uppercase();
        let not_sql = if first_statement {
            "not a dump: expected an SQL statement"
        } else {
            "expected an SQL statement"
        };
        if word_len == 0 {
            let what = match a.first() {
                Some(0) => "a NUL byte (binary data)",
                Some(b) if !b.is_ascii() || b.is_ascii_control() => "binary data",
                _ => "an unexpected character",
            };
            return Err(self.input.error_at(0, format!("{not_sql}, found {what}")));
        }
        match word.as_str() {
            "INSERT" | "REPLACE" => {
                if self.peek {
                    self.stopped = true;
                    return Ok(());
                }
                self.insert()
            }
            "CREATE" => self.create(),
            "USE" => {
                let line = self.input.line_at(0);
                let text = self.lex_statement(true, false)?;
                match ddl::parse_use(&String::from_utf8_lossy(&text)) {
                    Some(db) => {
                        self.use_database(db);
                        Ok(())
                    }
                    None => Err(Error::parse(
                        self.input.path(),
                        line,
                        0,
                        "USE without a database name",
                    )),
                }
            }
            "DELIMITER" => {
                self.input.consume(word_len);
                self.delimiter_command()
            }
            w if KNOWN_STATEMENTS.contains(&w) => {
                self.lex_statement(false, false)?;
                Ok(())
            }
            _ => Err(self
                .input
                .error_at(0, format!("{not_sql}, found other text"))),
        }
    }

    /// `DELIMITER ;;`: the rest of the line is the new delimiter.
    fn delimiter_command(&mut self) -> Result<()> {
        let line = self.input.line_at(0);
        let mut text = Vec::new();
        loop {
            let a = self.input.avail();
            match memchr::memchr(b'\n', a) {
                Some(k) => {
                    text.extend_from_slice(a.get(..k).unwrap_or_default());
                    self.input.consume(k + 1);
                    break;
                }
                None => {
                    text.extend_from_slice(a);
                    let n = a.len();
                    self.input.consume(n);
                    if text.len() > 256 || !self.input.fill()? {
                        break;
                    }
                }
            }
        }
        match text.split(|&b| is_space(b)).find(|w| !w.is_empty()) {
            Some(d) if d.len() <= 16 => {
                self.delimiter = d.to_vec();
                Ok(())
            }
            _ => Err(Error::parse(
                self.input.path(),
                line,
                0,
                "DELIMITER without a usable delimiter",
            )),
        }
    }

    /// Reads a statement up to its delimiter (or, with `in_comment`, a conditional
    /// comment up to its `*/`), consuming it; returns its text when `keep`.
    fn lex_statement(&mut self, keep: bool, in_comment: bool) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut lex = Lex::Normal;
        let mut in_cond = in_comment;
        let look = self.delimiter.len().max(4);
        loop {
            let more = self.input.ensure(look)?;
            let delim = &self.delimiter;
            let a = self.input.avail();
            if a.is_empty() {
                let what = if in_comment {
                    "a comment"
                } else {
                    "a statement"
                };
                return Err(self
                    .input
                    .error_at_end(format!("file ends inside {what} (the dump is truncated)")));
            }
            let limit = if more { a.len() + 1 - look } else { a.len() };
            let mut i = 0;
            let mut done: Option<(usize, usize)> = None;
            while i < limit {
                let Some(&c) = a.get(i) else { break };
                let next = a.get(i + 1).copied();
                match lex {
                    Lex::Normal => {
                        if !in_cond && a.get(i..).is_some_and(|r| r.starts_with(delim)) {
                            done = Some((i, i + delim.len()));
                            break;
                        }
                        match c {
                            b'\'' | b'"' | b'`' => lex = Lex::Quote(c),
                            b'/' if next == Some(b'*') => {
                                let rest = a.get(i + 2..).unwrap_or_default();
                                if !in_cond && (rest.starts_with(b"!") || rest.starts_with(b"M!")) {
                                    in_cond = true;
                                } else {
                                    lex = Lex::BlockComment;
                                }
                                i += 2;
                                continue;
                            }
                            b'*' if in_cond && next == Some(b'/') => {
                                in_cond = false;
                                i += 2;
                                if in_comment {
                                    done = Some((i, i));
                                    break;
                                }
                                continue;
                            }
                            b'-' if next == Some(b'-')
                                && a.get(i + 2).is_none_or(|&b| is_space(b)) =>
                            {
                                lex = Lex::LineComment;
                            }
                            b'#' => lex = Lex::LineComment,
                            0 => {
                                return Err(self.input.error_at(
                                    i,
                                    "NUL byte (binary data) outside a string literal",
                                ));
                            }
                            _ => {}
                        }
                    }
                    Lex::Quote(q) => {
                        if c == b'\\' && q != b'`' {
                            lex = Lex::Escape(q);
                        } else if c == q {
                            lex = Lex::Normal;
                        }
                    }
                    Lex::Escape(q) => lex = Lex::Quote(q),
                    Lex::LineComment => {
                        if c == b'\n' {
                            lex = Lex::Normal;
                        }
                    }
                    Lex::BlockComment => {
                        if c == b'*' && next == Some(b'/') {
                            lex = Lex::Normal;
                            i += 2;
                            continue;
                        }
                    }
                }
                i += 1;
            }
            if let Some((end, after)) = done {
                if keep {
                    out.extend_from_slice(a.get(..end).unwrap_or_default());
                }
                self.input.consume(after);
                return Ok(out);
            }
            let i = i.min(a.len());
            if keep {
                out.extend_from_slice(a.get(..i).unwrap_or_default());
                if out.len() > MAX_STATEMENT {
                    return Err(self.input.error_at(i, "statement longer than 64 MiB"));
                }
            }
            let at_end = i >= a.len();
            self.input.consume(i);
            if !more && at_end {
                let what = match lex {
                    Lex::Quote(_) | Lex::Escape(_) => "a quoted string",
                    _ if in_comment => "a comment",
                    _ => "a statement",
                };
                return Err(self
                    .input
                    .error_at_end(format!("file ends inside {what} (the dump is truncated)")));
            }
        }
    }

    fn create(&mut self) -> Result<()> {
        let line = self.input.line_at(0);
        let text = self.lex_statement(true, false)?;
        let sql = String::from_utf8_lossy(&text);
        let parsed = ddl::parse_create(&sql).ok_or_else(|| {
            Error::parse(
                self.input.path(),
                line,
                0,
                "cannot read the name in this CREATE statement",
            )
        })?;
        match parsed {
            Create::Other => Ok(()),
            Create::Database(d) => {
                self.note_database(&d.name);
                self.db_defaults
                    .insert(d.name.clone(), (d.charset, d.collation));
                if self.current_db.is_none() {
                    self.use_database(d.name);
                }
                Ok(())
            }
            Create::Table(t) => {
                if self.peek {
                    self.stopped = true;
                    return Ok(());
                }
                let database = t.database.clone().or_else(|| self.current_db.clone());
                let def = match t.like.clone() {
                    Some((like_db, like_name)) => {
                        let key = (like_db.or_else(|| database.clone()), like_name);
                        let Some(source) = self.by_name.get(&key).and_then(|&k| self.tables.get(k))
                        else {
                            return Err(Error::parse(
                                self.input.path(),
                                line,
                                0,
                                format!(
                                    "CREATE TABLE `{}` LIKE `{}`: the dump does not define that table",
                                    short(&t.name),
                                    short(&key.1)
                                ),
                            ));
                        };
                        TableDef {
                            database: database.clone(),
                            name: t.name.clone(),
                            ..source.def.clone()
                        }
                    }
                    None => {
                        let (cs, coll) = database
                            .as_ref()
                            .and_then(|d| self.db_defaults.get(d))
                            .cloned()
                            .unwrap_or_default();
                        let mut def = t.resolve(cs.as_deref(), coll.as_deref());
                        def.database = database.clone();
                        def
                    }
                };
                if def.columns.is_empty() {
                    return Err(Error::parse(
                        self.input.path(),
                        line,
                        0,
                        format!(
                            "cannot read the columns of CREATE TABLE `{}`",
                            short(&def.name)
                        ),
                    ));
                }
                let interest = self.visitor.table(&def);
                self.by_name
                    .insert((def.database.clone(), def.name.clone()), self.tables.len());
                self.tables.push(TableState {
                    def,
                    interest,
                    rows: 0,
                });
                Ok(())
            }
        }
    }

    fn insert(&mut self) -> Result<()> {
        let line = self.input.line_at(0);
        let head = loop {
            match parse_insert_head(self.input.avail()) {
                Head::Done(head, used) => {
                    self.input.consume(used);
                    break head;
                }
                Head::Error(at, msg) => return Err(self.input.error_at(at, msg)),
                Head::NeedMore => {
                    if self.input.avail().len() > MAX_INSERT_HEAD {
                        return Err(self.input.error_at(0, "INSERT statement head too long"));
                    }
                    if !self.input.fill()? {
                        return Err(self.input.error_at_end(
                            "file ends inside an INSERT statement (the dump is truncated)",
                        ));
                    }
                }
            }
        };
        let idx = self.table_for(&head);
        let Some(table) = self.tables.get(idx) else {
            return Ok(());
        };
        let ncols = table.def.columns.len();
        let mapping = match &head.columns {
            Some(names) if ncols > 0 => {
                let mut map = Vec::with_capacity(names.len());
                for name in names {
                    match table.def.column_index(name) {
                        Some(k) => map.push(k),
                        None => {
                            return Err(Error::parse(
                                self.input.path(),
                                line,
                                0,
                                format!(
                                    "INSERT names column `{}` that table `{}` does not have",
                                    short(name),
                                    short(&table.def.name)
                                ),
                            ))
                        }
                    }
                }
                Some(map)
            }
            _ => None,
        };
        let rows = if table.interest == Interest::Rows && ncols > 0 {
            self.visitor.insert_begins(&table.def, mapping.is_some());
            self.deliver_rows(idx, mapping.as_deref())?
        } else {
            self.count_only(idx)?
        };
        if let Some(t) = self.tables.get_mut(idx) {
            t.rows += rows;
        }
        Ok(())
    }

    /// The table an INSERT goes to; one the dump never created is added without columns
    /// (its rows are counted, never delivered).
    fn table_for(&mut self, head: &InsertHead) -> usize {
        let database = head.database.clone().or_else(|| self.current_db.clone());
        let key = (database, head.table.clone());
        if let Some(&k) = self.by_name.get(&key) {
            return k;
        }
        let def = TableDef {
            database: key.0.clone(),
            name: key.1.clone(),
            columns: Vec::new(),
            charset: None,
            collation: None,
        };
        self.visitor.table(&def);
        self.by_name.insert(key, self.tables.len());
        self.tables.push(TableState {
            def,
            interest: Interest::CountOnly,
            rows: 0,
        });
        self.tables.len() - 1
    }

    fn truncated(&mut self, state: State, table: usize) -> Error {
        let name = self
            .tables
            .get(table)
            .map(|t| short(&t.def.name))
            .unwrap_or_default();
        let inside = if state.in_quote() {
            "a quoted string of an INSERT"
        } else {
            "an INSERT"
        };
        self.input.error_at_end(format!(
            "file ends inside {inside} into `{name}` (the dump is truncated)"
        ))
    }

    /// After the last row: the statement delimiter.
    fn end_of_rows(&mut self) -> Result<()> {
        if self.starts_with_delimiter()? {
            self.input.consume(self.delimiter.len());
            return Ok(());
        }
        if self.input.avail().is_empty() {
            return Err(self
                .input
                .error_at_end("file ends inside an INSERT (the dump is truncated)"));
        }
        Err(self.input.error_at(0, "expected ',' or ';' after a row"))
    }

    /// Counts rows without decoding them: the fast path for tables nobody reads.
    fn count_only(&mut self, table: usize) -> Result<u64> {
        let mut st = State::ExpectOpen;
        let mut rows = 0;
        loop {
            let a = self.input.avail();
            match count_rows(a, &mut st, &mut rows) {
                Stop::NeedMore => {
                    let n = a.len();
                    self.input.consume(n);
                    if !self.input.fill()? {
                        return Err(self.truncated(st, table));
                    }
                }
                Stop::End(i) => {
                    self.input.consume(i);
                    self.end_of_rows()?;
                    return Ok(rows);
                }
                Stop::Error(i, msg) => return Err(self.input.error_at(i, msg)),
            }
        }
    }

    /// Where the row starting at `avail()[0]` ends (just after its `)`), reading on as
    /// needed: the exact path, for rows the fast one could not settle.
    fn row_end(&mut self, table: usize) -> Result<usize> {
        let mut st = State::InRow;
        let mut scanned = 1;
        loop {
            let a = self.input.avail();
            match advance_in_row(a, scanned, &mut st) {
                Step::Closed(end) => return Ok(end),
                Step::Nul(at) => return Err(self.input.error_at(at, NUL_OUTSIDE_STRING)),
                Step::More => {
                    scanned = a.len();
                    if !self.input.fill()? {
                        return Err(self.truncated(st, table));
                    }
                }
            }
        }
    }

    /// Decodes every row and hands it to the visitor, in the table's column order.
    fn deliver_rows(&mut self, table: usize, mapping: Option<&[usize]>) -> Result<u64> {
        let mut rows = 0;
        let mut spare: Vec<Value<'static>> = Vec::new();
        let mut ordered_spare: Vec<Value<'static>> = Vec::new();
        loop {
            // Before the row: blanks, then '('.
            loop {
                let a = self.input.avail();
                let skip = a.iter().take_while(|&&b| is_space(b)).count();
                self.input.consume(skip);
                if !self.input.avail().is_empty() {
                    break;
                }
                if !self.input.fill()? {
                    return Err(self.truncated(State::ExpectOpen, table));
                }
            }
            if self.input.avail().first() != Some(&b'(') {
                return Err(self.input.error_at(0, "expected '(' to start a row"));
            }
            let offset = self.input.offset(0);
            let mut values = recycle(std::mem::take(&mut spare));
            let fast =
                parse_row_closed(self.input.avail().get(1..).unwrap_or_default(), &mut values);
            let end = match fast {
                Some(end) => 1 + end,
                None => {
                    spare = recycle(values);
                    let end = self.row_end(table)?;
                    values = recycle(std::mem::take(&mut spare));
                    let a = self.input.avail();
                    let inner = a.get(1..end.saturating_sub(1)).unwrap_or_default();
                    if let Err(e) = parse_row(inner, &mut values) {
                        drop(values);
                        return Err(self.input.error_at(1 + e.at, e.message.to_string()));
                    }
                    end
                }
            };
            let Some(t) = self.tables.get(table) else {
                return Ok(rows);
            };
            let ncols = t.def.columns.len();
            let expected = mapping.map_or(ncols, <[usize]>::len);
            if values.len() != expected {
                let what = if mapping.is_some() {
                    "names in its column list".to_string()
                } else {
                    format!("columns in table `{}`", short(&t.def.name))
                };
                let message = format!(
                    "row has {} values but there are {expected} {what}",
                    values.len()
                );
                drop(values);
                return Err(self.input.error_at(0, message));
            }
            let result = match mapping {
                None => self.visitor.row(&t.def, &values, offset),
                Some(map) => {
                    let mut ordered = recycle(std::mem::take(&mut ordered_spare));
                    ordered.resize(ncols, Value::Null);
                    for (&k, v) in map.iter().zip(values.drain(..)) {
                        if let Some(slot) = ordered.get_mut(k) {
                            *slot = v;
                        }
                    }
                    let r = self.visitor.row(&t.def, &ordered, offset);
                    ordered_spare = recycle(ordered);
                    r
                }
            };
            spare = recycle(values);
            result?;
            self.input.consume(end);
            rows += 1;
            // After the row: ',' and another, or the end of the statement.
            loop {
                let a = self.input.avail();
                let skip = a.iter().take_while(|&&b| is_space(b)).count();
                self.input.consume(skip);
                if !self.input.avail().is_empty() || !self.input.fill()? {
                    break;
                }
            }
            if self.input.avail().first() == Some(&b',') {
                self.input.consume(1);
                continue;
            }
            self.end_of_rows()?;
            return Ok(rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened() {
        let long = "x".repeat(100);
        assert_eq!(short(&long).len(), 60);
        assert_eq!(short("abc"), "abc");
    }
}
