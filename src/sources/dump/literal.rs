//! Decoding one row's literals into [`Value`]s.
//!
//! Only rows a visitor asked for come here, after the scanner found where the row ends,
//! so this code can be plain and exact. Strings without escapes are borrowed from the
//! read buffer; only escaped ones are copied.

use std::borrow::Cow;

use memchr::memchr2;

use super::scanner::is_space;
use super::Value;

/// A malformed literal, at a byte index of the row text. The message never quotes input.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct LitError {
    pub at: usize,
    pub message: &'static str,
}

fn err<T>(at: usize, message: &'static str) -> Result<T, LitError> {
    Err(LitError { at, message })
}

fn skip_space(t: &[u8], mut i: usize) -> usize {
    while t.get(i).is_some_and(|&b| is_space(b)) {
        i += 1;
    }
    i
}

/// Parses the comma-separated values of a row, `t` being the text between its
/// parentheses, appending them to `out` in the order written.
pub(super) fn parse_row<'a>(t: &'a [u8], out: &mut Vec<Value<'a>>) -> Result<(), LitError> {
    let mut i = skip_space(t, 0);
    if i == t.len() {
        return Ok(());
    }
    loop {
        let (value, next) = parse_value(t, i)?;
        out.push(value);
        i = skip_space(t, next);
        match t.get(i) {
            None => return Ok(()),
            Some(b',') => {
                i = skip_space(t, i + 1);
                if i == t.len() {
                    return err(i, "missing value after ','");
                }
            }
            Some(_) => return err(i, "expected ',' between values"),
        }
    }
}

/// The fast path for a row the scanner has not delimited: `t` starts just after the
/// row's `(` and runs to the end of the bytes read so far. Parses the values and returns
/// the index just after the row's `)`, or `None` when this cannot be settled here: the
/// row runs past `t` (or a token reaches its end, and may go on), or the row is
/// malformed. The caller then takes the exact path (scanner, then [`parse_row`]), which
/// also words every error; so one scan of each byte serves most rows instead of two.
pub(super) fn parse_row_closed<'a>(t: &'a [u8], out: &mut Vec<Value<'a>>) -> Option<usize> {
    let mut i = skip_space(t, 0);
    if t.get(i) == Some(&b')') {
        return Some(i + 1);
    }
    loop {
        let (value, next) = parse_value(t, i).ok()?;
        // A number or word that ends where the bytes end may go on in the next read.
        if next >= t.len() {
            return None;
        }
        out.push(value);
        i = skip_space(t, next);
        match t.get(i)? {
            b',' => {
                i = skip_space(t, i + 1);
                if t.get(i).is_none_or(|&b| b == b')') {
                    return None;
                }
            }
            b')' => return Some(i + 1),
            _ => return None,
        }
    }
}

fn parse_value(t: &[u8], i: usize) -> Result<(Value<'_>, usize), LitError> {
    let Some(&b) = t.get(i) else {
        return err(i, "missing value");
    };
    let next = t.get(i + 1).copied();
    match b {
        b'\'' | b'"' => string(t, i),
        b'_' => introduced(t, i),
        b'x' | b'X' if next == Some(b'\'') => quoted_hex(t, i + 1),
        b'b' | b'B' if next == Some(b'\'') => quoted_bits(t, i + 1),
        b'n' | b'N' if next == Some(b'\'') => string(t, i + 1),
        b'0' if matches!(next, Some(b'x' | b'X')) => {
            let end = word_end(t, i + 2);
            let digits = t.get(i + 2..end).unwrap_or_default();
            Ok((Value::Text(Cow::Owned(decode_hex(digits, i + 2)?)), end))
        }
        b'0' if next == Some(b'b') && t.get(i + 2).is_some_and(|d| matches!(d, b'0' | b'1')) => {
            let end = word_end(t, i + 2);
            let digits = t.get(i + 2..end).unwrap_or_default();
            Ok((Value::Text(Cow::Owned(decode_bits(digits, i + 2)?)), end))
        }
        b'0'..=b'9' | b'-' | b'+' | b'.' => {
            let end = number_end(t, i + 1);
            Ok((Value::Number(t.get(i..end).unwrap_or_default()), end))
        }
        b'a'..=b'z' | b'A'..=b'Z' => {
            let end = word_end(t, i);
            let word = t.get(i..end).unwrap_or_default();
            if word.eq_ignore_ascii_case(b"NULL") || word.eq_ignore_ascii_case(b"DEFAULT") {
                Ok((Value::Null, end))
            } else if word.eq_ignore_ascii_case(b"TRUE") || word.eq_ignore_ascii_case(b"FALSE") {
                Ok((Value::Number(word), end))
            } else {
                err(i, "unexpected word in a row (expected a literal)")
            }
        }
        0 => err(i, "NUL byte outside a string literal"),
        _ => err(i, "unexpected byte in a row (expected a literal)"),
    }
}

