//! Comparing a table (or a projection of it) on both sides, row for row by key, in memory
//! that does not grow with the table's rows. OMS108 compares every column of every table
//! of a backed-up database; the facts compare projections (a project's status by its
//! id, a data source by its id, a `config_job` setting's values by component and key).
//!
//! 1. **Digest** (in the first pass, beside the small facts): each side hashes every row
//!    into one of 4,096 buckets by its key, and keeps per bucket the row count, the sum of
//!    the key hashes and, per compared column, the sum of (key, value) hashes. Sums are
//!    order-independent, so a dump and the live table (or two dumps) compare whatever
//!    order their rows come in. Equal digests: the bucket holds the same rows.
//! 2. **Refine** (only when the differing buckets hold more rows than a batch): one pass
//!    splits the differing buckets into up to 2¹⁹ cells with one digest each, so that a
//!    few changed rows scattered over every bucket narrow down to a few small cells.
//! 3. **Collect**, batch by batch (at most [`BATCH_ROWS`] rows held at a time, both sides
//!    together): the rows of the differing cells, as (key hash, row hash, position);
//!    matched by key, they give the exact counts of missing, extra and changed rows, the
//!    first keys of each, and for a fact every differing key.
//! 4. **Show**: the first keys in text, and for changed rows which columns differ (never
//!    their values: a column may hold a password) — read during the collect pass when it
//!    is one small batch, else in one more pass.
//!
//! Keys: for OMS108 the column the schema map names as the table's id (`version` for
//! oms_version), else a column `id`, else the whole row (then a changed row counts as
//! one missing and one extra).

use std::sync::Arc;

use super::facts::TableDiff;
use super::hash;
use super::scan::{scan_with, TableVisitor, Unit};
use crate::error::Result;
use crate::facts::fxhash::{FxHashMap, FxHashSet};
use crate::facts::DbRole;
use crate::schema_map::{SchemaMap, TableFact};
use crate::sources::dump::{TableDef, Value};

pub const BUCKETS: usize = 4096;
const BUCKET_BITS: u32 = 12;
/// The most rows (both sides) a collect pass holds: 32 bytes each, 32 MiB.
pub const BATCH_ROWS: u64 = 1 << 20;
/// A collect batch this small reads the keys' text and column hashes as it goes (no
/// show pass).
const RICH_ROWS: u64 = 1 << 16;
/// The most cells a refine pass keeps per side: 24 bytes each, 12 MiB a side.
const MAX_CELLS: usize = 1 << 19;
/// How many keys of each kind a finding names.
pub const FIRST_KEYS: usize = 5;

const SEED_KEY: u64 = 0x6b65_7931;
const SEED_KEY2: u64 = 0x6b65_7932;
const SEED_COL: u64 = 0x636f_6c31;
const SEED_ROW: u64 = 0x726f_7731;

/// [`BATCH_ROWS`], or `OMSLINT_VERIFY_BATCH_ROWS` (the tests and the benchmark make it
/// small to exercise the refine and batch passes on small tables).
fn batch_rows() -> u64 {
    static ROWS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ROWS.get_or_init(|| {
        std::env::var("OMSLINT_VERIFY_BATCH_ROWS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(BATCH_ROWS)
    })
}

/// `OMSLINT_TRACE_VERIFY=1`: one stderr line per pass and per comparison's step, to see
/// (and test) how a comparison narrows down.
fn tracing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("OMSLINT_TRACE_VERIFY").is_some_and(|v| !v.is_empty()))
}

/// OMS108's key columns of a table: the schema map's id column (or `version` for the
/// version table), else `id`, else none (the whole row).
pub fn key_columns(schema: &SchemaMap, def: &TableDef) -> Vec<usize> {
    let mapped = schema
        .fact_for(DbRole::Unknown, &def.name)
        .and_then(|f| match f {
            TableFact::Projects => Some(schema.projects.id.as_str()),
            TableFact::SyncProjects => Some(schema.sync_projects.id.as_str()),
            TableFact::Datasources => Some(schema.datasources.id.as_str()),
            TableFact::NormalConfig => Some(schema.normal_config.id.as_str()),
            TableFact::Versions => Some(schema.versions.version.as_str()),
            TableFact::ConfigJob => Some(schema.config_job.id.as_str()),
            TableFact::Heartbeat => Some(schema.heartbeat.id.as_str()),
            TableFact::ClusterInfo => None,
        });
    mapped
        .and_then(|c| def.column_index(c))
        .or_else(|| def.column_index("id"))
        .map(|i| vec![i])
        .unwrap_or_default()
}

