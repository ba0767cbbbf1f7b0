//! `CREATE TABLE`, `CREATE DATABASE` and `USE`: the statements that say what the rows are.
//!
//! `CREATE TABLE` goes through sqlparser first. OceanBase MySQL-tenant dumps carry table
//! options (`REPLICA_NUM = 3`, `BLOCK_SIZE = 16384`, `PARTITION BY …`) and index options
//! (`BLOCK_SIZE 16384 LOCAL`) sqlparser rejects, yet such a dump must be read: so a
//! rejected statement is retried without its table options, and if that fails too, a
//! small hand-written parser reads the column list, which is all this tool needs.

use sqlparser::ast::{ColumnOption, CreateTableLikeKind, CreateTableOptions, SqlOption, Statement};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use super::charset::{charset_of_collation, default_collation};
use super::sql_text::{clean_sql, lower_outside_quotes, tokenize, Kind, Tok};
use super::{ColumnDef, TableDef};

/// A `CREATE …` statement, classified.
#[derive(Debug)]
pub(super) enum Create {
    Table(CreateTable),
    Database(CreateDatabase),
    /// Views, triggers, routines, …: nothing this reader needs.
    Other,
}

#[derive(Debug, Default)]
pub(super) struct CreateDatabase {
    pub name: String,
    pub charset: Option<String>,
    pub collation: Option<String>,
}

