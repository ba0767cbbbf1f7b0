//! `omslint verify` (SPEC §8): after the upgrade, or after a rollback, prove against the
//! pre-upgrade backups that nothing was lost.
//!
//! Two fact sets are built by the same readers — the **baseline** from the backups in
//! `--backup-dir`, and the deployment **now** from its sources (the live `--metadb`, or
//! dumps taken afterwards) — from row streams of just the tables the checks need (and,
//! with `--rolled-back`, of every table). They are reduced to what differs
//! ([`facts::VerifyFacts`]) and judged by verify's rules (OMS101–OMS108) through the
//! same engine, settings, report formats and exit codes as `lint`.

mod collect;
pub mod facts;
mod hash;
mod output;
mod scan;
mod tables;

use std::collections::HashMap;
use std::sync::Arc;

use sha2::Digest as _;

use collect::{Collector, DbPart, Details, FactKey, JobFlags, Wanted};
use facts::{
    DatasourceRow, DbTypeComponent, Fact, HostRow, Mode, ProjectChange, SettingChange,
    TableComparison, VerifyFacts, VersionRow,
};
use scan::{LiveDb, Scanned, Unit};

use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::facts::fxhash::FxHashSet;
use crate::facts::{DbRole, Deployment, Input, ProjectKind};
use crate::report::{Report, Upgrade};
use crate::rules::{Context, Stage};
use crate::schema_map::{SchemaMap, TableFact};
use crate::settings::{self, Settings};
use crate::sources::{self, SourceList};
use crate::upgrade::{UpgradeGraph, UpgradePath};
use crate::version::Version;

const DEFAULT_DOWNTIME_MIN: u64 = 60;

pub fn run(args: &VerifyArgs) -> Result<u8> {
    let result = (|| {
        let progress = output::Progress::start("reading the backups and the deployment…");
        let analysed = analyze(args);
        drop(progress);
        let (report, check_errors) = analysed?;
        output::emit(args, &report, check_errors)
    })();
    if result.is_err() {
        crate::lint::remove_stale_output(args.report.output.as_deref());
    }
    result
}

fn version_arg(what: &str, s: &str) -> Result<Version> {
    s.parse().map_err(|e| Error::Usage(format!("{what}: {e}")))
}

/// The sources as the command line and SNAPSHOT_DIR give them.
fn source_list(args: &VerifyArgs) -> Result<SourceList> {
    let s = &args.source;
    let mut list = SourceList::default();
    if let Some(dir) = &s.snapshot_dir {
        sources::snapshot::discover(dir, &mut list)?;
    }
    list.configs
        .extend(s.configs.iter().map(|p| (p.clone(), None)));
    list.dumps.extend(s.dumps.iter().cloned());
    list.components.extend(s.components.iter().cloned());
    if s.settings.is_some() {
        list.settings = s.settings.clone();
    }
    list.backup_dir = s.backup_dir.clone();
    if list.backup_dir.is_none() {
        return Err(Error::Usage(
            "verify needs --backup-dir DIR: the pre-upgrade dumps are the baseline it compares with".into(),
        ));
    }
    if s.metadb.is_some() && !list.dumps.is_empty() {
        return Err(Error::Usage(
            "--metadb and dumps (--dump, SNAPSHOT_DIR/metadb) are two views of the same databases: give one".into(),
        ));
    }
    if s.metadb.is_none() && list.dumps.is_empty() {
        return Err(Error::Usage(
            "verify needs the deployment as it is now: --metadb URL (the live MetaDB), or dumps taken after the upgrade or the restore (SNAPSHOT_DIR/metadb/*.sql, --dump FILE)".into(),
        ));
    }
    if let Some((path, message)) = list.unreadable.first() {
        return Err(Error::Unreadable {
            path: path.clone(),
            message: message.clone(),
        });
    }
    Ok(list)
}

/// The live MetaDB target: `--metadb URL` or `config` (config.yaml's oms_meta_*).
fn live_target(
    args: &VerifyArgs,
    configs: &[crate::facts::ConfigFile],
) -> Result<Option<sources::metadb::Target>> {
    let s = &args.source;
    let Some(url) = &s.metadb else {
        return Ok(None);
    };
    let ssl_mode = sources::metadb::SslMode::parse(&s.ssl_mode).ok_or_else(|| {
        Error::Usage(format!(
            "--ssl-mode {:?}: expected disabled, preferred, required, verify-ca or verify-identity",
            s.ssl_mode
        ))
    })?;
    use sources::metadb::target;
    let (user, host, port, config_password) = if url.trim() == "config" {
        target::from_config(configs)?
    } else {
        let (u, h, p) = target::parse_url(url)?;
        (u, h, p, None)
    };
    let password = target::password(s.password_file.as_deref(), config_password.as_ref())?;
    Ok(Some(sources::metadb::Target {
        host,
        port,
        user,
        password,
        ssl_mode,
        ssl_ca: s.ssl_ca.clone(),
        connect_timeout_s: s.connect_timeout,
        query_timeout_s: s.query_timeout,
    }))
}

