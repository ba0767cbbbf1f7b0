//! SNAPSHOT_DIR discovery (SPEC §1): the layout is shorthand for the source flags.

use std::path::{Path, PathBuf};

use super::SourceList;
use crate::error::{Error, Result};

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::unreadable(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| Error::unreadable(dir, e)))
        .collect::<Result<_>>()?;
    v.sort();
    Ok(v)
}

fn is_yaml(p: &Path) -> bool {
    p.is_file()
        && p.extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"))
}

/// `dir.join(name)`, without the `./` prefix a relative `.` would put in every message.
fn under(dir: &Path, name: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// Adds what a snapshot directory holds to `list`.
pub fn discover(dir: &Path, list: &mut SourceList) -> Result<()> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::unreadable(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a directory: SNAPSHOT_DIR must be a directory (use --config or --dump for single files)",
            dir.display()
        )));
    }
    let root_config = under(dir, "config.yaml");
    if root_config.exists() {
        list.configs.push((root_config, None));
    }
    let regions = under(dir, "regions");
    if regions.is_dir() {
        for r in sorted_entries(&regions)?.into_iter().filter(|p| p.is_dir()) {
            let name = r.file_name().map(|n| n.to_string_lossy().into_owned());
            // regions/<name>/config.yaml, other YAML files beside it (one per node), and
            // regions/<name>/<node>/config.yaml.
            for p in sorted_entries(&r)? {
                if is_yaml(&p) {
                    list.configs.push((p, name.clone()));
                } else if p.is_dir() && p.join("config.yaml").is_file() {
                    list.configs.push((p.join("config.yaml"), name.clone()));
                }
            }
        }
    }
    let metadb = under(dir, "metadb");
    if metadb.is_dir() {
        for p in sorted_entries(&metadb)? {
            if p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("sql")) {
                list.dumps.push(p);
            }
        }
    }
    let components = under(dir, "components");
    if components.is_dir() {
        list.components.push(components);
    }
    let docker = under(dir, "docker-inspect.json");
    if docker.exists() && list.docker_inspect.is_none() {
        list.docker_inspect = Some(docker);
    }
    let settings = under(dir, "omslint.yaml");
    if settings.exists() && list.settings.is_none() {
        list.settings = Some(settings);
    }
    Ok(())
}
