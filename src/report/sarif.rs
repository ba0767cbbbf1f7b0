//! `--format sarif`: SARIF 2.1.0, one run, every rule of the catalog declared, in the
//! shape GitHub code scanning accepts.
//!
//! What goes where:
//! - `tool.driver.rules`: the whole catalog, in code order (`ruleIndex` points into it).
//!   Each rule's help is its `explain` text (`help.text`) and the same as escaped
//!   Markdown (`help.markdown`), ending with the published guides it rests on (guide,
//!   section, the words). No `helpUri`: no stable public URL is known for every guide,
//!   and a link to this tool's own rule files would be one users cannot open.
//! - one result per finding, in report order, each with a **physical location** (GitHub
//!   rejects results without one) and a logical one naming its subject. The file is the
//!   finding's own location when it has one (a config key, a component's setting, the
//!   `docker inspect` output), else the input that holds the fact (`anchor`): the
//!   backup file, the dump of the database (the rm database for projects and `ha.config`,
//!   the cm database for `config_job` components), the config.yaml line of a key the
//!   evidence names (`cm_nodes`), else the first config.yaml, else the first input file;
//!   line 1 when no better line is known.
//! - URIs are relative to the working directory, with `uriBaseId` `%SRCROOT%` defined in
//!   `originalUriBaseIds` as that directory (`file:///…/`), so that GitHub resolves them
//!   against the checkout; a file outside the working directory gets an absolute
//!   `file://` URI. Forward slashes, every byte outside the unreserved set
//!   percent-encoded.
//! - `partialFingerprints["omslint/v2"]`: what was found, not where the input was read
//!   from (see `fingerprints`): `fixtures/x`, `./fixtures/x` and `/abs/fixtures/x` give
//!   the same value.
//! - `automationDetails.id`: `omslint/<from>-<to>/` (the upgrade being prechecked is the
//!   analysis; `omslint-verify/<from>-<to>/` for `verify`, another analysis; GitHub keeps one set of alerts per category, the id up to its last `/`),
//!   or [`Options::category`]. `github/codeql-action/upload-sarif` fills the id from its
//!   `category` input only when the file has none, so that input is ignored here: two
//!   deployments linted for the same upgrade in one repository need their own category
//!   from omslint, else the second upload replaces the first one's alerts.
//! - at most [`MAX_RESULTS`] results (GitHub's limit per run): beyond it the errors are
//!   kept first, then warnings, then notices, waived findings last, and a
//!   `toolExecutionNotification` says how many were left out (the JSON report has all).
//! - a config patch (`Apply::LineEdit`) becomes a SARIF `fix` replacing that one line. A
//!   SARIF `fix` must change an artifact (`artifactChanges` is required, at least one), so
//!   SQL fixes, which change the MetaDB and no file, are carried in the result's
//!   `properties.fix` (with the SQL, its rollback and its applicability) instead.
//! - waived findings carry an `external` suppression with the waiver's reason.
//! - `invocations[0].executionSuccessful` is false when a check could not run, each such
//!   check a `toolExecutionNotification`.
//!
//! The output depends only on the report, the working directory and the inputs' heads
//! (no clock beyond `generated_at`, which `SOURCE_DATE_EPOCH` pins), and findings never
//! carry secrets.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::ops::Deref;
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::Report;
use crate::catalog::{self, RuleMeta};
use crate::escape::markdown as md;
use crate::finding::{Apply, Finding, Fix, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the fingerprint in `partialFingerprints`; bump the version if what it
/// hashes changes, so that code-scanning services do not match old and new values.
pub const FINGERPRINT_KEY: &str = "omslint/v2";
/// The base id of the URIs relative to the working directory.
pub const SRCROOT: &str = "%SRCROOT%";
/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// What the SARIF log needs beyond the report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The directory URIs are made relative to (`%SRCROOT%`); the process's working
    /// directory when `None`.
    pub cwd: Option<PathBuf>,
    /// `runs[0].automationDetails.id`; `omslint/<from>-<to>/` when `None`.
    pub category: Option<String>,
    /// Where the facts were read from; when `None`, found again from the report's
    /// `inputs` (config.yaml keys re-read, each dump's database peeked from its head).
    pub sources: Option<Sources>,
    /// Results per run; [`MAX_RESULTS`] when `None`.
    pub max_results: Option<usize>,
}

/// Where the deployment's facts were read from, to point a finding without a location
/// at the file that holds its fact.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub databases: Vec<DatabaseFile>,
    pub configs: Vec<ConfigKeys>,
}

/// A MetaDB database and the dump it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseFile {
    pub name: String,
    /// rm | cm | cm_hb | unknown
    pub role: &'static str,
    /// The dump file; `None` for the live MetaDB.
    pub path: Option<String>,
}

/// One config.yaml: the line of each key, and the values that name databases and the
/// region (never a secret).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigKeys {
    pub path: String,
    pub region: Option<String>,
    pub key_lines: BTreeMap<String, u64>,
    pub names: BTreeMap<String, String>,
}

/// The config keys whose values [`ConfigKeys::names`] keeps.
const NAME_KEYS: [&str; 4] = ["drc_rm_db", "drc_cm_db", "drc_cm_heartbeat_db", "cm_region"];

/// The config key that names the database of a role.
fn role_key(role: &str) -> Option<&'static str> {
    match role {
        "rm" => Some("drc_rm_db"),
        "cm" => Some("drc_cm_db"),
        "cm_hb" => Some("drc_cm_heartbeat_db"),
        _ => None,
    }
}

impl ConfigKeys {
    fn of(c: &crate::facts::ConfigFile, region: Option<String>) -> ConfigKeys {
        ConfigKeys {
            path: c.path.display().to_string(),
            region: region.or_else(|| c.text("cm_region")),
            key_lines: c
                .entries
                .iter()
                .map(|(k, e)| (k.clone(), e.key_line))
                .collect(),
            names: NAME_KEYS
                .iter()
                .filter_map(|k| c.text(k).map(|v| (k.to_string(), v)))
                .collect(),
        }
    }
}

impl Sources {
    /// From the deployment the report was made of.
    pub fn from_deployment(d: &crate::facts::Deployment) -> Sources {
        let region_of = |i: usize| {
            d.regions
                .iter()
                .find(|r| r.configs.contains(&i))
                .map(|r| r.id.clone())
        };
        Sources {
            databases: d
                .metadb
                .databases
                .iter()
                .map(|db| DatabaseFile {
                    name: db.name.clone(),
                    role: db.role.as_str(),
                    path: db.path.as_ref().map(|p| p.display().to_string()),
                })
                .collect(),
            configs: d
                .configs
                .iter()
                .enumerate()
                .map(|(i, c)| ConfigKeys::of(c, region_of(i)))
                .collect(),
        }
    }

