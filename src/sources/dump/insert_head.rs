//! The head of an INSERT: `INSERT [IGNORE] INTO [db.]t [(cols)] VALUES`.
//!
//! Read straight from the byte buffer (a head is never more than a few KB), and
//! restartable: when the buffer ends mid-head the caller reads more and parses again.

use super::scanner::is_space;

/// An INSERT's head: `INSERT [IGNORE] INTO [db.]t [(cols)] VALUES`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct InsertHead {
    pub database: Option<String>,
    pub table: String,
    pub columns: Option<Vec<String>>,
}

pub(super) enum Head {
    Done(InsertHead, usize),
    NeedMore,
    Error(usize, &'static str),
}

/// Parses an INSERT or REPLACE head at the start of `a`; `Done` gives the index after
/// `VALUES`.
pub(super) fn parse_insert_head(a: &[u8]) -> Head {
    let mut lx = HeadLexer { a, i: 0 };
    macro_rules! tok {
        () => {
            match lx.next() {
                Ok(t) => t,
                Err(HeadStop::More) => return Head::NeedMore,
                Err(HeadStop::Bad(at, m)) => return Head::Error(at, m),
            }
        };
    }
    tok!(); // INSERT / REPLACE
    let mut t;
    loop {
        t = tok!();
        match &t {
            HeadTok::Word(w)
                if ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) => {}
            _ => break,
        }
    }
    let first = match t {
        HeadTok::Word(w) | HeadTok::Quoted(w) => w,
        HeadTok::Punct(_, at) => return Head::Error(at, "expected a table name after INSERT INTO"),
    };
    let mut t = tok!();
    let (database, table) = if matches!(t, HeadTok::Punct(b'.', _)) {
        let second = match tok!() {
            HeadTok::Word(w) | HeadTok::Quoted(w) => w,
            HeadTok::Punct(_, at) => return Head::Error(at, "expected a table name after '.'"),
        };
        t = tok!();
        (Some(first), second)
    } else {
        (None, first)
    };
    let mut columns = None;
    if matches!(t, HeadTok::Punct(b'(', _)) {
        let mut names = Vec::new();
        loop {
            match tok!() {
                HeadTok::Word(w) | HeadTok::Quoted(w) => names.push(w),
                HeadTok::Punct(b')', _) if names.is_empty() => break,
                HeadTok::Punct(_, at) => return Head::Error(at, "expected a column name"),
            }
            match tok!() {
                HeadTok::Punct(b',', _) => {}
                HeadTok::Punct(b')', _) => break,
                HeadTok::Word(_) | HeadTok::Quoted(_) | HeadTok::Punct(..) => {
                    return Head::Error(lx.i, "expected ',' or ')' in the column list")
                }
            }
        }
        columns = Some(names);
        t = tok!();
    }
    match t {
        HeadTok::Word(w) if w.eq_ignore_ascii_case("VALUES") || w.eq_ignore_ascii_case("VALUE") => {
            Head::Done(
                InsertHead {
                    database,
                    table,
                    columns,
                },
                lx.i,
            )
        }
        _ => Head::Error(
            lx.i,
            "expected VALUES (INSERT … SELECT or SET is not dump data)",
        ),
    }
}

enum HeadTok {
    Word(String),
    Quoted(String),
    Punct(u8, usize),
}

enum HeadStop {
    More,
    Bad(usize, &'static str),
}

struct HeadLexer<'a> {
    a: &'a [u8],
    i: usize,
}

impl HeadLexer<'_> {
    fn next(&mut self) -> std::result::Result<HeadTok, HeadStop> {
        while self.a.get(self.i).is_some_and(|&b| is_space(b)) {
            self.i += 1;
        }
        let Some(&c) = self.a.get(self.i) else {
            return Err(HeadStop::More);
        };
        if c == b'`' || c == b'"' {
            let mut name = Vec::new();
            let mut j = self.i + 1;
            loop {
                let Some(&d) = self.a.get(j) else {
                    return Err(HeadStop::More);
                };
                if d != c {
                    name.push(d);
                    j += 1;
                    continue;
                }
                match self.a.get(j + 1) {
                    // A doubled quote stands for itself.
                    Some(&e) if e == c => {
                        name.push(c);
                        j += 2;
                    }
                    Some(_) => {
                        self.i = j + 1;
                        return Ok(HeadTok::Quoted(String::from_utf8_lossy(&name).into_owned()));
                    }
                    None => return Err(HeadStop::More),
                }
            }
        }
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
            let start = self.i;
            let mut j = start;
            while self
                .a
                .get(j)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
            {
                j += 1;
            }
            if j == self.a.len() {
                // The word may go on in the next read.
                return Err(HeadStop::More);
            }
            self.i = j;
            let word = self.a.get(start..j).unwrap_or_default();
            return Ok(HeadTok::Word(String::from_utf8_lossy(word).into_owned()));
        }
        if matches!(c, b'.' | b'(' | b')' | b',') {
            self.i += 1;
            return Ok(HeadTok::Punct(c, self.i - 1));
        }
        Err(HeadStop::Bad(
            self.i,
            "unexpected byte in an INSERT statement",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(s: &[u8]) -> InsertHead {
        match parse_insert_head(s) {
            Head::Done(h, used) => {
                let upto = String::from_utf8_lossy(&s[..used]).to_ascii_uppercase();
                assert!(
                    upto.ends_with("VALUES") || upto.ends_with("VALUE"),
                    "{upto}"
                );
                h
            }
            Head::NeedMore => panic!("need more"),
            Head::Error(at, m) => panic!("error at {at}: {m}"),
        }
    }

    #[test]
    fn insert_heads() {
        let h = head(b"INSERT INTO `t` VALUES (1)");
        assert_eq!((h.database, h.table.as_str(), h.columns), (None, "t", None));
        let h = head(b"INSERT IGNORE INTO `a`.`b``c` (`x`, y) VALUES (1,2)");
        assert_eq!(h.database.as_deref(), Some("a"));
        assert_eq!(h.table, "b`c");
        assert_eq!(h.columns, Some(vec!["x".to_string(), "y".to_string()]));
        let h = head(b"replace into t value(1)");
        assert_eq!(h.table, "t");
    }

    #[test]
    fn insert_head_needs_more_until_values_is_whole() {
        for cut in [
            b"INSERT INTO `t` VALU".as_slice(),
            b"INSERT INTO `t",
            b"INSERT",
        ] {
            assert!(matches!(parse_insert_head(cut), Head::NeedMore));
        }
        assert!(matches!(
            parse_insert_head(b"INSERT INTO t SELECT 1"),
            Head::Error(..)
        ));
        assert!(matches!(
            parse_insert_head(b"INSERT INTO t \0"),
            Head::Error(..)
        ));
    }
}
