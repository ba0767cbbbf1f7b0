//! SNAPSHOT_DIR discovery (SPEC §1): the layout is shorthand for the source flags.
//!
//! Nothing the layout names is skipped in silence: an entry that is there but is not what
//! it must be (a directory where a file belongs, a file where a directory belongs, a pipe)
//! is a parse error (exit 2) naming it; one that cannot be followed (a dangling symbolic
//! link, a loop) is unreadable (exit 3), kept in `SourceList::unreadable` until every
//! other source has been read. Names the layout does not know (a README, `.DS_Store`)
//! are left alone.

use std::path::{Path, PathBuf};

use super::{look, unreadable, Kind, SourceList};
use crate::error::{Error, Result};

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, &e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| unreadable(dir, &e)))
        .collect::<Result<_>>()?;
    v.sort();
    Ok(v)
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_hidden(p: &Path) -> bool {
    name_of(p).starts_with('.')
}

fn has_extension(p: &Path, exts: &[&str]) -> bool {
    p.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| exts.iter().any(|e| x.eq_ignore_ascii_case(e)))
}

fn is_yaml(p: &Path) -> bool {
    has_extension(p, &["yaml", "yml"])
}

/// Compressed dumps are not read: saying so beats a database that seems to have no dump.
const COMPRESSED: &[&str] = &["gz", "bz2", "xz", "zst", "lz4", "zip", "7z"];

/// `dir.join(name)`, without the `./` prefix a relative `.` would put in every message.
fn under(dir: &Path, name: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// What a snapshot found at one entry.
enum Found {
    Absent,
    Is(Kind),
    /// There, but cannot be followed: recorded, and read past.
    Unreadable,
}

struct Discovery<'l> {
    list: &'l mut SourceList,
}

