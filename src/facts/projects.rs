//! Migration and sync projects, aggregated while their rows stream past.
//!
//! A MetaDB can hold millions of projects, and the rules need only a few of them in full:
//! those in a duplicate-name group, those not ready for the window, those a component
//! points at, those reading through oblogproxy. Every other row leaves 9 bytes behind (32-
//! bit hashes of its name's collation key and of its id, and whether it is DELETED), so
//! memory stays small whatever the table's size. The rows whose name hashes collide, or
//! whose id a component names, are then read again, by their place in the table when the
//! source can seek to it (a dump), else in a second pass, and compared exactly: a hash
//! collision never makes a false duplicate.

use rayon::slice::ParallelSliceMut;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::collation::{self, Rules};
use super::fxhash::{FxHashMap, FxHashSet};
use super::row_spill::RowSpill;
use super::DataSource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectKind {
    #[default]
    Migration,
    Sync,
}

impl ProjectKind {
    /// The subject kind of SPEC §4.
    pub fn subject_kind(self) -> &'static str {
        match self {
            ProjectKind::Migration => "project",
            ProjectKind::Sync => "sync-project",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectKind::Migration => "data migration project",
            ProjectKind::Sync => "data synchronization project",
        }
    }
}

/// One project row as the rules read it. Tens of thousands can be kept at once (every
/// project not ready on a large MetaDB), so its six fields share one allocation: kept as
/// six `String`s a project took about 340 bytes, this way about 140.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Project {
    /// id, name, status, source_ds, sink_ds, created, one after another.
    text: Box<str>,
    /// Where each field ends in `text`.
    ends: [u32; 6],
    /// Which of the last three (the optional ones) are present: bit 0 source_ds, bit 1
    /// sink_ds, bit 2 created.
    present: u8,
}

impl Project {
    pub fn new(
        id: &str,
        name: &str,
        status: &str,
        source_ds: Option<&str>,
        sink_ds: Option<&str>,
        created: Option<&str>,
    ) -> Project {
        let fields = [
            Some(id),
            Some(name),
            Some(status),
            source_ds,
            sink_ds,
            created,
        ];
        let len: usize = fields.iter().flatten().map(|f| f.len()).sum();
        let mut text = String::with_capacity(len);
        let mut ends = [0u32; 6];
        let mut present = 0u8;
        for (i, f) in fields.iter().enumerate() {
            if let Some(f) = f {
                text.push_str(f);
                if i >= 3 {
                    present |= 1 << (i - 3);
                }
            }
            // A field past 4 GiB cannot come from one MetaDB row: saturating keeps the
            // slicing in bounds whatever happens.
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Project {
            text: text.into_boxed_str(),
            ends,
            present,
        }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize).unwrap_or("")
    }

    fn optional(&self, i: usize) -> Option<&str> {
        (self.present & (1 << (i - 3)) != 0).then(|| self.field(i))
    }

    pub fn id(&self) -> &str {
        self.field(0)
    }

    pub fn name(&self) -> &str {
        self.field(1)
    }

    pub fn status(&self) -> &str {
        self.field(2)
    }

    pub fn source_ds(&self) -> Option<&str> {
        self.optional(3)
    }

    pub fn sink_ds(&self) -> Option<&str> {
        self.optional(4)
    }

    /// `gmt_created` as the MetaDB writes it (`YYYY-MM-DD hh:mm:ss`).
    pub fn created(&self) -> Option<&str> {
        self.optional(5)
    }

    /// DELETED rows are gone for the guides' duplicate check.
    pub fn is_deleted(&self) -> bool {
        status_is(self.status(), "DELETED")
    }

    /// DELETED and RELEASED projects no longer move data.
    pub fn is_live(&self) -> bool {
        !self.is_deleted() && !status_is(self.status(), "RELEASED")
    }
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("status", &self.status())
            .field("source_ds", &self.source_ds())
            .field("sink_ds", &self.sink_ds())
            .field("created", &self.created())
            .finish()
    }
}

fn status_is(status: &str, s: &str) -> bool {
    status.trim().eq_ignore_ascii_case(s)
}

/// What a row's status means to the aggregator, worked out once per row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StatusClass {
    Deleted,
    Released,
    NotReady,
    Other,
}

fn status_class(status: &[u8]) -> StatusClass {
    // ASCII (every status OMS writes) is judged on the bytes; anything else as text,
    // where trimming knows every kind of space.
    let lossy;
    let text: &[u8] = if status.is_ascii() {
        // The ASCII characters `str::trim` removes (it counts \x0b, `trim_ascii` not).
        let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        let start = status
            .iter()
            .position(|b| !space(b))
            .unwrap_or(status.len());
        let end = status
            .iter()
            .rposition(|b| !space(b))
            .map_or(start, |e| e + 1);
        status.get(start..end).unwrap_or_default()
    } else {
        lossy = String::from_utf8_lossy(status).trim().to_string();
        lossy.as_bytes()
    };
    let is = |s: &str| text.eq_ignore_ascii_case(s.as_bytes());
    if is("DELETED") {
        StatusClass::Deleted
    } else if is("RELEASED") {
        StatusClass::Released
    } else if NOT_READY.iter().any(|s| is(s)) {
        StatusClass::NotReady
    } else {
        StatusClass::Other
    }
}

/// Statuses that OMS014 reports: stuck (needs recovery after) or in transition.
pub const NOT_READY: [&str; 6] = [
    "FAILED",
    "SUSPEND",
    "INIT",
    "RUNNING_MODIFYING",
    "RUNNING_MERGING",
    "RELEASING",
];

