//! The MetaDB from dump files: each dump is scanned by its own builder, dumps in
//! parallel, and the parts merged.
//!
//! A dump with project tables is read twice (see `ProjectAggregator`), and its second
//! pass needs what the cm dumps' `config_job` rows name: the projects to keep in full
//! (OMS005 needs their source type and creation time). So the dumps that may hold
//! `config_job` are scanned first, and each second pass starts as soon as they are done,
//! while the remaining first passes (the heartbeat dumps, usually the largest) still run:
//! the rm dump's two passes, the longest chain, never wait for the heartbeat dump.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use super::dump::{self, Interest, TableDef, Value, Visitor};
use super::Kind;
use crate::error::{Error, Result};
use crate::facts::fxhash::FxHashSet;
use crate::facts::job_keep::JobKeep;
use crate::facts::{Component, DbRole, Input, MetaDb};
use crate::schema_map::SchemaMap;
use crate::sources::facts_builder::FactsBuilder;

struct DumpVisitor<'b, 's> {
    builder: &'b mut FactsBuilder<'s>,
}

impl Visitor for DumpVisitor<'_, '_> {
    fn database(&mut self, name: &str) {
        self.builder.database(name);
    }

    fn table(&mut self, table: &TableDef) -> Interest {
        self.builder.table(table)
    }

    fn row(&mut self, _table: &TableDef, values: &[Value<'_>], offset: u64) -> Result<()> {
        self.builder.row_at(values, Some(offset));
        Ok(())
    }

    fn insert_begins(&mut self, _table: &TableDef, column_list: bool) {
        self.builder.insert_begins(column_list);
    }

    fn table_done(&mut self, table: &TableDef, rows: u64) {
        self.builder.table_done(table, rows);
    }
}

/// A dump after its first pass: the builder waits for what every other dump's first
/// pass found (the projects that components point at) before its second pass.
struct Pending<'s> {
    path: PathBuf,
    builder: FactsBuilder<'s>,
    input: Input,
    /// Every database the dump holds (its header's, and each `USE`/`CREATE DATABASE`).
    databases: Vec<String>,
}

fn first_pass<'s>(
    path: &Path,
    database: Option<&str>,
    schema: &'s SchemaMap,
    roles: &HashMap<String, DbRole>,
    keep: &Arc<JobKeep>,
) -> Result<Pending<'s>> {
    let mut b = FactsBuilder::new(schema, roles.clone());
    b.judge_components(Arc::clone(keep));
    b.begin_source(Some(path.to_path_buf()));
    if let Some(db) = database {
        b.database(db);
    }
    let summary = dump::scan_hashed(path, &mut DumpVisitor { builder: &mut b })?;
    b.end_first_pass();
    if summary.database.is_none() && database.is_none() {
        return Err(Error::parse_no_pos(
            path,
            "cannot tell which database this dump holds: no '-- Host: … Database: …' header, USE or CREATE DATABASE",
        ));
    }
    let mut databases: Vec<String> = database.map(str::to_string).into_iter().collect();
    for db in summary.database.iter().chain(&summary.databases) {
        if !databases.contains(db) {
            databases.push(db.clone());
        }
    }
    Ok(Pending {
        path: path.to_path_buf(),
        builder: b,
        databases,
        input: Input {
            kind: "dump",
            path: path.display().to_string(),
            sha256: summary.sha256,
        },
    })
}

fn rescan(p: &mut Pending<'_>) -> Result<()> {
    p.builder.begin_second_pass();
    dump::scan(
        &p.path,
        &mut DumpVisitor {
            builder: &mut p.builder,
        },
    )?;
    Ok(())
}

fn second_pass(p: &mut Pending<'_>, wanted: &Arc<FxHashSet<String>>) -> Result<()> {
    if p.builder.needs_second_pass(wanted) {
        read_again(p)?;
    }
    Ok(())
}