/// A parsed `CREATE TABLE`, before inherited charsets and collations are filled in.
#[derive(Debug, Default)]
pub(super) struct CreateTable {
    pub database: Option<String>,
    pub name: String,
    columns: Vec<RawColumn>,
    charset: Option<String>,
    collation: Option<String>,
    /// `CREATE TABLE t LIKE other`: the columns are other's.
    pub like: Option<(Option<String>, String)>,
    /// Which parser read it: the tests pin that each fallback is reached.
    #[cfg_attr(not(test), allow(dead_code))]
    pub parsed_by: ParsedBy,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum ParsedBy {
    #[default]
    Sqlparser,
    SqlparserWithoutOptions,
    Fallback,
}

#[derive(Debug, Default, Clone)]
struct RawColumn {
    name: String,
    data_type: String,
    charset: Option<String>,
    collation: Option<String>,
    /// The `BINARY` attribute of a text type: the `_bin` collation of its charset.
    binary: bool,
}

impl CreateTable {
    /// The table definition, with charsets and collations resolved: a table without its
    /// own inherits its database's defaults.
    pub fn resolve(self, db_charset: Option<&str>, db_collation: Option<&str>) -> TableDef {
        let (mut charset, mut collation) = (self.charset, self.collation);
        if charset.is_none() && collation.is_none() {
            charset = db_charset.map(str::to_string);
            collation = db_collation.map(str::to_string);
        }
        let charset = charset.or_else(|| collation.as_deref().and_then(charset_of_collation));
        let collation = collation.or_else(|| charset.as_deref().and_then(default_collation));
        let columns = self
            .columns
            .into_iter()
            .map(|c| resolve_column(c, charset.as_deref(), collation.as_deref()))
            .collect();
        TableDef {
            database: self.database,
            name: self.name,
            columns,
            charset,
            collation,
        }
    }
}

fn resolve_column(c: RawColumn, table_cs: Option<&str>, table_coll: Option<&str>) -> ColumnDef {
    let max_len = max_len(&c.data_type);
    if !is_text_type(&c.data_type) {
        return ColumnDef {
            name: c.name,
            data_type: c.data_type,
            charset: None,
            collation: None,
            max_len,
        };
    }
    let charset = c
        .charset
        .clone()
        .or_else(|| c.collation.as_deref().and_then(charset_of_collation))
        .or_else(|| table_cs.map(str::to_string))
        .or_else(|| table_coll.and_then(charset_of_collation));
    let collation = if let Some(coll) = c.collation {
        Some(coll)
    } else if c.binary {
        charset.as_deref().map(|cs| format!("{cs}_bin"))
    } else if let Some(cs) = &c.charset {
        default_collation(cs)
    } else {
        table_coll
            .map(str::to_string)
            .or_else(|| table_cs.and_then(default_collation))
    };
    ColumnDef {
        name: c.name,
        data_type: c.data_type,
        charset,
        collation,
        max_len,
    }
}

/// The first word of a type: `varchar(64)` -> `varchar`.
fn type_word(data_type: &str) -> &str {
    let end = data_type
        .find(|c: char| c == '(' || c.is_whitespace())
        .unwrap_or(data_type.len());
    data_type.get(..end).unwrap_or_default()
}

fn is_text_type(data_type: &str) -> bool {
    matches!(
        type_word(data_type),
        "char"
            | "varchar"
            | "character"
            | "nchar"
            | "nvarchar"
            | "national"
            | "tinytext"
            | "text"
            | "mediumtext"
            | "longtext"
            | "long"
            | "enum"
            | "set"
    )
}

/// N of `varchar(N)` / `char(N)`; a bare `char` is `char(1)`.
fn max_len(data_type: &str) -> Option<u32> {
    let word = type_word(data_type);
    if !matches!(
        word,
        "char" | "varchar" | "character" | "nchar" | "nvarchar" | "national"
    ) {
        return None;
    }
    match data_type.split_once('(') {
        Some((_, rest)) => {
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        }
        None if matches!(word, "char" | "character" | "nchar") => Some(1),
        None => None,
    }
}

/// Classifies and parses a `CREATE …` statement (without its delimiter). `None` when it
/// is a `CREATE TABLE` or `CREATE DATABASE` whose name cannot be read.
pub(super) fn parse_create(sql: &str) -> Option<Create> {
    let stripped = clean_sql(sql, false);
    let toks = tokenize(&stripped);
    let mut i = 1; // past CREATE
    loop {
        match toks.get(i).map(|t| t.upper()) {
            Some(w) if w == "OR" || w == "REPLACE" || w == "TEMPORARY" => i += 1,
            Some(w) if w == "TABLE" => return parse_create_table(&stripped, &toks, i + 1),
            Some(w) if w == "DATABASE" || w == "SCHEMA" => {
                let unwrapped = clean_sql(sql, true);
                return parse_create_database(&tokenize(&unwrapped)).map(Create::Database);
            }
            _ => return Some(Create::Other),
        }
    }
}

/// The database a `USE` statement selects.
pub(super) fn parse_use(sql: &str) -> Option<String> {
    let cleaned = clean_sql(sql, false);
    let toks = tokenize(&cleaned);
    match (toks.first(), toks.get(1)) {
        (Some(u), Some(name)) if u.upper() == "USE" => name.name(),
        _ => None,
    }
}

fn parse_create_database(toks: &[Tok]) -> Option<CreateDatabase> {
    let mut i = 2; // past CREATE DATABASE
    if toks.get(i).is_some_and(|t| t.upper() == "IF") {
        i += 3; // IF NOT EXISTS
    }
    let name = toks.get(i)?.name()?;
    let (charset, collation) = charset_options(toks.get(i + 1..).unwrap_or_default());
    Some(CreateDatabase {
        name,
        charset,
        collation,
    })
}

fn parse_create_table(sql: &str, toks: &[Tok], mut i: usize) -> Option<Create> {
    if toks.get(i).is_some_and(|t| t.upper() == "IF") {
        i += 3; // IF NOT EXISTS
    }
    let (database, name, after_name) = qualified_name(toks, i)?;
    if let Some(like) = like_clause(toks, after_name) {
        return Some(Create::Table(CreateTable {
            database,
            name,
            like: Some(like),
            ..CreateTable::default()
        }));
    }
    let mut table = from_sqlparser(sql).unwrap_or_else(|| {
        let (columns, charset, collation, parsed_by) = fallback(sql, toks, after_name);
        CreateTable {
            columns,
            charset,
            collation,
            parsed_by,
            ..CreateTable::default()
        }
    });
    // The name as the tokenizer read it is authoritative for every parser.
    table.database = database;
    table.name = name;
    Some(Create::Table(table))
}

/// `name` or `db.name` at token `i`: (database, name, index after it).
fn qualified_name(toks: &[Tok], i: usize) -> Option<(Option<String>, String, usize)> {
    let first = toks.get(i)?.name()?;
    if toks.get(i + 1).is_some_and(|t| t.is_punct('.')) {
        let second = toks.get(i + 2)?.name()?;
        Some((Some(first), second, i + 3))
    } else {
        Some((None, first, i + 1))
    }
}

/// `LIKE other` or `(LIKE other)` at token `i`.
fn like_clause(toks: &[Tok], i: usize) -> Option<(Option<String>, String)> {
    let at = if toks.get(i).is_some_and(|t| t.is_punct('(')) {
        i + 1
    } else {
        i
    };
    if toks.get(at)?.upper() != "LIKE" {
        return None;
    }
    let (db, name, _) = qualified_name(toks, at + 1)?;
    Some((db, name))
}

fn from_sqlparser(sql: &str) -> Option<CreateTable> {
    let stmts = Parser::parse_sql(&MySqlDialect {}, sql).ok()?;
    let [Statement::CreateTable(ct)] = stmts.as_slice() else {
        return None;
    };
    if let Some(CreateTableLikeKind::Plain(l) | CreateTableLikeKind::Parenthesized(l)) = &ct.like {
        let parts: Vec<String> = l
            .name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|id| id.value.clone()))
            .collect();
        let like = match parts.as_slice() {
            [db, name] => (Some(db.clone()), name.clone()),
            [.., name] => (None, name.clone()),
            [] => return None,
        };
        return Some(CreateTable {
            like: Some(like),
            ..CreateTable::default()
        });
    }
    let columns = ct
        .columns
        .iter()
        .map(|c| {
            let mut col = RawColumn {
                name: c.name.value.clone(),
                data_type: lower_outside_quotes(&c.data_type.to_string()),
                ..RawColumn::default()
            };
            for opt in &c.options {
                match &opt.option {
                    ColumnOption::CharacterSet(n) => col.charset = last_part(n),
                    ColumnOption::Collation(n) => col.collation = last_part(n),
                    _ => {}
                }
            }
            col
        })
        .collect();
    let (mut charset, mut collation) = (None, None);
    let options: &[SqlOption] = match &ct.table_options {
        CreateTableOptions::None => &[],
        CreateTableOptions::With(o)
        | CreateTableOptions::Options(o)
        | CreateTableOptions::Plain(o)
        | CreateTableOptions::TableProperties(o) => o,
    };
    for opt in options {
        if let SqlOption::KeyValue { key, value } = opt {
            let key = key.value.to_ascii_uppercase();
            let value = unquote(&value.to_string()).to_ascii_lowercase();
            if key.contains("CHARSET") || key.contains("CHARACTER SET") {
                charset = Some(value);
            } else if key.contains("COLLATE") {
                collation = Some(value);
            }
        }
    }
    Some(CreateTable {
        columns,
        charset,
        collation,
        ..CreateTable::default()
    })
}