/// What the rules know about one project table.
#[derive(Debug, Clone, Default)]
pub struct ProjectFacts {
    pub kind: ProjectKind,
    /// The table was read (a dump held it, or the live MetaDB has it).
    pub seen: bool,
    pub database: Option<String>,
    pub table: String,
    pub name_column: String,
    pub id_column: String,
    pub name_collation: Option<String>,
    pub name_max_len: Option<u32>,
    pub rows: u64,
    /// Names equal under the collation, each group ordered oldest first.
    pub duplicate_groups: Vec<Vec<Project>>,
    /// Their id, name and status only (`ProjectRow::to_project_brief`).
    pub not_ready: Vec<Project>,
    /// Projects named by a component, sorted by id (see `referenced`).
    pub referenced: Vec<Project>,
    /// Live projects whose source data source reads through oblogproxy.
    pub logproxy_sources: Vec<Project>,
    /// Live projects that read from or write to a DataHub data source.
    pub datahub: Vec<Project>,
    /// Data sources that live projects read from / write to.
    pub live_source_ds: BTreeSet<String>,
    pub live_sink_ds: BTreeSet<String>,
    /// Collation-key hashes (`key_hash32`) of every non-DELETED name, to keep new names
    /// unique; only those of `name_asked` when that is set.
    pub name_hashes: NameHashes,
    /// When the rows were kept on disk (`RowSpill`): the hashes of the only names
    /// `name_hashes` answers for, the new names OMS003 may propose (`rename_candidate`,
    /// `RENAME_TRIES` of them a project). Any other name is unknown (`name_taken`).
    pub name_asked: Option<NameHashes>,
    /// Why the table's facts are not whole though its rows were read (the rows kept on
    /// disk could not be written or read back): every rule that reads them says so.
    pub unreadable: Option<String>,
}

/// How many new names (`ProjectFacts::rename_candidate`) are asked about a project whose
/// name is a duplicate, when the rows were kept on disk.
pub const RENAME_TRIES: u32 = 16;

impl ProjectFacts {
    /// A project a component names, by id.
    pub fn referenced(&self, id: &str) -> Option<&Project> {
        self.referenced
            .binary_search_by(|p| p.id().cmp(id))
            .ok()
            .map(|i| &self.referenced[i])
    }

    pub fn rules(&self) -> Rules {
        Rules::for_collation(self.name_collation.as_deref())
    }

    /// Whether a name collides with an existing non-DELETED name (hash-based: a collision
    /// of hashes only ever makes a candidate name look taken, never free); `None` when the
    /// name was not among those asked about (`name_asked`).
    pub fn name_taken(&self, name: &str) -> Option<bool> {
        let h = collation::key_hash32(self.rules(), name.as_bytes());
        if self
            .name_asked
            .as_ref()
            .is_some_and(|asked| !asked.contains(h))
        {
            return None;
        }
        Some(self.name_hashes.contains(h))
    }

    /// The `n`th new name (from 1) for project `p`: derived from the project (so a re-run
    /// gives the same name) and within the column's length.
    pub fn rename_candidate(&self, p: &Project, n: u32) -> String {
        let max = self.name_max_len.unwrap_or(128) as usize;
        let base = p.name().trim_end_matches(' ');
        let suffix = if n == 1 {
            format!("-{}", p.id())
        } else {
            format!("-{}-{n}", p.id())
        };
        let keep = max.saturating_sub(suffix.chars().count());
        let head: String = base.chars().take(keep).collect();
        format!("{head}{suffix}")
    }
}

/// A 32-bit hash of a project id, to find the rows of wanted ids again.
/// The CRC-32 of a project id's text: what MariaDB's and OceanBase's `CRC32()` give for
/// it, so that a live MetaDB can select rows by it (`KeyFilter`).
fn id_hash(id: &[u8]) -> u32 {
    crc32fast::hash(id)
}

/// Sorted, distinct 32-bit hashes, two to a word: made in place from the per-row words
/// a table's first pass kept, so the set never needs a second copy of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameHashes {
    words: Vec<u64>,
    len: usize,
}

impl NameHashes {
    /// From hashes in the low halves of `words` (sorted or not, repeated or not).
    fn from_low_halves(mut words: Vec<u64>) -> Self {
        // In place, on every core: millions of words, after the last pass.
        words.par_sort_unstable();
        words.dedup();
        let len = words.len();
        for k in 0..len.div_ceil(2) {
            let lo = words.get(2 * k).copied().unwrap_or(0);
            let hi = words.get(2 * k + 1).copied().unwrap_or(0);
            if let Some(w) = words.get_mut(k) {
                *w = (lo & 0xffff_ffff) | (hi << 32);
            }
        }
        words.truncate(len.div_ceil(2));
        words.shrink_to_fit();
        NameHashes { words, len }
    }

    pub fn from_hashes(hashes: &[u32]) -> Self {
        Self::from_low_halves(hashes.iter().map(|&h| u64::from(h)).collect())
    }

    fn get(&self, i: usize) -> u32 {
        let w = self.words.get(i / 2).copied().unwrap_or(0);
        (w >> (32 * (i % 2))) as u32
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, h: u32) -> bool {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&h) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// One row, borrowed from the source's buffer.
pub struct ProjectRow<'a> {
    pub id: &'a [u8],
    pub name: &'a [u8],
    pub status: &'a [u8],
    pub source_ds: Option<&'a [u8]>,
    pub sink_ds: Option<&'a [u8]>,
    pub created: Option<&'a [u8]>,
}

impl<'a> ProjectRow<'a> {
    pub fn to_project(&self) -> Project {
        fn s(b: &[u8]) -> std::borrow::Cow<'_, str> {
            super::utf8::lossy(b)
        }
        let opt = |b: Option<&'a [u8]>| b.map(s);
        Project::new(
            &s(self.id),
            &s(self.name),
            &s(self.status),
            opt(self.source_ds).as_deref(),
            opt(self.sink_ds).as_deref(),
            opt(self.created).as_deref(),
        )
    }

    /// The row's id, name and status only: what is read of a project not ready (OMS014,
    /// the plan), of which a large MetaDB has tens of thousands.
    pub fn to_project_brief(&self) -> Project {
        let s = super::utf8::lossy;
        Project::new(
            &s(self.id),
            &s(self.name),
            &s(self.status),
            None,
            None,
            None,
        )
    }
}