/// The rows the first pass could not keep: read by their place in the dump, or, when
/// that cannot be done (see `FactsBuilder::again_reads_all`), in a pass over it all.
fn read_again(p: &mut Pending<'_>) -> Result<()> {
    // `OMSLINT_READ_AGAIN_ALL=1` takes the whole-pass way every time: the test that holds
    // reading by place to it compares reports made both ways.
    let all = std::env::var_os("OMSLINT_READ_AGAIN_ALL").is_some_and(|v| v == "1");
    if all || p.builder.again_reads_all() {
        rescan(p)
    } else {
        p.builder.read_again_at(&p.path)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Who waits for whom while the passes run.
struct Schedule {
    /// First passes of dumps that may hold `config_job`, still running.
    holders_left: usize,
    /// The projects components name: the file components' from the start, the holders'
    /// added when the last holder is done. Second passes use it only from then on.
    wanted: Arc<FxHashSet<String>>,
    /// Dumps whose first pass is done, waiting for `wanted`.
    parked: Vec<usize>,
}

/// The passes over every dump, run on rayon's pool without ever blocking a worker: a
/// finished pass spawns what it unblocks.
struct Pipeline<'a, 's> {
    peeked: &'a [(PathBuf, Option<String>)],
    holder: Vec<bool>,
    schema: &'s SchemaMap,
    roles: &'a HashMap<String, DbRole>,
    keep: &'a Arc<JobKeep>,
    slots: Vec<Mutex<Option<Pending<'s>>>>,
    schedule: Mutex<Schedule>,
    /// The job ids of the holders, collected as they finish.
    job_ids: Mutex<FxHashSet<String>>,
    failure: Mutex<Option<Error>>,
}

impl<'a, 's> Pipeline<'a, 's> {
    fn failed(&self) -> bool {
        lock(&self.failure).is_some()
    }

    fn fail(&self, e: Error) {
        lock(&self.failure).get_or_insert(e);
    }

    fn first<'scope>(&'scope self, scope: &rayon::ScopeFifo<'scope>, i: usize) {
        if self.failed() {
            return;
        }
        let (path, db) = &self.peeked[i];
        let pending = match first_pass(path, db.as_deref(), self.schema, self.roles, self.keep) {
            Ok(p) => p,
            Err(e) => return self.fail(e),
        };
        if self.holder[i] {
            lock(&self.job_ids).extend(pending.builder.job_project_ids().map(str::to_string));
        }
        *lock(&self.slots[i]) = Some(pending);
        let ready = {
            let mut s = lock(&self.schedule);
            s.parked.push(i);
            if self.holder[i] {
                s.holders_left -= 1;
                if s.holders_left == 0 {
                    let ids = std::mem::take(&mut *lock(&self.job_ids));
                    Arc::make_mut(&mut s.wanted).extend(ids);
                }
            }
            (s.holders_left == 0).then(|| (Arc::clone(&s.wanted), std::mem::take(&mut s.parked)))
        };
        if let Some((wanted, unblocked)) = ready {
            for j in unblocked {
                let wanted = Arc::clone(&wanted);
                scope.spawn_fifo(move |_| self.second(j, &wanted));
            }
        }
    }

    fn second(&self, i: usize, wanted: &Arc<FxHashSet<String>>) {
        if self.failed() {
            return;
        }
        let mut slot = lock(&self.slots[i]);
        if let Some(p) = slot.as_mut() {
            if let Err(e) = second_pass(p, wanted) {
                self.fail(e);
            }
        }
    }
}

/// Every dump into one MetaDB.
pub fn read_dumps(
    paths: &[PathBuf],
    schema: &SchemaMap,
    roles: HashMap<String, DbRole>,
    components: &[Component],
    keep: &Arc<JobKeep>,
) -> Result<(MetaDb, Vec<Input>)> {
    let paths = dump_files(paths)?;
    let peeked: Vec<(PathBuf, Option<String>)> = paths
        .par_iter()
        .map(|p| Ok((p.clone(), dump::peek_database(p)?)))
        .collect::<Result<_>>()?;
    // Two dumps of one database (an old one left beside the new one) would be merged, or
    // one would win: which is unknowable, so neither is read.
    one_dump_per_database(peeked.iter().map(|(p, db)| (p, db.iter())))?;
    // A dump whose database config.yaml does not name may be the cm database.
    let role = |db: &Option<String>| {
        db.as_deref()
            .and_then(|d| roles.get(d).copied())
            .unwrap_or(DbRole::Unknown)
    };
    let holder: Vec<bool> = peeked
        .iter()
        .map(|(_, db)| matches!(role(db), DbRole::Cm | DbRole::Unknown))
        .collect();
    // Holders first, then the rm dumps (their second pass is the longest chain), then the
    // rest; larger first within each.
    let mut order: Vec<usize> = (0..peeked.len()).collect();
    let size = |i: usize| std::fs::metadata(&peeked[i].0).map_or(0, |m| m.len());
    order.sort_by_key(|&i| {
        let rank = match (holder[i], role(&peeked[i].1)) {
            (true, _) => 0,
            (false, DbRole::Rm) => 1,
            _ => 2,
        };
        (rank, std::cmp::Reverse(size(i)), i)
    });
    let base: FxHashSet<String> = components
        .iter()
        .filter_map(|c| c.project_row_needed().map(str::to_string))
        .collect();
    let holders = holder.iter().filter(|h| **h).count();
    let pipeline = Pipeline {
        peeked: &peeked,
        schema,
        roles: &roles,
        keep,
        slots: peeked.iter().map(|_| Mutex::new(None)).collect(),
        schedule: Mutex::new(Schedule {
            holders_left: holders,
            wanted: Arc::new(base),
            parked: Vec::new(),
        }),
        holder,
        job_ids: Mutex::new(FxHashSet::default()),
        failure: Mutex::new(None),
    };
    rayon::scope_fifo(|scope| {
        for &i in &order {
            let p = &pipeline;
            scope.spawn_fifo(move |scope| p.first(scope, i));
        }
    });
    if let Some(e) = pipeline
        .failure
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        return Err(e);
    }
    let used = pipeline
        .schedule
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .wanted;
    let mut pending: Vec<Pending<'_>> = pipeline
        .slots
        .into_iter()
        .filter_map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect();
    // A dump of several databases names the first in its head, the others further on.
    one_dump_per_database(pending.iter().map(|p| (&p.path, p.databases.iter())))?;
    // A dump taken for rm or heartbeat that held config_job after all (one dump of several
    // databases, named by its first): its projects were not looked for. One more pass
    // over the project tables picks out just those.
    let late: FxHashSet<String> = pending
        .iter()
        .flat_map(|p| p.builder.job_project_ids())
        .filter(|id| !used.contains(*id))
        .map(str::to_string)
        .collect();
    if !late.is_empty() {
        let late = Arc::new(late);
        pending.par_iter_mut().try_for_each(|p| {
            if p.builder.needs_referenced_pass(&late) {
                read_again(p)?;
            }
            Ok::<_, Error>(())
        })?;
    }
    let mut metadb = MetaDb::default();
    let mut inputs = Vec::new();
    for p in pending {
        metadb.merge(p.builder.finish());
        inputs.push(p.input);
    }
    Ok((metadb, inputs))
}