    /// From the report's inputs alone: each config.yaml read again, each dump's database
    /// peeked from its head, roles from the configs' `drc_*` keys. Inputs that cannot be
    /// read are left out (the finding then points at a coarser place).
    pub fn discover(report: &Report) -> Sources {
        let configs: Vec<crate::facts::ConfigFile> = report
            .inputs
            .iter()
            .filter(|i| i.kind == "config")
            .filter_map(|i| crate::sources::config_yaml::read_config(Path::new(&i.path), None).ok())
            .collect();
        let roles = crate::sources::roles_from_configs(&configs);
        let databases = report
            .inputs
            .iter()
            .filter(|i| i.kind == "dump")
            .filter_map(|i| {
                let name = crate::sources::dump::peek_database(Path::new(&i.path))
                    .ok()
                    .flatten()?;
                let role = roles.get(&name).map_or("unknown", |r| r.as_str());
                Some(DatabaseFile {
                    name,
                    role,
                    path: Some(i.path.clone()),
                })
            })
            .collect();
        Sources {
            databases,
            configs: configs.iter().map(|c| ConfigKeys::of(c, None)).collect(),
        }
    }

    fn database(&self, name: &str) -> Option<Anchor> {
        if let Some(p) = self
            .databases
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.path.as_ref())
        {
            return Some(Anchor::file(p));
        }
        // The live MetaDB: the config key that names the database.
        self.configs.iter().find_map(|c| {
            let (key, _) = c
                .names
                .iter()
                .find(|(k, v)| *v == name && k.starts_with("drc_"))?;
            Some(Anchor::line(&c.path, *c.key_lines.get(key)?))
        })
    }

    fn role(&self, role: &str) -> Option<Anchor> {
        if let Some(p) = self
            .databases
            .iter()
            .find(|d| d.role == role && d.path.is_some())
            .and_then(|d| d.path.as_ref())
        {
            return Some(Anchor::file(p));
        }
        let key = role_key(role)?;
        self.config_key(key, None)
    }

    /// The line of `key` in the config of `region` (any config when `None` or when that
    /// region's has no such key).
    fn config_key(&self, key: &str, region: Option<&str>) -> Option<Anchor> {
        let at = |c: &ConfigKeys| c.key_lines.get(key).map(|&l| Anchor::line(&c.path, l));
        region
            .and_then(|r| {
                self.configs
                    .iter()
                    .filter(|c| c.region.as_deref() == Some(r))
                    .find_map(at)
            })
            .or_else(|| self.configs.iter().find_map(at))
    }
}

/// Where a result points: a file, a line (1 when unknown) and maybe a column.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Anchor {
    path: String,
    line: u64,
    column: u64,
}

impl Anchor {
    fn file(path: &str) -> Anchor {
        Anchor::line(path, 1)
    }

    fn line(path: &str, line: u64) -> Anchor {
        Anchor {
            path: path.to_string(),
            line: line.max(1),
            column: 0,
        }
    }
}

/// The file (and line) a finding is about, in this order: its own location; the line its
/// config patch replaces; the backup file it names; the dump of its database (subject
/// `database`), of the rm database (projects, and `ha.config` for OMS008/OMS009) or of
/// the cm database (`config_job` components); `docker inspect` (OMS016); a region's or
/// any config.yaml line of a key its evidence names (`cm_nodes.<region>`, `keys`); the
/// first config.yaml; the first input that is a file.
fn anchor(f: &Finding, report: &Report, src: &Sources) -> Option<Anchor> {
    if let Some(l) = &f.location {
        return Some(Anchor {
            path: l.path.clone(),
            line: l.line.max(1),
            column: l.column,
        });
    }
    if let Some(Apply::LineEdit(e)) = f.fix.as_ref().and_then(|x| x.apply.as_ref()) {
        return Some(Anchor::line(&e.path.display().to_string(), e.line));
    }
    if let Some(file) = f.evidence.get("file").as_ref().and_then(Value::as_str) {
        return Some(Anchor::file(file));
    }
    let input = |kind: &str| {
        report
            .inputs
            .iter()
            .find(|i| i.kind == kind)
            .map(|i| Anchor::file(&i.path))
    };
    let by_subject = match f.subject.kind {
        "database" => src.database(&f.subject.id),
        "project" | "sync-project" => src.role("rm"),
        "component" => src.role("cm"),
        _ => None,
    };
    let by_rule = || match f.code {
        "OMS008" | "OMS009" => src.role("rm"),
        "OMS016" => input("docker-inspect"),
        _ => None,
    };
    let region = (f.subject.kind == "region").then_some(f.subject.id.as_str());
    let by_key = || {
        let mut keys: Vec<String> = f
            .evidence
            .iter()
            .map(|(k, _)| k.split('.').next().unwrap_or(&k).to_string())
            .collect();
        if let Some(Value::Array(named)) = f.evidence.get("keys") {
            keys.splice(
                0..0,
                named.iter().filter_map(|k| k.as_str().map(str::to_string)),
            );
        }
        keys.iter().find_map(|k| src.config_key(k, region))
    };
    let region_config = || {
        region.and_then(|r| {
            src.configs
                .iter()
                .find(|c| c.region.as_deref() == Some(r))
                .map(|c| Anchor::file(&c.path))
        })
    };
    by_subject
        .or_else(by_rule)
        .or_else(by_key)
        .or_else(region_config)
        // A database or project with no dump to point at: any dump.
        .or_else(|| {
            matches!(
                f.subject.kind,
                "database" | "project" | "sync-project" | "component"
            )
            .then(|| input("dump"))
            .flatten()
        })
        .or_else(|| input("config"))
        .or_else(|| {
            report
                .inputs
                .iter()
                .find(|i| !matches!(i.kind, "metadb" | "backup-dir" | "components"))
                .or_else(|| report.inputs.first())
                .map(|i| Anchor::file(&i.path))
        })
}

/// Turns input paths into SARIF artifact locations relative to the working directory.
struct Uris {
    /// The working directory, absolute and without `.`/`..`.
    cwd: Option<PathBuf>,
    /// The same, with symbolic links resolved.
    canonical_cwd: Option<PathBuf>,
}

