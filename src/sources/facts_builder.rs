//! Fills the MetaDB facts from table rows, whichever source streams them.
//!
//! A source announces each table (`table`) and hands over its rows in the table's column
//! order (`row`); the schema map says which fact a table feeds, and which columns: each
//! value is found by its column's name, never by its position. A table that lacks a
//! column the map needs (or whose columns are unknown: a dump that inserts into a table
//! it never creates) feeds no fact at all — only its definition and row count are kept,
//! and the checks that read it report the gap (`rules::common::need_tables`), naming
//! the source, the table and the column. Project tables go through the streaming
//! aggregator; the small tables are kept whole.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Result;
use crate::facts::fxhash::{FxHashMap, FxHashSet};
use crate::facts::job_keep::{summary_key, JobKeep, Summarized};
use crate::facts::projects::{Again, Flagged, KeyFilter, ProjectAggregator, ProjectRow};
use crate::facts::row_spill::RowSpill;
use crate::facts::summarized_db_type;
use crate::facts::{
    ClusterInfo, ColumnMeta, Component, DataSource, Database, DbRole, MetaDb, ProjectFacts,
    ProjectKind, SettingOrigin, SourceSetting, TableMeta, VersionRow, DB_TYPE_SEEN,
};
use crate::schema_map::{SchemaMap, TableFact};
use crate::sources::dump::{self, Interest, TableDef, Value};

struct ProjectSide {
    agg: ProjectAggregator,
    cols: ProjectCols,
    columns: usize,
    /// Rows pushed so far: the place of the next row in the table.
    rows: u32,
    /// (place, byte offset of the row's `(`) of the first row of each INSERT and of
    /// every 32nd row: where rows can be read again.
    marks: Vec<(u32, u64)>,
    /// The next row starts an INSERT.
    insert_begins: bool,
    /// Rows can be read again by their place: a dump, every INSERT without a column
    /// list (so each row's values are in the table's order).
    by_place: bool,
    /// Rows can be selected again by their keys: a live MetaDB.
    keyed: bool,
    again: Again,
    /// How many data sources there were when the rows began, if they were read by then.
    inline_datasources: Option<usize>,
}

/// Every this many rows a project table notes where a row starts.
const MARK_EVERY: u32 = 32;

#[derive(Clone, Copy)]
struct ProjectCols {
    id: Option<usize>,
    name: Option<usize>,
    status: Option<usize>,
    source: Option<usize>,
    sink: Option<usize>,
    created: Option<usize>,
}

pub struct FactsBuilder<'s> {
    schema: &'s SchemaMap,
    roles: HashMap<String, DbRole>,
    pub metadb: MetaDb,
    current_db: Option<String>,
    current_path: Option<PathBuf>,
    /// The second pass streams the project tables again (see `ProjectAggregator`).
    second_pass: bool,
    /// A live source may select the project rows to read again by key (else every row
    /// streams past again).
    keyed_reads: bool,
    /// The fact of the table being streamed and its column positions by name.
    current: Option<(TableFact, Vec<(String, usize)>)>,
    projects: Option<ProjectSide>,
    sync_projects: Option<ProjectSide>,
    jobs: JobComponents,
    /// `config_job`'s id, job name, key and value columns, found once per table rather
    /// than by name on each of its rows (it is the largest table rows are kept from).
    job_cols: [Option<usize>; 4],
    /// This source's data-source table has been read in full.
    datasources_read: bool,
}

/// Components built from `config_job` rows: one per job name, short values shared.
///
/// OMS writes a job's rows together, so a component is judged when its run of rows ends
/// (`JobKeep::keeps`): kept whole, or summarized in 16 bytes. A row for a component
/// already summarized starts a new run; `finish_jobs` folds the two back together.
struct JobComponents {
    keep: Arc<JobKeep>,
    /// The component whose rows are streaming now.
    current: Option<Component>,
    kept: Vec<Component>,
    /// Where each kept component is, by name.
    index: FxHashMap<Box<[u8]>, usize>,
    summarized: Vec<u128>,
    /// A summarized component, emptied: the next one reuses its name and settings'
    /// room, as most components are summarized.
    spare: Option<Component>,
    values: FxHashSet<Arc<str>>,
    keys: FxHashSet<Arc<str>>,
}