/// Builds a `ProjectFacts` from a stream of rows, in one pass or two.
///
/// The first pass keeps 8 bytes a row (its name's collation-key hash) and the few rows
/// every run needs whole. When names share a hash, or live projects use a data source that
/// reads through oblogproxy or is a DataHub, a second pass over the same rows picks those
/// rows out: the source streams them again rather than this keeping them all.
pub struct ProjectAggregator {
    facts: ProjectFacts,
    rules: Rules,
    /// Per row, in table order: its name's key hash (high half) and its id's hash (low
    /// half); and a bit per row, set when DELETED. Empty when `spill` is set.
    rows: Vec<u64>,
    deleted: Vec<u64>,
    /// The non-DELETED rows' words and ids on disk instead (a live MetaDB, whose rows are
    /// asked for again by key, never by place).
    spill: Option<RowSpill>,
    /// Data sources flagged before the table's rows came (the source read the data
    /// sources first): live rows using them are kept as they pass.
    inline: Option<Flagged>,
    ds_ids: FxHashMap<Box<[u8]>, u32>,
    ds_names: Vec<String>,
    /// Per data source (by its place in `ds_names`): whether a live project reads from it
    /// (`SOURCE`), writes to it (`SINK`). A flag a row, not a set insert.
    ds_live: Vec<u8>,
    wanted: Arc<FxHashSet<String>>,
    second: Option<SecondPass>,
    /// Rows whose name hashes collided, for `split_exact`.
    candidates: Vec<Project>,
    /// Rows asked for by key and not yet seen again: their per-row word, how many.
    pending: FxHashMap<u64, u32>,
    /// Before rows were read by key: how many candidates and referenced projects there
    /// were (what is dropped if they must be read in a full pass after all).
    keyed_from: Option<(usize, usize)>,
}

/// What the second look at the rows is for. A look for late `wanted` projects only has
/// every set empty; rows read again by their place need no data-source sets (they were
/// kept as they passed).
#[derive(Default)]
struct SecondPass {
    dup_hashes: FxHashSet<u32>,
    logproxy: FxHashSet<Vec<u8>>,
    datahub: FxHashSet<Vec<u8>>,
}

/// Data sources whose live projects a rule reports: those reading through oblogproxy
/// (as a source) and DataHub ones (either side).
#[derive(Default, Clone)]
pub struct Flagged {
    pub logproxy: FxHashSet<Vec<u8>>,
    pub datahub: FxHashSet<Vec<u8>>,
}

impl Flagged {
    pub fn of(datasources: &BTreeMap<String, DataSource>) -> Self {
        let pick = |pred: &dyn Fn(&DataSource) -> bool| {
            datasources
                .values()
                .filter(|d| pred(d))
                .map(|d| d.id.as_bytes().to_vec())
                .collect()
        };
        Flagged {
            logproxy: pick(&|d| d.use_log_proxy),
            datahub: pick(&is_datahub),
        }
    }
}

fn is_datahub(d: &DataSource) -> bool {
    d.ds_type.trim().eq_ignore_ascii_case("DATAHUB")
}

/// What must happen after the first pass.
#[derive(Debug, PartialEq, Eq)]
pub enum Again {
    /// Nothing: every row the rules need is kept.
    Nothing,
    /// These rows (by place in the table, ascending) must be read again.
    Rows(Vec<u32>),
    /// Every row must stream past again.
    AllRows,
    /// These rows, selected by their keys (a live MetaDB; see `KeyFilter`).
    Keys(KeyFilter),
}

/// The project rows a live MetaDB is asked for again, rather than streaming every row a
/// second time: the rows whose name hashes collided, by their ids when the first pass kept
/// them on disk (`RowSpill`), else by the CRC-32 of their ids (the only key of theirs kept
/// in memory), and the projects components point at, by id. The
/// server may return more rows than asked for (another id with the same CRC-32, an id
/// equal under the column's collation): the rows are judged exactly as in a full pass.
/// `ProjectAggregator::keys_read` then checks that every row asked for came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFilter {
    /// Sorted, distinct.
    pub id_crcs: Vec<u32>,
    /// Sorted, distinct.
    pub ids: Vec<String>,
}

/// `ProjectAggregator::ds_live` flags.
const SOURCE: u8 = 1;
const SINK: u8 = 2;

/// Past this many keys of either kind a live MetaDB streams every row again instead: one
/// statement holds the CRC-32s, and the ids go a few hundred to a statement.
const KEYS_MAX: usize = 20_000;

impl ProjectAggregator {
    pub fn new(mut facts: ProjectFacts) -> Self {
        facts.seen = true;
        ProjectAggregator {
            rules: Rules::for_collation(facts.name_collation.as_deref()),
            facts,
            rows: Vec::new(),
            deleted: Vec::new(),
            spill: None,
            inline: None,
            ds_ids: FxHashMap::default(),
            ds_names: Vec::new(),
            ds_live: Vec::new(),
            wanted: Arc::default(),
            second: None,
            candidates: Vec::new(),
            pending: FxHashMap::default(),
            keyed_from: None,
        }
    }

    fn intern(&mut self, ds: Option<&[u8]>) -> Option<u32> {
        let ds = ds?;
        if let Some(&i) = self.ds_ids.get(ds) {
            return Some(i);
        }
        let i = self.ds_names.len() as u32;
        self.ds_names.push(super::utf8::lossy(ds).into_owned());
        self.ds_live.push(0);
        self.ds_ids.insert(ds.into(), i);
        Some(i)
    }

    /// The data sources the source has already read: live rows that use a flagged one
    /// are kept as they pass, and no second pass is needed for them.
    pub fn flag_inline(&mut self, flagged: Flagged) {
        self.inline = Some(flagged);
    }

    /// Keep the rows' words and ids on disk (before the first row). Rows kept so are
    /// never read again by place.
    pub fn spill_rows(&mut self, spill: RowSpill) {
        if self.facts.rows == 0 {
            self.spill = Some(spill);
        }
    }