/// One side's databases after the first pass.
struct SideRead {
    label: String,
    units: Vec<Unit>,
    parts: Vec<DbPart>,
    /// Why the side (or some of it) could not be read: a database name → the reason.
    missing: HashMap<String, String>,
    /// The reason no part of this side could be read at all.
    failed: Option<String>,
    /// Backups that are not usable dumps (named when a database is not found).
    unusable: Vec<String>,
}

impl SideRead {
    fn part(&self, db: &str) -> Option<&DbPart> {
        self.parts.iter().find(|p| p.name == db)
    }

    /// Where a database was read, for messages.
    fn origin(&self, p: &DbPart) -> String {
        match &self.units[p.unit] {
            Unit::Dump(path) => format!("{} (database {})", path.display(), p.name),
            u @ Unit::Live(_) => u.label(),
        }
    }
}

/// The first pass over a set of units: their databases' facts (and digests).
fn first_pass(
    units: &[Unit],
    opts: &Options,
    roles: &HashMap<String, DbRole>,
    only: Option<&[String]>,
) -> Result<(Vec<DbPart>, Vec<Scanned>)> {
    // After a rollback every table is digested (OMS108); after an upgrade the
    // Incr-Sync jobs' dbType is kept (OMS107).
    let digest = opts.mode == Mode::RolledBack;
    let jobs: Vec<(Unit, Collector<'_>)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let c = Collector::new(&opts.schema, roles, only, digest, !digest, i);
            (u.clone(), c)
        })
        .collect();
    let mut parts: Vec<DbPart> = Vec::new();
    let mut scanned = Vec::new();
    for (c, r) in scan::scan_with(jobs, true) {
        scanned.push(r?);
        for p in c.parts {
            if let Some(other) = parts.iter().find(|o| o.name == p.name) {
                return Err(Error::Usage(format!(
                    "database {} is in two dumps: {} and {}; give one dump of each database",
                    p.name,
                    units[other.unit].label(),
                    units[p.unit].label()
                )));
            }
            parts.push(p);
        }
    }
    Ok((parts, scanned))
}

/// Checks that a side's database of `role` has `table` with `columns`; returns it.
fn need<'s>(
    side: &'s SideRead,
    db: Option<&str>,
    role: DbRole,
    table: &str,
    what: &str,
    columns: &[(&str, &str)],
) -> Fact<&'s DbPart> {
    if let Some(why) = &side.failed {
        return Err(why.clone());
    }
    let Some(db) = db else {
        let unusable = if side.unusable.is_empty() {
            String::new()
        } else {
            format!("; not usable: {}", side.unusable.join("; "))
        };
        return Err(format!(
            "no {} database among {} (none holds the tables of one){unusable}",
            role.as_str(),
            side.label
        ));
    };
    if let Some(why) = side.missing.get(db) {
        return Err(why.clone());
    }
    let Some(p) = side.part(db) else {
        return Err(format!("{}: database {db} was not read", side.label));
    };
    let Some(t) = p.table(table) else {
        return Err(format!(
            "{}: no table {table} ({what}); give --schema-map FILE if this MetaDB keeps it elsewhere",
            side.origin(p)
        ));
    };
    if t.columns.is_empty() {
        return Err(format!(
            "{}: the columns of table {} are unknown (the dump inserts into it but never creates it), so no value can be told from another",
            side.origin(p),
            t.name
        ));
    }
    let missing: Vec<String> = columns
        .iter()
        .filter(|(c, _)| t.column_index(c).is_none())
        .map(|(c, key)| format!("{c} ({key})"))
        .collect();
    if !missing.is_empty() {
        let has: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).take(16).collect();
        return Err(format!(
            "{}: table {} has no column {}; its columns are {}; give --schema-map FILE if this MetaDB names {} otherwise",
            side.origin(p),
            t.name,
            missing.join(", "),
            has.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ));
    }
    Ok(p)
}

/// The names the schema map gives a fact's table and the columns verify reads.
fn map_table(schema: &SchemaMap, fact: TableFact) -> (String, String, Vec<(String, String)>) {
    let key = SchemaMap::key(fact);
    let (_, table) = schema.table_of(fact);
    let wanted: &[&str] = match fact {
        TableFact::Projects | TableFact::SyncProjects => &["id", "status"],
        TableFact::Datasources => &["id"],
        TableFact::NormalConfig => &["name", "value"],
        TableFact::Versions => &["version"],
        TableFact::ConfigJob => &["job_name", "key", "value"],
        _ => &[],
    };
    let cols = schema
        .columns(fact)
        .into_iter()
        .filter(|(k, _)| wanted.contains(k))
        .map(|(k, c)| (c.to_string(), format!("the schema map's {key}.{k}")))
        .collect();
    (
        table.to_string(),
        format!("the schema map's {key}.table"),
        cols,
    )
}