/// The 128-bit identity of a row's key: the first half places it in a bucket.
pub type Key = (u64, u64);

#[inline]
pub fn key_of(values: &[Value<'_>], idx: &[usize]) -> Key {
    let mut a = hash::Hasher::new(SEED_KEY);
    let mut b = hash::Hasher::new(SEED_KEY2);
    for &i in idx {
        let v = values.get(i).unwrap_or(&Value::Null);
        a.value(v);
        b.value(v);
    }
    (a.finish(), b.finish())
}

#[inline]
fn row_sig(values: &[Value<'_>], idx: &[usize]) -> u64 {
    let mut h = hash::Hasher::new(SEED_ROW);
    for &i in idx {
        h.value(values.get(i).unwrap_or(&Value::Null));
    }
    h.finish()
}

#[inline]
fn bucket_of(k: u64) -> usize {
    (k >> (64 - BUCKET_BITS)) as usize
}

/// One side's digest of one table, or of a projection of it (the first pass).
pub struct TableDigest {
    pub db: String,
    pub table: String,
    /// Every column of the table, in order.
    pub columns: Vec<String>,
    /// The key columns; empty: the whole row.
    pub key: Vec<usize>,
    /// The columns hashed as the key (the key, or every column).
    key_idx: Vec<usize>,
    /// The columns summed one by one (all of them for OMS108, the compared ones for a
    /// projection).
    summed: Vec<usize>,
    pub rows: u64,
    /// Per bucket: count, key sum, then one sum per summed column.
    sums: Vec<u64>,
}

impl TableDigest {
    /// The whole table, keyed as OMS108 keys it.
    pub fn table(db: &str, def: &TableDef, schema: &SchemaMap) -> Self {
        let key = key_columns(schema, def);
        Self::projection(db, def, key, (0..def.columns.len()).collect())
    }

    /// A projection: rows keyed by `key` (empty: the whole row), `summed` compared.
    pub fn projection(db: &str, def: &TableDef, key: Vec<usize>, summed: Vec<usize>) -> Self {
        TableDigest {
            db: db.to_string(),
            table: def.name.clone(),
            columns: def.columns.iter().map(|c| c.name.clone()).collect(),
            key_idx: if key.is_empty() {
                (0..def.columns.len()).collect()
            } else {
                key.clone()
            },
            key,
            rows: 0,
            sums: vec![0; BUCKETS * (summed.len() + 2)],
            summed,
        }
    }

    fn width(&self) -> usize {
        self.summed.len() + 2
    }

    #[inline]
    pub fn add(&mut self, values: &[Value<'_>]) {
        let (k, _) = key_of(values, &self.key_idx);
        let w = self.width();
        let base = bucket_of(k) * w;
        let s = &mut self.sums[base..base + w];
        s[0] += 1;
        s[1] = s[1].wrapping_add(hash::key_term(k));
        for (slot, &i) in s[2..].iter_mut().zip(&self.summed) {
            let v = values.get(i).unwrap_or(&Value::Null);
            *slot = slot.wrapping_add(hash::pair(k, hash::value(SEED_COL, v)));
        }
        self.rows += 1;
    }

    fn count(&self, b: usize) -> u64 {
        self.sums[b * self.width()]
    }

    fn key_names(&self) -> Vec<String> {
        self.key.iter().map(|&i| self.columns[i].clone()).collect()
    }

    /// The names of the summed columns.
    pub fn summed_names(&self) -> Vec<String> {
        self.summed
            .iter()
            .map(|&i| self.columns[i].clone())
            .collect()
    }

    /// The position among the summed columns of the column at `i`.
    fn sum_slot(&self, i: usize) -> Option<usize> {
        self.summed.iter().position(|&s| s == i)
    }
}

/// Which rows a pass looks at: the rows whose key falls in selected cells.
struct Selector {
    /// Per bucket: its position among the differing buckets plus one (0: not differing).
    bucket_pos: Vec<u32>,
    /// log2 of the cells per differing bucket.
    s_bits: u32,
    /// Per cell: its batch plus one (0: not looked at). Empty in a refine pass (every
    /// cell of a differing bucket is).
    cell_batch: Vec<u32>,
}

impl Selector {
    #[inline]
    fn cell(&self, k: u64) -> Option<usize> {
        let pos = self.bucket_pos[bucket_of(k)];
        if pos == 0 {
            return None;
        }
        let sub = if self.s_bits == 0 {
            0
        } else {
            ((k << BUCKET_BITS) >> (64 - self.s_bits)) as usize
        };
        Some(((pos - 1) as usize) << self.s_bits | sub)
    }

    fn cells(&self) -> usize {
        self.bucket_pos.iter().filter(|p| **p > 0).count() << self.s_bits
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Cell {
    count: u32,
    ksum: u64,
    rsum: u64,
}

#[derive(Clone, Copy)]
struct Entry {
    key: Key,
    sig: u64,
    ord: u64,
}

/// A key in text and its per-column hashes (for the columns that differ).
type Shown = (String, Vec<u64>);

/// What a pass does for one comparison on one side.
enum Work {
    Refine {
        sel: Arc<Selector>,
        cells: Vec<Cell>,
    },
    Collect {
        sel: Arc<Selector>,
        batch: u32,
        entries: Vec<Entry>,
        /// For a small batch: every row's key in text and column hashes, by key.
        rich: Option<FxHashMap<Key, Shown>>,
    },
    Show {
        keys: Arc<FxHashSet<Key>>,
        found: FxHashMap<Key, Shown>,
    },
}

/// One comparison's work on one side, with the column indexes of that side.
struct SideWork {
    cmp: usize,
    /// 0: the backup, 1: the deployment now.
    side: usize,
    db: String,
    name: String,
    key: Arc<Vec<usize>>,
    /// The key columns shown in text (empty: the whole row, shown by position).
    shown_key: Arc<Vec<usize>>,
    sig: Arc<Vec<usize>>,
    ord: u64,
    work: Work,
}

fn shown(def: &TableDef, values: &[Value<'_>], w: &SideWork) -> Shown {
    let text = if w.shown_key.is_empty() {
        String::new()
    } else {
        key_text(def, values, &w.shown_key)
    };
    let cols = w
        .sig
        .iter()
        .map(|&i| hash::value(SEED_COL, values.get(i).unwrap_or(&Value::Null)))
        .collect();
    (text, cols)
}

struct PassVisitor {
    works: Vec<SideWork>,
    /// The works of the table being read (one table may feed several comparisons).
    current: Vec<usize>,
}

impl PassVisitor {
    fn of(&self, db: &str, name: &str) -> Vec<usize> {
        (0..self.works.len())
            .filter(|&i| self.works[i].db == db && self.works[i].name.eq_ignore_ascii_case(name))
            .collect()
    }
}

impl TableVisitor for PassVisitor {
    fn wants(&mut self, db: &str, def: &TableDef) -> bool {
        self.current = self.of(db, &def.name);
        !self.current.is_empty()
    }

    fn row(&mut self, db: &str, def: &TableDef, values: &[Value<'_>]) -> Result<()> {
        let stale = self.current.first().is_none_or(|&i| {
            self.works[i].db != db || !self.works[i].name.eq_ignore_ascii_case(&def.name)
        });
        if stale {
            self.current = self.of(db, &def.name);
        }
        for &i in &self.current {
            let w = &mut self.works[i];
            let ord = w.ord;
            w.ord += 1;
            let key = key_of(values, &w.key);
            match &mut w.work {
                Work::Refine { sel, cells } => {
                    if let Some(c) = sel.cell(key.0) {
                        let cell = &mut cells[c];
                        cell.count += 1;
                        cell.ksum = cell.ksum.wrapping_add(hash::key_term(key.0));
                        cell.rsum = cell
                            .rsum
                            .wrapping_add(hash::pair(key.0, row_sig(values, &w.sig)));
                    }
                }
                Work::Collect {
                    sel,
                    batch,
                    entries,
                    rich,
                } => {
                    let Some(c) = sel.cell(key.0) else { continue };
                    if sel.cell_batch[c] != *batch + 1 {
                        continue;
                    }
                    entries.push(Entry {
                        key,
                        sig: row_sig(values, &w.sig),
                        ord,
                    });
                    if rich.is_some() {
                        let s = shown(def, values, w);
                        if let Work::Collect {
                            rich: Some(rich), ..
                        } = &mut w.work
                        {
                            rich.entry(key).or_insert(s);
                        }
                    }
                }
                Work::Show { keys, found } => {
                    if keys.contains(&key) && !found.contains_key(&key) {
                        let s = shown(def, values, w);
                        if let Work::Show { found, .. } = &mut w.work {
                            found.insert(key, s);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// `value` for a one-column key, `a=1, b=2` for several; long values cut.
fn key_text(def: &TableDef, values: &[Value<'_>], idx: &[usize]) -> String {
    let one = |i: usize| {
        let t = values
            .get(i)
            .and_then(|v| v.as_text().map(|t| t.into_owned()))
            .unwrap_or_else(|| "NULL".into());
        if t.chars().count() > 64 {
            format!("{}…", t.chars().take(64).collect::<String>())
        } else {
            t
        }
    };
    if idx.len() == 1 {
        return one(idx[0]);
    }
    idx.iter()
        .map(|&i| {
            format!(
                "{}={}",
                def.columns.get(i).map_or("?", |c| c.name.as_str()),
                one(i)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One comparison's inputs.
pub struct Pair<'d> {
    pub backup: &'d TableDigest,
    pub now: &'d TableDigest,
    /// Unit index per side, in the `units` given to [`compare`].
    pub units: [usize; 2],
    pub backup_file: Option<String>,
    /// The columns compared (`None`: every column both sides have).
    pub sig: Option<Vec<String>>,
    /// Keep every key of the backup that differs (a fact's), not only the first few.
    pub all_keys: bool,
}

/// One comparison's result.
pub struct Compared {
    pub diff: TableDiff,
    /// With `all_keys`: every key of the backup that is missing now or differs.
    pub keys: Vec<Key>,
}

impl Compared {
    /// Whether the table differs at all (rows or columns).
    pub fn differs(&self) -> bool {
        let d = &self.diff;
        d.missing + d.extra + d.changed > 0
            || !d.columns_only_in_backup.is_empty()
            || !d.columns_only_now.is_empty()
    }
}

/// One comparison: both sides' layout and its progress.
struct Compare {
    out: Compared,
    all_keys: bool,
    unit: [usize; 2],
    key: [Arc<Vec<usize>>; 2],
    shown_key: [Arc<Vec<usize>>; 2],
    sig: [Arc<Vec<usize>>; 2],
    /// The compared column names, in the backup's order.
    common: Vec<String>,
    stage: Stage,
    /// (ord, key) candidates per kind: missing, extra, changed.
    firsts: [Vec<(u64, Key)>; 3],
}

enum Stage {
    Refine(Arc<Selector>),
    Collect {
        sel: Arc<Selector>,
        /// Rows (both sides) of each batch.
        rows: Vec<u64>,
        next: u32,
    },
    Show,
    Done,
}

fn trace_stage(c: &Compare) {
    if !tracing() {
        return;
    }
    let what = match &c.stage {
        Stage::Refine(sel) => format!("refine {} cells", sel.cells()),
        Stage::Collect { rows, next, .. } => format!(
            "collect batch {} of {} ({} rows)",
            next + 1,
            rows.len(),
            rows[*next as usize]
        ),
        Stage::Show => "show the first keys".into(),
        Stage::Done => "done".into(),
    };
    eprintln!(
        "omslint: verify: {}.{}{}: {what}",
        c.out.diff.database,
        c.out.diff.table,
        if c.all_keys { " (fact)" } else { "" }
    );
}

/// Runs every comparison, reading `units` (the backup's units, then the deployment's) as
/// many times as needed: each pass takes every comparison one step further, the collect
/// batches of all of them within one budget. Results in the order of `pairs`.
pub fn compare(pairs: &[Pair<'_>], units: &[Unit]) -> Result<Vec<Compared>> {
    let mut cmps: Vec<Compare> = pairs.iter().map(start).collect();
    for c in cmps.iter().filter(|c| !matches!(c.stage, Stage::Done)) {
        trace_stage(c);
    }
    let mut pass = 1;
    loop {
        let mut works: Vec<Vec<SideWork>> = (0..units.len()).map(|_| Vec::new()).collect();
        let mut budget = batch_rows();
        for (ci, c) in cmps.iter_mut().enumerate() {
            let mut rich = false;
            if let Stage::Collect { rows, next, .. } = &c.stage {
                let r = rows[*next as usize];
                if r > budget && budget < batch_rows() {
                    continue;
                }
                budget = budget.saturating_sub(r);
                rich = rows.len() == 1 && r <= RICH_ROWS;
            }
            for side in 0..2 {
                let work = match &c.stage {
                    Stage::Refine(sel) => Work::Refine {
                        sel: sel.clone(),
                        cells: vec![Cell::default(); sel.cells()],
                    },
                    Stage::Collect { sel, next, .. } => Work::Collect {
                        sel: sel.clone(),
                        batch: *next,
                        entries: Vec::new(),
                        rich: rich.then(FxHashMap::default),
                    },
                    Stage::Show => Work::Show {
                        keys: Arc::new(c.firsts.iter().flatten().map(|(_, k)| *k).collect()),
                        found: FxHashMap::default(),
                    },
                    Stage::Done => continue,
                };
                let p = &pairs[ci];
                works[c.unit[side]].push(SideWork {
                    cmp: ci,
                    side,
                    db: c.out.diff.database.clone(),
                    name: if side == 0 {
                        p.backup.table.clone()
                    } else {
                        p.now.table.clone()
                    },
                    key: c.key[side].clone(),
                    shown_key: c.shown_key[side].clone(),
                    sig: c.sig[side].clone(),
                    ord: 0,
                    work,
                });
            }
        }
        if works.iter().all(Vec::is_empty) {
            break;
        }
        pass += 1;
        if tracing() {
            eprintln!(
                "omslint: verify: pass {pass}: {} unit(s)",
                works.iter().filter(|w| !w.is_empty()).count()
            );
        }
        let jobs: Vec<(Unit, PassVisitor)> = works
            .into_iter()
            .enumerate()
            .filter(|(_, w)| !w.is_empty())
            .map(|(u, w)| {
                (
                    units[u].clone(),
                    PassVisitor {
                        works: w,
                        current: Vec::new(),
                    },
                )
            })
            .collect();
        // Each comparison's two sides, back together.
        let mut by_cmp: Vec<[Option<SideWork>; 2]> =
            (0..cmps.len()).map(|_| [None, None]).collect();
        for (v, r) in scan_with(jobs, false) {
            r?;
            for w in v.works {
                let (t, side) = (w.cmp, w.side);
                by_cmp[t][side] = Some(w);
            }
        }
        for (t, sides) in by_cmp.into_iter().enumerate() {
            let [Some(b), Some(n)] = sides else { continue };
            advance(&mut cmps[t], b, n);
            trace_stage(&cmps[t]);
        }
    }
    Ok(cmps.into_iter().map(|c| c.out).collect())
}

fn start(p: &Pair<'_>) -> Compare {
    let (b, n) = (p.backup, p.now);
    let mut diff = TableDiff {
        database: b.db.clone(),
        table: b.table.clone(),
        backup_rows: b.rows,
        now_rows: n.rows,
        backup_file: p.backup_file.clone(),
        ..TableDiff::default()
    };
    let find = |cols: &[String], name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let compared = |c: &String| {
        p.sig
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x.eq_ignore_ascii_case(c)))
    };
    let common: Vec<String> = b
        .columns
        .iter()
        .filter(|c| compared(c) && find(&n.columns, c).is_some())
        .cloned()
        .collect();
    if p.sig.is_none() {
        diff.columns_only_in_backup = b
            .columns
            .iter()
            .filter(|c| find(&n.columns, c).is_none())
            .cloned()
            .collect();
        diff.columns_only_now = n
            .columns
            .iter()
            .filter(|c| find(&b.columns, c).is_none())
            .cloned()
            .collect();
    }
    let sig_b: Vec<usize> = common.iter().filter_map(|c| find(&b.columns, c)).collect();
    let sig_n: Vec<usize> = common.iter().filter_map(|c| find(&n.columns, c)).collect();
    // The key both sides agree on: the backup's key columns when the table now has them,
    // else the whole row of the compared columns.
    let key_names = b.key_names();
    let key_n: Option<Vec<usize>> = key_names.iter().map(|c| find(&n.columns, c)).collect();
    let (key_b, key_n, shown_b, shown_n) = match key_n {
        Some(kn) if !key_names.is_empty() => (b.key.clone(), kn.clone(), b.key.clone(), kn),
        _ => (sig_b.clone(), sig_n.clone(), Vec::new(), Vec::new()),
    };
    diff.key = if shown_b.is_empty() {
        Vec::new()
    } else {
        key_names
    };
    // The first pass's buckets line up when both sides hashed the same key columns in
    // the same order, and each summed the compared columns.
    let lower = |d: &TableDigest, idx: &[usize]| -> Vec<String> {
        idx.iter()
            .map(|&i| d.columns[i].to_ascii_lowercase())
            .collect()
    };
    let slots_b: Option<Vec<usize>> = sig_b.iter().map(|&i| b.sum_slot(i)).collect();
    let slots_n: Option<Vec<usize>> = sig_n.iter().map(|&i| n.sum_slot(i)).collect();
    let aligned = key_b == b.key_idx
        && key_n == n.key_idx
        && lower(b, &b.key_idx) == lower(n, &n.key_idx)
        && slots_b.is_some()
        && slots_n.is_some();
    let mut c = Compare {
        out: Compared {
            diff,
            keys: Vec::new(),
        },
        all_keys: p.all_keys,
        unit: p.units,
        key: [Arc::new(key_b), Arc::new(key_n)],
        shown_key: [Arc::new(shown_b), Arc::new(shown_n)],
        sig: [Arc::new(sig_b), Arc::new(sig_n)],
        common,
        stage: Stage::Done,
        firsts: Default::default(),
    };
    let differing: Vec<usize> = match (aligned, &slots_b, &slots_n) {
        (true, Some(sb), Some(sn)) => (0..BUCKETS)
            .filter(|&k| bucket_differs(b, n, k, sb, sn))
            .collect(),
        _ => (0..BUCKETS).collect(),
    };
    if differing.is_empty() {
        return c;
    }
    let rows: u64 = differing.iter().map(|&k| b.count(k) + n.count(k)).sum();
    let mut bucket_pos = vec![0u32; BUCKETS];
    for (i, &k) in differing.iter().enumerate() {
        bucket_pos[k] = i as u32 + 1;
    }
    if aligned && rows <= batch_rows() {
        // Collect at once: every differing bucket in one batch.
        let sel = Selector {
            cell_batch: vec![1; differing.len()],
            bucket_pos,
            s_bits: 0,
        };
        c.stage = Stage::Collect {
            sel: Arc::new(sel),
            rows: vec![rows],
            next: 0,
        };
        return c;
    }
    let per = (MAX_CELLS / differing.len()).max(1);
    let s_bits = usize::BITS - 1 - per.leading_zeros();
    c.stage = Stage::Refine(Arc::new(Selector {
        bucket_pos,
        s_bits,
        cell_batch: Vec::new(),
    }));
    c
}

fn bucket_differs(
    b: &TableDigest,
    n: &TableDigest,
    k: usize,
    slots_b: &[usize],
    slots_n: &[usize],
) -> bool {
    let (wb, wn) = (b.width(), n.width());
    let (sb, sn) = (&b.sums[k * wb..(k + 1) * wb], &n.sums[k * wn..(k + 1) * wn]);
    sb[0] != sn[0]
        || sb[1] != sn[1]
        || slots_b
            .iter()
            .zip(slots_n)
            .any(|(&i, &j)| sb[2 + i] != sn[2 + j])
}

/// Takes one pass's results for a comparison to its next stage.
fn advance(c: &mut Compare, b: SideWork, n: SideWork) {
    match (&c.stage, b.work, n.work) {
        (Stage::Refine(sel), Work::Refine { cells: cb, .. }, Work::Refine { cells: cn, .. }) => {
            let mut cell_batch = vec![0u32; cb.len()];
            let mut rows: Vec<u64> = Vec::new();
            for (i, (x, y)) in cb.iter().zip(&cn).enumerate() {
                if x == y {
                    continue;
                }
                let r = u64::from(x.count) + u64::from(y.count);
                match rows.last_mut() {
                    Some(last) if *last + r <= batch_rows() => *last += r,
                    _ => rows.push(r),
                }
                cell_batch[i] = rows.len() as u32;
            }
            if rows.is_empty() {
                c.stage = Stage::Done;
                return;
            }
            let sel = Selector {
                bucket_pos: sel.bucket_pos.clone(),
                s_bits: sel.s_bits,
                cell_batch,
            };
            c.stage = Stage::Collect {
                sel: Arc::new(sel),
                rows,
                next: 0,
            };
        }
        (
            Stage::Collect { sel, rows, next },
            Work::Collect {
                entries: eb,
                rich: rb,
                ..
            },
            Work::Collect {
                entries: en,
                rich: rn,
                ..
            },
        ) => {
            let (sel, rows, next) = (sel.clone(), rows.clone(), *next + 1);
            classify(c, eb, en);
            let rich = rb.zip(rn);
            c.stage = if (next as usize) < rows.len() {
                Stage::Collect { sel, rows, next }
            } else if c.firsts.iter().all(Vec::is_empty) {
                Stage::Done
            } else if let Some((rb, rn)) = rich {
                // The one small batch read the keys as it went: no show pass.
                show(c, &rb, &rn);
                Stage::Done
            } else {
                Stage::Show
            };
        }
        (Stage::Show, Work::Show { found: fb, .. }, Work::Show { found: fnow, .. }) => {
            show(c, &fb, &fnow);
            c.stage = Stage::Done;
        }
        _ => c.stage = Stage::Done,
    }
}

/// Matches one batch's rows by key and counts what differs.
fn classify(c: &mut Compare, mut b: Vec<Entry>, mut n: Vec<Entry>) {
    b.sort_unstable_by_key(|e| (e.key, e.sig));
    n.sort_unstable_by_key(|e| (e.key, e.sig));
    let (mut i, mut j) = (0, 0);
    let d = &mut c.out.diff;
    while i < b.len() || j < n.len() {
        let key = match (b.get(i).map(|e| e.key), n.get(j).map(|e| e.key)) {
            (Some(x), Some(y)) => x.min(y),
            (Some(x), None) => x,
            (None, Some(y)) => y,
            (None, None) => break,
        };
        let ie = b[i..].iter().take_while(|e| e.key == key).count() + i;
        let je = n[j..].iter().take_while(|e| e.key == key).count() + j;
        let (gb, gn) = (&b[i..ie], &n[j..je]);
        // Rows of one key present alike on both sides (by row hash) cancel out.
        let (mut x, mut y) = (0, 0);
        let (mut left_b, mut left_n) = (Vec::new(), Vec::new());
        while x < gb.len() && y < gn.len() {
            match gb[x].sig.cmp(&gn[y].sig) {
                std::cmp::Ordering::Equal => {
                    x += 1;
                    y += 1;
                }
                std::cmp::Ordering::Less => {
                    left_b.push(gb[x]);
                    x += 1;
                }
                std::cmp::Ordering::Greater => {
                    left_n.push(gn[y]);
                    y += 1;
                }
            }
        }
        left_b.extend_from_slice(&gb[x..]);
        left_n.extend_from_slice(&gn[y..]);
        let changed = left_b.len().min(left_n.len());
        d.changed += changed as u64;
        d.missing += (left_b.len() - changed) as u64;
        d.extra += (left_n.len() - changed) as u64;
        if c.all_keys && !left_b.is_empty() {
            c.out.keys.push(key);
        }
        for e in &left_b[..changed] {
            c.firsts[2].push((e.ord, e.key));
        }
        for e in &left_b[changed..] {
            c.firsts[0].push((e.ord, e.key));
        }
        for e in &left_n[changed..] {
            c.firsts[1].push((e.ord, e.key));
        }
        i = ie;
        j = je;
    }
    for f in &mut c.firsts {
        f.sort_unstable();
        f.dedup_by_key(|(_, k)| *k);
        f.truncate(FIRST_KEYS);
    }
}

/// The first keys in text, and the columns of the changed rows that differ.
fn show(c: &mut Compare, b: &FxHashMap<Key, Shown>, n: &FxHashMap<Key, Shown>) {
    let whole_row = c.out.diff.key.is_empty();
    let label =
        |ord: u64, key: &Key, side: &FxHashMap<Key, Shown>, where_: &str| match side.get(key) {
            Some((t, _)) if !whole_row => t.clone(),
            _ => format!("row {} {where_}", ord + 1),
        };
    let d = &mut c.out.diff;
    d.first_missing = c.firsts[0]
        .iter()
        .map(|(o, k)| label(*o, k, b, "of the backup"))
        .collect();
    d.first_extra = c.firsts[1]
        .iter()
        .map(|(o, k)| label(*o, k, n, "now"))
        .collect();
    d.first_changed = c.firsts[2]
        .iter()
        .map(|(o, k)| {
            let cols = match (b.get(k), n.get(k)) {
                (Some((_, hb)), Some((_, hn))) => c
                    .common
                    .iter()
                    .zip(hb.iter().zip(hn))
                    .filter(|(_, (x, y))| x != y)
                    .map(|(name, _)| name.clone())
                    .collect(),
                _ => Vec::new(),
            };
            (label(*o, k, b, "of the backup"), cols)
        })
        .collect();
}