/// `p` without `.` components and with `..` applied, lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_root = matches!(
                    out.components().next_back(),
                    Some(Component::RootDir | Component::Prefix(_))
                );
                if at_root {
                    continue;
                }
                if matches!(
                    out.components().next_back(),
                    None | Some(Component::ParentDir)
                ) {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

impl Uris {
    fn new(cwd: Option<&Path>) -> Uris {
        let cwd = cwd
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .filter(|p| p.is_absolute())
            .map(|p| normalize(&p));
        let canonical_cwd = cwd.as_deref().and_then(|p| std::fs::canonicalize(p).ok());
        Uris { cwd, canonical_cwd }
    }

    /// `%SRCROOT%`'s definition, when the working directory is known.
    fn base_ids(&self) -> Option<Value> {
        let cwd = self.cwd.as_ref()?;
        let mut uri = format!("file://{}", path_uri(&cwd.to_string_lossy()));
        if !uri.ends_with('/') {
            uri.push('/');
        }
        Some(json!({ SRCROOT: {
            "uri": uri,
            "description": {"text": "The directory omslint ran in: the paths of its inputs are relative to it."},
        }}))
    }

    /// The path relative to the working directory, when it is under it.
    fn relative(&self, path: &str) -> Option<String> {
        let p = Path::new(path);
        let cwd = self.cwd.as_ref()?;
        let abs = normalize(&cwd.join(p));
        let rel = |base: &Path, abs: &Path| -> Option<String> {
            let r = abs.strip_prefix(base).ok()?;
            let s = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (!s.is_empty()).then_some(s)
        };
        rel(cwd, &abs).or_else(|| {
            let canonical = std::fs::canonicalize(&abs).ok()?;
            rel(self.canonical_cwd.as_ref()?, &canonical)
        })
    }

    fn artifact(&self, path: &str) -> Value {
        // Already a URI (the live MetaDB's `mysql://user@host:port`, never with a
        // password): kept as it is.
        if has_scheme(path) {
            return json!({ "uri": path });
        }
        if let Some(rel) = self.relative(path) {
            return json!({"uri": path_uri(&rel), "uriBaseId": SRCROOT});
        }
        let p = Path::new(path);
        let abs = match &self.cwd {
            Some(cwd) => normalize(&cwd.join(p)),
            None => normalize(p),
        };
        if abs.is_absolute() {
            json!({ "uri": format!("file://{}", path_uri(&abs.to_string_lossy())) })
        } else {
            json!({ "uri": path_uri(&abs.to_string_lossy()) })
        }
    }
}

pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    write_with(report, &Options::default(), w)
}

pub fn write_with(report: &Report, options: &Options, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_value_with(report, options))
        .map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report) -> Value {
    to_value_with(report, &Options::default())
}

/// A category as GitHub wants it: no spaces or slashes inside a part.
fn category_part(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

/// `omslint/<from>-<to>/`, or the category given (a trailing `/` added: the part after
/// the last `/` is a run id, and there is none).
fn automation_id(report: &Report, options: &Options) -> String {
    match options.category.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => {
            if c.ends_with('/') {
                c.to_string()
            } else {
                format!("{c}/")
            }
        }
        _ => format!(
            "{}/{}-{}/",
            // A verify is another analysis than the lint of the same upgrade: under the
            // lint's category its upload would close every lint alert.
            if report.command == "verify" {
                "omslint-verify"
            } else {
                "omslint"
            },
            category_part(&report.upgrade.from),
            category_part(&report.upgrade.to)
        ),
    }
}

/// What decides which findings are kept when there are too many: waived last, then the
/// most severe first.
type Rank = (bool, std::cmp::Reverse<Severity>);

fn rank(f: &Finding) -> Rank {
    (f.suppressed.is_some(), std::cmp::Reverse(f.severity))
}

/// Which findings become results: all of them, in report order, unless there are more
/// than `max`; then the most severe, waived ones last, still in report order.
fn kept(ranks: &[Rank], max: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..ranks.len()).collect();
    if ranks.len() <= max {
        return idx;
    }
    idx.sort_by_key(|&i| ranks[i]);
    idx.truncate(max);
    idx.sort_unstable();
    idx
}

pub fn to_value_with(report: &Report, options: &Options) -> Value {
    let rules = catalog::catalog();
    let discovered;
    let sources = match &options.sources {
        Some(s) => s,
        None => {
            discovered = Sources::discover(report);
            &discovered
        }
    };
    let uris = Uris::new(options.cwd.as_deref());
    // One pass for the fingerprints and what decides which findings are kept, one for the
    // results: a finding made on demand is made once for each.
    let mut ranks: Vec<Rank> = Vec::with_capacity(report.findings.len());
    let fingerprints = fingerprints(report.findings.iter().inspect(|f| ranks.push(rank(f))));
    let max = options.max_results.unwrap_or(MAX_RESULTS);
    let kept = kept(&ranks, max);
    let omitted = report.findings.len() - kept.len();
    let results: Vec<Value> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(i, _)| kept.binary_search(i).is_ok())
        .map(|(i, f)| {
            let at = anchor(&f, report, sources);
            result(&f, rules, &fingerprints[i], at.as_ref(), &uris)
        })
        .collect();

    let errored: Vec<&crate::engine::CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.status == "error")
        .collect();
    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(errored.is_empty()));
    let mut notes: Vec<Value> = errored
        .iter()
        .map(|c| {
            let mut n = Map::new();
            n.insert("level".into(), json!("error"));
            n.insert(
                "message".into(),
                json!({"text": format!(
                    "{} could not run: {}",
                    c.code,
                    c.reason.as_deref().unwrap_or("no reason given")
                )}),
            );
            if let Some(i) = rule_index(rules, c.code) {
                n.insert("associatedRule".into(), json!({"id": c.code, "index": i}));
            }
            Value::Object(n)
        })
        .collect();
    if omitted > 0 {
        notes.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{omitted} of {} findings are not in this log: a run holds at most {max} results (GitHub code scanning's limit); the most severe are kept, and the JSON report (--format json) has every finding",
                report.findings.len()
            )},
        }));
    }
    if !notes.is_empty() {
        invocation.insert("toolExecutionNotifications".into(), Value::Array(notes));
    }
    if !report.generated_at.is_empty() {
        invocation.insert("endTimeUtc".into(), json!(report.generated_at));
    }

    let mut driver = Map::new();
    driver.insert("name".into(), json!(report.tool.name));
    driver.insert("version".into(), json!(report.tool.version));
    driver.insert("semanticVersion".into(), json!(report.tool.version));
    // The project's public home, when Cargo.toml names one; never an invented address.
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver.insert("informationUri".into(), json!(repository));
    }
    driver.insert(
        "rules".into(),
        Value::Array(rules.iter().map(rule_descriptor).collect()),
    );

    let mut run = Map::new();
    run.insert("tool".into(), json!({ "driver": Value::Object(driver) }));
    run.insert("invocations".into(), json!([Value::Object(invocation)]));
    run.insert(
        "automationDetails".into(),
        json!({ "id": automation_id(report, options) }),
    );
    if let Some(ids) = uris.base_ids() {
        run.insert("originalUriBaseIds".into(), ids);
    }
    // Columns are counted in characters (see `Location`).
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    run.insert("results".into(), Value::Array(results));
    let mut props = Map::new();
    props.insert(
        "upgrade".into(),
        json!({
            "from": report.upgrade.from,
            "to": report.upgrade.to,
            "path": report.upgrade.path,
        }),
    );
    props.insert("summary".into(), json!(report.summary));
    props.insert("checks".into(), json!(report.checks));
    if omitted > 0 {
        props.insert("omittedResults".into(), json!(omitted));
    }
    run.insert("properties".into(), Value::Object(props));

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [Value::Object(run)],
    })
}

/// SARIF levels: `notice` is SARIF's `note`.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "note",
    }
}

fn rule_index(rules: &[RuleMeta], code: &str) -> Option<usize> {
    rules.iter().position(|m| m.code == code)
}

