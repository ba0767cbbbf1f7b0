//! The upgrade graph of `rules/upgrade-paths.yaml` (or a site's `--upgrade-paths` file):
//! which versions each edition has, which hops a guide or a public fact documents, and
//! for each target the procedure's forks (correction package, heartbeat clean-up,
//! docker_init.sh, IS_UPGRADE, the image tag).
//!
//! The graph is the edge of omslint's knowledge: a version, hop or fork it does not
//! list is unknown, and unknown is said, never extrapolated from a neighbour or taken
//! from the other edition.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::version::Version;

const DEFAULT_PATHS: &str = include_str!("../rules/upgrade-paths.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edition {
    Enterprise,
    Ce,
}

impl Edition {
    pub fn of(v: Version) -> Edition {
        if v.ce {
            Edition::Ce
        } else {
            Edition::Enterprise
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Edition::Enterprise => "Enterprise",
            Edition::Ce => "Community Edition",
        }
    }
}

/// A fork of the procedure: what a guide of the hop's edition and target says, or that
/// none says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork<T> {
    Known(T),
    Unknown,
}

impl<T: Copy> Fork<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Fork::Known(t) => Some(t),
            Fork::Unknown => None,
        }
    }
}

/// The heartbeat clean-up before the backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleanup {
    /// The 4.2 guides: copy the newest row into a new table and swap the tables.
    Swap,
    /// The older guides: DELETE every row but the newest.
    Delete,
}

/// Where docker_init.sh runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerInit {
    /// One node of the deployment when every region lists the same cm_nodes (the V4.2.3
    /// guide); every node otherwise.
    Once,
    /// One node per region when the region's nodes share one config file (the
    /// V4.0.0-CE guide); every node otherwise.
    PerRegion,
}

/// The procedure of one documented hop, as its target's guide gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub edition: Edition,
    /// The published guide the steps come from (or a sentence saying none is known).
    pub guide: String,
    /// Where each fork below comes from.
    pub source: String,
    pub correction_package: Fork<bool>,
    pub heartbeat_cleanup: Fork<Cleanup>,
    pub docker_init: Fork<DockerInit>,
    /// `-e IS_UPGRADE=true` on `docker run`.
    pub is_upgrade: bool,
    pub is_upgrade_source: String,
    /// The new image's tag (`feature_4.2.3`, `feature_4.0.0-ce`).
    pub image_tag: String,
    pub image_tag_source: String,
    /// The guide or fact that documents this hop.
    pub hop_source: String,
}

