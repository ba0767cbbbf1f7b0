//! The `lint`, `rules` and `explain` commands: sources → facts → rules → report → exit code.

use std::io::Write;

use crate::cli::{Format, LintArgs, StageArg};
use crate::emit::{emit, Emit, Progress};
use crate::error::{Error, Result};
use crate::facts::Deployment;
use crate::report::{self, Report, Upgrade};
use crate::rules::{Context, Stage};
use crate::schema_map::SchemaMap;
use crate::settings::{self, Settings};
use crate::sources::{self, SourceList};
use crate::upgrade::UpgradeGraph;
use crate::version::Version;

const DEFAULT_DOWNTIME_MIN: u64 = 60;
const DEFAULT_HEARTBEAT_THRESHOLD: u64 = 1000;

fn source_list(args: &LintArgs) -> Result<SourceList> {
    let mut list = SourceList::default();
    if let Some(dir) = &args.source.snapshot_dir {
        sources::snapshot::discover(dir, &mut list)?;
    }
    list.configs
        .extend(args.source.configs.iter().map(|p| (p.clone(), None)));
    list.dumps.extend(args.source.dumps.iter().cloned());
    list.components
        .extend(args.source.components.iter().cloned());
    if args.source.docker_inspect.is_some() {
        list.docker_inspect = args.source.docker_inspect.clone();
    }
    list.backup_dir = args.source.backup_dir.clone();
    if args.source.settings.is_some() {
        list.settings = args.source.settings.clone();
    }
    if let Some(url) = &args.source.metadb {
        let ssl_mode = sources::metadb::SslMode::parse(&args.source.ssl_mode).ok_or_else(|| {
            Error::Usage(format!(
                "--ssl-mode {:?}: expected disabled, preferred, required, verify-ca or verify-identity",
                args.source.ssl_mode
            ))
        })?;
        list.metadb = Some(sources::LiveSpec {
            url: url.clone(),
            password_file: args.source.password_file.clone(),
            ssl_mode,
            ssl_ca: args.source.ssl_ca.clone(),
            connect_timeout_s: args.source.connect_timeout,
            query_timeout_s: args.source.query_timeout,
        });
    }
    if list.is_empty() {
        return Err(Error::Usage(
            "nothing to lint: give a SNAPSHOT_DIR or sources (--config, --dump, --metadb, --components, --docker-inspect, --backup-dir)".into(),
        ));
    }
    Ok(list)
}

fn version_arg(what: &str, s: &str) -> Result<Version> {
    s.parse().map_err(|e| Error::Usage(format!("{what}: {e}")))
}

/// `--from`, else settings, else the highest version in `oms_version` (by version order).
fn source_version(
    args: &LintArgs,
    settings: &Settings,
    d: &Deployment,
    schema: &SchemaMap,
) -> Result<Version> {
    if let Some(v) = args.source.from.as_deref().or(settings.from.as_deref()) {
        return version_arg("--from", v);
    }
    if let Some(why) = &d.metadb_error {
        return Err(Error::CheckFailed(format!(
            "{why} (and without it the source version is unknown: give --from)"
        )));
    }
    // A version table that drifted from the schema map is unreadable, not empty.
    if let Err(why) =
        crate::rules::tables_readable(d, schema, &[crate::schema_map::TableFact::Versions])
    {
        return Err(Error::CheckFailed(format!(
            "{why} (and without it the source version is unknown: give --from)"
        )));
    }
    // A row that is not a version makes the current version unknown: the highest of the
    // others could be the wrong one.
    let mut parsed = Vec::with_capacity(d.metadb.versions.len());
    for r in &d.metadb.versions {
        match r.version.parse::<Version>() {
            Ok(v) => parsed.push(v),
            Err(e) => {
                return Err(Error::CheckFailed(format!(
                    "a row of the MetaDB's oms_version table holds {e}; the current version is unknown: give --from"
                )))
            }
        }
    }
    let highest = parsed.into_iter().max();
    highest.ok_or_else(|| {
        Error::Usage(
            "the source version is unknown: give --from (or a MetaDB dump with an oms_version table)"
                .into(),
        )
    })
}

