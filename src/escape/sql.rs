//! The one audited escaping function for SQL text: every value a fix, the runbook or a
//! live query writes goes through `literal`, every name through `ident`.
//!
//! The escapes are those MySQL, MariaDB and OceanBase's MySQL mode all read back to the
//! same bytes with the default `sql_mode` (backslash escapes on): NUL, quotes, backslash,
//! newline, carriage return and Ctrl-Z are escaped; everything else, Chinese text and
//! emoji included, is written as it is.

/// A string literal: `'it''s'` style is avoided in favour of backslash escapes, which
/// survive copy-paste through shells and tickets more predictably.
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A quoted identifier: backticks doubled.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A qualified table name.
pub fn table(database: Option<&str>, table: &str) -> String {
    match database {
        Some(db) => format!("{}.{}", ident(db), ident(table)),
        None => ident(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(literal("it's"), r"'it\'s'");
        assert_eq!(literal(r"a\b"), r"'a\\b'");
        assert_eq!(literal("a\0b\nc\r\u{1a}\""), r#"'a\0b\nc\r\Z"'"#);
        assert_eq!(literal("订单同步😀"), "'订单同步😀'");
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(ident("rm_340"), "`rm_340`");
        assert_eq!(ident("we`ird"), "`we``ird`");
        assert_eq!(table(Some("rm"), "oms_project"), "`rm`.`oms_project`");
    }
}