fn last_part(name: &sqlparser::ast::ObjectName) -> Option<String> {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|id| unquote(&id.value).to_ascii_lowercase())
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['\'', '"', '`'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

type Fallback = (Vec<RawColumn>, Option<String>, Option<String>, ParsedBy);

/// When sqlparser rejects the statement: retry it without the table options after the
/// column list, then fall back to reading the column list by hand.
fn fallback(sql: &str, toks: &[Tok], after_name: usize) -> Fallback {
    let Some((open, close)) = column_list(toks, after_name) else {
        return (Vec::new(), None, None, ParsedBy::Fallback);
    };
    let tail = toks.get(close + 1..).unwrap_or_default();
    let (charset, collation) = charset_options(tail);
    let cut_at = toks.get(close).map_or(sql.len(), |t| t.end);
    if let Some(head) = sql.get(..cut_at) {
        if let Some(parsed) = from_sqlparser(head) {
            return (
                parsed.columns,
                charset,
                collation,
                ParsedBy::SqlparserWithoutOptions,
            );
        }
    }
    let items = toks.get(open + 1..close).unwrap_or_default();
    (
        hand_columns(sql, items),
        charset,
        collation,
        ParsedBy::Fallback,
    )
}

/// The token indices of the column list's `(` and its matching `)`.
fn column_list(toks: &[Tok], from: usize) -> Option<(usize, usize)> {
    let open = from + toks.get(from..)?.iter().position(|t| t.is_punct('('))?;
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some((open, k));
            }
        }
    }
    None
}