/// A run that fails before it has a report must not leave the previous run's report
/// where an `if: always()` upload would publish it.
pub(crate) fn remove_stale_output(path: Option<&std::path::Path>) {
    if let Some(p) = path {
        if p.is_file() {
            let _ = std::fs::remove_file(p);
            eprintln!(
                "omslint: removed {} (a report of an earlier run): this run wrote none",
                p.display()
            );
        }
    }
}

/// One lint: the report, whether a check could not run, and the live target (for --fix).
struct Analysis {
    report: Report,
    check_errors: bool,
    /// Which input holds which database, for SARIF's physical locations.
    sarif_sources: Option<report::sarif::Sources>,
    target: Option<sources::metadb::Target>,
}

/// What `plan` needs beside the report: the deployment, its upgrade path, the downtime.
pub(crate) struct Parts {
    pub(crate) report: Report,
    pub(crate) check_errors: bool,
    pub(crate) deployment: std::sync::Arc<Deployment>,
    pub(crate) path: crate::upgrade::UpgradePath,
    pub(crate) graph: UpgradeGraph,
    pub(crate) downtime_min: u64,
}

fn analyze(args: &LintArgs) -> Result<Analysis> {
    let p = analyze_parts(args)?;
    let target = p.deployment.live_target.clone();
    let sarif_sources = (args.report.format == Format::Sarif)
        .then(|| report::sarif::Sources::from_deployment(&p.deployment));
    // A large MetaDB's facts are hundreds of thousands of small allocations; freeing
    // them one by one costs time and gives nothing back that the process, about to
    // write its report and exit, would use.
    std::mem::forget(p.deployment);
    Ok(Analysis {
        report: p.report,
        check_errors: p.check_errors,
        sarif_sources,
        target,
    })
}

/// One lint run, keeping the deployment and the path (for `omslint plan`).
pub(crate) fn analyze_parts(args: &LintArgs) -> Result<Parts> {
    let list = source_list(args)?;
    let settings = match &list.settings {
        Some(p) => settings::load(p)?,
        None => Settings::default(),
    };
    let schema = match &args.source.schema_map {
        Some(p) => SchemaMap::load(p)?,
        None => SchemaMap::builtin(),
    };
    let to = args
        .source
        .to
        .as_deref()
        .or(settings.to.as_deref())
        .ok_or_else(|| Error::Usage("--to is required (or `to:` in omslint.yaml)".into()))
        .and_then(|v| version_arg("--to", v))?;
    let stage = match args.stage {
        Some(StageArg::Window) => Stage::Window,
        Some(StageArg::Plan) => Stage::Plan,
        None => match settings.stage.as_deref().map(str::trim) {
            Some("window") => Stage::Window,
            Some("plan") | None => Stage::Plan,
            Some(other) => {
                return Err(Error::Usage(format!(
                    "stage {other:?} in the settings: expected plan or window"
                )))
            }
        },
    };
    let downtime_min = match args
        .source
        .downtime
        .as_deref()
        .or(settings.downtime.as_deref())
    {
        Some(d) => settings::parse_duration_min(d).ok_or_else(|| {
            Error::Usage(format!(
                "--downtime {d:?} is not a duration (write 90, 90m or 1h30m)"
            ))
        })?,
        None => DEFAULT_DOWNTIME_MIN,
    };
    let heartbeat_threshold = args
        .heartbeat_threshold
        .or(settings.thresholds.heartbeat_rows)
        .unwrap_or(DEFAULT_HEARTBEAT_THRESHOLD);

    let mut deployment = sources::load(&list, &schema)?;
    if let Some(p) = &list.settings {
        deployment.inputs.push(crate::facts::Input {
            kind: "settings",
            path: p.display().to_string(),
            sha256: Some(sources::sha256_file(p)?),
        });
    }
    let from = source_version(args, &settings, &deployment, &schema)?;
    let graph = match &args.source.upgrade_paths {
        Some(p) => {
            let g = UpgradeGraph::load(p)?;
            deployment.inputs.push(crate::facts::Input {
                kind: "upgrade-paths",
                path: p.display().to_string(),
                sha256: Some(sources::sha256_file(p)?),
            });
            g
        }
        None => UpgradeGraph::builtin(),
    };
    let path = graph.path(from, to);
    let deployment = std::sync::Arc::new(deployment);
    let ctx = Context {
        deployment: &deployment,
        path: &path,
        graph: &graph,
        schema: &schema,
        stage,
        downtime_min,
        heartbeat_threshold,
        hop: None,
        verify: None,
    };
    let mut run = crate::engine::run(&ctx);
    crate::engine::apply_settings(&mut run, &settings, &report::time::today());
    let check_errors = run.has_errors();
    let report = Report::new(
        Upgrade {
            from: from.to_string(),
            to: to.to_string(),
            path: path.hops.iter().map(Version::to_string).collect(),
        },
        &deployment.inputs,
        run,
    );
    Ok(Parts {
        report,
        check_errors,
        deployment,
        path,
        graph,
        downtime_min,
    })
}