    /// First pass: one row.
    pub fn push(&mut self, row: &ProjectRow<'_>) {
        self.facts.rows += 1;
        let class = status_class(row.status);
        // The lossy text, as `wanted` holds ids (and `push_again` compares them).
        let id = id_hash(super::utf8::lossy(row.id).as_bytes());
        let name = collation::key_hash32(self.rules, row.name);
        let word = u64::from(name) << 32 | u64::from(id);
        if let Some(spill) = self.spill.as_mut() {
            if class == StatusClass::Deleted {
                return;
            }
            spill.push(word, row.id);
        } else {
            let place = self.rows.len();
            self.rows.push(word);
            if place % 64 == 0 {
                self.deleted.push(0);
            }
            if class == StatusClass::Deleted {
                if let Some(w) = self.deleted.last_mut() {
                    *w |= 1 << (place % 64);
                }
                return;
            }
        }
        if class != StatusClass::Released {
            if let Some(i) = self.intern(row.source_ds) {
                self.ds_live[i as usize] |= SOURCE;
            }
            if let Some(i) = self.intern(row.sink_ds) {
                self.ds_live[i as usize] |= SINK;
            }
            if let Some(f) = &self.inline {
                let on = |set: &FxHashSet<Vec<u8>>, d: Option<&[u8]>| {
                    !set.is_empty() && d.is_some_and(|d| set.contains(d))
                };
                if on(&f.logproxy, row.source_ds) {
                    self.facts.logproxy_sources.push(row.to_project());
                }
                if on(&f.datahub, row.source_ds) || on(&f.datahub, row.sink_ds) {
                    self.facts.datahub.push(row.to_project());
                }
            }
        }
        if class == StatusClass::NotReady {
            self.facts.not_ready.push(row.to_project_brief());
        }
    }

    /// The data sources live projects use on `side` (`SOURCE`, `SINK`, or either).
    fn live_ds(&self, side: u8) -> impl Iterator<Item = &str> {
        self.ds_names
            .iter()
            .zip(&self.ds_live)
            .filter(move |(_, live)| *live & side != 0)
            .map(|(name, _)| name.as_str())
    }

    fn is_deleted(&self, place: usize) -> bool {
        self.deleted
            .get(place / 64)
            .is_some_and(|w| w & (1 << (place % 64)) != 0)
    }

    fn name_at(&self, place: usize) -> u32 {
        (self.rows[place] >> 32) as u32
    }

    fn id_at(&self, place: usize) -> u32 {
        self.rows[place] as u32
    }

