//! The entry points the fuzz targets (`fuzz/fuzz_targets/*.rs`, cargo-fuzz on nightly)
//! and the stable replay test (`tests/fuzz_replay.rs`) share: each feeds arbitrary bytes
//! to one reader the way a user's file would reach it, and says whether the reader kept
//! its contract. A reader may refuse the input (an `Err`, which becomes exit 2 or 3);
//! it may never panic, hang, or accept bytes that are not what the format says while
//! claiming to have read them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The readers under test.
pub const TARGETS: [&str; 6] = [
    "dump",
    "config_yaml",
    "component_json",
    "component_ini",
    "docker_inspect",
    "settings",
];

/// A scratch directory per process, so concurrent fuzz jobs do not share files.
fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("omslint-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

fn write(path: &Path, data: &[u8]) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut f = std::fs::File::create(path).expect("scratch file");
    f.write_all(data).expect("scratch write");
}

/// An error is a verdict, but it must name the input it refuses.
fn check_error(e: &Error, input: &Path) {
    let text = e.to_string();
    let named = text.contains(&input.display().to_string())
        || input
            .parent()
            .is_some_and(|p| text.contains(&p.display().to_string()));
    assert!(
        named,
        "an error that does not name its input: {text} (input {})",
        input.display()
    );
    assert!(
        matches!(e.exit_code(), 2 | 3),
        "exit code {}",
        e.exit_code()
    );
}

/// Runs `data` through the reader `target`; panics when the reader breaks its contract.
pub fn run(target: &str, data: &[u8]) {
    let dir = scratch();
    match target {
        "dump" => {
            struct Everything;
            impl crate::sources::dump::Visitor for Everything {
                fn table(
                    &mut self,
                    _t: &crate::sources::dump::TableDef,
                ) -> crate::sources::dump::Interest {
                    crate::sources::dump::Interest::Rows
                }
                fn row(
                    &mut self,
                    t: &crate::sources::dump::TableDef,
                    values: &[crate::sources::dump::Value<'_>],
                    _offset: u64,
                ) -> crate::error::Result<()> {
                    // Rows come in the table's column order: never more values than columns.
                    assert!(t.columns.is_empty() || values.len() == t.columns.len());
                    Ok(())
                }
            }
            let p = dir.join("metadb").join("fuzz.sql");
            write(&p, data);
            match crate::sources::dump::scan(&p, &mut Everything) {
                Ok(s) => assert!(s.bytes as usize <= data.len()),
                Err(e) => check_error(&e, &p),
            }
        }
        "config_yaml" => {
            let p = dir.join("config.yaml");
            write(&p, data);
            match crate::sources::config_yaml::read_config(&p, None) {
                // YAML is UTF-8: accepted text was UTF-8 (a BOM aside).
                Ok(_) => assert!(std::str::from_utf8(data).is_ok()),
                Err(e) => check_error(&e, &p),
            }
        }
        "component_json" | "component_ini" => {
            let root = dir.join("run");
            let _ = std::fs::remove_dir_all(&root);
            let name = if target == "component_json" {
                "source.json"
            } else {
                "source.conf"
            };
            let p = root
                .join("10.0.0.1-9000:connector_v2:p_4fuzz-incr_trans-1-0:0000000001")
                .join("conf")
                .join(name);
            write(&p, data);
            if let Err(e) = crate::sources::components::read_components(&root) {
                check_error(&e, &root);
            }
        }
        "docker_inspect" => {
            let p = dir.join("docker-inspect.json");
            write(&p, data);
            match crate::sources::docker_inspect::read_docker_inspect(&p) {
                Ok(d) => {
                    for c in &d.containers {
                        assert!(c.line >= 1);
                    }
                }
                Err(e) => check_error(&e, &p),
            }
        }
        "settings" => {
            let p = dir.join("omslint.yaml");
            write(&p, data);
            if let Err(e) = crate::settings::load(&p) {
                check_error(&e, &p);
            }
        }
        other => panic!("no fuzz target {other}"),
    }
}