/// `--fix`, `--diff`, `--fix-script`: returns the analysis to report (a fresh one after
/// fixes were applied: what remains is what counts).
fn fixes(args: &LintArgs, first: Analysis) -> Result<Analysis> {
    let wants_fix = args.fix || args.unsafe_fixes;
    if !wants_fix && !args.diff && args.fix_script.is_none() {
        return Ok(first);
    }
    let plan = crate::fix::apply::plan(first.report.findings.held(), args.unsafe_fixes);
    if let Some(path) = &args.fix_script {
        let rollback = crate::fix::apply::write_script(&plan, path)?;
        eprintln!(
            "omslint: wrote {} ({} fix(es)) and {}",
            path.display(),
            plan.sql.values().map(Vec::len).sum::<usize>(),
            rollback.display()
        );
        if !wants_fix {
            return Ok(first);
        }
    }
    if plan.is_empty() {
        eprintln!("omslint: nothing to fix");
        return Ok(first);
    }
    let target = match (&first.target, plan.sql.is_empty()) {
        (Some(t), _) => Some(t),
        (None, true) => None,
        (None, false) => {
            return Err(Error::Usage(
                "SQL fixes need the live MetaDB: give --metadb (or write them with --fix-script and run them with the mysql client)".into(),
            ))
        }
    };
    let rollback_file = args.rollback_file.clone().unwrap_or_else(|| {
        let mut p = std::path::PathBuf::from("omslint-rollback.sql");
        let mut n = 1;
        while p.exists() {
            p = std::path::PathBuf::from(format!("omslint-rollback.{n}.sql"));
            n += 1;
        }
        p
    });
    let applied_sql = match target {
        Some(t) => crate::fix::apply::apply_sql(t, &plan, &rollback_file)?,
        None => 0,
    };
    let backups = crate::fix::apply::apply_edits(&plan)?;
    eprintln!(
        "omslint: applied {} fix(es): {applied_sql} SQL statement(s){}, {} config file(s) patched{}",
        plan.len(),
        if applied_sql > 0 { format!(" (rollback: {})", rollback_file.display()) } else { String::new() },
        backups.len(),
        if backups.is_empty() {
            String::new()
        } else {
            format!(
                " (originals kept as {})",
                backups.iter().map(|b| b.display().to_string()).collect::<Vec<_>>().join(", ")
            )
        }
    );
    if args.show_fixes {
        for x in plan.sql.values().flatten() {
            let f = x.finding;
            eprintln!(
                "  fixed {} {} {}: {}",
                f.code, f.subject.kind, f.subject.id, x.description
            );
        }
        for (f, e) in plan.edits.values().flatten() {
            eprintln!(
                "  fixed {} {} {}: {} line {}",
                f.code,
                f.subject.kind,
                f.subject.id,
                e.path.display(),
                e.line
            );
        }
    }
    // Verified: lint again, and report what remains.
    analyze(args)
}

