//! `docker inspect` output of the current OMS container(s): what the new container must
//! reuse (host binds) and what it is (name, image).
//!
//! Environment values are never kept, only their names: `docker run -e` is how OMS
//! deployments pass MetaDB passwords.

use std::path::Path;

use serde_json::Value;

use super::components::json_error;
use super::config_yaml::read_text;
use super::redact;
use crate::error::{Error, Result};
use crate::facts::{Container, DockerInspect};

pub fn read_docker_inspect(path: &Path) -> Result<DockerInspect> {
    let text = read_text(path)?;
    parse_docker_inspect(path, &text)
}

/// `docker inspect` prints an array; a single object (one element saved by hand, or
/// `--format '{{json .}}'`) is accepted too.
pub fn parse_docker_inspect(path: &Path, text: &str) -> Result<DockerInspect> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The file holds environment values: `json_error` keeps them out of the message.
    let root: Value = serde_json::from_str(text).map_err(|e| json_error(path, text, &e))?;
    let items = match root {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(Error::parse(
                path,
                1,
                1,
                "expected the JSON array that `docker inspect` prints",
            ))
        }
    };
    let mut containers = Vec::with_capacity(items.len());
    // Elements start at the lines of the top-level objects, in order; a value's line is
    // its first occurrence from there (serde_json keeps no positions).
    let starts = element_lines(text);
    for (index, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(Error::parse_no_pos(
                path,
                format!("element {} is not a container object", index + 1),
            ));
        }
        let mut c = container(item);
        c.line = starts.get(index).copied().unwrap_or(1);
        let from = line_offset(text, c.line);
        let mut values: Vec<String> = vec![c.name.clone(), c.image.clone()];
        values.extend(c.binds.iter().map(|(_, src)| src.clone()));
        values.extend(c.volumes.iter().map(|(_, name)| name.clone()));
        values.extend(c.host_ip.clone());
        for v in values.into_iter().filter(|v| !v.is_empty()) {
            let quoted = serde_json::to_string(&v).unwrap_or_default();
            let needle = quoted.trim_matches('"');
            if let Some(i) = text[from..].find(needle) {
                let line = c.line + text[from..from + i].matches('\n').count() as u64;
                c.value_lines.push((v, line));
            }
        }
        containers.push(c);
    }
    Ok(DockerInspect {
        path: path.to_path_buf(),
        containers,
    })
}

/// The 1-based lines where the container objects start: the elements of the top-level
/// array, or the one top-level object.
fn element_lines(text: &str) -> Vec<u64> {
    let array = text.trim_start().starts_with('[');
    let level = if array { 1 } else { 0 };
    let (mut depth, mut line, mut in_str, mut escaped) = (0usize, 1u64, false, false);
    let mut out = Vec::new();
    for b in text.bytes() {
        if b == b'\n' {
            line += 1;
        }
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                if b == b'{' && depth == level {
                    out.push(line);
                }
                depth += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

fn line_offset(text: &str, line: u64) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line as usize - 2)
        .map_or(0, |(i, _)| i + 1)
}