/// `[DEFAULT] CHARSET|CHARACTER SET [=] x` and `[DEFAULT] COLLATE [=] x` among tokens.
fn charset_options(toks: &[Tok]) -> (Option<String>, Option<String>) {
    let (mut charset, mut collation) = (None, None);
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        let word = t.upper();
        let value_at = if word == "CHARSET" {
            Some(i + 1)
        } else if word == "CHARACTER" && toks.get(i + 1).is_some_and(|n| n.upper() == "SET") {
            Some(i + 2)
        } else if word == "COLLATE" {
            Some(i + 1)
        } else {
            None
        };
        if let Some(mut v) = value_at {
            if toks.get(v).is_some_and(|t| t.is_punct('=')) {
                v += 1;
            }
            let value = toks
                .get(v)
                .and_then(Tok::name)
                .map(|s| s.to_ascii_lowercase());
            if word == "COLLATE" {
                collation = value.or(collation);
            } else {
                charset = value.or(charset);
            }
            i = v + 1;
        } else {
            i += 1;
        }
    }
    (charset, collation)
}

/// Reads column definitions from the tokens between the column list's parentheses,
/// skipping index and constraint lines.
fn hand_columns(sql: &str, items: &[Tok]) -> Vec<RawColumn> {
    split_top_level(items)
        .into_iter()
        .filter_map(|item| hand_column(sql, item))
        .collect()
}

fn split_top_level(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (k, t) in toks.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(',') && depth == 0 {
            out.push(toks.get(start..k).unwrap_or_default());
            start = k + 1;
        }
    }
    out.push(toks.get(start..).unwrap_or_default());
    out
}

const NOT_A_COLUMN: &[&str] = &[
    "KEY",
    "INDEX",
    "PRIMARY",
    "UNIQUE",
    "CONSTRAINT",
    "FOREIGN",
    "FULLTEXT",
    "SPATIAL",
    "CHECK",
    "PERIOD",
    "VECTOR",
];

fn hand_column(sql: &str, item: &[Tok]) -> Option<RawColumn> {
    let first = item.first()?;
    if first.kind == Kind::Word && NOT_A_COLUMN.contains(&first.upper().as_str()) {
        return None;
    }
    let name = first.name()?;
    let ty = item.get(1).filter(|t| t.kind == Kind::Word)?;
    let mut data_type = ty.text.to_ascii_lowercase();
    let mut i = 2;
    let two_word = matches!(data_type.as_str(), "national" | "long" | "double")
        || (data_type == "character" && item.get(2).is_some_and(|t| t.upper() == "VARYING"));
    if two_word {
        if let Some(next) = item.get(2).filter(|t| t.kind == Kind::Word) {
            data_type.push(' ');
            data_type.push_str(&next.text.to_ascii_lowercase());
            i = 3;
        }
    }
    if item.get(i).is_some_and(|t| t.is_punct('(')) {
        let close = column_list(item, i).map_or(item.len() - 1, |(_, c)| c);
        let (from, to) = (
            item.get(i).map_or(0, |t| t.start),
            item.get(close).map_or(0, |t| t.end),
        );
        data_type.push_str(&lower_outside_quotes(sql.get(from..to).unwrap_or_default()));
        i = close + 1;
    }
    while let Some(t) = item.get(i).filter(|t| {
        t.kind == Kind::Word && matches!(t.upper().as_str(), "UNSIGNED" | "SIGNED" | "ZEROFILL")
    }) {
        data_type.push(' ');
        data_type.push_str(&t.text.to_ascii_lowercase());
        i += 1;
    }
    let rest = item.get(i..).unwrap_or_default();
    let (charset, collation) = charset_options(&depth_zero(rest));
    let binary = is_text_type(&data_type)
        && rest
            .iter()
            .any(|t| t.kind == Kind::Word && t.upper() == "BINARY");
    Some(RawColumn {
        name,
        data_type,
        charset,
        collation,
        binary,
    })
}

