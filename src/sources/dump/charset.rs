//! Character sets and their default collations, as MariaDB defaults them.
//!
//! A dump names a column's collation only when it differs from what the column inherits,
//! and OMS003 compares names under the collation the column really has, so the
//! inherited default must be filled in. MariaDB's defaults are used (utf8mb4 ->
//! utf8mb4_general_ci, not MySQL 8's utf8mb4_0900_ai_ci): OMS MetaDBs run on MariaDB or
//! OceanBase's MySQL mode, which share them. An unknown character set gives `None`
//! rather than a guess.

/// The default collation of a character set, lower case.
pub(super) fn default_collation(charset: &str) -> Option<String> {
    let cs = charset.to_ascii_lowercase();
    let collation = match cs.as_str() {
        "utf8mb4" => "utf8mb4_general_ci",
        "utf8" | "utf8mb3" => "utf8mb3_general_ci",
        "latin1" => "latin1_swedish_ci",
        "binary" => "binary",
        "ascii" => "ascii_general_ci",
        "latin2" => "latin2_general_ci",
        "latin5" => "latin5_turkish_ci",
        "latin7" => "latin7_general_ci",
        "gbk" => "gbk_chinese_ci",
        "gb2312" => "gb2312_chinese_ci",
        "gb18030" => "gb18030_chinese_ci",
        "big5" => "big5_chinese_ci",
        "sjis" => "sjis_japanese_ci",
        "ujis" => "ujis_japanese_ci",
        "cp932" => "cp932_japanese_ci",
        "eucjpms" => "eucjpms_japanese_ci",
        "euckr" => "euckr_korean_ci",
        "utf16" => "utf16_general_ci",
        "utf16le" => "utf16le_general_ci",
        "utf32" => "utf32_general_ci",
        "ucs2" => "ucs2_general_ci",
        "cp1250" => "cp1250_general_ci",
        "cp1251" => "cp1251_general_ci",
        "cp1256" => "cp1256_general_ci",
        "cp1257" => "cp1257_general_ci",
        "cp850" => "cp850_general_ci",
        "cp852" => "cp852_general_ci",
        "cp866" => "cp866_general_ci",
        "koi8r" => "koi8r_general_ci",
        "koi8u" => "koi8u_general_ci",
        "greek" => "greek_general_ci",
        "hebrew" => "hebrew_general_ci",
        "tis620" => "tis620_thai_ci",
        "swe7" => "swe7_swedish_ci",
        "dec8" => "dec8_swedish_ci",
        "hp8" => "hp8_english_ci",
        "armscii8" => "armscii8_general_ci",
        "geostd8" => "geostd8_general_ci",
        "keybcs2" => "keybcs2_general_ci",
        "macce" => "macce_general_ci",
        "macroman" => "macroman_general_ci",
        _ => return None,
    };
    Some(collation.to_string())
}

/// The character set a collation belongs to: the part before the first `_`
/// (`utf8mb4_bin` -> `utf8mb4`), `binary` for `binary`.
pub(super) fn charset_of_collation(collation: &str) -> Option<String> {
    let c = collation.to_ascii_lowercase();
    if c == "binary" {
        return Some(c);
    }
    let (cs, _) = c.split_once('_')?;
    (!cs.is_empty()).then(|| cs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_mariadb() {
        assert_eq!(
            default_collation("UTF8MB4").as_deref(),
            Some("utf8mb4_general_ci")
        );
        assert_eq!(
            default_collation("utf8").as_deref(),
            Some("utf8mb3_general_ci")
        );
        assert_eq!(
            default_collation("utf8mb3").as_deref(),
            Some("utf8mb3_general_ci")
        );
        assert_eq!(
            default_collation("latin1").as_deref(),
            Some("latin1_swedish_ci")
        );
        assert_eq!(default_collation("binary").as_deref(), Some("binary"));
        assert_eq!(default_collation("klingon"), None);
    }

    #[test]
    fn charset_from_collation() {
        assert_eq!(
            charset_of_collation("utf8mb4_bin").as_deref(),
            Some("utf8mb4")
        );
        assert_eq!(charset_of_collation("binary").as_deref(), Some("binary"));
        assert_eq!(charset_of_collation("nonsense"), None);
    }
}