impl Default for JobComponents {
    fn default() -> Self {
        JobComponents {
            keep: Arc::new(JobKeep::keep_all()),
            current: None,
            kept: Vec::new(),
            index: FxHashMap::default(),
            summarized: Vec::new(),
            spare: None,
            values: FxHashSet::default(),
            keys: FxHashSet::default(),
        }
    }
}

/// Values up to this length are shared (`OB_MYSQL`, `1`, `true` repeat on every
/// component); longer ones (checkpoints) are unique, and sharing them would only add a
/// hash-set entry each.
const SHARED_VALUE_MAX: usize = 24;

/// Settings whose presence is all a rule asks (OMS006: is there a checkpoint?). Their
/// values from `config_job` are unique per component and never read, so one shared
/// marker stands in for each.
const PRESENCE_ONLY: [&str; 1] = ["checkpoint"];
const PRESENT: &str = "(set)";

impl JobComponents {
    fn intern(set: &mut FxHashSet<Arc<str>>, s: &str) -> Arc<str> {
        if let Some(v) = set.get(s) {
            return v.clone();
        }
        let v: Arc<str> = s.into();
        set.insert(v.clone());
        v
    }

    /// The run of rows being read is over: the component is kept whole or summarized.
    fn close_run(&mut self) {
        let Some(c) = self.current.take() else {
            return;
        };
        if self.keep.keeps(&c) {
            self.index.insert(c.name.as_bytes().into(), self.kept.len());
            self.kept.push(c);
        } else {
            let black_region = c.setting("blackRegionNo").is_some();
            self.summarized.push(summary_key(&c.name, black_region));
            let mut c = c;
            c.name.clear();
            c.source.clear();
            self.spare = Some(c);
        }
    }

    fn component(&mut self, job: &[u8]) -> &mut Component {
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.name.as_bytes() == job)
        {
            return self.current.as_mut().expect("checked above");
        }
        if let Some(&i) = self.index.get(job) {
            return &mut self.kept[i];
        }
        self.close_run();
        let mut c = self.spare.take().unwrap_or_default();
        c.name.push_str(&crate::facts::utf8::lossy(job));
        self.current.insert(c)
    }

    fn add(&mut self, job: &[u8], setting: &str, value: &[u8], id: u64) {
        let text = if PRESENCE_ONLY.contains(&setting) {
            std::borrow::Cow::Borrowed(PRESENT)
        } else {
            crate::facts::utf8::lossy(value)
        };
        let value = if text.len() <= SHARED_VALUE_MAX {
            Self::intern(&mut self.values, &text)
        } else {
            Arc::from(text.as_ref())
        };
        let key = Self::intern(&mut self.keys, setting);
        self.component(job).source.insert(
            key,
            SourceSetting {
                value,
                origin: SettingOrigin::ConfigJob(id),
            },
        );
    }

    /// After the last row: a component kept whole whose earlier run of rows was
    /// summarized gets back what that run held that a rule asks about, its `dbType`
    /// (a summarized Incr-Sync component had one). Its `blackRegionNo`, if the earlier run
    /// set one, fitted, and a later row's value replaces it anyway.
    fn finish_jobs(&mut self) -> Summarized {
        self.close_run();
        self.index = FxHashMap::default();
        let summarized = Summarized::from_unsorted(std::mem::take(&mut self.summarized));
        if !summarized.is_empty() {
            for c in &mut self.kept {
                if summarized.find(&c.name).is_some() {
                    c.source
                        .insert_if_absent(DB_TYPE_SEEN, summarized_db_type());
                }
            }
        }
        self.kept.sort_by(|a, b| a.name.cmp(&b.name));
        self.kept.shrink_to_fit();
        summarized
    }
}

fn text<'v>(v: &'v Value<'_>) -> Option<&'v [u8]> {
    match v {
        Value::Null => None,
        Value::Text(b) => Some(b.as_ref()),
        Value::Number(b) => Some(b),
    }
}