fn word_end(t: &[u8], mut i: usize) -> usize {
    while t
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        i += 1;
    }
    i
}

fn number_end(t: &[u8], mut i: usize) -> usize {
    while t
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
    {
        i += 1;
    }
    i
}

/// `_binary '…'`, `_utf8mb4'…'`, `_binary 0x…`: the introducer names a character set
/// the bytes are already in, so it is dropped.
fn introduced(t: &[u8], i: usize) -> Result<(Value<'_>, usize), LitError> {
    let after = skip_space(t, word_end(t, i + 1));
    match t.get(after) {
        Some(b'\'' | b'"' | b'x' | b'X' | b'b' | b'B' | b'0') => {
            let (value, end) = parse_value(t, after)?;
            match value {
                Value::Text(_) => Ok((value, end)),
                _ => err(after, "expected a string after a character set introducer"),
            }
        }
        _ => err(after, "expected a string after a character set introducer"),
    }
}

/// A quoted string starting at the quote `t[i]`, with MySQL's escapes undone.
fn string(t: &[u8], i: usize) -> Result<(Value<'_>, usize), LitError> {
    let Some(&q) = t.get(i) else {
        return err(i, "missing string");
    };
    let start = i + 1;
    let mut seg = start;
    let mut j = start;
    let mut owned: Option<Vec<u8>> = None;
    loop {
        let Some(k) = t.get(j..).and_then(|rest| memchr2(q, b'\\', rest)) else {
            return err(i, "unterminated string literal");
        };
        let p = j + k;
        let piece = t.get(seg..p).unwrap_or_default();
        if t.get(p) == Some(&b'\\') {
            let Some(&escaped) = t.get(p + 1) else {
                return err(i, "unterminated string literal");
            };
            let out = owned.get_or_insert_with(Vec::new);
            out.extend_from_slice(piece);
            unescape(escaped, out);
            j = p + 2;
            seg = j;
        } else if t.get(p + 1) == Some(&q) {
            let out = owned.get_or_insert_with(Vec::new);
            out.extend_from_slice(piece);
            out.push(q);
            j = p + 2;
            seg = j;
        } else {
            let value = match owned {
                Some(mut out) => {
                    out.extend_from_slice(piece);
                    Cow::Owned(out)
                }
                None => Cow::Borrowed(piece),
            };
            return Ok((Value::Text(value), p + 1));
        }
    }
}

/// MySQL's string escapes. `\%` and `\_` keep their backslash, as MySQL keeps it outside
/// LIKE patterns; an unknown escape stands for the byte itself.
fn unescape(b: u8, out: &mut Vec<u8>) {
    match b {
        b'0' => out.push(0),
        b'b' => out.push(8),
        b'n' => out.push(b'\n'),
        b'r' => out.push(b'\r'),
        b't' => out.push(b'\t'),
        b'Z' => out.push(0x1a),
        b'%' | b'_' => out.extend_from_slice(&[b'\\', b]),
        other => out.push(other),
    }
}

/// `X'…'` with the quote at `t[q]`.
fn quoted_hex(t: &[u8], q: usize) -> Result<(Value<'_>, usize), LitError> {
    let (digits, end) = quoted_run(t, q)?;
    if digits.len() % 2 == 1 {
        return err(q, "odd number of digits in a hex literal");
    }
    Ok((Value::Text(Cow::Owned(decode_hex(digits, q + 1)?)), end))
}

/// `b'…'` with the quote at `t[q]`.
fn quoted_bits(t: &[u8], q: usize) -> Result<(Value<'_>, usize), LitError> {
    let (digits, end) = quoted_run(t, q)?;
    Ok((Value::Text(Cow::Owned(decode_bits(digits, q + 1)?)), end))
}