/// The tokens outside any parentheses (so a DEFAULT or CHECK expression's words do not
/// count as column options).
fn depth_zero(toks: &[Tok]) -> Vec<Tok> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for t in toks {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            out.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(sql: &str) -> (TableDef, ParsedBy) {
        match parse_create(sql) {
            Some(Create::Table(t)) => {
                let by = t.parsed_by;
                (t.resolve(None, None), by)
            }
            other => panic!("not a table: {other:?}"),
        }
    }

    fn col<'a>(t: &'a TableDef, name: &str) -> &'a ColumnDef {
        t.columns.iter().find(|c| c.name == name).expect(name)
    }

    const MARIADB: &str = "CREATE TABLE `t_text` (
  `id` int(11) NOT NULL,
  `name` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `note` text DEFAULT NULL,
  `tag` char(8) CHARACTER SET latin1 DEFAULT NULL,
  `e` enum('A','b c') DEFAULT NULL,
  `js` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`js`)),
  `data` blob,
  PRIMARY KEY (`id`),
  KEY `idx_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*!50100 PARTITION BY HASH (id) */";

    #[test]
    fn sqlparser_reads_a_mariadb_table() {
        let (t, by) = table(MARIADB);
        assert_eq!(by, ParsedBy::Sqlparser);
        assert_eq!(t.name, "t_text");
        assert_eq!(t.charset.as_deref(), Some("utf8mb4"));
        assert_eq!(t.collation.as_deref(), Some("utf8mb4_unicode_ci"));
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "name", "note", "tag", "e", "js", "data"]);
        assert_eq!(col(&t, "id").collation, None);
        assert_eq!(col(&t, "id").data_type, "int(11)");
        assert_eq!(col(&t, "name").collation.as_deref(), Some("utf8mb4_bin"));
        assert_eq!(col(&t, "name").max_len, Some(64));
        // No COLLATE: the table's collation.
        assert_eq!(
            col(&t, "note").collation.as_deref(),
            Some("utf8mb4_unicode_ci")
        );
        // A CHARACTER SET without COLLATE: that charset's default, not the table's.
        assert_eq!(
            col(&t, "tag").collation.as_deref(),
            Some("latin1_swedish_ci")
        );
        assert_eq!(col(&t, "tag").charset.as_deref(), Some("latin1"));
        assert_eq!(col(&t, "tag").max_len, Some(8));
        assert_eq!(col(&t, "e").data_type, "enum('A', 'b c')");
        assert_eq!(col(&t, "data").collation, None);
    }

    #[test]
    fn table_charset_alone_gives_its_default_collation() {
        let (t, _) = table("CREATE TABLE x (a varchar(3), b varchar(3) COLLATE utf8mb4_bin) DEFAULT CHARSET=utf8mb4");
        assert_eq!(t.collation.as_deref(), Some("utf8mb4_general_ci"));
        assert_eq!(
            col(&t, "a").collation.as_deref(),
            Some("utf8mb4_general_ci")
        );
        assert_eq!(col(&t, "b").charset.as_deref(), Some("utf8mb4"));
        let (t, _) = table("CREATE TABLE x (a char) DEFAULT CHARSET=utf8");
        assert_eq!(
            col(&t, "a").collation.as_deref(),
            Some("utf8mb3_general_ci")
        );
        assert_eq!(col(&t, "a").max_len, Some(1));
    }

    #[test]
    fn database_defaults_apply_to_a_table_without_its_own() {
        let Some(Create::Table(t)) = parse_create("CREATE TABLE x (a varchar(3))") else {
            panic!()
        };
        let t = t.resolve(Some("latin1"), None);
        assert_eq!(col(&t, "a").collation.as_deref(), Some("latin1_swedish_ci"));
    }

    // A real OceanBase tenant cannot be run here: these statements are written after the
    // `SHOW CREATE TABLE` output of OceanBase 3.x/4.x MySQL tenants (table options,
    // index options, partitioning, MySQL 8 conditional options).
    const OB_TABLE_OPTIONS: &str = "CREATE TABLE `oms_project` (
  `id` varchar(64) NOT NULL,
  `project_name` varchar(128) COLLATE utf8mb4_bin NOT NULL,
  `project_status` varchar(32) NOT NULL,
  `gmt_created` datetime NOT NULL,
  PRIMARY KEY (`id`)
) DEFAULT CHARSET = utf8mb4 ROW_FORMAT = DYNAMIC COMPRESSION = 'zstd_1.3.8' REPLICA_NUM = 3 BLOCK_SIZE = 16384 USE_BLOOM_FILTER = FALSE TABLET_SIZE = 134217728 PCTFREE = 0 /*!80016 DEFAULT ENCRYPTION='N' */
 partition by key(id)
(partition p0,
partition p1)";

    const OB_INDEX_OPTIONS: &str = "CREATE TABLE `heatbeat_sequence` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `gmt_created` datetime NOT NULL,
  `note` varchar(20) CHARSET gbk,
  `tag` varchar(8) BINARY,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uk_created` (`gmt_created`) BLOCK_SIZE 16384 LOCAL,
  KEY `idx_x` (`note`, `tag`) BLOCK_SIZE 16384 GLOBAL,
  CONSTRAINT `c1` CHECK (`id` > 0)
) AUTO_INCREMENT = 1000001 AUTO_INCREMENT_MODE = 'ORDER' DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin ROW_FORMAT = DYNAMIC COMPRESSION = 'lz4_1.0' REPLICA_NUM = 1 BLOCK_SIZE = 16384 USE_BLOOM_FILTER = FALSE TABLET_SIZE = 134217728 PCTFREE = 0";

    #[test]
    fn oceanbase_table_options_are_stripped_and_retried() {
        let (t, by) = table(OB_TABLE_OPTIONS);
        assert_eq!(by, ParsedBy::SqlparserWithoutOptions);
        assert_eq!(t.name, "oms_project");
        assert_eq!(t.columns.len(), 4);
        assert_eq!(t.charset.as_deref(), Some("utf8mb4"));
        assert_eq!(
            col(&t, "project_name").collation.as_deref(),
            Some("utf8mb4_bin")
        );
        assert_eq!(
            col(&t, "project_status").collation.as_deref(),
            Some("utf8mb4_general_ci")
        );
        assert_eq!(col(&t, "project_name").max_len, Some(128));
    }

    #[test]
    fn oceanbase_index_options_fall_back_to_the_hand_parser() {
        let (t, by) = table(OB_INDEX_OPTIONS);
        assert_eq!(by, ParsedBy::Fallback);
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "gmt_created", "note", "tag"]);
        assert_eq!(t.collation.as_deref(), Some("utf8mb4_bin"));
        assert_eq!(col(&t, "id").data_type, "bigint(20)");
        assert_eq!(col(&t, "id").collation, None);
        assert_eq!(col(&t, "note").charset.as_deref(), Some("gbk"));
        assert_eq!(col(&t, "note").collation.as_deref(), Some("gbk_chinese_ci"));
        assert_eq!(col(&t, "tag").collation.as_deref(), Some("utf8mb4_bin"));
        assert_eq!(col(&t, "tag").max_len, Some(8));
    }

    #[test]
    fn hand_parser_reads_types_with_arguments_and_modifiers() {
        let sql = "CREATE TABLE t (`a` decimal(10, 3) unsigned zerofill DEFAULT '1', \
                   b enum('x,y','Z') CHARACTER SET latin1 COLLATE latin1_bin, \
                   c double precision, d national varchar(7), \
                   `we``ird` varchar(5) DEFAULT (concat('COLLATE', 'x')), \
                   INDEX i (a)) BLOCK_SIZE = 1";
        let (t, by) = table(sql);
        assert_eq!(by, ParsedBy::Fallback);
        assert_eq!(col(&t, "a").data_type, "decimal(10, 3) unsigned zerofill");
        assert_eq!(col(&t, "b").data_type, "enum('x,y','Z')");
        assert_eq!(col(&t, "b").collation.as_deref(), Some("latin1_bin"));
        assert_eq!(col(&t, "c").data_type, "double precision");
        assert_eq!(col(&t, "d").max_len, Some(7));
        assert_eq!(col(&t, "we`ird").collation, None);
        assert_eq!(t.columns.len(), 5);
    }

    #[test]
    fn like_copies_another_table() {
        let Some(Create::Table(t)) = parse_create("CREATE TABLE oms_sync_project LIKE oms_project")
        else {
            panic!()
        };
        assert_eq!(t.like, Some((None, "oms_project".to_string())));
        let Some(Create::Table(t)) = parse_create("CREATE TABLE a.b (LIKE `c`.`d`) BLOCK_SIZE = 1")
        else {
            panic!()
        };
        assert_eq!(t.database.as_deref(), Some("a"));
        assert_eq!(t.like, Some((Some("c".to_string()), "d".to_string())));
    }

    #[test]
    fn create_database_and_use() {
        let Some(Create::Database(d)) = parse_create(
            "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `rm_340` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_bin */",
        ) else {
            panic!()
        };
        assert_eq!(d.name, "rm_340");
        assert_eq!(d.charset.as_deref(), Some("latin1"));
        assert_eq!(d.collation.as_deref(), Some("latin1_bin"));
        assert_eq!(parse_use("USE `cm_hb_340`").as_deref(), Some("cm_hb_340"));
        assert_eq!(parse_use("use plain").as_deref(), Some("plain"));
        assert!(matches!(
            parse_create("CREATE DEFINER=`root`@`localhost` PROCEDURE `p`() BEGIN SELECT 1; END"),
            Some(Create::Other)
        ));
        assert!(parse_create("CREATE TABLE").is_none());
    }
}