/// The dump files to read: each must be a regular file (a named pipe cannot be read twice,
/// and every dump is), and a file given twice (SNAPSHOT_DIR/metadb and `--dump`) is read
/// once.
fn dump_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        match super::look(p)? {
            Some(Kind::File) => {}
            None => return Err(Error::unreadable(p, "No such file or directory")),
            Some(Kind::Dir) => {
                return Err(Error::parse_no_pos(p, "is a directory, expected a dump file"))
            }
            Some(kind @ Kind::Special(_)) => {
                return Err(Error::parse_no_pos(
                    p,
                    format!(
                        "is {}, expected a dump file (a dump is read more than once: save it to a file)",
                        kind.describe()
                    ),
                ))
            }
        }
        let key = std::fs::canonicalize(p).map_err(|e| super::unreadable(p, &e))?;
        if seen.insert(key) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// A parse error (exit 2) naming both files when two dumps hold the same database.
fn one_dump_per_database<'a, D>(dumps: impl Iterator<Item = (&'a PathBuf, D)>) -> Result<()>
where
    D: Iterator<Item = &'a String>,
{
    let mut first: HashMap<&'a str, &'a PathBuf> = HashMap::new();
    for (path, databases) in dumps {
        for db in databases {
            match first.get(db.as_str()) {
                Some(earlier) if *earlier != path => {
                    let at = |p: &Path| {
                        naming_line(p, db).map_or_else(
                            || p.display().to_string(),
                            |l| format!("{}:{l}", p.display()),
                        )
                    };
                    return Err(Error::parse(
                        path,
                        naming_line(path, db).unwrap_or(0),
                        0,
                        format!(
                            "a second dump of database `{db}`: {} holds it too. Which one is current \
                             cannot be told, so neither is read: keep one dump per database \
                             (move the older one out)",
                            at(earlier)
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    first.insert(db.as_str(), path);
                }
            }
        }
    }
    Ok(())
}

/// How far into a dump the line naming a database is looked for.
const NAMING_HEAD: u64 = 1 << 20;

/// The line of a dump's head that names `db` (its header, a `USE`, a `CREATE DATABASE`),
/// when there is one.
fn naming_line(path: &Path, db: &str) -> Option<u64> {
    use std::io::{BufRead, BufReader, Read};
    let file = std::fs::File::open(path).ok()?;
    let mut reader = BufReader::new(file.take(NAMING_HEAD));
    let quoted = format!("`{db}`");
    let header = format!("Database: {db}");
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        n += 1;
        let text = String::from_utf8_lossy(&line);
        let t = text.trim_end();
        let names = (t.starts_with("-- Host:") && t.ends_with(&header))
            || ((t.starts_with("USE ") || t.to_ascii_uppercase().starts_with("CREATE DATABASE"))
                && t.contains(&quoted));
        if names {
            return Some(n);
        }
    }
}