fn need_fact<'s>(
    side: &'s SideRead,
    db: Option<&str>,
    schema: &SchemaMap,
    fact: TableFact,
) -> Fact<&'s DbPart> {
    let (role, _) = schema.table_of(fact);
    let (table, what, cols) = map_table(schema, fact);
    let cols: Vec<(&str, &str)> = cols.iter().map(|(c, k)| (c.as_str(), k.as_str())).collect();
    need(side, db, role.db_role(), &table, &what, &cols)
}

fn need_hosts<'s>(side: &'s SideRead, db: Option<&str>) -> Fact<&'s DbPart> {
    let note = "the server table; not in the schema map, named host(ip, status) by omslint";
    need(
        side,
        db,
        DbRole::Cm,
        collect::HOST_TABLE,
        note,
        &[(collect::HOST_IP, note), (collect::HOST_STATUS, note)],
    )
}

/// What the command line and the settings decide.
struct Options {
    settings: Settings,
    schema: SchemaMap,
    mode: Mode,
    from: Option<Version>,
    to: Option<Version>,
    downtime_min: u64,
}

impl Options {
    fn read(args: &VerifyArgs, list: &SourceList) -> Result<Options> {
        let settings = match &list.settings {
            Some(p) => settings::load(p)?,
            None => Settings::default(),
        };
        let schema = match &args.source.schema_map {
            Some(p) => SchemaMap::load(p)?,
            None => SchemaMap::builtin(),
        };
        let mode = if args.rolled_back {
            Mode::RolledBack
        } else {
            Mode::Upgrade
        };
        let to = match (args.source.to.as_deref().or(settings.to.as_deref()), mode) {
            (Some(v), _) => Some(version_arg("--to", v)?),
            (None, Mode::RolledBack) => None,
            (None, Mode::Upgrade) => {
                return Err(Error::Usage(
                    "verify after an upgrade needs --to VERSION (the target, as oms_version records it; or `to:` in omslint.yaml); after a rollback, give --rolled-back".into(),
                ))
            }
        };
        let from = match args.source.from.as_deref().or(settings.from.as_deref()) {
            Some(v) => Some(version_arg("--from", v)?),
            None => None,
        };
        let downtime = args
            .source
            .downtime
            .as_deref()
            .or(settings.downtime.as_deref());
        let downtime_min = match downtime {
            Some(d) => settings::parse_duration_min(d).ok_or_else(|| {
                Error::Usage(format!(
                    "--downtime {d:?} is not a duration (write 90, 90m or 1h30m)"
                ))
            })?,
            None => DEFAULT_DOWNTIME_MIN,
        };
        Ok(Options {
            settings,
            schema,
            mode,
            from,
            to,
            downtime_min,
        })
    }
}

/// The config files and component files given beside the MetaDB.
struct Given {
    configs: Vec<crate::facts::ConfigFile>,
    /// Components whose files have dbType (or db_type) now.
    dbtype_in_files: FxHashSet<String>,
}

impl Given {
    fn read(list: &SourceList, inputs: &mut Vec<Input>) -> Result<Given> {
        let mut configs = Vec::new();
        for (path, region_dir) in &list.configs {
            let (c, sha256) = sources::config_yaml::read_config_hashed(path, region_dir.clone())?;
            inputs.push(Input {
                kind: "config",
                path: path.display().to_string(),
                sha256: Some(sha256),
            });
            configs.push(c);
        }
        let mut dbtype_in_files = FxHashSet::default();
        for dir in &list.components {
            let comps = sources::components::read_components(dir)?;
            inputs.push(Input {
                kind: "components",
                path: dir.display().to_string(),
                sha256: Some(sources::sha256_dir(dir)?),
            });
            for c in comps {
                if c.setting("dbType").is_some() || c.setting("db_type").is_some() {
                    dbtype_in_files.insert(c.name);
                }
            }
        }
        if let Some(p) = &list.settings {
            inputs.push(Input {
                kind: "settings",
                path: p.display().to_string(),
                sha256: Some(sources::sha256_file(p)?),
            });
        }
        Ok(Given {
            configs,
            dbtype_in_files,
        })
    }
}

/// The baseline: the backups, their databases' roles, and which is rm and which cm.
struct Baseline {
    side: SideRead,
    roles: HashMap<String, DbRole>,
    /// The backed-up databases that could be read.
    dbs: Vec<String>,
    rm: Fact<Option<String>>,
    cm: Fact<Option<String>>,
}