fn container(item: &Value) -> Container {
    let name = str_at(item, &["Name"]).trim_start_matches('/').to_string();
    let image = match str_at(item, &["Config", "Image"]) {
        "" => str_at(item, &["Image"]).to_string(),
        image => image.to_string(),
    };
    let env_keys = item
        .pointer("/Config/Env")
        .and_then(Value::as_array)
        .map(|env| {
            env.iter()
                .filter_map(Value::as_str)
                .map(|e| e.split('=').next().unwrap_or_default().to_string())
                .filter(|k| !k.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let host_ip = item
        .pointer("/Config/Env")
        .and_then(Value::as_array)
        .and_then(|env| {
            env.iter()
                .filter_map(Value::as_str)
                .find_map(|e| e.strip_prefix("OMS_HOST_IP="))
                .map(|v| v.trim().to_string())
        });
    let volumes = item
        .get("Mounts")
        .and_then(Value::as_array)
        .map(|mounts| {
            mounts
                .iter()
                .filter(|m| m.get("Type").and_then(Value::as_str) == Some("volume"))
                .filter_map(|m| {
                    let dst = m.get("Destination")?.as_str()?;
                    let name = m.get("Name")?.as_str()?;
                    Some((dst.to_string(), name.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    Container {
        name,
        image: redact::mask_url_passwords(&image),
        binds: binds(item),
        volumes,
        env_keys,
        host_ip,
        line: 1,
        value_lines: Vec::new(),
    }
}

fn str_at<'v>(item: &'v Value, keys: &[&str]) -> &'v str {
    let mut cur = item;
    for key in keys {
        match cur.get(key) {
            Some(next) => cur = next,
            None => return "",
        }
    }
    cur.as_str().unwrap_or_default()
}

/// (container destination, host source) of every host bind. `Mounts` is what the daemon
/// resolved; `HostConfig.Binds` is what `docker run -v` asked for, and fills in what
/// `Mounts` lacks (older daemons, hand-trimmed files). Named volumes are skipped: they are
/// not host paths the new container could be given.
fn binds(item: &Value) -> Vec<(String, String)> {
    let mut binds: Vec<(String, String)> = Vec::new();
    if let Some(mounts) = item.get("Mounts").and_then(Value::as_array) {
        for m in mounts {
            let is_bind = m.get("Type").and_then(Value::as_str) == Some("bind");
            let dst = str_at(m, &["Destination"]);
            let src = str_at(m, &["Source"]);
            if is_bind && !dst.is_empty() && !src.is_empty() {
                binds.push((dst.to_string(), src.to_string()));
            }
        }
    }
    if let Some(list) = item.pointer("/HostConfig/Binds").and_then(Value::as_array) {
        for spec in list.iter().filter_map(Value::as_str) {
            if let Some((src, dst)) = parse_bind(spec) {
                if !binds.iter().any(|(d, _)| d == dst) {
                    binds.push((dst.to_string(), src.to_string()));
                }
            }
        }
    }
    binds
}

/// `src:dst[:mode]`, with `src` an absolute host path (else it names a volume).
fn parse_bind(spec: &str) -> Option<(&str, &str)> {
    let mut parts = spec.splitn(3, ':');
    let src = parts.next()?;
    let dst = parts.next()?;
    (src.starts_with('/') && dst.starts_with('/')).then_some((src, dst))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSPECT: &str = r#"[
  {
    "Id": "abc",
    "Name": "/oms_330",
    "Image": "sha256:1234",
    "Config": {
      "Image": "reg.example.com/oms:feature_3.3.0",
      "Env": ["OMS_HOST_IP=10.0.0.1", "OMS_META_PASSWORD=S3cr3t-x", "PATH=/usr/bin", "NOVALUE"]
    },
    "HostConfig": {
      "Binds": [
        "/data/oms/logs:/home/admin/logs",
        "/data/oms/store:/home/ds/store:rw",
        "/data/oms/run:/home/ds/run",
        "/data/oms/config.yaml:/home/admin/conf/config.yaml",
        "myvol:/home/admin/extra"
      ]
    },
    "Mounts": [
      {"Type": "bind", "Source": "/data/oms/logs", "Destination": "/home/admin/logs", "RW": true},
      {"Type": "volume", "Name": "myvol", "Source": "/var/lib/docker/volumes/myvol/_data", "Destination": "/home/admin/extra"},
      {"Type": "bind", "Source": "/data/oms/store", "Destination": "/home/ds/store"}
    ]
  }
]"#;

    fn parse(text: &str) -> Result<DockerInspect> {
        parse_docker_inspect(Path::new("docker-inspect.json"), text)
    }

    #[test]
    fn container_facts() {
        let d = parse(INSPECT).expect("parses");
        assert_eq!(d.containers.len(), 1);
        let c = &d.containers[0];
        assert_eq!(c.name, "oms_330");
        assert_eq!(c.image, "reg.example.com/oms:feature_3.3.0");
        assert_eq!(
            c.env_keys,
            vec!["OMS_HOST_IP", "OMS_META_PASSWORD", "PATH", "NOVALUE"]
        );
        assert_eq!(
            c.binds,
            vec![
                ("/home/admin/logs".to_string(), "/data/oms/logs".to_string()),
                ("/home/ds/store".to_string(), "/data/oms/store".to_string()),
                ("/home/ds/run".to_string(), "/data/oms/run".to_string()),
                (
                    "/home/admin/conf/config.yaml".to_string(),
                    "/data/oms/config.yaml".to_string()
                ),
            ]
        );
        let debug = format!("{d:?}");
        assert!(!debug.contains("S3cr3t-x"), "{debug}");
    }

    #[test]
    fn single_object_and_mounts_only() {
        let d = parse(
            r#"{"Name": "oms", "Config": {"Image": "oms:4.2.3"},
                "Mounts": [{"Type": "bind", "Source": "/l", "Destination": "/home/admin/logs"},
                           {"Type": "volume", "Source": "/v", "Destination": "/home/ds/store"}]}"#,
        )
        .expect("parses");
        assert_eq!(
            d.containers[0].binds,
            vec![("/home/admin/logs".into(), "/l".into())]
        );
        assert!(d.containers[0].env_keys.is_empty());
    }

    #[test]
    fn malformed_inputs() {
        let err = parse("[\n  {\"Config\": {\"Env\": [\"OMS_META_PASSWORD=S3cr3t-x\" \"X\"]}}\n]")
            .expect_err("malformed");
        let shown = err.to_string();
        assert!(!shown.contains("S3cr3t-x"), "{shown}");
        assert!(shown.starts_with("docker-inspect.json:2:"), "{shown}");
        assert_eq!(err.exit_code(), 2);
        assert!(parse("42").is_err());
        assert!(parse("[1]").is_err());
        assert!(parse("[]").expect("empty list").containers.is_empty());
    }

    #[test]
    fn never_panics_on_generated_text() {
        for text in crate::sources::redact::tests::odd_texts(500) {
            let _ = parse(&text);
            let _ = parse(&format!(
                "[{{\"Name\": \"/x\", \"HostConfig\": {{\"Binds\": [\"{}\"]}}}}]",
                text.replace(['"', '\\'], "")
            ));
        }
    }

    #[test]
    fn read_errors() {
        let dir = std::env::temp_dir().join(format!("omslint-docker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        assert_eq!(read_docker_inspect(&dir).expect_err("dir").exit_code(), 2);
        assert_eq!(
            read_docker_inspect(&dir.join("missing.json"))
                .expect_err("missing")
                .exit_code(),
            3
        );
        let file = dir.join("inspect.json");
        std::fs::write(&file, INSPECT).expect("write");
        assert_eq!(read_docker_inspect(&file).expect("reads").path, file);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