impl Discovery<'_> {
    fn look(&mut self, path: &Path) -> Result<Found> {
        match look(path) {
            Ok(None) => Ok(Found::Absent),
            Ok(Some(kind)) => Ok(Found::Is(kind)),
            Err(Error::Unreadable { path, message }) => {
                self.list.unreadable.push((path, message));
                Ok(Found::Unreadable)
            }
            Err(e) => Err(e),
        }
    }

    /// The entries of a directory the layout names, sorted; one that cannot be listed
    /// (no permission) is recorded like any unreadable entry.
    fn entries(&mut self, dir: &Path) -> Result<Vec<PathBuf>> {
        match sorted_entries(dir) {
            Err(Error::Unreadable { path, message }) => {
                self.list.unreadable.push((path, message));
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// An entry that must be a file: `Some(path)` when it is one.
    fn file(&mut self, path: &Path, what: &str) -> Result<Option<PathBuf>> {
        match self.look(path)? {
            Found::Is(Kind::File) => Ok(Some(path.to_path_buf())),
            Found::Absent | Found::Unreadable => Ok(None),
            Found::Is(kind) => Err(wrong_kind(path, kind, what)),
        }
    }

    /// An entry that must be a directory: whether it is one.
    fn dir(&mut self, path: &Path, what: &str) -> Result<bool> {
        match self.look(path)? {
            Found::Is(Kind::Dir) => Ok(true),
            Found::Absent | Found::Unreadable => Ok(false),
            Found::Is(kind) => Err(wrong_kind(path, kind, what)),
        }
    }

    fn regions(&mut self, regions: &Path) -> Result<()> {
        for r in self.entries(regions)? {
            if is_hidden(&r) {
                continue;
            }
            match self.look(&r)? {
                Found::Is(Kind::Dir) => self.region(&r)?,
                Found::Is(Kind::File) if is_yaml(&r) => {
                    return Err(Error::parse_no_pos(
                        &r,
                        "a region's config does not go directly in regions/: move it to regions/<region>/config.yaml",
                    ))
                }
                // A README beside the regions, or an entry already recorded as unreadable.
                _ => {}
            }
        }
        Ok(())
    }

    /// regions/<name>/config.yaml, other YAML files beside it (one per node), and
    /// regions/<name>/<node>/config.yaml.
    fn region(&mut self, r: &Path) -> Result<()> {
        let name = name_of(r);
        let before = (self.list.configs.len(), self.list.unreadable.len());
        for p in self.entries(r)? {
            if is_hidden(&p) {
                continue;
            }
            if is_yaml(&p) {
                if let Some(file) = self.file(&p, "a config file")? {
                    self.list.configs.push((file, Some(name.clone())));
                }
                continue;
            }
            if let Found::Is(Kind::Dir) = self.look(&p)? {
                let node = p.join("config.yaml");
                if let Some(file) = self.file(&node, "a config file")? {
                    self.list.configs.push((file, Some(name.clone())));
                }
            }
        }
        if (self.list.configs.len(), self.list.unreadable.len()) == before {
            return Err(Error::parse_no_pos(
                r,
                "a region directory without a config: expected regions/<region>/config.yaml (or one YAML file per node)",
            ));
        }
        Ok(())
    }

    fn metadb(&mut self, metadb: &Path) -> Result<()> {
        for p in self.entries(metadb)? {
            if is_hidden(&p) {
                continue;
            }
            if has_extension(&p, &["sql"]) {
                if let Some(file) = self.file(&p, "a dump file")? {
                    self.list.dumps.push(file);
                }
            } else if has_extension(&p, COMPRESSED) {
                return Err(Error::parse_no_pos(
                    &p,
                    "a compressed file: omslint reads plain dumps; decompress it into metadb/ as a .sql file (or move it out of metadb/)",
                ));
            }
        }
        Ok(())
    }
}

fn wrong_kind(path: &Path, kind: Kind, what: &str) -> Error {
    Error::parse_no_pos(path, format!("is {}, expected {what}", kind.describe()))
}

/// Adds what a snapshot directory holds to `list`.
pub fn discover(dir: &Path, list: &mut SourceList) -> Result<()> {
    match look(dir)? {
        Some(Kind::Dir) => {}
        None => {
            return Err(Error::unreadable(
                dir,
                "No such file or directory (SNAPSHOT_DIR must exist)",
            ))
        }
        Some(_) => {
            return Err(Error::Usage(format!(
                "{} is not a directory: SNAPSHOT_DIR must be a directory (use --config or --dump for single files)",
                dir.display()
            )))
        }
    }
    let mut found = Discovery { list };
    if let Some(c) = found.file(&under(dir, "config.yaml"), "the config.yaml file")? {
        found.list.configs.push((c, None));
    }
    let regions = under(dir, "regions");
    if found.dir(&regions, "a directory with one sub-directory per region")? {
        found.regions(&regions)?;
    }
    let metadb = under(dir, "metadb");
    if found.dir(&metadb, "a directory of dump files (metadb/*.sql)")? {
        found.metadb(&metadb)?;
    }
    let components = under(dir, "components");
    if found.dir(
        &components,
        "the directory mounted at /home/ds/run (one sub-directory per component)",
    )? {
        found.list.components.push(components);
    }
    let docker = under(dir, "docker-inspect.json");
    if let Some(p) = found.file(&docker, "the `docker inspect` output file")? {
        if found.list.docker_inspect.is_none() {
            found.list.docker_inspect = Some(p);
        }
    }
    // Settings decide the run (`to:`, waivers): unreadable ones stop it here, before a
    // missing `--to` could be blamed on the command line.
    let settings = under(dir, "omslint.yaml");
    match look(&settings)? {
        Some(Kind::File) if found.list.settings.is_none() => {
            found.list.settings = Some(settings);
        }
        None | Some(Kind::File) => {}
        Some(kind) => return Err(wrong_kind(&settings, kind, "a settings file")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tmp(PathBuf);

    impl Tmp {
        fn new(tag: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("omslint-snapshot-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("tmp dir");
            Tmp(dir)
        }

        fn file(&self, rel: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "a: 1\n").expect("write");
            p
        }

        fn dir(&self, rel: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(&p).expect("mkdir");
            p
        }

        #[cfg(unix)]
        fn link(&self, rel: &str, target: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::os::unix::fs::symlink(target, &p).expect("symlink");
            p
        }
    }

    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn discover_in(t: &Tmp) -> Result<SourceList> {
        let mut list = SourceList::default();
        discover(&t.0, &mut list)?;
        Ok(list)
    }

    fn parse_error(t: &Tmp) -> String {
        match discover_in(t) {
            Err(e @ Error::Parse { .. }) => e.to_string(),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn the_layout_is_found() {
        let t = Tmp::new("layout");
        let root = t.file("config.yaml");
        let hz = t.file("regions/hz/config.yaml");
        let node = t.file("regions/sh/10.0.1.2/config.yaml");
        t.file("regions/README");
        t.file("regions/sh/notes.txt");
        let dump = t.file("metadb/rm.sql");
        t.file("metadb/README.md");
        t.dir("components");
        t.file("docker-inspect.json");
        t.file("omslint.yaml");
        let list = discover_in(&t).expect("discovers");
        assert_eq!(
            list.configs,
            vec![
                (root, None),
                (hz, Some("hz".to_string())),
                (node, Some("sh".to_string()))
            ]
        );
        assert_eq!(list.dumps, vec![dump]);
        assert_eq!(list.components.len(), 1);
        assert!(list.docker_inspect.is_some() && list.settings.is_some());
        assert!(list.unreadable.is_empty());
    }

    #[test]
    fn a_file_where_a_directory_belongs_is_named() {
        for entry in ["components", "metadb", "regions"] {
            let t = Tmp::new(&format!("file-{entry}"));
            t.file(entry);
            let shown = parse_error(&t);
            assert!(
                shown.contains(entry) && shown.contains("is a file, expected"),
                "{shown}"
            );
        }
    }

    #[test]
    fn a_directory_where_a_file_belongs_is_named() {
        for entry in [
            "config.yaml",
            "docker-inspect.json",
            "omslint.yaml",
            "metadb/rm.sql",
            "regions/hz/config.yaml",
            "regions/hz/n1/config.yaml",
        ] {
            let t = Tmp::new("dir-for-file");
            t.dir(entry);
            let shown = parse_error(&t);
            assert!(
                shown.contains(entry) && shown.contains("is a directory, expected"),
                "{entry}: {shown}"
            );
        }
    }

    #[test]
    fn layout_mistakes_are_named() {
        let t = Tmp::new("mistakes");
        t.file("regions/hz.yaml");
        assert!(parse_error(&t).contains("regions/<region>/config.yaml"));
        let t = Tmp::new("mistakes");
        t.file("regions/hz/config.txt");
        assert!(parse_error(&t).contains("without a config"));
        let t = Tmp::new("mistakes");
        t.file("metadb/rm_340.sql.gz");
        assert!(parse_error(&t).contains("compressed"));
    }

    #[cfg(unix)]
    #[test]
    fn links_that_lead_nowhere_are_unreadable() {
        for (entry, target) in [
            ("config.yaml", "config.yaml"),
            ("config.yaml", "gone.yaml"),
            ("regions/hz/config.yaml", "config.yaml"),
            ("regions/hz/n1", "n1"),
            ("metadb/rm.sql", "rm.sql"),
            ("metadb", "nowhere"),
            ("components", "components"),
            ("docker-inspect.json", "nowhere.json"),
        ] {
            let t = Tmp::new("links");
            if entry.starts_with("regions/hz/n") {
                t.file("regions/hz/config.yaml");
            }
            t.link(entry, target);
            let list = discover_in(&t).unwrap_or_else(|e| panic!("{entry}: {e}"));
            assert_eq!(list.unreadable.len(), 1, "{entry}");
            let (path, why) = &list.unreadable[0];
            assert!(path.ends_with(entry), "{entry}: {}", path.display());
            let want = if entry.ends_with(target) {
                "loop"
            } else {
                "dangling"
            };
            assert!(why.contains(want), "{entry}: {why}");
            assert!(!list.is_empty());
        }
        // Settings decide the run: an unreadable one stops discovery at once.
        let t = Tmp::new("links");
        t.link("omslint.yaml", "omslint.yaml");
        match discover_in(&t) {
            Err(e @ Error::Unreadable { .. }) => assert!(e.to_string().contains("loop"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_entry_that_resolves_is_used() {
        let t = Tmp::new("good-link");
        t.file("real/config.yaml");
        t.link("config.yaml", "real/config.yaml");
        let list = discover_in(&t).expect("discovers");
        assert_eq!(list.configs.len(), 1);
        assert!(list.unreadable.is_empty());
    }
}