fn read_baseline(
    list: &SourceList,
    opts: &Options,
    config_roles: &HashMap<String, DbRole>,
    inputs: &mut Vec<Input>,
) -> Result<Baseline> {
    let dir = list.backup_dir.clone().unwrap_or_default();
    let backups = sources::backups::read_backup_dir(&dir)?;
    let mut unusable: Vec<String> = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    for f in &backups.files {
        match &f.problem {
            Some(p) => unusable.push(format!("{} ({p})", f.path.display())),
            None => units.push(Unit::Dump(f.path.clone())),
        }
    }
    let (parts, scans) = first_pass(&units, opts, config_roles, None)?;
    // One input, as for lint: the directory, its digest over the dumps the baseline is
    // (each file's name and SHA-256), so the report names exactly what it rests on.
    let mut files: Vec<(String, String)> = units
        .iter()
        .zip(&scans)
        .map(|(u, s)| {
            let name = match u {
                Unit::Dump(p) => p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                ),
                other => other.label(),
            };
            let sha = s
                .dump
                .as_ref()
                .and_then(|d| d.sha256.clone())
                .unwrap_or_default();
            (name, sha)
        })
        .collect();
    files.sort();
    let mut digest = sha2::Sha256::new();
    for (name, sha) in &files {
        digest.update(name.as_bytes());
        digest.update([0u8]);
        digest.update(sha.as_bytes());
        digest.update([b'\n']);
    }
    inputs.push(Input {
        kind: "backup-dir",
        path: dir.display().to_string(),
        sha256: Some(sources::hex(&digest.finalize())),
    });
    if parts.is_empty() {
        let why = if unusable.is_empty() {
            format!("{} holds no dump (*.sql)", dir.display())
        } else {
            format!(
                "{} holds no usable dump: {}",
                dir.display(),
                unusable.join("; ")
            )
        };
        return Err(Error::CheckFailed(format!(
            "the baseline cannot be read: {why}"
        )));
    }
    let mut side = SideRead {
        label: format!("the backups in {}", dir.display()),
        units,
        parts,
        missing: HashMap::new(),
        failed: None,
        unusable,
    };
    // A database whose backup is cut short is no baseline: its facts are check errors.
    for f in &backups.files {
        if let (Some(p), Some(db)) = (&f.problem, &f.database) {
            if side.part(db).is_none() {
                side.missing.insert(
                    db.clone(),
                    format!(
                        "the backup of database {db}, {}, is not usable: {p}",
                        f.path.display()
                    ),
                );
            }
        }
    }
    // Roles: config.yaml's, else what the tables say.
    let roles: HashMap<String, DbRole> = side
        .parts
        .iter()
        .map(|p| {
            let role = config_roles
                .get(&p.name)
                .copied()
                .unwrap_or_else(|| p.inferred_role(&opts.schema));
            (p.name.clone(), role)
        })
        .collect();
    let pick = |role: DbRole| -> Fact<Option<String>> {
        let parts: Vec<&DbPart> = side
            .parts
            .iter()
            .filter(|p| roles.get(&p.name) == Some(&role))
            .collect();
        // A database config.yaml names whose backup is unusable: its facts say why.
        let broken = side
            .missing
            .keys()
            .find(|d| config_roles.get(*d) == Some(&role));
        match (parts.as_slice(), broken) {
            ([], Some(db)) => Ok(Some(db.clone())),
            ([], None) => Ok(None),
            ([one], _) => Ok(Some(one.name.clone())),
            (many, _) => Err(format!(
                "several {} databases among {}: {} (each holds the tables of one): give the backups of one deployment",
                role.as_str(),
                side.label,
                many.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    };
    let (rm, cm) = (pick(DbRole::Rm), pick(DbRole::Cm));
    let dbs = side.parts.iter().map(|p| p.name.clone()).collect();
    Ok(Baseline {
        side,
        roles,
        dbs,
        rm,
        cm,
    })
}

/// The deployment now, and what the live MetaDB confirmed absent.
struct Now {
    side: SideRead,
    absent_dbs: Vec<String>,
    absent_tables: Vec<(String, String)>,
}

fn read_now(
    list: &SourceList,
    target: Option<&sources::metadb::Target>,
    opts: &Options,
    base: &Baseline,
    inputs: &mut Vec<Input>,
) -> Result<Now> {
    let mut now = Now {
        side: SideRead {
            label: "the dumps of the deployment now".into(),
            units: list.dumps.iter().cloned().map(Unit::Dump).collect(),
            parts: Vec::new(),
            missing: HashMap::new(),
            failed: None,
            unusable: Vec::new(),
        },
        absent_dbs: Vec::new(),
        absent_tables: Vec::new(),
    };
    if let Some(t) = target {
        now.side.label = format!("the MetaDB {}", t.address());
        inputs.push(Input {
            kind: "metadb",
            path: format!("mysql://{}@{}", t.user, t.address()),
            sha256: None,
        });
        let wanted: Vec<(String, Vec<String>)> = base
            .side
            .parts
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.tables.iter().map(|t| t.name.clone()).collect(),
                )
            })
            .collect();
        match scan::prepare_live(t, &wanted) {
            Ok(view) => {
                for db in &view.absent_dbs {
                    now.side.missing.insert(
                        db.clone(),
                        format!("MetaDB {}: database {db} does not exist", t.address()),
                    );
                }
                now.absent_dbs = view.absent_dbs;
                now.absent_tables = view.absent_tables;
                now.side.units = view
                    .dbs
                    .into_iter()
                    .map(|d: LiveDb| Unit::Live(Arc::new(d)))
                    .collect();
            }
            // The report is still written, with the checks that needed it as errors.
            Err(Error::CheckFailed(why)) => now.side.failed = Some(why),
            Err(e) => return Err(e),
        }
    }
    if now.side.failed.is_none() {
        match first_pass(&now.side.units, opts, &base.roles, Some(&base.dbs)) {
            Ok((mut parts, scans)) => {
                for (i, (u, s)) in now.side.units.iter().zip(&scans).enumerate() {
                    let Unit::Dump(p) = u else { continue };
                    inputs.push(Input {
                        kind: "dump",
                        path: p.display().to_string(),
                        sha256: s.dump.as_ref().and_then(|d| d.sha256.clone()),
                    });
                    // A dump cut short is no picture of the deployment: its rows would
                    // read as lost.
                    if s.dump.as_ref().is_some_and(|d| !d.completed) {
                        for part in parts.iter().filter(|x| x.unit == i) {
                            now.side.missing.insert(
                                part.name.clone(),
                                format!(
                                    "{} (database {}) has no '-- Dump completed' trailer: the dump was cut short",
                                    p.display(),
                                    part.name
                                ),
                            );
                        }
                        parts.retain(|x| x.unit != i);
                    }
                }
                now.side.parts = parts;
            }
            Err(Error::CheckFailed(why)) => now.side.failed = Some(why),
            Err(e) => return Err(e),
        }
    }
    for db in &base.dbs {
        if now.side.part(db).is_none() && !now.side.missing.contains_key(db) {
            let why = format!(
                "no dump of database {db} among {} (--dump, SNAPSHOT_DIR/metadb)",
                now.side.label
            );
            now.side.missing.insert(db.clone(), why);
        }
    }
    Ok(now)
}