// ---------------------------------------------------------------------------------------
// The file's schema.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    schema_version: u32,
    editions: Editions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Editions {
    enterprise: EditionFile,
    ce: EditionFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditionFile {
    known: Vec<String>,
    #[serde(default)]
    known_source: String,
    image_tag: ImageTagFile,
    is_upgrade: IsUpgradeFile,
    required_stop: Option<RequiredStopFile>,
    hops: Vec<HopFile>,
    #[serde(default)]
    fresh_only: Vec<String>,
    #[serde(default)]
    fresh_only_source: String,
    targets: Vec<TargetFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageTagFile {
    template: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IsUpgradeFile {
    from: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequiredStopFile {
    below: String,
    stop: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FromFile {
    List(Vec<String>),
    Range(RangeFile),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeFile {
    min: Option<String>,
    below: Option<String>,
    max: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HopFile {
    from: FromFile,
    to: Vec<String>,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CorrectionFile {
    Word(String),
    Sources { from: String, below: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    to: Vec<String>,
    guide: String,
    correction_package: CorrectionFile,
    heartbeat_cleanup: String,
    docker_init: String,
    source: String,
}

// ---------------------------------------------------------------------------------------
// The validated graph.

#[derive(Debug, Clone)]
struct Hop {
    from: Vec<Version>,
    to: Vec<Version>,
    source: String,
}

#[derive(Debug, Clone)]
enum CorrectionRule {
    None,
    Unknown,
    Sources { from: Version, below: Version },
}

#[derive(Debug, Clone)]
struct Target {
    to: Vec<Version>,
    guide: String,
    source: String,
    correction: CorrectionRule,
    cleanup: Fork<Cleanup>,
    docker_init: Fork<DockerInit>,
}

#[derive(Debug, Clone)]
struct EditionGraph {
    edition: Edition,
    known: Vec<Version>,
    known_source: String,
    image_tag: String,
    image_tag_source: String,
    is_upgrade_from: Version,
    is_upgrade_source: String,
    required_stop: Option<(Version, Version)>,
    hops: Vec<Hop>,
    fresh_only: Vec<Version>,
    fresh_only_source: String,
    targets: Vec<Target>,
}

#[derive(Debug, Clone)]
pub struct UpgradeGraph {
    enterprise: EditionGraph,
    ce: EditionGraph,
    /// The `--upgrade-paths` file, when the built-in graph was replaced.
    pub origin: Option<PathBuf>,
}

/// Why an upgrade path is not one omslint can vouch for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    NotNewer,
    EditionChange,
    /// The direct hop is not documented; the path goes through documented stops.
    NeedsStops,
    FreshOnly,
    /// A source older than the required stop, and a target below it.
    BelowRequiredStop {
        stop: Version,
    },
    /// Both versions are known, and no documented hops lead from one to the other.
    NoPath,
    /// The source (or target) is no version of its edition that the graph lists.
    UnknownSource,
    UnknownTarget,
}

#[derive(Debug, Clone)]
pub struct UpgradePath {
    pub from: Version,
    pub to: Version,
    /// From the source to the target with every stop; `[from, to]` when direct or when
    /// no documented path exists.
    pub hops: Vec<Version>,
    pub problem: Option<PathProblem>,
}

impl UpgradePath {
    pub fn display(&self) -> String {
        self.hops
            .iter()
            .map(Version::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// Every hop of this path is documented: the rules and the runbook can follow it.
    pub fn documented(&self) -> bool {
        matches!(self.problem, None | Some(PathProblem::NeedsStops))
    }

    /// The hops, as (from, to) pairs; empty when the path is not documented.
    pub fn documented_hops(&self) -> Vec<(Version, Version)> {
        if !self.documented() {
            return Vec::new();
        }
        self.hops.windows(2).map(|w| (w[0], w[1])).collect()
    }
}

fn list(vs: &[Version]) -> String {
    vs.iter()
        .map(Version::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl EditionGraph {
    fn is_known(&self, v: Version) -> bool {
        self.known.contains(&v)
    }

    fn hop_documented(&self, from: Version, to: Version) -> bool {
        to > from
            && self
                .hops
                .iter()
                .any(|h| h.from.contains(&from) && h.to.contains(&to))
    }

    /// The targets a documented hop leads to, oldest first.
    fn targets_from(&self, from: Version) -> Vec<Version> {
        let mut out: Vec<Version> = self
            .known
            .iter()
            .copied()
            .filter(|t| self.hop_documented(from, *t))
            .collect();
        out.sort();
        out
    }

    fn sources_of(&self, to: Version) -> Vec<Version> {
        let mut out: Vec<Version> = self
            .known
            .iter()
            .copied()
            .filter(|f| self.hop_documented(*f, to))
            .collect();
        out.sort();
        out
    }

    /// The newest version any documented hop leads to.
    fn newest_target(&self) -> Option<Version> {
        self.hops.iter().flat_map(|h| h.to.iter().copied()).max()
    }

    /// Shortest path of documented hops (breadth first; among equals, through the oldest
    /// stops, so the answer never depends on the order of the file).
    fn shortest_path(&self, from: Version, to: Version) -> Option<Vec<Version>> {
        let mut nodes = self.known.clone();
        nodes.sort();
        let index = |v: Version| nodes.iter().position(|n| *n == v);
        let (start, goal) = (index(from)?, index(to)?);
        let mut prev: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut seen = vec![false; nodes.len()];
        seen[start] = true;
        let mut queue = VecDeque::from([start]);
        while let Some(i) = queue.pop_front() {
            if i == goal {
                let mut path = vec![nodes[goal]];
                let mut cur = goal;
                while let Some(p) = prev[cur] {
                    path.push(nodes[p]);
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            for j in 0..nodes.len() {
                if !seen[j]
                    && !self.fresh_only.contains(&nodes[j])
                    && self.hop_documented(nodes[i], nodes[j])
                {
                    seen[j] = true;
                    prev[j] = Some(i);
                    queue.push_back(j);
                }
            }
        }
        None
    }
}

impl UpgradeGraph {
    pub fn builtin() -> Self {
        // The embedded file is part of the binary and covered by a test, so a failure here
        // is a build defect, not a user input problem.
        Self::parse(DEFAULT_PATHS, Path::new("rules/upgrade-paths.yaml"))
            .expect("rules/upgrade-paths.yaml is valid")
    }

    /// A site's own graph (`--upgrade-paths FILE`), validated like the built-in one.
    pub fn load(path: &Path) -> Result<Self> {
        if path.is_dir() {
            return Err(Error::parse_no_pos(
                path,
                "is a directory, expected an upgrade-paths YAML file",
            ));
        }
        let text = crate::textfile::read_utf8(path)?;
        let mut g = Self::parse(&text, path)?;
        g.origin = Some(path.to_path_buf());
        Ok(g)
    }

    fn parse(text: &str, path: &Path) -> Result<Self> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let line = crate::textfile::yaml_error_line(&msg);
            Error::parse(
                path,
                line,
                0,
                format!(
                    "invalid upgrade-paths file: {}",
                    msg.lines().next().unwrap_or("")
                ),
            )
        })?;
        if file.schema_version != 1 {
            return Err(Error::parse(
                path,
                line_of(text, "schema_version"),
                0,
                format!(
                    "schema_version {} is not one omslint reads (expected 1)",
                    file.schema_version
                ),
            ));
        }
        let v = Validator { text, path };
        Ok(UpgradeGraph {
            enterprise: v.edition(Edition::Enterprise, file.editions.enterprise)?,
            ce: v.edition(Edition::Ce, file.editions.ce)?,
            origin: None,
        })
    }

    fn edition(&self, e: Edition) -> &EditionGraph {
        match e {
            Edition::Enterprise => &self.enterprise,
            Edition::Ce => &self.ce,
        }
    }

    pub fn path(&self, from: Version, to: Version) -> UpgradePath {
        let mut path = UpgradePath {
            from,
            to,
            hops: vec![from, to],
            problem: None,
        };
        let g = self.edition(Edition::of(from));
        path.problem = if from.ce != to.ce {
            Some(PathProblem::EditionChange)
        } else if !g.is_known(from) {
            Some(PathProblem::UnknownSource)
        } else if !g.is_known(to) {
            Some(PathProblem::UnknownTarget)
        } else if to <= from {
            Some(PathProblem::NotNewer)
        } else if g.fresh_only.contains(&to) {
            Some(PathProblem::FreshOnly)
        } else if g.hop_documented(from, to) {
            None
        } else if let Some(hops) = g.shortest_path(from, to) {
            path.hops = hops;
            Some(PathProblem::NeedsStops)
        } else {
            match g.required_stop {
                Some((below, stop)) if from < below && to < stop => {
                    Some(PathProblem::BelowRequiredStop { stop })
                }
                _ => Some(PathProblem::NoPath),
            }
        };
        path
    }

    /// What OMS001 says about a path's problem: what is wrong, and what is known.
    pub fn explain(&self, p: &UpgradePath) -> Option<String> {
        let problem = p.problem.as_ref()?;
        let (from, to) = (p.from, p.to);
        let g = self.edition(Edition::of(from));
        let ed = g.edition.name();
        let known_from = |v: Version| {
            let t = g.targets_from(v);
            if t.is_empty() {
                format!("no documented upgrade starts at {v}")
            } else {
                format!("from {v} the documented targets are {}", list(&t))
            }
        };
        Some(match problem {
            PathProblem::EditionChange => format!(
                "the source {from} is {} and the target {to} is {}: no guide gives an upgrade between editions",
                Edition::of(from).name(),
                Edition::of(to).name()
            ),
            PathProblem::UnknownTarget => match g.newest_target() {
                Some(newest) if to > newest => format!(
                    "no upgrade guide covers {to}; the newest known {ed} target is {newest}"
                ),
                _ => format!(
                    "no upgrade guide covers {to}: it is not a {ed} version omslint knows (known: {})",
                    list(&g.known)
                ),
            },
            PathProblem::UnknownSource => format!(
                "{from} is not a {ed} version omslint knows (known: {}): no guide says how to upgrade from it",
                list(&g.known)
            ),
            PathProblem::NotNewer => format!(
                "the target {to} is not newer than the source {from}: OMS does not downgrade (roll back from the backups instead)"
            ),
            PathProblem::FreshOnly => format!(
                "{to} is deployed fresh only ({}): no upgrade from {from} leads to it",
                g.fresh_only_source.trim()
            ),
            PathProblem::BelowRequiredStop { stop } => format!(
                "{stop} is a required stop: {from} must first be upgraded to {stop}, and {to} is older than {stop}, so no guide covers an upgrade to it ({})",
                known_from(from)
            ),
            PathProblem::NoPath => {
                let sources = g.sources_of(to);
                format!(
                    "no documented upgrade leads from {from} to {to}: {}; {}",
                    known_from(from),
                    if sources.is_empty() {
                        format!("no documented upgrade leads to {to}")
                    } else {
                        format!("{to} is reached from {}", list(&sources))
                    }
                )
            }
            PathProblem::NeedsStops => format!(
                "{from} cannot be upgraded to {to} directly; upgrade through the required stops: {}",
                p.display()
            ),
        })
    }

    /// Where the knowledge of an edition comes from, for OMS001's evidence.
    pub fn known_versions(&self, e: Edition) -> (&[Version], &str) {
        let g = self.edition(e);
        (&g.known, g.known_source.trim())
    }

    /// The procedure of a documented hop; `None` when the hop is not documented.
    pub fn procedure(&self, from: Version, to: Version) -> Option<Procedure> {
        if from.ce != to.ce {
            return None;
        }
        let g = self.edition(Edition::of(to));
        let hop = g
            .hops
            .iter()
            .find(|h| to > from && h.from.contains(&from) && h.to.contains(&to))?;
        let t = g.targets.iter().find(|t| t.to.contains(&to))?;
        let correction_package = match &t.correction {
            CorrectionRule::None => Fork::Known(false),
            CorrectionRule::Unknown => Fork::Unknown,
            CorrectionRule::Sources { from: min, below } => {
                Fork::Known(from >= *min && from < *below)
            }
        };
        let spelled = format!("{}.{}.{}", to.major, to.minor, to.patch)
            + &if to.bp > 0 {
                format!("_BP{}", to.bp)
            } else {
                String::new()
            }
            + if to.ce { "-CE" } else { "" };
        let image_tag = g
            .image_tag
            .replace("{version_lower}", &spelled.to_ascii_lowercase())
            .replace("{version}", &spelled);
        Some(Procedure {
            edition: g.edition,
            guide: t.guide.trim().to_string(),
            source: t.source.trim().to_string(),
            correction_package,
            heartbeat_cleanup: t.cleanup,
            docker_init: t.docker_init,
            is_upgrade: to >= g.is_upgrade_from,
            is_upgrade_source: g.is_upgrade_source.clone(),
            image_tag,
            image_tag_source: g.image_tag_source.clone(),
            hop_source: hop.source.trim().to_string(),
        })
    }
}

/// The 1-based line of the first occurrence of `needle` in `text` (0 when absent), so a
/// validation error can point into the user's file.
fn line_of(text: &str, needle: &str) -> u64 {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() as u64 + 1)
        .unwrap_or(0)
}

struct Validator<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Validator<'_> {
    fn fail(&self, near: &str, message: String) -> Error {
        Error::parse(self.path, line_of(self.text, near), 0, message)
    }

    fn version(&self, e: Edition, s: &str, what: &str) -> Result<Version> {
        let mut v: Version = s
            .parse()
            .map_err(|err| self.fail(s, format!("{what}: {err}")))?;
        match e {
            // The CE section may write versions with or without -CE.
            Edition::Ce => v.ce = true,
            Edition::Enterprise if v.ce => {
                return Err(self.fail(
                    s,
                    format!("{what}: {s} is a Community Edition version in the enterprise section"),
                ))
            }
            Edition::Enterprise => {}
        }
        Ok(v)
    }

    fn known(&self, e: Edition, known: &[Version], s: &str, what: &str) -> Result<Version> {
        let v = self.version(e, s, what)?;
        if !known.contains(&v) {
            return Err(self.fail(
                s,
                format!("{what}: {v} is not listed under `known` of this edition"),
            ));
        }
        Ok(v)
    }

    fn edition(&self, e: Edition, f: EditionFile) -> Result<EditionGraph> {
        let mut known = Vec::new();
        for s in &f.known {
            let v = self.version(e, s, "known")?;
            if known.contains(&v) {
                return Err(self.fail(s, format!("known: {v} is listed twice")));
            }
            known.push(v);
        }
        known.sort();
        let required_stop = match &f.required_stop {
            Some(r) => Some((
                self.version(e, &r.below, "required_stop.below")?,
                self.known(e, &known, &r.stop, "required_stop.stop")?,
            )),
            None => None,
        };
        let mut hops = Vec::new();
        for h in &f.hops {
            let from = match &h.from {
                FromFile::List(l) => l
                    .iter()
                    .map(|s| self.known(e, &known, s, "hops.from"))
                    .collect::<Result<Vec<_>>>()?,
                FromFile::Range(r) => {
                    let bound = |s: &Option<String>, what| {
                        s.as_deref().map(|s| self.version(e, s, what)).transpose()
                    };
                    let (min, below, max) = (
                        bound(&r.min, "hops.from.min")?,
                        bound(&r.below, "hops.from.below")?,
                        bound(&r.max, "hops.from.max")?,
                    );
                    if min.is_none() && below.is_none() && max.is_none() {
                        return Err(self.fail(
                            &h.source,
                            "hops.from: a range needs min, below or max".into(),
                        ));
                    }
                    known
                        .iter()
                        .copied()
                        .filter(|v| {
                            min.is_none_or(|m| *v >= m)
                                && below.is_none_or(|b| *v < b)
                                && max.is_none_or(|m| *v <= m)
                        })
                        .collect()
                }
            };
            let to =
                h.to.iter()
                    .map(|s| self.known(e, &known, s, "hops.to"))
                    .collect::<Result<Vec<_>>>()?;
            if h.source.trim().is_empty() {
                return Err(self.fail(
                    "hops",
                    "hops: every hop names its source (the guide or fact that documents it)".into(),
                ));
            }
            hops.push(Hop {
                from,
                to,
                source: h.source.clone(),
            });
        }
        let fresh_only = f
            .fresh_only
            .iter()
            .map(|s| self.known(e, &known, s, "fresh_only"))
            .collect::<Result<Vec<_>>>()?;
        let mut targets: Vec<Target> = Vec::new();
        for t in &f.targets {
            let to =
                t.to.iter()
                    .map(|s| self.known(e, &known, s, "targets.to"))
                    .collect::<Result<Vec<_>>>()?;
            if let Some(dup) = to.iter().find(|v| targets.iter().any(|o| o.to.contains(v))) {
                return Err(self.fail(
                    &t.guide,
                    format!("targets: {dup} has two procedures; give each target one"),
                ));
            }
            let correction = match &t.correction_package {
                CorrectionFile::Word(w) if w == "none" => CorrectionRule::None,
                CorrectionFile::Word(w) if w == "unknown" => CorrectionRule::Unknown,
                CorrectionFile::Word(w) => {
                    return Err(self.fail(
                        w,
                        format!(
                        "targets.correction_package: {w:?} is not none, unknown or {{from, below}}"
                    ),
                    ))
                }
                CorrectionFile::Sources { from, below } => CorrectionRule::Sources {
                    from: self.version(e, from, "targets.correction_package.from")?,
                    below: self.version(e, below, "targets.correction_package.below")?,
                },
            };
            let cleanup = match t.heartbeat_cleanup.as_str() {
                "swap" => Fork::Known(Cleanup::Swap),
                "delete" => Fork::Known(Cleanup::Delete),
                "unknown" => Fork::Unknown,
                w => {
                    return Err(self.fail(
                        &t.heartbeat_cleanup,
                        format!("targets.heartbeat_cleanup: {w:?} is not swap, delete or unknown"),
                    ))
                }
            };
            let docker_init = match t.docker_init.as_str() {
                "once" => Fork::Known(DockerInit::Once),
                "per-region" => Fork::Known(DockerInit::PerRegion),
                "unknown" => Fork::Unknown,
                w => {
                    return Err(self.fail(
                        &t.docker_init,
                        format!("targets.docker_init: {w:?} is not once, per-region or unknown"),
                    ))
                }
            };
            if t.source.trim().is_empty() || t.guide.trim().is_empty() {
                return Err(self.fail(
                    "targets",
                    "targets: every target names its guide and source".into(),
                ));
            }
            targets.push(Target {
                to,
                guide: t.guide.clone(),
                source: t.source.clone(),
                correction,
                cleanup,
                docker_init,
            });
        }
        // Every hop's target needs a procedure: a documented hop whose steps nobody wrote
        // down would give a runbook made of guesses.
        for h in &hops {
            if let Some(missing) =
                h.to.iter()
                    .find(|v| !targets.iter().any(|t| t.to.contains(v)))
            {
                return Err(self.fail(
                    &h.source,
                    format!(
                        "hops.to: {missing} has no entry under `targets` (its guide and procedure)"
                    ),
                ));
            }
        }
        let template = f.image_tag.template.clone();
        let plain = template
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-{}".contains(c));
        if !plain || !template.contains("{version}") && !template.contains("{version_lower}") {
            return Err(self.fail(
                &template,
                "image_tag.template: letters, digits, _ . - and {version} or {version_lower}"
                    .into(),
            ));
        }
        Ok(EditionGraph {
            edition: e,
            known,
            known_source: f.known_source.clone(),
            image_tag: template,
            image_tag_source: f.image_tag.source.trim().to_string(),
            is_upgrade_source: f.is_upgrade.source.trim().to_string(),
            is_upgrade_from: self.version(e, &f.is_upgrade.from, "is_upgrade.from")?,
            required_stop,
            hops,
            fresh_only,
            fresh_only_source: f.fresh_only_source.clone(),
            targets,
        })
    }
}

#[cfg(test)]
mod tests;