fn rule_descriptor(meta: &RuleMeta) -> Value {
    let mut tags = vec!["oms".to_string(), "upgrade".to_string()];
    for t in meta
        .subject
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|t| !t.is_empty())
    {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    if meta.fixable() != "no" {
        tags.push("fixable".into());
    }
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary.trim()},
        "fullDescription": {"text": meta.docs.what.trim()},
        "help": {"text": meta.explain(), "markdown": help_markdown(meta)},
        "defaultConfiguration": {"level": level(meta.default_severity())},
        "properties": {
            "tags": tags,
            "appliesTo": meta.applies_to.trim(),
            "subject": meta.subject.trim(),
            "fix": {"kind": meta.fix.kind, "applicability": meta.fix.applicability},
            "sources": meta.docs.sources.iter().map(|s| json!({
                "guide": s.guide.trim(),
                "section": s.section.trim(),
                "quote": s.quote.trim(),
            })).collect::<Vec<_>>(),
        },
    })
}

/// Prose of the rule files as Markdown that shows it literally: wrapped lines joined
/// into paragraphs, escaped (`<ip>`, `*`, `_`, `|` stay text); lines indented deeper
/// than the paragraph (SQL, commands) in fenced blocks.
fn md_prose(out: &mut String, body: &str) {
    let mut para: Vec<&str> = Vec::new();
    let mut code: Vec<&str> = Vec::new();
    let flush_para = |out: &mut String, para: &mut Vec<&str>| {
        if !para.is_empty() {
            out.push_str(&md::paragraph(&para.join(" ")));
            out.push_str("\n\n");
            para.clear();
        }
    };
    let flush_code = |out: &mut String, code: &mut Vec<&str>| {
        if !code.is_empty() {
            let indent = code
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let text: Vec<&str> = code
                .iter()
                .map(|l| l.get(indent..).unwrap_or("").trim_end())
                .collect();
            md::fenced(out, "text", &text.join("\n"));
            code.clear();
        }
    };
    for line in body.trim_matches('\n').lines() {
        if line.trim().is_empty() {
            flush_para(out, &mut para);
            flush_code(out, &mut code);
        } else if line.starts_with([' ', '\t']) {
            flush_para(out, &mut para);
            code.push(line);
        } else {
            flush_code(out, &mut code);
            para.push(line.trim());
        }
    }
    flush_para(out, &mut para);
    flush_code(out, &mut code);
}

/// The rule's documentation as Markdown, the same sections as `omslint explain`, every
/// text escaped so that it renders as written, and the published guides it rests on.
fn help_markdown(meta: &RuleMeta) -> String {
    let fix = match meta.fix.applicability.as_str() {
        "none" | "" => meta.fix.kind.clone(),
        a => format!("{} ({a})", meta.fix.kind),
    };
    let mut out = format!(
        "**{} {}**: {}\n\n- Default severity: {}\n- Applies to: {}\n- Fix: {}\n",
        md::inline(&meta.code),
        md::inline(&meta.name),
        md::inline(meta.summary.trim()),
        md::inline(&meta.severity),
        md::inline(meta.applies_to.trim()),
        md::inline(&fix),
    );
    let mut section = |title: &str, body: &str, code: bool| {
        let body = body.trim_matches('\n');
        if body.trim().is_empty() {
            return;
        }
        out.push_str(&format!("\n### {title}\n\n"));
        if code {
            md::fenced(&mut out, "text", body);
        } else {
            md_prose(&mut out, body);
        }
    };
    section("What it does", &meta.docs.what, false);
    section("Why it matters", &meta.docs.why, false);
    section("Example", &meta.docs.example, true);
    section("How to fix", &meta.docs.fix, false);
    section("Fix safety", &meta.docs.safety, false);
    section("Where it refines the guides", &meta.docs.refines, false);
    section("Across hops", &meta.docs.hops, false);
    if !meta.docs.sources.is_empty() {
        out.push_str(
            "\n### Sources\n\nThe published OceanBase Migration Service documentation this rule rests on:\n\n",
        );
        for s in &meta.docs.sources {
            out.push_str(&format!(
                "- {}, {}: \u{201c}{}\u{201d}\n",
                md::inline(s.guide.trim()),
                md::inline(s.section.trim()),
                md::inline(s.quote.trim())
            ));
        }
    }
    out.trim_end().to_string() + "\n"
}

fn result(
    f: &Finding,
    rules: &[RuleMeta],
    fingerprint: &str,
    at: Option<&Anchor>,
    uris: &Uris,
) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.code));
    if let Some(i) = rule_index(rules, f.code) {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    let text = match &f.hop {
        Some(h) => format!("[hop {h}] {}", f.message),
        None => f.message.clone(),
    };
    r.insert("message".into(), json!({ "text": text }));
    r.insert("locations".into(), json!([location(f, at, uris)]));
    r.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint }),
    );
    if let Some(fix) = &f.fix {
        if let Some(Apply::LineEdit(e)) = &fix.apply {
            r.insert(
                "fixes".into(),
                json!([{
                    "description": {"text": fix.description},
                    "artifactChanges": [{
                        "artifactLocation": uris.artifact(&e.path.display().to_string()),
                        "replacements": [{
                            // The whole old line, without its line ending (a region with no
                            // columns covers the line's characters), replaced by the new one.
                            "deletedRegion": {"startLine": e.line, "endLine": e.line},
                            "insertedContent": {"text": e.new},
                        }],
                    }],
                    "properties": {"applicability": fix.applicability},
                }]),
            );
        }
    }
    if let Some(s) = &f.suppressed {
        let mut sup = Map::new();
        sup.insert("kind".into(), json!("external"));
        sup.insert("status".into(), json!("accepted"));
        sup.insert("justification".into(), json!(s.reason));
        if let Some(t) = &s.ticket {
            sup.insert("properties".into(), json!({"ticket": t}));
        }
        r.insert("suppressions".into(), json!([Value::Object(sup)]));
    }
    let mut props = Map::new();
    props.insert("subject".into(), json!(f.subject));
    if let Some(h) = &f.hop {
        props.insert("hop".into(), json!(h));
    }
    if !f.evidence.is_empty() {
        props.insert("evidence".into(), json!(f.evidence));
    }
    if let Some(fix) = &f.fix {
        props.insert("fix".into(), fix_properties(fix));
    }
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

/// Every fix as the JSON report has it (SQL, rollback, patch), camel-cased as SARIF
/// property bags usually are.
fn fix_properties(fix: &Fix) -> Value {
    let mut o = Map::new();
    o.insert("kind".into(), json!(fix.kind));
    o.insert("applicability".into(), json!(fix.applicability));
    o.insert("description".into(), json!(fix.description));
    if let Some(s) = &fix.sql {
        o.insert("sql".into(), json!(s));
    }
    if let Some(s) = &fix.rollback_sql {
        o.insert("rollbackSql".into(), json!(s));
    }
    if let Some(s) = &fix.patch {
        o.insert("patch".into(), json!(s));
    }
    Value::Object(o)
}