/// Whether OMS005 can have flagged anything: the baseline's version is 3.2.1, 3.2.2 or
/// 3.3.0 (the rule checks the conditions exactly; this only spares a pass).
fn oms005_applies(from: Option<Version>, versions: &Fact<Vec<VersionRow>>) -> bool {
    let from = match from {
        Some(v) => Some(v),
        None => match versions.as_ref().map(|v| VerifyFacts::highest(v)) {
            Ok(Ok(v)) => v,
            // Unknown: look, and let the rule say it cannot judge.
            _ => return true,
        },
    };
    from.is_some_and(|v| matches!(v.release(), (3, 2, 1) | (3, 2, 2) | (3, 3, 0)))
}

fn part<'s>(side: &'s SideRead, db: Option<&str>) -> Option<&'s DbPart> {
    db.and_then(|d| side.part(d))
}

/// Both sides' facts reduced to what differs, with the rows of the differences in text.
fn gather(opts: &Options, base: &Baseline, now: &Now, given: &Given) -> Result<VerifyFacts> {
    let schema = &opts.schema;
    let (b, n) = (&base.side, &now.side);
    let rm_name = base.rm.as_ref().ok().cloned().flatten();
    let cm_name = base.cm.as_ref().ok().cloned().flatten();
    let (rm, cm) = (rm_name.as_deref(), cm_name.as_deref());
    // Each fact: its database is known, and its table and columns are there, both sides.
    let on_both = |db: &Fact<Option<String>>, facts: &[TableFact]| -> Fact<()> {
        db.clone()?;
        for &f in facts {
            let name = if schema.table_of(f).0.db_role() == DbRole::Rm {
                rm
            } else {
                cm
            };
            need_fact(b, name, schema, f)?;
            need_fact(n, name, schema, f)?;
        }
        Ok(())
    };

    let versions_of = |side: &SideRead| -> Fact<Vec<VersionRow>> {
        base.rm.clone()?;
        Ok(need_fact(side, rm, schema, TableFact::Versions)?
            .versions
            .clone())
    };
    let baseline_versions = versions_of(b);
    let now_versions = versions_of(n);
    let now_ha = (|| {
        base.rm.clone()?;
        let p = need_fact(n, rm, schema, TableFact::NormalConfig)?;
        match p.ha.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            _ => Err(format!(
                "{}: several ha.config rows in {}",
                n.origin(p),
                schema.normal_config.table
            )),
        }
    })();
    let hosts_of = |side: &SideRead| -> Fact<Vec<HostRow>> {
        base.cm.clone()?;
        Ok(need_hosts(side, cm)?.hosts.clone())
    };

    // The keyed facts and, after a rollback, every table: compared together (the passes
    // over the dumps and the live tables are shared), in bounded memory.
    let projects_read = on_both(&base.rm, &[TableFact::Projects, TableFact::SyncProjects]);
    let datasources_read = on_both(&base.rm, &[TableFact::Datasources]);
    let settings_read = on_both(&base.cm, &[TableFact::ConfigJob]);
    let mut pairs: Vec<tables::Pair<'_>> = Vec::new();
    let mut slots: Vec<(FactKey, usize)> = Vec::new();
    let nb = b.units.len();
    for (key, db, read) in [
        (FactKey::Projects(0), rm, &projects_read),
        (FactKey::Projects(1), rm, &projects_read),
        (FactKey::Datasources, rm, &datasources_read),
        (FactKey::Settings, cm, &settings_read),
    ] {
        let (Ok(()), Some(pb), Some(pn)) = (read, part(b, db), part(n, db)) else {
            continue;
        };
        let (Some(db_digest), Some(dn)) = (pb.fact(key), pn.fact(key)) else {
            continue;
        };
        slots.push((key, pairs.len()));
        pairs.push(tables::Pair {
            backup: db_digest,
            now: dn,
            units: [pb.unit, nb + pn.unit],
            backup_file: None,
            sig: Some(db_digest.summed_names()),
            all_keys: true,
        });
    }
    let first_table = pairs.len();
    let mut tables: Fact<TableComparison> = match opts.mode {
        Mode::RolledBack => table_pairs(base, now, &mut pairs),
        Mode::Upgrade => Err("compared only after a rollback (--rolled-back)".into()),
    };
    let mut units: Vec<Unit> = b.units.clone();
    units.extend(n.units.iter().cloned());
    let compared = tables::compare(&pairs, &units).map_err(|e| e.to_string());
    let (compared, compare_error) = match compared {
        Ok(c) => (c, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    let failed = |read: Fact<()>| -> Fact<()> {
        read?;
        compare_error.clone().map_or(Ok(()), Err)
    };
    let (projects_read, datasources_read, settings_read) = (
        failed(projects_read),
        failed(datasources_read),
        failed(settings_read),
    );
    if let Ok(cmp) = &mut tables {
        if let Some(why) = &compare_error {
            tables = Err(why.clone());
        } else {
            cmp.diffs.extend(
                compared
                    .iter()
                    .skip(first_table)
                    .filter(|c| c.differs())
                    .map(|c| c.diff.clone()),
            );
            cmp.diffs
                .sort_by(|a, b| (&a.database, &a.table).cmp(&(&b.database, &b.table)));
        }
    }
    // The keys that differ, then their rows in text (a second pass, only if any).
    let mut want_b = Wanted::default();
    let mut want_n = Wanted::default();
    for (key, i) in &slots {
        let Some(c) = compared.get(*i) else { continue };
        let keys = c.keys.iter().copied();
        match key {
            FactKey::Projects(kind) => {
                want_b.projects[*kind].extend(keys.clone());
                want_n.projects[*kind].extend(keys);
            }
            FactKey::Datasources => want_b.datasources.extend(keys),
            FactKey::Settings => {
                want_b.settings.extend(keys.clone());
                want_n.settings.extend(keys);
            }
        }
    }
    // Incr-Sync jobs with no dbType in the baseline and none now.
    let mut lacking: Vec<(u64, JobFlags)> = Vec::new();
    if let (Ok(()), Some(pb), Some(pn)) = (&settings_read, part(b, cm), part(n, cm)) {
        if opts.mode == Mode::Upgrade && oms005_applies(opts.from, &baseline_versions) {
            for (&job, &flags) in &pb.jobs {
                let now_has = pn.jobs.get(&job).is_some_and(|f| f.has_dbtype);
                if !flags.has_dbtype && !now_has {
                    lacking.push((job, flags));
                    want_b.jobs.insert(job);
                }
            }
        }
    }
    let details_b = second_pass(b, &want_b, schema, rm, cm)?;
    let details_n = second_pass(n, &want_n, schema, rm, cm)?;
    // The creation time of the lacking jobs' projects (OMS005's 3.3.0 case).
    let mut want_created = Wanted::default();
    for name in details_b.jobs.values() {
        if let Some(pid) = crate::facts::link::project_id_of(name) {
            want_created.created.insert(collect::id_key(pid));
        }
    }
    let created = second_pass(b, &want_created, schema, rm, None)?;

    let projects = projects_read.map(|()| project_changes(&want_b, &details_b, &details_n));
    let datasources = datasources_read.map(|()| {
        let mut v: Vec<DatasourceRow> = details_b
            .datasources
            .iter()
            .map(|(id, name, t)| DatasourceRow {
                id: id.clone(),
                name: name.clone(),
                ds_type: t.clone(),
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.dedup_by(|a, b| a.id == b.id);
        v
    });
    let settings_changes = settings_read
        .clone()
        .map(|()| setting_changes(&details_b, &details_n));
    let dbtype = settings_read.map(|()| {
        let created: HashMap<&str, &str> = created
            .projects
            .iter()
            .filter_map(|p| Some((p.id.as_str(), p.created.as_deref()?)))
            .collect();
        let mut v: Vec<DbTypeComponent> = lacking
            .iter()
            .filter_map(|(job, flags)| {
                let name = details_b.jobs.get(job)?.clone();
                if given.dbtype_in_files.contains(&name) {
                    return None;
                }
                let project_id = crate::facts::link::project_id_of(&name).map(str::to_string);
                let project_created = project_id
                    .as_deref()
                    .and_then(|pid| created.get(pid))
                    .map(|c| c.to_string());
                Some(DbTypeComponent {
                    name,
                    project_id,
                    project_created,
                    syncs_ddl: !flags.ignore_ddl,
                })
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    });
    let backup_of = |db: Option<&str>| part(b, db).map(|p| b.units[p.unit].label());
    Ok(VerifyFacts {
        mode: opts.mode,
        from: opts.from,
        to: opts.to,
        downtime_min: opts.downtime_min,
        baseline_label: b.label.clone(),
        now_label: n.label.clone(),
        rm_backup: backup_of(rm),
        cm_backup: backup_of(cm),
        baseline_versions,
        now_versions,
        now_ha,
        baseline_hosts: hosts_of(b),
        now_hosts: hosts_of(n),
        projects,
        datasources,
        settings: settings_changes,
        dbtype,
        tables,
    })
}

/// The projects of the baseline that differ now: gone, or in another status.
fn project_changes(want: &Wanted, b: &Details<'_>, n: &Details<'_>) -> Vec<ProjectChange> {
    let now: HashMap<(usize, &str), &str> = n
        .projects
        .iter()
        .map(|q| ((q.kind, q.id.as_str()), q.status.as_str()))
        .collect();
    let mut v: Vec<ProjectChange> = b
        .projects
        .iter()
        .filter(|p| want.projects[p.kind].contains(&collect::id_key(&p.id)))
        .map(|p| ProjectChange {
            kind: if p.kind == 0 {
                ProjectKind::Migration
            } else {
                ProjectKind::Sync
            },
            id: p.id.clone(),
            name: p.name.clone(),
            before: p.status.clone(),
            now: now.get(&(p.kind, p.id.as_str())).map(|s| s.to_string()),
        })
        .collect();
    v.sort_by(|a, b| (a.kind as u8, &a.id).cmp(&(b.kind as u8, &b.id)));
    v.dedup_by(|a, b| a.kind == b.kind && a.id == b.id);
    v
}

/// The settings of the baseline whose values are not all there now.
fn setting_changes(b: &Details<'_>, n: &Details<'_>) -> Vec<SettingChange> {
    type Values = Vec<Option<String>>;
    let mut by: std::collections::BTreeMap<(&str, &str), (Values, Option<Values>)> =
        std::collections::BTreeMap::new();
    for (job, key, value) in &b.settings {
        by.entry((job.as_str(), key.as_str()))
            .or_default()
            .0
            .push(value.clone());
    }
    for (job, key, value) in &n.settings {
        if let Some(e) = by.get_mut(&(job.as_str(), key.as_str())) {
            e.1.get_or_insert_with(Vec::new).push(value.clone());
        }
    }
    by.into_iter()
        .map(|((job_name, key), (mut before, mut now))| {
            before.sort();
            if let Some(n) = &mut now {
                n.sort();
            }
            SettingChange {
                job_name: job_name.to_string(),
                key: key.to_string(),
                before,
                now,
            }
        })
        .collect()
}

/// The version the baseline records (or `--from`): the report's `upgrade.from`.
fn baseline_version(facts: &VerifyFacts) -> Result<Version> {
    if let Some(v) = facts.from {
        return Ok(v);
    }
    let rows = facts.baseline_versions.as_ref().map_err(|why| {
        Error::CheckFailed(format!(
            "{why} (and without it the baseline's version is unknown: give --from)"
        ))
    })?;
    match VerifyFacts::highest(rows) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Error::Usage(format!(
            "the baseline's version is unknown ({} record none in oms_version): give --from",
            facts.baseline_label
        ))),
        Err(why) => Err(Error::CheckFailed(format!(
            "{}: {why}; the baseline's version is unknown: give --from",
            facts.baseline_label
        ))),
    }
}

/// The analysis: the report and whether a check could not run.
fn analyze(args: &VerifyArgs) -> Result<(Report, bool)> {
    let list = source_list(args)?;
    let opts = Options::read(args, &list)?;
    let mut inputs: Vec<Input> = Vec::new();
    let given = Given::read(&list, &mut inputs)?;
    let target = live_target(args, &given.configs)?;
    let config_roles = sources::roles_from_configs(&given.configs);
    let base = read_baseline(&list, &opts, &config_roles, &mut inputs)?;
    let now = read_now(&list, target.as_ref(), &opts, &base, &mut inputs)?;
    let facts = gather(&opts, &base, &now, &given)?;

    let from = baseline_version(&facts)?;
    let to = opts.to.unwrap_or(from);
    let path = UpgradePath {
        from,
        to,
        hops: vec![from, to],
        problem: None,
    };
    let graph = UpgradeGraph::builtin();
    let deployment = std::sync::Arc::new(Deployment {
        inputs: inputs.clone(),
        ..Deployment::default()
    });
    let ctx = Context {
        deployment: &deployment,
        path: &path,
        graph: &graph,
        schema: &opts.schema,
        stage: Stage::Plan,
        downtime_min: opts.downtime_min,
        heartbeat_threshold: 0,
        hop: None,
        verify: Some(&facts),
    };
    let mut run = crate::engine::run_rules(&ctx, &crate::rules::verify_registry());
    crate::engine::apply_settings(&mut run, &opts.settings, &crate::report::time::today());
    let check_errors = run.has_errors();
    inputs.sort();
    let mut report = Report::new(
        Upgrade {
            from: from.to_string(),
            to: to.to_string(),
            path: vec![from.to_string(), to.to_string()],
        },
        &inputs,
        run,
    );
    report.command = "verify";
    report.rolled_back = matches!(opts.mode, Mode::RolledBack);
    Ok((report, check_errors))
}

/// The second pass over a side's rm and cm units, when `wanted` names anything.
fn second_pass<'a>(
    side: &SideRead,
    wanted: &'a Wanted,
    schema: &'a SchemaMap,
    rm: Option<&'a str>,
    cm: Option<&'a str>,
) -> Result<Details<'a>> {
    let mut all = Details::new(schema, wanted, rm, cm);
    if wanted.is_empty() || side.failed.is_some() {
        return Ok(all);
    }
    let mut units: Vec<usize> = [rm, cm]
        .iter()
        .flatten()
        .filter_map(|db| side.part(db))
        .map(|p| p.unit)
        .collect();
    units.sort_unstable();
    units.dedup();
    let jobs: Vec<(Unit, Details<'a>)> = units
        .iter()
        .map(|&u| (side.units[u].clone(), Details::new(schema, wanted, rm, cm)))
        .collect();
    for (d, r) in scan::scan_with(jobs, false) {
        r?;
        all.projects.extend(d.projects);
        all.datasources.extend(d.datasources);
        all.settings.extend(d.settings);
        all.jobs.extend(d.jobs);
    }
    Ok(all)
}

/// OMS108: each table of each backed-up database against the table now. Tables on both
/// sides become comparisons in `pairs`; a table on one side only is a difference at once.
fn table_pairs<'b>(
    base: &'b Baseline,
    now: &'b Now,
    pairs: &mut Vec<tables::Pair<'b>>,
) -> Fact<TableComparison> {
    let (b_side, n_side) = (&base.side, &now.side);
    if let Some(why) = n_side.failed.as_ref().or(b_side.failed.as_ref()) {
        return Err(why.clone());
    }
    // A database whose backup is unusable cannot be compared: unknown is not a pass.
    let mut unusable: Vec<&String> = b_side.missing.values().collect();
    unusable.sort();
    if let Some(why) = unusable.first() {
        return Err((*why).clone());
    }
    let mut cmp = TableComparison::default();
    let mut found: Vec<tables::Pair<'b>> = Vec::new();
    let nb = b_side.units.len();
    for db in &base.dbs {
        let b = b_side
            .part(db)
            .ok_or_else(|| format!("{}: database {db} was not read", b_side.label))?;
        let gone = now.absent_dbs.contains(db);
        if !gone {
            if let Some(why) = n_side.missing.get(db) {
                return Err(why.clone());
            }
        }
        let n = n_side.part(db);
        // Rows of a table the dump never creates cannot be told apart.
        for (side, p) in [(b_side, Some(b)), (n_side, n)] {
            let Some(p) = p else { continue };
            if let Some(t) = p.tables.iter().find(|t| t.columns.is_empty()) {
                return Err(format!(
                    "{}: table {} has no CREATE TABLE, so its rows cannot be compared",
                    side.origin(p),
                    t.name
                ));
            }
        }
        let file = Some(b_side.units[b.unit].label());
        for d in &b.digests {
            cmp.compared += 1;
            let now_digest = n.and_then(|n| {
                n.digests
                    .iter()
                    .find(|x| x.table.eq_ignore_ascii_case(&d.table))
            });
            if let (Some(nd), Some(np)) = (now_digest, n) {
                found.push(tables::Pair {
                    backup: d,
                    now: nd,
                    units: [b.unit, nb + np.unit],
                    backup_file: file.clone(),
                    sig: None,
                    all_keys: false,
                });
                continue;
            }
            // Absent now: the server said so, or the dump of its database lacks it.
            let confirmed = gone
                || now
                    .absent_tables
                    .iter()
                    .any(|(x, t)| x == db && t.eq_ignore_ascii_case(&d.table))
                || matches!(n.map(|n| &n_side.units[n.unit]), Some(Unit::Dump(_)));
            if !confirmed {
                return Err(format!(
                    "{}: table {db}.{} was not read",
                    n_side.label, d.table
                ));
            }
            cmp.diffs.push(facts::TableDiff {
                database: db.clone(),
                table: d.table.clone(),
                absent_now: true,
                backup_rows: d.rows,
                missing: d.rows,
                backup_file: file.clone(),
                ..facts::TableDiff::default()
            });
        }
        // Tables that exist now and not in the backup.
        for d in n.map_or(&[][..], |n| &n.digests) {
            if !b
                .digests
                .iter()
                .any(|x| x.table.eq_ignore_ascii_case(&d.table))
            {
                cmp.compared += 1;
                cmp.diffs.push(facts::TableDiff {
                    database: db.clone(),
                    table: d.table.clone(),
                    absent_in_backup: true,
                    now_rows: d.rows,
                    extra: d.rows,
                    backup_file: file.clone(),
                    ..facts::TableDiff::default()
                });
            }
        }
    }
    pairs.extend(found);
    Ok(cmp)
}