fn project_row<'v>(c: ProjectCols, values: &'v [Value<'_>]) -> ProjectRow<'v> {
    let at = |i: Option<usize>| i.and_then(|i| values.get(i)).and_then(text);
    ProjectRow {
        id: at(c.id).unwrap_or_default(),
        name: at(c.name).unwrap_or_default(),
        status: at(c.status).unwrap_or_default(),
        source_ds: at(c.source),
        sink_ds: at(c.sink),
        created: at(c.created),
    }
}

/// Reads the rows `again` names once more, by their place in `path`.
fn read_again_at(path: &Path, side: &mut ProjectSide) -> Result<()> {
    let Again::Rows(places) = std::mem::replace(&mut side.again, Again::Nothing) else {
        return Ok(());
    };
    // Runs from the mark at or before each place up to the last place wanted in it.
    let mut runs: Vec<(u64, u32)> = Vec::new();
    let mut firsts: Vec<u32> = Vec::new();
    for &p in &places {
        let m = side.marks.partition_point(|&(at, _)| at <= p);
        let Some(&(first, offset)) = m.checked_sub(1).and_then(|m| side.marks.get(m)) else {
            continue;
        };
        match firsts.last() {
            Some(&f) if f == first => {
                if let Some(r) = runs.last_mut() {
                    r.1 = p - first + 1;
                }
            }
            _ => {
                firsts.push(first);
                runs.push((offset, p - first + 1));
            }
        }
    }
    let wanted: FxHashSet<u32> = places.into_iter().collect();
    let (cols, agg) = (side.cols, &mut side.agg);
    dump::read_rows_at(path, &runs, side.columns, &mut |run, k, values| {
        let place = firsts.get(run).map_or(u32::MAX, |f| f + k);
        if wanted.contains(&place) {
            agg.push_again(&project_row(cols, values));
        }
    })
}

fn string(v: Option<&Value<'_>>) -> Option<String> {
    v.and_then(text)
        .map(|b| crate::facts::utf8::lossy(b).into_owned())
}

impl<'s> FactsBuilder<'s> {
    /// `roles` maps database names from config.yaml to their role.
    pub fn new(schema: &'s SchemaMap, roles: HashMap<String, DbRole>) -> Self {
        FactsBuilder {
            schema,
            roles,
            metadb: MetaDb::default(),
            current_db: None,
            current_path: None,
            second_pass: false,
            keyed_reads: true,
            current: None,
            projects: None,
            sync_projects: None,
            jobs: JobComponents::default(),
            job_cols: [None; 4],
            datasources_read: false,
        }
    }

    /// The projects the `config_job` rows of this source point at and the rules need in
    /// full (see `Component::project_row_needed`).
    pub fn job_project_ids(&self) -> impl Iterator<Item = &str> {
        self.jobs
            .kept
            .iter()
            .filter_map(Component::project_row_needed)
    }

    /// After the first pass: `config_job` is read, so its index goes, and its components
    /// are sorted by name here, on the source's own thread, rather than all together on
    /// one thread after the last pass (stable: of two rows for one job, the first wins).
    pub fn end_first_pass(&mut self) {
        let summarized = self.jobs.finish_jobs();
        self.metadb.summarized_jobs.merge(summarized);
    }

    /// Judges `config_job` components as their rows pass (see `JobKeep`) instead of
    /// keeping every one whole.
    pub fn judge_components(&mut self, keep: Arc<JobKeep>) {
        self.jobs.keep = keep;
    }

    /// A new source file (or connection) starts.
    pub fn begin_source(&mut self, path: Option<PathBuf>) {
        self.current_db = None;
        self.current_path = path;
        self.current = None;
    }

    /// After the first pass: whether the source must read project rows again (for
    /// duplicate names, flagged data sources, or the projects in `wanted`, which
    /// components point at and which are kept in full).
    pub fn needs_second_pass(&mut self, wanted: &Arc<FxHashSet<String>>) -> bool {
        let ds = &self.metadb.datasources;
        let mut needed = false;
        for side in [self.projects.as_mut(), self.sync_projects.as_mut()]
            .into_iter()
            .flatten()
        {
            // Data-source rows that came after the projects' (an odd dump): what was
            // flagged as the rows passed may be short.
            if side.inline_datasources.is_some_and(|n| n != ds.len()) {
                side.agg.forget_inline();
            }
            side.again = side
                .agg
                .plan_again(ds, Arc::clone(wanted), side.by_place, side.keyed);
            needed |= side.again != Again::Nothing;
        }
        needed
    }

    /// After the second look: whether the rows of projects in `more`, which components
    /// name and which were not looked for, must be read.
    pub fn needs_referenced_pass(&mut self, more: &Arc<FxHashSet<String>>) -> bool {
        let mut needed = false;
        for side in [self.projects.as_mut(), self.sync_projects.as_mut()]
            .into_iter()
            .flatten()
        {
            side.again = side.agg.plan_referenced(more, side.by_place);
            needed |= side.again != Again::Nothing;
        }
        needed
    }

    /// Whether the rows to read again are read in a pass over the whole source (else by
    /// their place, `read_again_at`).
    pub fn again_reads_all(&self) -> bool {
        [self.projects.as_ref(), self.sync_projects.as_ref()]
            .into_iter()
            .flatten()
            .any(|s| s.again == Again::AllRows)
    }

    /// Reads the rows to read again by their place in the dump `path`.
    pub fn read_again_at(&mut self, path: &Path) -> Result<()> {
        for side in [self.projects.as_mut(), self.sync_projects.as_mut()]
            .into_iter()
            .flatten()
        {
            read_again_at(path, side)?;
        }
        Ok(())
    }

    /// The columns of the table being read that its rows are read for, by position, in
    /// order (`None`: every column). A live source asks for only these: `config_job` and
    /// the project tables have columns no fact comes from.
    pub fn columns_read(&mut self) -> Option<Vec<usize>> {
        let mut read: Vec<usize> = match &self.current {
            Some((TableFact::Projects | TableFact::SyncProjects, _)) => {
                let c = self.current_side()?.cols;
                [c.id, c.name, c.status, c.source, c.sink, c.created]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            Some((TableFact::ConfigJob, _)) => self.job_cols.iter().flatten().copied().collect(),
            _ => return None,
        };
        read.sort_unstable();
        read.dedup();
        Some(read)
    }

    /// Project rows are read again in a pass over every row, never selected by key.
    pub fn read_again_whole(&mut self) {
        self.keyed_reads = false;
    }

    /// The table being read again is to be read by keys: its id column's position and the
    /// keys (`KeyFilter`).
    pub fn again_filter(&mut self) -> Option<(usize, KeyFilter)> {
        let side = self.current_side()?;
        match &side.again {
            Again::Keys(k) => Some((side.cols.id?, k.clone())),
            _ => None,
        }
    }

    /// The table being read again was read whole.
    pub fn again_done(&mut self) {
        if let Some(side) = self.current_side() {
            if side.again == Again::AllRows {
                side.again = Again::Nothing;
            }
        }
    }

    /// Reading the table being read again by keys failed: it must be read whole.
    pub fn keys_failed(&mut self) {
        if let Some(side) = self.current_side() {
            if matches!(side.again, Again::Keys(_)) {
                side.agg.keys_abandoned();
                side.again = Again::AllRows;
            }
        }
    }

    /// After the tables were read by keys: whether every row asked for came back (else
    /// the tables that missed some are to be read whole, `again_done` after each).
    pub fn keys_read(&mut self) -> bool {
        let mut all = true;
        for side in [self.projects.as_mut(), self.sync_projects.as_mut()]
            .into_iter()
            .flatten()
        {
            if matches!(side.again, Again::Keys(_)) {
                if side.agg.keys_read() {
                    side.again = Again::Nothing;
                } else {
                    side.again = Again::AllRows;
                    all = false;
                }
            }
        }
        all
    }

    /// Starts the second pass: only project rows are wanted, and nothing is counted twice.
    pub fn begin_second_pass(&mut self) {
        self.second_pass = true;
        self.current_db = None;
        self.current = None;
    }

    fn second_pass_table(&mut self, def: &TableDef) -> Interest {
        let db = def.database.clone().or_else(|| self.current_db.clone());
        let role = db
            .and_then(|n| {
                self.metadb
                    .databases
                    .iter()
                    .find(|d| d.name == n)
                    .map(|d| d.role)
            })
            .unwrap_or(DbRole::Unknown);
        match self.schema.fact_for(role, &def.name) {
            Some(f @ (TableFact::Projects | TableFact::SyncProjects)) if self.complete(f, def) => {
                self.current = Some((f, Vec::new()));
                // A table with nothing (left) to read again is not read.
                if self
                    .current_side()
                    .is_none_or(|s| s.again == Again::Nothing)
                {
                    self.current = None;
                    return Interest::Skip;
                }
                Interest::Rows
            }
            _ => {
                self.current = None;
                Interest::Skip
            }
        }
    }

    /// Whether a table has every column the schema map needs for its fact.
    fn complete(&self, fact: TableFact, def: &TableDef) -> bool {
        let names: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        self.schema.missing_columns(fact, &names).is_empty()
    }

    pub fn database(&mut self, name: &str) {
        self.current_db = Some(name.to_string());
        self.database_index(name);
    }

    fn database_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.metadb.databases.iter().position(|d| d.name == name) {
            return i;
        }
        let role = self.roles.get(name).copied().unwrap_or(DbRole::Unknown);
        self.metadb.databases.push(Database {
            name: name.to_string(),
            role,
            path: self.current_path.clone(),
            tables: BTreeMap::new(),
        });
        self.metadb.databases.len() - 1
    }

    /// The database a table belongs to: its own, else the one the source is in.
    fn database_of(&self, def: &TableDef) -> String {
        def.database
            .clone()
            .or_else(|| self.current_db.clone())
            .unwrap_or_else(|| "(unnamed)".to_string())
    }

    pub fn table(&mut self, def: &TableDef) -> Interest {
        if self.second_pass {
            return self.second_pass_table(def);
        }
        // A dump's rows of a table come before the next table: the data sources are in.
        if matches!(self.current, Some((TableFact::Datasources, _))) {
            self.datasources_read = true;
        }
        let db_name = self.database_of(def);
        let di = self.database_index(&db_name);
        if self.metadb.databases[di].role == DbRole::Unknown {
            if let Some(r) = self.schema.role_from_table(&def.name) {
                self.metadb.databases[di].role = r;
            }
        }
        let role = self.metadb.databases[di].role;
        self.metadb.databases[di].tables.insert(
            def.name.clone(),
            TableMeta {
                name: def.name.clone(),
                columns: def
                    .columns
                    .iter()
                    .map(|c| ColumnMeta {
                        name: c.name.clone(),
                        collation: c.collation.clone(),
                        max_len: c.max_len,
                    })
                    .collect(),
                rows: 0,
            },
        );
        let Some(fact) = self.schema.fact_for(role, &def.name) else {
            self.current = None;
            return Interest::Skip;
        };
        if !self.complete(fact, def) {
            // Never a fact by guess: the table is kept as it is (its columns and, below,
            // its row count) for the checks to name what it lacks.
            self.current = None;
            return Interest::CountOnly;
        }
        let cols: Vec<(String, usize)> = def
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.to_ascii_lowercase(), i))
            .collect();
        match fact {
            TableFact::Projects | TableFact::SyncProjects => {
                self.start_projects(fact, def, &db_name, &cols);
            }
            TableFact::Heartbeat => {
                self.metadb.heartbeat.entry(db_name).or_default();
            }
            _ => {}
        }
        if fact == TableFact::ConfigJob {
            let m = &self.schema.config_job;
            let col = |n: &str| {
                cols.iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(n))
                    .map(|&(_, i)| i)
            };
            self.job_cols = [col(&m.id), col(&m.job_name), col(&m.key), col(&m.value)];
        }
        let interest = if fact == TableFact::Heartbeat {
            Interest::CountOnly
        } else {
            Interest::Rows
        };
        self.current = Some((fact, cols));
        interest
    }

    fn start_projects(
        &mut self,
        fact: TableFact,
        def: &TableDef,
        db: &str,
        cols: &[(String, usize)],
    ) {
        let (map, kind) = if fact == TableFact::Projects {
            (&self.schema.projects, ProjectKind::Migration)
        } else {
            (&self.schema.sync_projects, ProjectKind::Sync)
        };
        let col = |n: &str| {
            cols.iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(n))
                .map(|&(_, i)| i)
        };
        let pcols = ProjectCols {
            id: col(&map.id),
            name: col(&map.name),
            status: col(&map.status),
            source: col(&map.source_datasource),
            sink: col(&map.sink_datasource),
            created: col(&map.created),
        };
        let name_col = pcols.name.and_then(|i| def.columns.get(i));
        let facts = ProjectFacts {
            kind,
            database: Some(db.to_string()),
            table: def.name.clone(),
            name_column: map.name.clone(),
            id_column: map.id.clone(),
            name_collation: name_col.and_then(|c| c.collation.clone()),
            name_max_len: name_col.and_then(|c| c.max_len),
            ..Default::default()
        };
        let mut agg = ProjectAggregator::new(facts);
        // The data sources this source read before the projects (a dump's tables come in
        // name order: oms_datasource first): projects using a flagged one are kept as
        // they pass.
        let inline_datasources = self
            .datasources_read
            .then_some(self.metadb.datasources.len());
        if inline_datasources.is_some() {
            agg.flag_inline(Flagged::of(&self.metadb.datasources));
        }
        let keyed = self.keyed_reads && self.current_path.is_none();
        // A live MetaDB's rows are asked for again by key: their per-row words and ids
        // wait on disk rather than in memory (in memory when no temporary file can be
        // made; then the rows are selected by the CRC-32s of their ids).
        if keyed {
            if let Some(spill) = RowSpill::new() {
                agg.spill_rows(spill);
            }
        }
        let side = ProjectSide {
            agg,
            cols: pcols,
            columns: def.columns.len(),
            rows: 0,
            marks: Vec::new(),
            insert_begins: false,
            by_place: true,
            keyed,
            again: Again::Nothing,
            inline_datasources,
        };
        if kind == ProjectKind::Migration {
            self.projects = Some(side);
        } else {
            self.sync_projects = Some(side);
        }
    }

    /// A row of a source that cannot read rows again by their place (a live MetaDB).
    pub fn row(&mut self, values: &[Value<'_>]) {
        self.row_at(values, None);
    }

    /// An INSERT of the table being read begins (a dump); `column_list`: it names its
    /// columns.
    pub fn insert_begins(&mut self, column_list: bool) {
        if self.second_pass {
            return;
        }
        if let Some(side) = self.current_side() {
            side.insert_begins = true;
            side.by_place &= !column_list;
        }
    }

    fn current_side(&mut self) -> Option<&mut ProjectSide> {
        match self.current {
            Some((TableFact::Projects, _)) => self.projects.as_mut(),
            Some((TableFact::SyncProjects, _)) => self.sync_projects.as_mut(),
            _ => None,
        }
    }

    /// A row, and where it starts in its file (a dump), to read it again by its place.
    pub fn row_at(&mut self, values: &[Value<'_>], offset: Option<u64>) {
        let Some((fact, cols)) = &self.current else {
            return;
        };
        // A linear scan over a handful of columns beats hashing an allocated key per row.
        let get = |name: &str| {
            cols.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|&(_, i)| values.get(i))
        };
        let s = self.schema;
        match fact {
            TableFact::Projects | TableFact::SyncProjects => {
                let side = if *fact == TableFact::Projects {
                    self.projects.as_mut()
                } else {
                    self.sync_projects.as_mut()
                };
                let Some(side) = side else { return };
                let row = project_row(side.cols, values);
                if self.second_pass {
                    side.agg.push_again(&row);
                } else {
                    match offset {
                        Some(at) if side.insert_begins || side.rows % MARK_EVERY == 0 => {
                            side.marks.push((side.rows, at));
                        }
                        Some(_) => {}
                        None => side.by_place = false,
                    }
                    side.insert_begins = false;
                    side.rows = side.rows.saturating_add(1);
                    if side.rows == u32::MAX {
                        side.by_place = false;
                    }
                    side.agg.push(&row);
                }
            }
            TableFact::Datasources => {
                let m = &s.datasources;
                let id = string(get(&m.id)).unwrap_or_default();
                let extra = string(get(&m.extra_attributes));
                self.metadb.datasources.insert(
                    id.clone(),
                    DataSource {
                        id,
                        name: string(get(&m.name)).unwrap_or_default(),
                        ds_type: string(get(&m.ds_type)).unwrap_or_default(),
                        use_log_proxy: extra.as_deref().is_some_and(uses_log_proxy),
                    },
                );
            }
            TableFact::NormalConfig => {
                let m = &s.normal_config;
                if let Some(name) = string(get(&m.name)) {
                    let id = string(get(&m.id)).unwrap_or_default();
                    let value = string(get(&m.value)).unwrap_or_default();
                    self.metadb.normal_configs.insert(name, (id, value));
                }
            }
            TableFact::ClusterInfo => {
                let m = &s.cluster_info;
                self.metadb.cluster_info.push(ClusterInfo {
                    region: string(get(&m.region)).unwrap_or_default(),
                    cm_url: string(get(&m.cm_url)).unwrap_or_default(),
                    code: string(get(&m.code)).and_then(|c| c.trim().parse().ok()),
                    is_default: string(get(&m.is_default))
                        .is_some_and(|v| v.trim() == "1" || v.eq_ignore_ascii_case("true")),
                });
            }
            TableFact::Versions => {
                let m = &s.versions;
                if let Some(version) = string(get(&m.version)) {
                    self.metadb.versions.push(VersionRow {
                        version,
                        gmt_modified: string(get(&m.modified)),
                    });
                }
            }
            TableFact::ConfigJob => {
                let m = &s.config_job;
                let at = |i: Option<usize>| i.and_then(|i| values.get(i)).and_then(text);
                let [id_col, job_col, key_col, value_col] = self.job_cols;
                let (Some(key), Some(job), Some(value)) = (at(key_col), at(job_col), at(value_col))
                else {
                    return;
                };
                // Only the source settings the rules read are kept: config_job holds every
                // setting of every component, which would only cost memory.
                let Some(setting) = key
                    .strip_prefix(m.source_key_prefix.as_bytes())
                    .and_then(|k| std::str::from_utf8(k).ok())
                    .and_then(|k| m.settings.iter().find(|w| w.as_str() == k))
                else {
                    return;
                };
                let id = at(id_col)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(0);
                self.jobs.add(job, setting, value, id);
            }
            TableFact::Heartbeat => {}
        }
    }

    pub fn table_done(&mut self, def: &TableDef, rows: u64) {
        if self.second_pass {
            self.current = None;
            return;
        }
        let db_name = self.database_of(def);
        let di = self.database_index(&db_name);
        if let Some(t) = self.metadb.databases[di].tables.get_mut(&def.name) {
            t.rows += rows;
        }
        if matches!(self.current, Some((TableFact::Datasources, _))) {
            self.datasources_read = true;
        }
        if matches!(self.current, Some((TableFact::Heartbeat, _))) {
            let e = self.metadb.heartbeat.entry(db_name).or_default();
            e.rows += rows;
        }
        self.current = None;
    }

    /// The MetaDB facts, once every pass is done.
    pub fn finish(mut self) -> MetaDb {
        // The two tables' name sets are sorted on both cores: this is on the run's
        // critical path, after the last pass.
        let finish = |side: Option<ProjectSide>| side.map(|s| s.agg.finish());
        let (projects, sync_projects) = rayon::join(
            || finish(self.projects.take()),
            || finish(self.sync_projects.take()),
        );
        if let Some(p) = projects {
            self.metadb.projects = p;
        }
        if let Some(p) = sync_projects {
            self.metadb.sync_projects = p;
        }
        let summarized = self.jobs.finish_jobs();
        self.metadb.summarized_jobs.merge(summarized);
        self.metadb.job_components = std::mem::take(&mut self.jobs.kept);
        self.metadb.projects.kind = ProjectKind::Migration;
        self.metadb.sync_projects.kind = ProjectKind::Sync;
        self.metadb.databases.sort_by(|a, b| a.name.cmp(&b.name));
        self.metadb
    }
}

/// `conn_extra_attributes` JSON with `useLogProxy: true` (or `"true"`).
pub fn uses_log_proxy(extra: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(extra) {
        Ok(v) => match v.get("useLogProxy") {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        },
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_proxy_flag_is_read_from_json() {
        assert!(uses_log_proxy(
            r#"{"useLogProxy": true, "logProxyPort": 2983}"#
        ));
        assert!(uses_log_proxy(r#"{"useLogProxy": "TRUE"}"#));
        assert!(!uses_log_proxy(r#"{"useLogProxy": false}"#));
        assert!(!uses_log_proxy("not json"));
    }
}