fn quoted_run(t: &[u8], q: usize) -> Result<(&[u8], usize), LitError> {
    let rest = t.get(q + 1..).unwrap_or_default();
    match memchr::memchr(b'\'', rest) {
        Some(k) => Ok((rest.get(..k).unwrap_or_default(), q + 1 + k + 1)),
        None => err(q, "unterminated literal"),
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Hex digits to bytes; an odd count is left-padded with a zero, as MySQL reads `0xABC`.
fn decode_hex(digits: &[u8], at: usize) -> Result<Vec<u8>, LitError> {
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    let mut acc: Option<u8> = if digits.len() % 2 == 1 { Some(0) } else { None };
    for (n, &d) in digits.iter().enumerate() {
        let Some(v) = hex_digit(d) else {
            return err(at + n, "invalid digit in a hex literal");
        };
        match acc.take() {
            Some(hi) => out.push(hi << 4 | v),
            None => acc = Some(v),
        }
    }
    Ok(out)
}

/// Bit digits to big-endian bytes, left-padded to whole bytes.
fn decode_bits(digits: &[u8], at: usize) -> Result<Vec<u8>, LitError> {
    let mut out = Vec::with_capacity(digits.len() / 8 + 1);
    let lead = digits.len() % 8;
    let mut acc: u8 = 0;
    for (n, &d) in digits.iter().enumerate() {
        let bit = match d {
            b'0' => 0,
            b'1' => 1,
            _ => return err(at + n, "invalid digit in a bit literal"),
        };
        acc = acc << 1 | bit;
        let done = n + 1;
        if done >= lead && (done - lead) % 8 == 0 {
            out.push(acc);
            acc = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: &[u8]) -> Vec<Value<'_>> {
        let mut out = Vec::new();
        parse_row(t, &mut out).unwrap();
        out
    }

    fn text(b: &[u8]) -> Value<'_> {
        Value::Text(Cow::Borrowed(b))
    }

    #[test]
    fn plain_values_are_borrowed() {
        let v = row(b"1,'abc', NULL ,-1.5e3,\"dq\"");
        assert_eq!(
            v,
            vec![
                Value::Number(b"1"),
                text(b"abc"),
                Value::Null,
                Value::Number(b"-1.5e3"),
                text(b"dq"),
            ]
        );
        assert!(matches!(&v[1], Value::Text(Cow::Borrowed(_))));
    }

    #[test]
    fn escapes_are_undone() {
        let v = row(br#"'\0\'\"\b\n\r\t\Z\\\%\_\q','it''s'"#);
        assert_eq!(v[0], text(b"\0'\"\x08\n\r\t\x1a\\\\%\\_q"));
        assert_eq!(v[1], text(b"it's"));
    }

    #[test]
    fn binary_literals_decode_to_bytes() {
        let v =
            row(b"X'00ff',0xABC,b'1010000001',b'',0b101,_binary 'a\\0',_utf8mb4'x',_binary 0x41");
        assert_eq!(v[0], text(&[0x00, 0xff]));
        assert_eq!(v[1], text(&[0x0a, 0xbc]));
        assert_eq!(v[2], text(&[0x02, 0x81]));
        assert_eq!(v[3], text(b""));
        assert_eq!(v[4], text(&[0x05]));
        assert_eq!(v[5], text(b"a\0"));
        assert_eq!(v[6], text(b"x"));
        assert_eq!(v[7], text(b"A"));
    }

    #[test]
    fn the_fast_path_settles_only_rows_it_sees_whole() {
        let whole: &[u8] = b"1,'a)b','it''s',NULL ),(2";
        let mut fast = Vec::new();
        let end = parse_row_closed(whole, &mut fast).expect("a whole row");
        assert_eq!(&whole[end..], b",(2");
        assert_eq!(fast, row(b"1,'a)b','it''s',NULL "));
        // Every cut of the row before its ')' is left to the exact path, as is a bad row.
        let close = 21;
        assert_eq!(whole[close], b')');
        for cut in 0..=close {
            let got = parse_row_closed(&whole[..cut], &mut Vec::new());
            assert_eq!(got, None, "cut {cut}");
        }
        for bad in [&b"1 2)"[..], b"1,)", b"1,\0)", b"(1))", b"1,NUL"] {
            assert_eq!(parse_row_closed(bad, &mut Vec::new()), None, "{bad:?}");
        }
        assert_eq!(parse_row_closed(b" ),", &mut Vec::new()), Some(2));
    }

    #[test]
    fn empty_row_has_no_values() {
        assert!(row(b"  ").is_empty());
    }

    #[test]
    fn malformed_literals_are_errors_without_quoting_input() {
        let cases: &[(&[u8], usize)] = &[
            (b"1,,2", 2),
            (b"1 2", 2),
            (b"'secret", 0),
            (b"X'0g'", 3),
            (b"b'012'", 4),
            (b"1,\0", 2),
            (b"1,bogus", 2),
            (b"_binary 12", 8),
            (b"1,", 2),
        ];
        for (input, at) in cases {
            let mut out = Vec::new();
            let e = parse_row(input, &mut out).unwrap_err();
            assert_eq!(e.at, *at, "{:?}", String::from_utf8_lossy(input));
            assert!(!e.message.contains("secret"));
        }
    }
}