pub fn run(args: &LintArgs) -> Result<u8> {
    let result = run_inner(args);
    if result.is_err() {
        remove_stale_output(args.report.output.as_deref());
    }
    result
}

/// `--diff`: the changes `--fix` would make on stdout and nothing else; exit 1 when there
/// are any (like `git diff --exit-code`), 0 when there is nothing to fix.
fn diff(args: &LintArgs, a: &Analysis) -> Result<u8> {
    let plan = crate::fix::apply::plan(a.report.findings.held(), args.unsafe_fixes);
    let text = crate::fix::apply::diff(&plan)?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    let shown = plan.shown_only.len();
    eprintln!(
        "omslint: --diff: {} SQL fix(es), {} config file(s) to patch{}; nothing was changed",
        plan.sql.values().map(Vec::len).sum::<usize>() + plan.merged.len(),
        plan.edits.len(),
        if shown > 0 {
            format!("; {shown} fix(es) shown in the report are never applied by --fix")
        } else {
            String::new()
        }
    );
    if a.check_errors {
        return Ok(3);
    }
    Ok(u8::from(!plan.is_empty()))
}

fn run_inner(args: &LintArgs) -> Result<u8> {
    let progress = Progress::start("reading the deployment (dumps, configs, MetaDB)…");
    let first = analyze(args);
    drop(progress);
    let first = first?;
    if args.diff {
        return diff(args, &first);
    }
    let Analysis {
        report,
        check_errors,
        sarif_sources,
        ..
    } = fixes(args, first)?;
    let e = Emit::new(
        &args.report,
        report::sarif::Options {
            sources: sarif_sources,
            ..Default::default()
        },
    );
    emit(&e, &report, check_errors)
}

pub fn print_rules(format: crate::cli::RulesFormat) -> Result<u8> {
    use crate::cli::RulesFormat;
    use crate::escape::markdown::inline;
    let cat = crate::catalog::catalog();
    let text = match format {
        RulesFormat::Json => {
            let rows: Vec<serde_json::Value> = cat
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "code": m.code, "name": m.name, "severity": m.severity,
                        "fixable": m.fixable(), "applies_to": m.applies_to, "summary": m.summary,
                    })
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&rows).unwrap_or_default()
            )
        }
        RulesFormat::Markdown => {
            let mut out = String::from(
                "| code | name | severity | fixable | applies to |\n|---|---|---|---|---|\n",
            );
            for m in cat {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    m.code,
                    inline(&m.name),
                    inline(&m.severity),
                    inline(m.fixable()),
                    inline(&m.applies_to)
                ));
            }
            out
        }
        RulesFormat::Human => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::ASCII_MARKDOWN)
                .set_header(vec!["code", "name", "severity", "fixable", "applies to"]);
            for m in cat {
                t.add_row(vec![
                    m.code.as_str(),
                    m.name.as_str(),
                    m.severity.as_str(),
                    m.fixable(),
                    m.applies_to.as_str(),
                ]);
            }
            format!("{t}\n")
        }
    };
    print!("{text}");
    Ok(0)
}

pub fn explain(key: &str) -> Result<u8> {
    match crate::catalog::lookup(key) {
        Some(m) => {
            print!("{}", m.explain());
            Ok(0)
        }
        None => Err(Error::Usage(format!(
            "no rule {key:?}: `omslint rules` lists them (codes OMS001–OMS016 or kebab-case names)"
        ))),
    }
}
