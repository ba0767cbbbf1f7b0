//! Edits of JSON text that keep every other byte as it was: the console wrote the text,
//! and a re-serialization would reorder or reformat it.

/// Sets a top-level boolean in a JSON object's text, keeping the rest of the text as it
/// is (the console wrote it; a re-serialization would reorder or reformat it).
pub fn set_bool(raw: &str, key: &str, value: bool) -> Option<String> {
    let pattern = format!(r#"("{}"\s*:\s*)("?)(true|false)("?)"#, regex::escape(key));
    let re = regex::Regex::new(&pattern).ok()?;
    let out = if re.is_match(raw) {
        re.replace(raw, |c: &regex::Captures<'_>| format!("{}{value}", &c[1]))
            .into_owned()
    } else {
        let open = raw.find('{')?;
        let rest = raw[open + 1..].trim_start();
        let sep = if rest.starts_with('}') { "" } else { "," };
        format!(
            "{}\"{key}\":{value}{sep}{}",
            &raw[..=open],
            &raw[open + 1..]
        )
    };
    let parsed: serde_json::Value = serde_json::from_str(&out).ok()?;
    (parsed.get(key) == Some(&serde_json::Value::Bool(value))).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::set_bool as json_set_bool;

    #[test]
    fn json_set_bool_keeps_the_rest_of_the_text() {
        let raw = r#"{"enable": true, "enableHost":false, "x":{"enable":true}}"#;
        let out = json_set_bool(raw, "enable", false).unwrap();
        assert_eq!(
            out,
            r#"{"enable": false, "enableHost":false, "x":{"enable":true}}"#
        );
        let out = json_set_bool(r#"{"a":1}"#, "perceiveStoreClientCheckpoint", true).unwrap();
        assert_eq!(out, r#"{"perceiveStoreClientCheckpoint":true,"a":1}"#);
        assert_eq!(json_set_bool("{}", "k", true).unwrap(), r#"{"k":true}"#);
        assert!(json_set_bool("not json", "k", true).is_none());
    }
}