fn location(f: &Finding, at: Option<&Anchor>, uris: &Uris) -> Value {
    let logical = {
        let mut l = Map::new();
        l.insert(
            "name".into(),
            json!(f.subject.name.as_deref().unwrap_or(&f.subject.id)),
        );
        l.insert(
            "fullyQualifiedName".into(),
            json!(format!("{}:{}", f.subject.kind, f.subject.id)),
        );
        l.insert("kind".into(), json!(f.subject.kind));
        Value::Object(l)
    };
    match at {
        Some(a) => {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(a.line.max(1)));
            if a.column > 0 {
                region.insert("startColumn".into(), json!(a.column));
            }
            json!({
                "physicalLocation": {
                    "artifactLocation": uris.artifact(&a.path),
                    "region": Value::Object(region),
                },
                "logicalLocations": [logical],
            })
        }
        None => json!({"logicalLocations": [logical]}),
    }
}

/// A file path as a URI reference: `\` becomes `/`, and every byte outside the
/// unreserved characters and `/` is percent-encoded, `:` included, so that a first
/// segment like `10.0.0.1-9000:connector_v2` cannot read as a URI scheme.
fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `scheme://…`: an RFC 3986 scheme followed by an authority.
fn has_scheme(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The last component of a path, whichever separator it uses.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// One fingerprint per finding, stable across runs and across spellings of the input
/// paths: the hash of the rule, the subject (kind and id), the hop (from and to), the
/// **file name** of the finding's own location (never its directory, which depends on
/// where omslint ran and how the path was written), and the evidence's keys (not its
/// values, which change as the deployment does). Neither the line nor the message is
/// hashed: an edit above a key or a reworded message keeps the alert. Findings that
/// still share one (the same key in two files of one region, say) are told apart by
/// their rank among themselves in report order.
fn fingerprints<F: Deref<Target = Finding>>(findings: impl IntoIterator<Item = F>) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    findings
        .into_iter()
        .map(|f| {
            let mut h = Sha256::new();
            for part in [
                f.code,
                f.subject.kind,
                f.subject.id.as_str(),
                f.location.as_ref().map_or("", |l| file_name(&l.path)),
                f.hop.as_ref().map_or("", |h| h.from.as_str()),
                f.hop.as_ref().map_or("", |h| h.to.as_str()),
            ] {
                h.update(part.as_bytes());
                h.update([0u8]);
            }
            for (k, _) in f.evidence.iter() {
                h.update(k.as_bytes());
                h.update([1u8]);
            }
            let base: String = h.finalize()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}:{n}")
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::CheckResult;
    use crate::finding::{Applicability, FixKind, Location, Subject, Suppression};
    use crate::report::{InputEntry, Summary, Tool, Upgrade};

    pub(crate) fn finding(code: &'static str, sev: Severity, subject: Subject) -> Finding {
        let meta = catalog::lookup(code).expect("a catalog rule");
        Finding {
            code: meta.code.as_str(),
            rule: meta.name.as_str(),
            severity: sev,
            message: format!("{code} fired"),
            subject,
            location: None,
            evidence: Default::default(),
            fix: None,
            hop: None,
            suppressed: None,
        }
    }

    /// A report with a located config-patch finding, a SQL fix, a waived finding and a
    /// check that errored.
    pub(crate) fn sample_report() -> Report {
        let mut patch = finding(
            "OMS012",
            Severity::Error,
            Subject::new("region", "cn-hangzhou"),
        );
        patch.location = Some(Location {
            path: "regions/hz/config.yaml".into(),
            line: 9,
            column: 9,
        });
        let edit = crate::fix::patch::LineEdit {
            path: "regions/hz/config.yaml".into(),
            line: 9,
            old: "cm_url: http://10.0.0.1:8080".into(),
            new: "cm_url: http://10.0.0.1:8088".into(),
        };
        patch.fix = Some(Box::new(Fix {
            kind: FixKind::ConfigPatch,
            applicability: Applicability::Safe,
            description: "set cm_url to http://10.0.0.1:8088".into(),
            database: None,
            sql: None,
            rollback_sql: None,
            patch: Some(crate::fix::patch::unified_diff(&edit)),
            apply: Some(Apply::LineEdit(edit)),
        }));
        let mut sql = finding(
            "OMS003",
            Severity::Error,
            Subject::new("project", "p_1").named("orders"),
        );
        sql.evidence.insert("table".into(), json!("oms_project"));
        sql.fix = Some(Box::new(Fix {
            kind: FixKind::Sql,
            applicability: Applicability::Safe,
            description: "rename p_1".into(),
            database: Some("rm".into()),
            sql: Some(
                "UPDATE `rm`.`oms_project` SET `project_name` = 'x' WHERE `id` = 'p_1';".into(),
            ),
            rollback_sql: Some(
                "UPDATE `rm`.`oms_project` SET `project_name` = 'orders' WHERE `id` = 'p_1';"
                    .into(),
            ),
            patch: None,
            apply: Some(Apply::GuardedSql),
        }));
        let mut waived = finding("OMS014", Severity::Warning, Subject::new("project", "p_2"));
        waived.suppressed = Some(Box::new(Suppression {
            reason: "recovered by hand after the window".into(),
            ticket: Some("CHG-42".into()),
        }));
        let notice = finding("OMS002", Severity::Notice, Subject::deployment());
        Report {
            schema_version: 1,
            command: "lint",
            tool: Tool {
                name: "omslint",
                version: "0.1.0",
            },
            generated_at: "2026-01-02T03:04:05Z".into(),
            upgrade: Upgrade {
                from: "3.4.0".into(),
                to: "4.2.3".into(),
                path: vec!["3.4.0".into(), "4.2.3".into()],
            },
            inputs: vec![InputEntry {
                kind: "config",
                path: "regions/hz/config.yaml".into(),
                sha256: None,
            }],
            summary: Summary {
                error: 2,
                warning: 0,
                notice: 1,
                suppressed: 1,
                checks_run: 3,
                checks_skipped: 0,
            },
            findings: vec![sql, patch, waived, notice].into(),
            checks: vec![
                CheckResult {
                    code: "OMS003",
                    status: "failed",
                    reason: None,
                    hop: None,
                },
                CheckResult {
                    code: "OMS011",
                    status: "error",
                    reason: Some("backups/rm.sql: permission denied".into()),
                    hop: None,
                },
            ],
            rolled_back: false,
        }
    }

    fn render(report: &Report) -> Value {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// Validates against the official schema kept in `tests/schemas/` (see its README).
    pub(crate) fn assert_valid_sarif(v: &Value) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let id = schema["$id"].as_str().unwrap().to_string();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler.add_resource(&id, schema).unwrap();
        let index = compiler.compile(&id, &mut schemas).unwrap();
        if let Err(e) = schemas.validate(v, index) {
            panic!("not valid SARIF 2.1.0:\n{e:#}");
        }
    }

    #[test]
    fn validates_against_the_sarif_schema() {
        assert_valid_sarif(&render(&sample_report()));
        assert_valid_sarif(&render_with(&sample_report(), &options()));
        let mut empty = sample_report();
        empty.findings = Default::default();
        empty.checks.clear();
        assert_valid_sarif(&render(&empty));
    }

    #[test]
    fn the_validator_rejects_invalid_sarif() {
        let mut v = render(&sample_report());
        v["runs"][0]["results"][1]["fixes"][0]
            .as_object_mut()
            .unwrap()
            .remove("artifactChanges");
        let caught = std::panic::catch_unwind(|| assert_valid_sarif(&v));
        assert!(
            caught.is_err(),
            "a fix without artifactChanges is not SARIF"
        );
    }

    /// Where the sample report's facts come from: an rm and a cm_hb dump, a live cm
    /// database, two region configs.
    fn sources() -> Sources {
        let config =
            |path: &str, region: &str, keys: &[(&str, u64)], names: &[(&str, &str)]| ConfigKeys {
                path: path.into(),
                region: Some(region.into()),
                key_lines: keys.iter().map(|(k, l)| (k.to_string(), *l)).collect(),
                names: names
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
        Sources {
            databases: vec![
                DatabaseFile {
                    name: "rm_340".into(),
                    role: "rm",
                    path: Some("metadb/rm_340.sql".into()),
                },
                DatabaseFile {
                    name: "cm_hb_340".into(),
                    role: "cm_hb",
                    path: Some("metadb/cm_hb_340.sql".into()),
                },
                DatabaseFile {
                    name: "cm_340".into(),
                    role: "cm",
                    path: None,
                },
            ],
            configs: vec![
                config(
                    "regions/hz/config.yaml",
                    "cn-hangzhou",
                    &[("cm_nodes", 7), ("drc_cm_db", 4), ("cm_url", 9)],
                    &[("drc_cm_db", "cm_340")],
                ),
                config(
                    "regions/sh/config.yaml",
                    "cn-shanghai",
                    &[("cm_nodes", 12), ("drc_cm_db", 5)],
                    &[("drc_cm_db", "cm_340")],
                ),
            ],
        }
    }

    fn options() -> Options {
        Options {
            cwd: Some("/work/deploy".into()),
            sources: Some(sources()),
            ..Options::default()
        }
    }

    fn render_with(report: &Report, options: &Options) -> Value {
        let mut out = Vec::new();
        write_with(report, options, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    fn physical(result: &Value) -> (String, u64) {
        let p = &result["locations"][0]["physicalLocation"];
        (
            p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            p["region"]["startLine"].as_u64().unwrap(),
        )
    }

    #[test]
    fn declares_every_rule_with_docs_and_no_invented_link() {
        let v = render(&sample_report());
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SCHEMA_URI);
        let driver = &v["runs"][0]["tool"]["driver"];
        // Cargo.toml names no repository: no informationUri.
        assert_eq!(
            driver.get("informationUri").is_some(),
            !env!("CARGO_PKG_REPOSITORY").is_empty()
        );
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), catalog::catalog().len());
        for (r, m) in rules.iter().zip(catalog::catalog()) {
            assert_eq!(r["id"], m.code.as_str());
            assert_eq!(r["name"], m.name.as_str());
            assert_eq!(r["help"]["text"], m.explain().as_str());
            assert!(r.get("helpUri").is_none(), "{}: no helpUri", m.code);
            let markdown = r["help"]["markdown"].as_str().unwrap();
            assert!(markdown.contains("### What it does"), "{markdown}");
            assert!(!markdown.contains("rules/OMS"), "{markdown}");
            assert!(!r.to_string().contains("github.com/omslint"), "{r}");
            // Every published source, cited in the help and the properties.
            assert!(!m.docs.sources.is_empty(), "{}", m.code);
            assert!(markdown.contains("### Sources"), "{markdown}");
            let cited = r["properties"]["sources"].as_array().unwrap();
            assert_eq!(cited.len(), m.docs.sources.len());
            for (c, s) in cited.iter().zip(&m.docs.sources) {
                assert_eq!(c["guide"], s.guide.trim());
                assert_eq!(c["quote"], s.quote.trim());
            }
        }
        let oms002 = &rules[1];
        assert_eq!(oms002["defaultConfiguration"]["level"], "note");
    }

    /// The visible text of a Markdown document and whether it holds HTML, as a
    /// CommonMark renderer (pulldown-cmark) reads it.
    fn markdown_text(s: &str) -> (String, bool) {
        use pulldown_cmark::{Event, Parser};
        let mut text = String::new();
        let mut html = false;
        for e in Parser::new(s) {
            match e {
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                Event::Html(_) | Event::InlineHtml(_) => html = true,
                _ => {}
            }
        }
        (text, html)
    }

    #[test]
    fn help_markdown_shows_the_rule_files_literally() {
        for m in catalog::catalog() {
            let markdown = help_markdown(m);
            let (text, html) = markdown_text(&markdown);
            assert!(!html, "{}: HTML in\n{markdown}", m.code);
            // The words of each source, and of each prose line, survive as text.
            for s in &m.docs.sources {
                assert!(text.contains(s.quote.trim()), "{}: {}", m.code, s.quote);
            }
            for line in m.docs.why.lines().filter(|l| !l.trim().is_empty()) {
                let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
                let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(
                    flat.contains(&words),
                    "{}: {words:?} not in\n{flat}",
                    m.code
                );
            }
        }
        // OMS002's docs write `http://<ip>:80`: shown, not taken for an HTML tag.
        let oms002 = catalog::lookup("OMS002").unwrap();
        let (text, _) = markdown_text(&help_markdown(oms002));
        assert!(text.contains("http://<ip>:80"), "{text}");
        // The SQL of OMS003's fix stays in a code block, as written.
        let oms003 = catalog::lookup("OMS003").unwrap();
        let markdown = help_markdown(oms003);
        assert!(
            markdown.contains("```text\nSELECT project_name,count(*) AS count"),
            "{markdown}"
        );
    }

    #[test]
    fn hostile_prose_is_escaped() {
        let mut out = String::new();
        md_prose(
            &mut out,
            "# heading\n<img src=x onerror=alert(1)> **bold** [l](http://x)\n| a | b |\nESC \u{1b}[31m\n  SELECT '<b>' ``` x;\n",
        );
        let (text, html) = markdown_text(&out);
        assert!(!html, "{out}");
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(
            text.contains("# heading <img src=x onerror=alert(1)> **bold** [l](http://x)"),
            "{text}"
        );
        assert!(text.contains("\\x1b[31m"), "{text}");
        assert!(text.contains("SELECT '<b>' ``` x;"), "{text}");
        use pulldown_cmark::{Event, Parser, Tag};
        assert!(!Parser::new(&out).any(|e| matches!(
            e,
            Event::Start(Tag::Heading { .. } | Tag::Link { .. } | Tag::Image { .. } | Tag::Strong)
        )));
    }

    #[test]
    fn every_result_has_a_physical_location() {
        let v = render_with(&sample_report(), &options());
        assert_valid_sarif(&v);
        let run = &v["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"][SRCROOT]["uri"],
            "file:///work/deploy/"
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);

        // OMS003 on project p_1: the rm dump.
        let sql = &results[0];
        assert_eq!(sql["ruleId"], "OMS003");
        assert_eq!(sql["ruleIndex"], 2);
        assert_eq!(sql["level"], "error");
        assert_eq!(physical(sql), ("metadb/rm_340.sql".into(), 1));
        let art = &sql["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(art["uriBaseId"], SRCROOT);
        assert!(sql.get("fixes").is_none(), "SQL changes no artifact");
        assert!(sql["properties"]["fix"]["sql"]
            .as_str()
            .unwrap()
            .starts_with("UPDATE"));
        let logical = &sql["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["kind"], "project");
        assert_eq!(logical["name"], "orders");
        assert_eq!(logical["fullyQualifiedName"], "project:p_1");

        // The config patch: its own location, and the fix on the same file.
        let patch = &results[1];
        let phys = &patch["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "regions/hz/config.yaml");
        assert_eq!(phys["artifactLocation"]["uriBaseId"], SRCROOT);
        assert_eq!(phys["region"]["startLine"], 9);
        assert_eq!(phys["region"]["startColumn"], 9);
        let change = &patch["fixes"][0]["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "regions/hz/config.yaml");
        assert_eq!(change["artifactLocation"]["uriBaseId"], SRCROOT);
        let rep = &change["replacements"][0];
        assert_eq!(rep["deletedRegion"]["startLine"], 9);
        assert_eq!(rep["deletedRegion"]["endLine"], 9);
        assert_eq!(
            rep["insertedContent"]["text"],
            "cm_url: http://10.0.0.1:8088"
        );

        // The waived OMS014 on a project: the rm dump too.
        let waived = &results[2];
        assert_eq!(physical(waived), ("metadb/rm_340.sql".into(), 1));
        assert_eq!(waived["suppressions"][0]["kind"], "external");
        assert_eq!(
            waived["suppressions"][0]["justification"],
            "recovered by hand after the window"
        );
        // OMS002 about the deployment: the first config.yaml input.
        assert_eq!(results[3]["level"], "note");
        assert_eq!(physical(&results[3]), ("regions/hz/config.yaml".into(), 1));

        let inv = &run["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let n = &inv["toolExecutionNotifications"][0];
        assert_eq!(n["associatedRule"]["id"], "OMS011");
        assert!(n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("permission denied"));
        assert_eq!(
            run["properties"]["upgrade"]["path"],
            json!(["3.4.0", "4.2.3"])
        );
        assert_eq!(run["automationDetails"]["id"], "omslint/3.4.0-4.2.3/");
    }

    #[test]
    fn findings_point_at_the_input_that_holds_their_fact() {
        let mut r = sample_report();
        r.inputs = vec![
            InputEntry {
                kind: "backup-dir",
                path: "backups".into(),
                sha256: None,
            },
            InputEntry {
                kind: "config",
                path: "regions/hz/config.yaml".into(),
                sha256: None,
            },
            InputEntry {
                kind: "docker-inspect",
                path: "docker-inspect.json".into(),
                sha256: None,
            },
        ];
        let src = sources();
        let at_in = |r: &Report, f: &Finding| {
            let a = anchor(f, r, &src).unwrap();
            (a.path, a.line)
        };
        let at = |f: &Finding| at_in(&r, f);
        let db = |name: &str| finding("OMS010", Severity::Warning, Subject::new("database", name));
        // A database: its dump; the live one: the config key that names it.
        assert_eq!(at(&db("cm_hb_340")), ("metadb/cm_hb_340.sql".into(), 1));
        assert_eq!(at(&db("cm_340")), ("regions/hz/config.yaml".into(), 4));
        // A backup: the backup file.
        let mut backup = finding(
            "OMS011",
            Severity::Error,
            Subject::new("database", "rm_340"),
        );
        backup
            .evidence
            .insert("file".into(), json!("backups/rm_340.sql"));
        assert_eq!(at(&backup), ("backups/rm_340.sql".into(), 1));
        // No backup at all: the dump of the database to back up.
        let missing = finding(
            "OMS011",
            Severity::Error,
            Subject::new("database", "rm_340"),
        );
        assert_eq!(at(&missing), ("metadb/rm_340.sql".into(), 1));
        // ha.config lives in the rm database.
        for code in ["OMS008", "OMS009"] {
            let f = finding(code, Severity::Warning, Subject::deployment());
            assert_eq!(at(&f), ("metadb/rm_340.sql".into(), 1), "{code}");
        }
        // A config_job component: the cm database, live here, so its config key.
        let c = finding("OMS007", Severity::Error, Subject::new("component", "c1"));
        assert_eq!(at(&c), ("regions/hz/config.yaml".into(), 4));
        // Mounts without a location: docker inspect.
        let mounts = finding("OMS016", Severity::Error, Subject::deployment());
        assert_eq!(at(&mounts), ("docker-inspect.json".into(), 1));
        // cm_nodes: the key's line.
        let mut nodes = finding("OMS013", Severity::Notice, Subject::deployment());
        nodes
            .evidence
            .insert("cm_nodes.cn-hangzhou".into(), json!(["10.0.0.1"]));
        assert_eq!(at(&nodes), ("regions/hz/config.yaml".into(), 7));
        // A region: the key in that region's config.
        let mut region = finding(
            "OMS013",
            Severity::Notice,
            Subject::new("region", "cn-shanghai"),
        );
        region.evidence.insert("keys".into(), json!(["cm_nodes"]));
        assert_eq!(at(&region), ("regions/sh/config.yaml".into(), 12));
        let bare = finding(
            "OMS013",
            Severity::Notice,
            Subject::new("region", "cn-shanghai"),
        );
        assert_eq!(at(&bare), ("regions/sh/config.yaml".into(), 1));
        // Nothing better: the first config.yaml; without one, the first input file.
        let deployment = finding("OMS001", Severity::Error, Subject::deployment());
        assert_eq!(at(&deployment), ("regions/hz/config.yaml".into(), 1));
        // Its own location first, line 0 read as 1.
        let mut located = deployment.clone();
        located.location = Some(Location {
            path: "x.yaml".into(),
            line: 0,
            column: 0,
        });
        assert_eq!(at(&located), ("x.yaml".into(), 1));
        r.inputs.remove(1);
        assert_eq!(at_in(&r, &deployment), ("docker-inspect.json".into(), 1));
    }

    #[test]
    fn uris_are_relative_to_the_working_directory() {
        let u = Uris::new(Some(Path::new("/work/deploy")));
        let uri = |p: &str| u.artifact(p);
        let rel = json!({"uri": "fixtures/sample/config.yaml", "uriBaseId": SRCROOT});
        assert_eq!(uri("fixtures/sample/config.yaml"), rel);
        assert_eq!(uri("./fixtures/sample/config.yaml"), rel);
        assert_eq!(uri("fixtures/./sample/../sample/config.yaml"), rel);
        assert_eq!(uri("/work/deploy/fixtures/sample/config.yaml"), rel);
        assert_eq!(uri("/work/deploy/./fixtures//sample/config.yaml"), rel);
        // Outside: an absolute file URI, percent-encoded.
        assert_eq!(
            uri("/backup/rm 340.sql"),
            json!({"uri": "file:///backup/rm%20340.sql"})
        );
        assert_eq!(
            uri("../other/x.sql"),
            json!({"uri": "file:///work/other/x.sql"})
        );
        assert_eq!(
            uri("components/10.0.0.1-9000:connector_v2/conf/source.json"),
            json!({"uri": "components/10.0.0.1-9000%3Aconnector_v2/conf/source.json", "uriBaseId": SRCROOT})
        );
        assert_eq!(
            u.base_ids().unwrap()[SRCROOT]["uri"],
            "file:///work/deploy/"
        );
        // The live MetaDB's URL is a URI already; a Windows drive is not a scheme.
        assert_eq!(
            uri("mysql://oms_lint@10.0.0.100:2883"),
            json!({"uri": "mysql://oms_lint@10.0.0.100:2883"})
        );
        assert!(!has_scheme("C:\\x\\y") && !has_scheme("a b://x") && !has_scheme("x"));
        let root = Uris::new(Some(Path::new("/")));
        assert_eq!(root.base_ids().unwrap()[SRCROOT]["uri"], "file:///");
        assert_eq!(
            root.artifact("/etc/x.yaml"),
            json!({"uri": "etc/x.yaml", "uriBaseId": SRCROOT})
        );
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(path_uri("regions/hz/config.yaml"), "regions/hz/config.yaml");
        assert_eq!(
            path_uri("components/10.0.0.1-9000:connector_v2/conf/source.json"),
            "components/10.0.0.1-9000%3Aconnector_v2/conf/source.json"
        );
        assert_eq!(path_uri("a b\\c%.yaml"), "a%20b/c%25.yaml");
        assert_eq!(path_uri("é"), "%C3%A9");
        assert_eq!(
            normalize(Path::new("../a/./b/../c")),
            PathBuf::from("../a/c")
        );
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
    }

    #[test]
    fn output_is_deterministic_and_fingerprints_unique() {
        let r = sample_report();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_with(&r, &options(), &mut a).unwrap();
        write_with(&r, &options(), &mut b).unwrap();
        assert_eq!(a, b);

        let mut same = r.findings.to_vec();
        same.push(r.findings.held()[0].clone());
        let fps = fingerprints(&same);
        assert_eq!(fps[0].len(), 32);
        assert_eq!(fps[4], format!("{}:2", fps[0]));
        let unique: std::collections::BTreeSet<_> = fps.iter().collect();
        assert_eq!(unique.len(), fps.len());
        // Stable: a message or line change keeps the fingerprint, and so does another
        // spelling of the file's path.
        let base = fingerprints(&r.findings.held()[1..2])[0].clone();
        let mut moved = r.findings.held()[1].clone();
        moved.message.push_str(" (again)");
        moved.location.as_mut().unwrap().line = 12;
        assert_eq!(fingerprints(&[moved.clone()])[0], base);
        for spelling in [
            "./regions/hz/config.yaml",
            "/abs/deploy/regions/hz/config.yaml",
            "deploy\\regions\\hz\\config.yaml",
        ] {
            moved.location.as_mut().unwrap().path = spelling.into();
            assert_eq!(fingerprints(&[moved.clone()])[0], base, "{spelling}");
        }
        // What was found changes it: the subject, the rule, the hop.
        let mut other = r.findings.held()[1].clone();
        other.subject.id = "cn-shanghai".into();
        assert_ne!(fingerprints(&[other])[0], base);
        let hop = |from: &str, to: &str| {
            let mut f = r.findings.held()[1].clone();
            f.hop = Some(Box::new(crate::finding::HopRef {
                from: from.into(),
                to: to.into(),
            }));
            fingerprints(&[f])[0].clone()
        };
        assert_ne!(hop("2.1.0", "3.2.1"), base);
        assert_ne!(hop("2.1.0", "3.2.1"), hop("3.2.1", "4.3.1"));
        assert_ne!(hop("2.1.0", "4.3.1"), hop("3.2.1", "4.3.1"));
        // In the log, under the versioned key.
        let v = render_with(&r, &options());
        assert_eq!(
            v["runs"][0]["results"][1]["partialFingerprints"][FINGERPRINT_KEY],
            base.as_str()
        );
    }

    #[test]
    fn automation_details_name_the_upgrade_or_the_category_given() {
        let mut r = sample_report();
        let id = |r: &Report, o: &Options| {
            render_with(r, o)["runs"][0]["automationDetails"]["id"].clone()
        };
        assert_eq!(id(&r, &options()), "omslint/3.4.0-4.2.3/");
        r.upgrade.from = "4.0.1 BP1".into();
        r.upgrade.to = String::new();
        assert_eq!(id(&r, &options()), "omslint/4.0.1_BP1-unknown/");
        let o = Options {
            category: Some("omslint/hz-prod".into()),
            ..options()
        };
        assert_eq!(id(&r, &o), "omslint/hz-prod/");
        // A verify of the same upgrade is another analysis: its upload must not close the
        // lint's alerts. A category given is still taken as given.
        let mut v = sample_report();
        v.command = "verify";
        assert_eq!(id(&v, &options()), "omslint-verify/3.4.0-4.2.3/");
        v.rolled_back = true;
        assert_eq!(id(&v, &options()), "omslint-verify/3.4.0-4.2.3/");
        assert_eq!(id(&v, &o), "omslint/hz-prod/");
    }

    #[test]
    fn results_beyond_the_limit_keep_the_most_severe() {
        let r = sample_report();
        let o = Options {
            max_results: Some(2),
            ..options()
        };
        let v = render_with(&r, &o);
        assert_valid_sarif(&v);
        let run = &v["runs"][0];
        let results = run["results"].as_array().unwrap();
        // The two errors, in report order; the notice and the waived warning left out.
        let ids: Vec<&str> = results
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["OMS003", "OMS012"]);
        assert_eq!(run["properties"]["omittedResults"], 2);
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert!(notes.iter().any(|n| n["level"] == "warning"
            && n["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("2 of 4 findings are not in this log")));
        // Fingerprints do not depend on what was left out.
        let all = render_with(&r, &options());
        assert_eq!(
            results[1]["partialFingerprints"],
            all["runs"][0]["results"][1]["partialFingerprints"]
        );
        assert_eq!(
            kept(&r.findings.held().iter().map(rank).collect::<Vec<_>>(), 10),
            vec![0, 1, 2, 3]
        );
    }

    #[test]
    fn all_checks_fine_means_execution_successful() {
        let mut r = sample_report();
        r.checks.retain(|c| c.status != "error");
        let v = render(&r);
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], true);
        assert!(inv.get("toolExecutionNotifications").is_none());
    }
}