    /// The name hashes shared by two non-DELETED rows or more. The names are sorted an
    /// eighth at a time (by their top bits), so no copy of them all is ever made; `None`
    /// when the rows on disk cannot be read back.
    fn duplicate_names(&mut self) -> Option<FxHashSet<u32>> {
        let mut dups = FxHashSet::default();
        let mut part: Vec<u32> = Vec::new();
        for top in 0..8u32 {
            part.clear();
            if let Some(spill) = self.spill.as_mut() {
                spill.each_word(|w| {
                    let h = (w >> 32) as u32;
                    if h >> 29 == top {
                        part.push(h);
                    }
                })?;
            } else {
                part.extend(
                    (0..self.rows.len())
                        .filter(|&i| !self.is_deleted(i))
                        .map(|i| self.name_at(i))
                        .filter(|h| h >> 29 == top),
                );
            }
            part.sort_unstable();
            dups.extend(part.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]));
        }
        Some(dups)
    }

    /// The data sources read before the rows turned out not to be all of them: what was
    /// kept as the rows passed is dropped, and the second pass looks again.
    pub fn forget_inline(&mut self) {
        if self.inline.take().is_some() {
            self.facts.logproxy_sources.clear();
            self.facts.datahub.clear();
        }
    }

    /// After the first pass: which rows must be read again. `wanted` are the projects
    /// components point at (known once every source's first pass is done); `by_place`
    /// says whether the source can read rows again by their place in the table (else
    /// every row streams past again).
    pub fn plan_again(
        &mut self,
        datasources: &BTreeMap<String, DataSource>,
        wanted: Arc<FxHashSet<String>>,
        by_place: bool,
        keyed: bool,
    ) -> Again {
        self.wanted = wanted;
        // Rows on disk are found again by key only.
        let by_place = by_place && self.spill.is_none();
        let Some(dup_hashes) = self.duplicate_names() else {
            self.spill_failed();
            return Again::Nothing;
        };
        let flagged = |pred: &dyn Fn(&DataSource) -> bool, side: u8| -> FxHashSet<Vec<u8>> {
            self.live_ds(side)
                .filter(|id| datasources.get(*id).is_some_and(pred))
                .map(|id| id.as_bytes().to_vec())
                .collect()
        };
        // Rows using a flagged data source were kept as they passed when the data sources
        // were known then; else they are looked for in a pass over every row.
        let (logproxy, datahub) = if self.inline.is_some() {
            Default::default()
        } else {
            (
                flagged(&|d| d.use_log_proxy, SOURCE),
                flagged(&is_datahub, SOURCE | SINK),
            )
        };
        let all_rows = !logproxy.is_empty() || !datahub.is_empty() || !by_place;
        let second = SecondPass {
            dup_hashes,
            logproxy,
            datahub,
        };
        if all_rows {
            let needed = !second.dup_hashes.is_empty()
                || !second.logproxy.is_empty()
                || !second.datahub.is_empty()
                || !self.wanted.is_empty();
            // Rows on flagged data sources have no key the first pass kept.
            let by_key = keyed && second.logproxy.is_empty() && second.datahub.is_empty();
            let keys = if needed && by_key {
                self.plan_keys(&second)
            } else {
                None
            };
            self.second = Some(second);
            return match keys {
                Some(k) => Again::Keys(k),
                // The rows on disk failed (`unreadable`): another pass would not mend it.
                None if self.facts.unreadable.is_some() => Again::Nothing,
                None if needed => Again::AllRows,
                None => Again::Nothing,
            };
        }
        let wanted_ids: FxHashSet<u32> = self
            .wanted
            .iter()
            .map(|id| id_hash(id.as_bytes()))
            .collect();
        let rows: Vec<u32> = (0..self.rows.len())
            .filter(|&i| {
                let dup = !self.is_deleted(i) && second.dup_hashes.contains(&self.name_at(i));
                dup || wanted_ids.contains(&self.id_at(i))
            })
            .map(|i| i as u32)
            .collect();
        self.second = Some(second);
        if rows.is_empty() {
            Again::Nothing
        } else {
            Again::Rows(rows)
        }
    }

    /// The keys of the rows to read again (`Again::Keys`), or `None` when there are too
    /// many to ask for.
    fn plan_keys(&mut self, second: &SecondPass) -> Option<KeyFilter> {
        let mut pending: FxHashMap<u64, u32> = FxHashMap::default();
        let mut rows = 0usize;
        let mut id_crcs = Vec::new();
        let mut ids: Vec<String> = self.wanted.iter().cloned().collect();
        let dup = |w: u64| second.dup_hashes.contains(&((w >> 32) as u32));
        if let Some(spill) = self.spill.as_mut() {
            // The rows with possibly duplicate names, by their ids: primary-key lookups.
            let read = spill.each_row(|w, id| {
                if dup(w) {
                    *pending.entry(w).or_insert(0) += 1;
                    rows += 1;
                    if rows <= KEYS_MAX {
                        ids.push(super::utf8::lossy(id).into_owned());
                    }
                }
            });
            if read.is_none() {
                self.spill_failed();
                return None;
            }
        } else {
            for i in 0..self.rows.len() {
                if !self.is_deleted(i) && dup(self.rows[i]) {
                    *pending.entry(self.rows[i]).or_insert(0) += 1;
                    rows += 1;
                    id_crcs.push(self.id_at(i));
                }
            }
        }
        id_crcs.sort_unstable();
        id_crcs.dedup();
        ids.sort_unstable();
        ids.dedup();
        if rows > KEYS_MAX || self.wanted.len() > KEYS_MAX {
            return None;
        }
        self.pending = pending;
        self.keyed_from = Some((self.candidates.len(), self.facts.referenced.len()));
        Some(KeyFilter { id_crcs, ids })
    }

    /// The rows on disk could not be written or read back: the table's facts are not
    /// whole, and the rules that read them say so rather than judge what is left.
    fn spill_failed(&mut self) {
        if let Some(spill) = self.spill.take() {
            self.facts.unreadable = Some(format!(
                "the {} rows of {} kept in a temporary file ($TMPDIR) are not whole ({})",
                spill.rows(),
                self.facts.table,
                spill.failure().unwrap_or("reading back")
            ));
        }
    }

    /// After the rows asked for by key were read: whether every one came back. If one did
    /// not (the table changed since the first pass, or the server's `CRC32()` saw other
    /// bytes than the rows it sent, as a column in another character set would), what they
    /// added is dropped and `false` says every row must stream past again.
    pub fn keys_read(&mut self) -> bool {
        if self.keyed_from.is_some() && !self.pending.is_empty() {
            self.keys_abandoned();
            return false;
        }
        self.keyed_from = None;
        true
    }

    /// The rows asked for by key could not all be read: what they added is dropped.
    pub fn keys_abandoned(&mut self) {
        if let Some((candidates, referenced)) = self.keyed_from.take() {
            self.candidates.truncate(candidates);
            self.facts.referenced.truncate(referenced);
        }
        self.pending = FxHashMap::default();
    }

    /// After the second look: components turned out to name more projects (`more`, none
    /// of them looked for before); the rows of just those are read once more.
    pub fn plan_referenced(&mut self, more: &Arc<FxHashSet<String>>, by_place: bool) -> Again {
        if more.is_empty() {
            return Again::Nothing;
        }
        self.wanted = Arc::clone(more);
        self.second = Some(SecondPass::default());
        if !by_place || self.spill.is_some() {
            return Again::AllRows;
        }
        let ids: FxHashSet<u32> = more.iter().map(|id| id_hash(id.as_bytes())).collect();
        let rows: Vec<u32> = (0..self.rows.len())
            .filter(|&i| ids.contains(&self.id_at(i)))
            .map(|i| i as u32)
            .collect();
        if rows.is_empty() {
            Again::Nothing
        } else {
            Again::Rows(rows)
        }
    }

    /// Second pass: the same row again.
    pub fn push_again(&mut self, row: &ProjectRow<'_>) {
        let Some(second) = self.second.as_mut() else {
            return;
        };
        if !self.wanted.is_empty() {
            let id = super::utf8::lossy(row.id);
            if self.wanted.contains(id.as_ref()) {
                self.facts.referenced.push(row.to_project());
            }
        }
        let class = status_class(row.status);
        if class == StatusClass::Deleted {
            return;
        }
        if !self.pending.is_empty() {
            let id = id_hash(super::utf8::lossy(row.id).as_bytes());
            let word = u64::from(collation::key_hash32(self.rules, row.name)) << 32 | u64::from(id);
            if let Some(n) = self.pending.get_mut(&word) {
                *n -= 1;
                if *n == 0 {
                    self.pending.remove(&word);
                }
            }
        }
        if !second.dup_hashes.is_empty()
            && second
                .dup_hashes
                .contains(&collation::key_hash32(self.rules, row.name))
        {
            self.candidates.push(row.to_project());
        }
        if class == StatusClass::Released {
            return;
        }
        if !second.logproxy.is_empty() && row.source_ds.is_some_and(|d| second.logproxy.contains(d))
        {
            self.facts.logproxy_sources.push(row.to_project());
        }
        let datahub = |d: Option<&[u8]>| {
            !second.datahub.is_empty() && d.is_some_and(|d| second.datahub.contains(d))
        };
        if datahub(row.source_ds) || datahub(row.sink_ds) {
            self.facts.datahub.push(row.to_project());
        }
    }

    pub fn finish(mut self) -> ProjectFacts {
        self.facts.live_source_ds = self.live_ds(SOURCE).map(str::to_string).collect();
        self.facts.live_sink_ds = self.live_ds(SINK).map(str::to_string).collect();
        let candidates = std::mem::take(&mut self.candidates);
        self.split_exact(candidates);
        if self.spill.is_some() {
            self.names_asked();
        }
        // The per-row words become the name set in place: DELETED rows out, each word
        // down to its name's hash, then sorted and packed.
        let mut rows = std::mem::take(&mut self.rows);
        let mut place = 0;
        rows.retain(|_| {
            let keep = !self.is_deleted(place);
            place += 1;
            keep
        });
        self.deleted = Vec::new();
        for w in &mut rows {
            *w >>= 32;
        }
        if self.facts.name_asked.is_none() {
            self.facts.name_hashes = NameHashes::from_low_halves(rows);
        }
        for g in &mut self.facts.duplicate_groups {
            g.sort_by(|a, b| {
                (a.created().unwrap_or_default(), a.id())
                    .cmp(&(b.created().unwrap_or_default(), b.id()))
            });
        }
        self.facts
            .duplicate_groups
            .sort_by(|a, b| a[0].name().cmp(b[0].name()).then(a[0].id().cmp(b[0].id())));
        self.facts.not_ready.sort_by(|a, b| a.id().cmp(b.id()));
        // Held to the end of the run, when the report is written.
        self.facts.not_ready.shrink_to_fit();
        self.facts.referenced.sort_by(|a, b| a.id().cmp(b.id()));
        self.facts.referenced.dedup_by(|a, b| a.id() == b.id());
        self.facts
            .logproxy_sources
            .sort_by(|a, b| a.id().cmp(b.id()));
        self.facts.datahub.sort_by(|a, b| a.id().cmp(b.id()));
        self.facts
    }

    /// The rows on disk are not made into a set of every name: only the new names OMS003
    /// may propose for a group's members are looked for among them (`name_asked`), in one
    /// pass.
    fn names_asked(&mut self) {
        let Some(mut spill) = self.spill.take() else {
            return;
        };
        let asked: FxHashSet<u32> = self
            .facts
            .duplicate_groups
            .iter()
            // Every member: which one a group keeps is settled after this (oldest first).
            .flatten()
            .flat_map(|p| (1..=RENAME_TRIES).map(move |n| (p, n)))
            .map(|(p, n)| {
                let name = self.facts.rename_candidate(p, n);
                collation::key_hash32(self.rules, name.as_bytes())
            })
            .collect();
        let mut taken = Vec::new();
        let read = spill.each_word(|w| {
            let h = (w >> 32) as u32;
            if asked.contains(&h) {
                taken.push(h);
            }
        });
        if read.is_none() {
            self.spill = Some(spill);
            self.spill_failed();
            return;
        }
        let asked: Vec<u32> = asked.into_iter().collect();
        self.facts.name_hashes = NameHashes::from_hashes(&taken);
        self.facts.name_asked = Some(NameHashes::from_hashes(&asked));
    }

    /// Splits the rows whose hashes collided into groups of names that are really equal.
    fn split_exact(&mut self, rows: Vec<Project>) {
        let mut by_key: BTreeMap<Vec<u8>, Vec<Project>> = BTreeMap::new();
        for p in rows {
            by_key
                .entry(collation::key(self.rules, p.name().as_bytes()))
                .or_default()
                .push(p);
        }
        self.facts
            .duplicate_groups
            .extend(by_key.into_values().filter(|g| g.len() > 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(id: &'a str, name: &'a str, status: &'a str) -> ProjectRow<'a> {
        ProjectRow {
            id: id.as_bytes(),
            name: name.as_bytes(),
            status: status.as_bytes(),
            source_ds: Some(b"ds1"),
            sink_ds: None,
            created: Some(b"2024-01-01 00:00:00"),
        }
    }

    /// Aggregates both ways: rows read again by place, and every row streamed again;
    /// the two must agree.
    fn aggregate(collation: &str, rows: &[(&str, &str, &str)]) -> ProjectFacts {
        aggregate_wanting(collation, rows, &[])
    }

    fn aggregate_wanting(
        collation: &str,
        rows: &[(&str, &str, &str)],
        wanted: &[&str],
    ) -> ProjectFacts {
        let wanted: Arc<FxHashSet<String>> =
            Arc::new(wanted.iter().map(|s| s.to_string()).collect());
        // 0: by place (a dump); 1: every row again; 2: by key (a live MetaDB), the server
        // played by selecting rows on the CRC-32 of their ids, then on their ids; 3: by key,
        // the rows kept on disk (`RowSpill`), all asked for by id.
        let run = |way: u8| {
            let facts = ProjectFacts {
                name_collation: Some(collation.into()),
                ..Default::default()
            };
            let mut agg = ProjectAggregator::new(facts);
            if way == 3 {
                agg.spill_rows(RowSpill::new().expect("a temporary file"));
            }
            for r in rows {
                agg.push(&row(r.0, r.1, r.2));
            }
            match agg.plan_again(&BTreeMap::new(), Arc::clone(&wanted), way == 0, way >= 2) {
                Again::Nothing => {}
                Again::AllRows => {
                    assert_eq!(way, 1);
                    for r in rows {
                        agg.push_again(&row(r.0, r.1, r.2));
                    }
                }
                Again::Rows(at) => {
                    assert_eq!(way, 0);
                    assert!(at.windows(2).all(|w| w[0] < w[1]));
                    for i in at {
                        let r = rows[i as usize];
                        agg.push_again(&row(r.0, r.1, r.2));
                    }
                }
                Again::Keys(k) => {
                    assert!(way >= 2);
                    if way == 3 {
                        assert!(
                            k.id_crcs.is_empty(),
                            "rows kept on disk are asked for by id"
                        );
                    }
                    let crc = |r: &(&str, &str, &str)| crc32fast::hash(r.0.as_bytes());
                    for r in rows.iter().filter(|r| k.id_crcs.contains(&crc(r))) {
                        agg.push_again(&row(r.0, r.1, r.2));
                    }
                    for r in rows
                        .iter()
                        .filter(|r| k.ids.iter().any(|i| i == r.0) && !k.id_crcs.contains(&crc(r)))
                    {
                        agg.push_again(&row(r.0, r.1, r.2));
                    }
                    assert!(agg.keys_read());
                }
            }
            agg.finish()
        };
        let (place, all, keys, mut by_ids) = (run(0), run(1), run(2), run(3));
        // Every fact alike (ProjectFacts has no PartialEq: rules never compare them).
        assert_eq!(format!("{keys:?}"), format!("{all:?}"));
        // Rows kept on disk: only the new names OMS003 may propose are looked for, and
        // each is known taken or free exactly as from the set of every name.
        let asked: Vec<String> = by_ids
            .duplicate_groups
            .iter()
            .flat_map(|g| g.iter().skip(1))
            .flat_map(|p| (1..=RENAME_TRIES).map(|n| by_ids.rename_candidate(p, n)))
            .collect();
        assert!(by_ids.name_asked.is_some());
        for name in &asked {
            assert_eq!(by_ids.name_taken(name), all.name_taken(name), "{name}");
        }
        for r in rows
            .iter()
            .filter(|r| !asked.iter().any(|a| a.eq_ignore_ascii_case(r.1)))
        {
            assert_eq!(by_ids.name_taken(r.1), None, "{} was not asked about", r.1);
        }
        by_ids.name_hashes = all.name_hashes.clone();
        by_ids.name_asked = None;
        assert_eq!(format!("{by_ids:?}"), format!("{all:?}"));
        let ids = |g: &Vec<Vec<Project>>| -> Vec<Vec<String>> {
            g.iter()
                .map(|g| g.iter().map(|p| p.id().to_string()).collect())
                .collect()
        };
        assert_eq!(ids(&place.duplicate_groups), ids(&all.duplicate_groups));
        assert_eq!(place.referenced, all.referenced);
        assert_eq!(place.name_hashes, all.name_hashes);
        assert_eq!(
            place.name_hashes.len(),
            rows.iter()
                .filter(|r| r.2 != "DELETED")
                .map(|r| collation::key(Rules::for_collation(Some(collation)), r.1.as_bytes()))
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
        place
    }

    /// Rows asked for by key that do not all come back (the table changed, or the server
    /// hashed other bytes): what they added is dropped, and the whole pass that follows
    /// finds what a whole pass finds.
    #[test]
    fn rows_missing_by_key_fall_back_to_a_whole_pass() {
        let rows = [
            ("p1", "dup", "RUNNING"),
            ("p2", "DUP", "FAILED"),
            ("p3", "Dup", "DELETED"),
            ("p4", "other", "RUNNING"),
        ];
        let facts = || ProjectFacts {
            name_collation: Some("utf8mb4_general_ci".into()),
            ..Default::default()
        };
        let wanted: Arc<FxHashSet<String>> = Arc::new(["p4".to_string()].into_iter().collect());
        let mut agg = ProjectAggregator::new(facts());
        for r in rows {
            agg.push(&row(r.0, r.1, r.2));
        }
        let mut crcs = vec![crc32fast::hash(b"p1"), crc32fast::hash(b"p2")];
        crcs.sort_unstable();
        let Again::Keys(k) = agg.plan_again(&BTreeMap::new(), Arc::clone(&wanted), false, true)
        else {
            panic!("a live source reads by key");
        };
        assert_eq!(k.id_crcs, crcs, "the DELETED row is not asked for");
        assert_eq!(k.ids, ["p4"]);
        // p2 does not come back.
        agg.push_again(&row("p1", "dup", "RUNNING"));
        agg.push_again(&row("p4", "other", "RUNNING"));
        assert!(!agg.keys_read());
        for r in rows {
            agg.push_again(&row(r.0, r.1, r.2));
        }
        let got = agg.finish();
        let mut whole = ProjectAggregator::new(facts());
        for r in rows {
            whole.push(&row(r.0, r.1, r.2));
        }
        assert_eq!(
            whole.plan_again(&BTreeMap::new(), wanted, false, false),
            Again::AllRows
        );
        for r in rows {
            whole.push_again(&row(r.0, r.1, r.2));
        }
        let want = whole.finish();
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
        assert_eq!(got.duplicate_groups.len(), 1);
        assert_eq!(got.duplicate_groups[0].len(), 2);
        assert_eq!(got.referenced.len(), 1);
    }

    /// Rows kept on disk that cannot be read back: the table's facts say they are not
    /// whole (every rule reading them then reports an error), never a partial verdict.
    #[test]
    fn rows_on_disk_that_fail_leave_the_table_unreadable() {
        let facts = ProjectFacts {
            table: "oms_project".into(),
            ..Default::default()
        };
        let mut agg = ProjectAggregator::new(facts);
        agg.spill_rows(RowSpill::new().expect("a temporary file"));
        agg.push(&row("p1", "dup", "RUNNING"));
        let long = "x".repeat(70_000);
        agg.push(&row(&long, "dup", "RUNNING"));
        assert_eq!(
            agg.plan_again(&BTreeMap::new(), Arc::default(), false, true),
            Again::Nothing
        );
        let got = agg.finish();
        let why = got.unreadable.expect("the table is marked unreadable");
        assert!(
            why.contains("oms_project") && why.contains("70000 bytes"),
            "{why}"
        );
        assert!(got.duplicate_groups.is_empty());
    }

    /// Rows kept on disk whose keys do not all come back: the whole pass finds the same
    /// groups, and the new names are still looked for on disk.
    #[test]
    fn rows_on_disk_missing_by_key_fall_back_to_a_whole_pass() {
        let rows = [
            ("p1", "dup", "RUNNING"),
            ("p2", "DUP", "FAILED"),
            ("p3", "dup-p2", "RUNNING"),
        ];
        let mut agg = ProjectAggregator::new(ProjectFacts {
            name_collation: Some("utf8mb4_general_ci".into()),
            ..Default::default()
        });
        agg.spill_rows(RowSpill::new().unwrap());
        for r in rows {
            agg.push(&row(r.0, r.1, r.2));
        }
        let Again::Keys(k) = agg.plan_again(&BTreeMap::new(), Arc::default(), false, true) else {
            panic!("rows on disk are read by key");
        };
        assert_eq!(k.ids, ["p1", "p2"]);
        agg.push_again(&row("p1", "dup", "RUNNING"));
        assert!(!agg.keys_read(), "p2 did not come back");
        for r in rows {
            agg.push_again(&row(r.0, r.1, r.2));
        }
        let got = agg.finish();
        assert_eq!(got.duplicate_groups.len(), 1);
        assert_eq!(got.duplicate_groups[0].len(), 2);
        // p2's first new name is an existing project's name (under the collation).
        assert_eq!(got.name_taken("DUP-P2"), Some(true));
        assert_eq!(got.name_taken("dup-p2-2"), Some(false));
    }

    #[test]
    fn wanted_projects_are_found_by_place_deleted_or_not() {
        let f = aggregate_wanting(
            "utf8mb4_general_ci",
            &[
                ("p1", "a", "RUNNING"),
                ("p2", "b", "DELETED"),
                ("p3", "c", "RUNNING"),
            ],
            &["p2", "p3", "p9"],
        );
        let ids: Vec<&str> = f.referenced.iter().map(|p| p.id()).collect();
        assert_eq!(ids, ["p2", "p3"]);
    }

    #[test]
    fn groups_names_the_collation_calls_equal() {
        let f = aggregate(
            "utf8mb4_general_ci",
            &[
                ("p1", "Orders", "RUNNING"),
                ("p2", "orders ", "FAILED"),
                ("p3", "Other", "RUNNING"),
                ("p4", "ORDERS", "DELETED"),
            ],
        );
        assert_eq!(f.duplicate_groups.len(), 1);
        let ids: Vec<&str> = f.duplicate_groups[0].iter().map(|p| p.id()).collect();
        assert_eq!(ids, ["p1", "p2"]);
        assert_eq!(f.not_ready.len(), 1);
        assert_eq!(f.name_taken("OTHER"), Some(true));
        assert_eq!(f.name_taken("Other2"), Some(false));
        assert_eq!(f.rows, 4);
    }

    /// A group's rows arrive newest first: the one it keeps is known only once it is
    /// sorted, and the new names of every other member must still be known taken or free.
    #[test]
    fn groups_whose_rows_arrive_out_of_order() {
        let f = aggregate(
            "utf8mb4_general_ci",
            &[
                ("p9", "orders", "RUNNING"),
                ("p5", "ORDERS", "RUNNING"),
                ("p1", "Orders", "FAILED"),
                ("p7", "orders-P5", "RUNNING"),
            ],
        );
        let ids: Vec<&str> = f.duplicate_groups[0].iter().map(|p| p.id()).collect();
        assert_eq!(ids, ["p1", "p5", "p9"]);
    }

    #[test]
    fn statuses_are_classed_as_the_text_reads() {
        assert!(status_class(b" deleted ") == StatusClass::Deleted);
        assert!(status_class(b"Released") == StatusClass::Released);
        assert!(status_class(b"RUNNING_MERGING\t") == StatusClass::NotReady);
        assert!(status_class(b"RUNNING") == StatusClass::Other);
        assert!(status_class(b"\x0bFAILED\x0c") == StatusClass::NotReady);
        assert!(status_class(b"   ") == StatusClass::Other);
        assert!(status_class("DELETED\u{3000}".as_bytes()) == StatusClass::Deleted);
        assert!(status_class(b"DELETED\xff") == StatusClass::Other);
    }

    /// Six fields in one allocation: each reads back as given, an absent optional field
    /// is told from an empty one, and two projects are equal exactly when their fields are.
    #[test]
    fn project_fields_read_back() {
        let p = Project::new(
            "p-1",
            "名前 with spaces",
            " RUNNING ",
            Some(""),
            None,
            Some("2024-01-01 00:00:00"),
        );
        assert_eq!(p.id(), "p-1");
        assert_eq!(p.name(), "名前 with spaces");
        assert_eq!(p.status(), " RUNNING ");
        assert_eq!(p.source_ds(), Some(""));
        assert_eq!(p.sink_ds(), None);
        assert_eq!(p.created(), Some("2024-01-01 00:00:00"));
        assert!(p.is_live());
        // The same text split at other places is another project.
        let q = Project::new("p-", "1名前 with spaces", " RUNNING ", Some(""), None, None);
        assert_ne!(p, q);
        assert_ne!(
            Project::new("a", "b", "c", Some(""), None, None),
            Project::new("a", "b", "c", None, Some(""), None)
        );
        assert_eq!(p.clone(), p);
        let empty = Project::default();
        assert_eq!((empty.id(), empty.source_ds()), ("", None));
        assert!(format!("{p:?}").contains("name: \"名前 with spaces\""));
    }

    #[test]
    fn name_hashes_pack_two_to_a_word() {
        for n in [0usize, 1, 2, 3, 10, 11] {
            let hashes: Vec<u32> = (0..n as u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect();
            let mut twice = hashes.clone();
            twice.extend(&hashes);
            let set = NameHashes::from_hashes(&twice);
            assert_eq!(set.len(), n);
            for h in &hashes {
                assert!(set.contains(*h), "{n}: {h}");
                assert!(!set.contains(h.wrapping_add(1)) || hashes.contains(&h.wrapping_add(1)));
            }
            assert!(!set.contains(7) || hashes.contains(&7));
        }
    }

    #[test]
    fn bin_collation_keeps_case_apart() {
        let f = aggregate(
            "utf8mb4_bin",
            &[("p1", "Orders", "RUNNING"), ("p2", "orders", "RUNNING")],
        );
        assert!(f.duplicate_groups.is_empty());
    }

    #[test]
    fn released_rows_count_as_duplicates_but_not_as_live() {
        let f = aggregate(
            "utf8mb4_general_ci",
            &[("p1", "a", "RELEASED"), ("p2", "a", "RUNNING")],
        );
        assert_eq!(f.duplicate_groups.len(), 1);
        assert_eq!(f.live_source_ds.len(), 1);
    }
}
