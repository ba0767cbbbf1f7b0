//! The live MetaDB (`--metadb`): the rm, cm and every cm_hb database that config.yaml
//! names, read concurrently over read-only sessions into the same facts the dump reader
//! fills. Rows are streamed (never GROUP_CONCAT, which truncates silently at
//! `group_concat_max_len`); column collations come from `information_schema`.

pub mod grants;
pub mod target;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, SslOpts};

use super::dump::{ColumnDef, Interest, TableDef, Value};
use crate::error::{Error, Result};
use crate::escape::sql;
use crate::facts::fxhash::FxHashSet;
use crate::facts::job_keep::JobKeep;
use crate::facts::projects::KeyFilter;
use crate::facts::{Component, DbRole, MetaDb};
use crate::schema_map::SchemaMap;
use crate::sources::facts_builder::FactsBuilder;
pub use target::{SslMode, Target};

fn failed(t: &Target, what: &str, e: impl std::fmt::Display) -> Error {
    Error::CheckFailed(format!("MetaDB {}: {what}: {e}", t.address()))
}

fn opts(t: &Target, ssl: Option<SslOpts>) -> OptsBuilder {
    OptsBuilder::default()
        .ip_or_hostname(t.host.clone())
        .tcp_port(t.port)
        .user(Some(t.user.clone()))
        .pass(Some(t.password.0.clone()))
        .prefer_socket(false)
        .stmt_cache_size(0)
        .ssl_opts(ssl)
}

fn ssl_opts(t: &Target) -> Option<SslOpts> {
    let with_ca = |o: SslOpts| match &t.ssl_ca {
        Some(ca) => o.with_root_certs(vec![ca.clone().into()]),
        None => o,
    };
    match t.ssl_mode {
        SslMode::Disabled => None,
        SslMode::Preferred | SslMode::Required => {
            Some(SslOpts::default().with_danger_accept_invalid_certs(true))
        }
        SslMode::VerifyCa => {
            Some(with_ca(SslOpts::default()).with_danger_skip_domain_validation(true))
        }
        SslMode::VerifyIdentity => Some(with_ca(SslOpts::default())),
    }
}

pub async fn with_timeout<T>(
    t: &Target,
    secs: u64,
    what: &str,
    f: impl std::future::Future<Output = std::result::Result<T, mysql_async::Error>>,
) -> Result<T> {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(failed(t, what, e)),
        Err(_) => Err(failed(t, what, format!("no answer within {secs} s"))),
    }
}

/// A read-only session; `preferred` TLS falls back to plain when the server has none.
/// TIMESTAMP values are read in UTC, as mysqldump and mariadb-dump write them
/// (`SET TIME_ZONE='+00:00'`): the live MetaDB and its dumps give the same facts whatever
/// the server's time zone (OceanBase's default is +08:00).
async fn connect(t: &Target) -> Result<Conn> {
    let mut conn = connect_session(t).await?;
    with_timeout(
        t,
        t.query_timeout_s,
        "cannot make the session read-only",
        conn.query_drop("SET SESSION TRANSACTION READ ONLY"),
    )
    .await?;
    with_timeout(
        t,
        t.query_timeout_s,
        "cannot set the session time zone to UTC",
        conn.query_drop("SET time_zone = '+00:00'"),
    )
    .await?;
    Ok(conn)
}

/// A session as the server gives it (the fix applier's, which writes).
pub async fn connect_session(t: &Target) -> Result<Conn> {
    let attempt = |ssl| {
        with_timeout(
            t,
            t.connect_timeout_s,
            "cannot connect",
            Conn::new(opts(t, ssl)),
        )
    };
    let conn = match attempt(ssl_opts(t)).await {
        Err(Error::CheckFailed(m)) if t.ssl_mode == SslMode::Preferred && m.contains("SSL") => {
            attempt(None).await?
        }
        other => other?,
    };
    Ok(conn)
}

async fn strings(
    t: &Target,
    conn: &mut Conn,
    q: &str,
    what: &str,
) -> Result<Vec<Vec<Option<String>>>> {
    let rows: Vec<Row> = with_timeout(t, t.query_timeout_s, what, conn.query(q)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| match r.as_ref(i) {
                    Some(mysql_async::Value::Bytes(b)) => {
                        Some(String::from_utf8_lossy(b).into_owned())
                    }
                    Some(mysql_async::Value::NULL) | None => None,
                    Some(v) => Some(v.as_sql(true).trim_matches('\'').to_string()),
                })
                .collect()
        })
        .collect())
}

fn in_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| sql::literal(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tables the checks need in a database of this role: the schema map's.
fn needed_tables(schema: &SchemaMap, role: DbRole) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    for (_, r, table) in schema.entries() {
        if r.db_role() == role && !v.iter().any(|t| t.eq_ignore_ascii_case(table)) {
            v.push(table);
        }
    }
    v
}

/// `SELECT 1 FROM db.table LIMIT 0`: reads no row, and the server says whether this user
/// may read the table, through whatever grant or role.
async fn probe(t: &Target, conn: &mut Conn, db: &str, table: &str) -> Result<grants::Access> {
    let q = format!("SELECT 1 FROM {} LIMIT 0", sql::table(Some(db), table));
    let what = format!("cannot read {db}.{table}");
    let secs = t.query_timeout_s;
    match tokio::time::timeout(Duration::from_secs(secs), conn.query_drop(q)).await {
        Ok(Ok(())) => Ok(grants::Access::Readable),
        Ok(Err(mysql_async::Error::Server(e))) => {
            grants::classify(e.code).ok_or_else(|| failed(t, &what, e))
        }
        Ok(Err(e)) => Err(failed(t, &what, e)),
        Err(_) => Err(failed(t, &what, format!("no answer within {secs} s"))),
    }
}

/// A hint when the user holds roles that are not active in its session (a role counts
/// only as a default role, `SET DEFAULT ROLE`). Best effort: a server that knows no
/// roles gives no hint.
async fn inactive_role_hint(t: &Target, conn: &mut Conn) -> String {
    let Ok(lines) = strings(t, conn, "SHOW GRANTS", "cannot read its own grants").await else {
        return String::new();
    };
    let has_role = lines
        .iter()
        .filter_map(|r| r.first().cloned().flatten())
        .any(|l| grants::is_role_grant(&l));
    if !has_role {
        return String::new();
    }
    let active = strings(t, conn, "SELECT CURRENT_ROLE()", "cannot read its roles")
        .await
        .ok()
        .and_then(|r| r.into_iter().next())
        .and_then(|r| r.into_iter().next().flatten())
        .is_some_and(|r| !r.is_empty() && !r.eq_ignore_ascii_case("NONE"));
    if active {
        String::new()
    } else {
        "; the user holds a role that is not active at login: make it a default role (SET DEFAULT ROLE r TO <user>; on MariaDB, SET DEFAULT ROLE r FOR <user>)".into()
    }
}

/// Before reading anything: every database config.yaml names exists, and this user can
/// read every table the checks need there. `defs` are the tables information_schema
/// shows this user; a needed table missing there is probed under its schema-map name.
async fn preflight(
    t: &Target,
    conn: &mut Conn,
    dbs: &[String],
    schema: &SchemaMap,
    roles: &HashMap<String, DbRole>,
    defs: &BTreeMap<(String, String), TableDef>,
) -> Result<()> {
    let visible: Vec<String> = strings(
        t,
        conn,
        &format!(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ({})",
            in_list(dbs)
        ),
        "cannot list databases",
    )
    .await?
    .into_iter()
    .filter_map(|r| r.into_iter().next().flatten())
    .collect();
    let mut probes = Vec::new();
    for db in dbs {
        let role = roles.get(db).copied().unwrap_or(DbRole::Unknown);
        for table in needed_tables(schema, role) {
            let name = defs
                .keys()
                .find(|(d, n)| d == db && n.eq_ignore_ascii_case(table))
                .map_or(table, |(_, n)| n.as_str());
            let access = probe(t, conn, db, name).await?;
            if access == grants::Access::Readable && !defs.contains_key(&(db.clone(), name.into()))
            {
                // Readable, yet information_schema does not show its columns: reading it
                // by guess would be a pass on data never seen.
                return Err(Error::CheckFailed(format!(
                    "MetaDB {}: {db}.{name} can be read but information_schema.COLUMNS does not list it for this user, so its columns are unknown",
                    t.address()
                )));
            }
            probes.push(grants::Probe {
                db: db.clone(),
                table: name.to_string(),
                access,
            });
        }
    }
    let verdict = grants::judge(dbs, &visible, &probes);
    if !verdict.missing.is_empty() {
        let hidden: Vec<&str> = verdict
            .missing
            .iter()
            .map(grants::Missing::database)
            .filter(|d| !visible.iter().any(|v| v == d))
            .collect();
        let hidden = if hidden.is_empty() {
            String::new()
        } else {
            // MariaDB and MySQL hide a database the user has no privilege on.
            format!(
                "; the server does not tell this user whether {} exist{}",
                hidden.join(", "),
                if hidden.len() == 1 { "s" } else { "" }
            )
        };
        let hint = inactive_role_hint(t, conn).await;
        return Err(Error::CheckFailed(format!(
            "MetaDB {}: user lacks SELECT on {} (grant it with: {}){hidden}{hint}",
            t.address(),
            verdict
                .missing
                .iter()
                .map(grants::Missing::names)
                .collect::<Vec<_>>()
                .join(", "),
            verdict
                .missing
                .iter()
                .flat_map(grants::Missing::grants)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    if !verdict.absent.is_empty() {
        return Err(Error::CheckFailed(format!(
            "MetaDB {}: database {} named in config.yaml does not exist",
            t.address(),
            verdict.absent.join(", ")
        )));
    }
    Ok(())
}

/// Every table of the databases, with columns in order and their collations.
async fn table_defs(
    t: &Target,
    conn: &mut Conn,
    dbs: &[String],
) -> Result<BTreeMap<(String, String), TableDef>> {
    let rows = strings(
        t,
        conn,
        &format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, CHARACTER_MAXIMUM_LENGTH \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({}) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            in_list(dbs)
        ),
        "cannot read information_schema.COLUMNS",
    )
    .await?;
    let mut defs: BTreeMap<(String, String), TableDef> = BTreeMap::new();
    for r in rows {
        let col = |i: usize| r.get(i).cloned().flatten();
        let (Some(db), Some(table), Some(name)) = (col(0), col(1), col(2)) else {
            continue;
        };
        let def = defs
            .entry((db.clone(), table.clone()))
            .or_insert_with(|| TableDef {
                database: Some(db),
                name: table,
                columns: Vec::new(),
                charset: None,
                collation: None,
            });
        def.columns.push(ColumnDef {
            name,
            data_type: col(3).unwrap_or_default(),
            charset: col(4),
            collation: col(5),
            max_len: col(6).and_then(|l| l.parse().ok()),
        });
    }
    Ok(defs)
}

/// Streams a table's rows into the builder, in the table's column order.
async fn stream_rows(
    t: &Target,
    conn: &mut Conn,
    def: &TableDef,
    b: &mut FactsBuilder<'_>,
) -> Result<u64> {
    stream_rows_where(t, conn, def, b, "", None).await
}

/// The statement that selects the columns `read` (positions in `def`) of the rows
/// `condition` (a `WHERE` clause, or empty for all) selects.
fn select_sql(def: &TableDef, read: &[usize], condition: &str) -> String {
    let cols = read
        .iter()
        .filter_map(|&i| def.columns.get(i))
        .map(|c| sql::ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {cols} FROM {}{condition}",
        sql::table(def.database.as_deref(), &def.name)
    )
}

/// The columns of `def` its rows are read for (the largest tables have more); the others
/// read as NULL in their places.
fn columns_read(def: &TableDef, b: &mut FactsBuilder<'_>) -> Vec<usize> {
    b.columns_read()
        .unwrap_or_else(|| (0..def.columns.len()).collect())
}

fn cannot_read(def: &TableDef) -> String {
    format!(
        "cannot read {}.{}",
        def.database.as_deref().unwrap_or(""),
        def.name
    )
}

/// Tables of up to this many columns have their rows handed over without an allocation
/// (the project tables and `config_job`, millions of rows, have 7 to 10).
const ON_STACK: usize = 16;

/// One row of a statement `select_sql(def, read, …)` made, into the builder.
fn feed(row: &Row, def: &TableDef, read: &[usize], b: &mut FactsBuilder<'_>) {
    let columns = def.columns.len();
    // A text result's values are bytes or NULL.
    let text = (0..row.len()).all(|k| {
        matches!(
            row.as_ref(k),
            Some(mysql_async::Value::Bytes(_) | mysql_async::Value::NULL) | None
        )
    });
    if text && columns <= ON_STACK {
        let mut values: [Value<'_>; ON_STACK] = std::array::from_fn(|_| Value::Null);
        for (k, &i) in read.iter().enumerate() {
            if let (Some(mysql_async::Value::Bytes(bytes)), Some(slot)) =
                (row.as_ref(k), values.get_mut(i))
            {
                *slot = Value::Text(Cow::Borrowed(bytes));
            }
        }
        b.row(&values[..columns]);
        return;
    }
    let scratch: Vec<Option<Vec<u8>>> = (0..row.len())
        .map(|i| match row.as_ref(i) {
            Some(mysql_async::Value::Bytes(_)) | Some(mysql_async::Value::NULL) | None => None,
            Some(v) => Some(v.as_sql(true).trim_matches('\'').as_bytes().to_vec()),
        })
        .collect();
    let mut values: Vec<Value<'_>> = vec![Value::Null; columns];
    for (k, &i) in read.iter().enumerate() {
        let v = match (row.as_ref(k), &scratch[k]) {
            (Some(mysql_async::Value::Bytes(bytes)), _) => Value::Text(Cow::Borrowed(bytes)),
            (_, Some(s)) => Value::Number(s),
            _ => Value::Null,
        };
        if let Some(slot) = values.get_mut(i) {
            *slot = v;
        }
    }
    b.row(&values);
}

/// Streams the rows `condition` (a `WHERE` clause, or empty for all) selects; rows whose
/// column `skip.0` has a CRC-32 in `skip.1` (sorted) are passed over.
async fn stream_rows_where(
    t: &Target,
    conn: &mut Conn,
    def: &TableDef,
    b: &mut FactsBuilder<'_>,
    condition: &str,
    skip: Option<(usize, &[u32])>,
) -> Result<u64> {
    let read = columns_read(def, b);
    let skip = skip.and_then(|(at, crcs)| read.iter().position(|&i| i == at).map(|p| (p, crcs)));
    let q = select_sql(def, &read, condition);
    let mut count = 0u64;
    let read_rows = async {
        let mut result = conn.query_iter(q).await?;
        result
            .for_each(|row| {
                if let Some((at, crcs)) = skip {
                    if let Some(mysql_async::Value::Bytes(id)) = row.as_ref(at) {
                        if crcs.binary_search(&crc32fast::hash(id)).is_ok() {
                            return;
                        }
                    }
                }
                count += 1;
                feed(&row, def, &read, b);
            })
            .await?;
        result.drop_result().await
    };
    with_timeout(t, t.query_timeout_s, &cannot_read(def), read_rows).await?;
    Ok(count)
}

/// `WHERE CRC32(id) IN (…)`: the rows whose ids have these CRC-32s.
fn crc_condition(id_col: &str, crcs: &[u32]) -> String {
    let list: Vec<String> = crcs.iter().map(u32::to_string).collect();
    format!(" WHERE CRC32({id_col}) IN ({})", list.join(","))
}

async fn count_rows(t: &Target, conn: &mut Conn, def: &TableDef) -> Result<u64> {
    let q = format!(
        "SELECT COUNT(*) FROM {}",
        sql::table(def.database.as_deref(), &def.name)
    );
    let rows = strings(t, conn, &q, &format!("cannot count {}", def.name)).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

/// What every database's reader reads with.
#[derive(Clone, Copy)]
struct Readers<'a, 's> {
    t: &'a Target,
    schema: &'s SchemaMap,
    roles: &'a HashMap<String, DbRole>,
    keep: &'a Arc<JobKeep>,
}

/// One database: its own connection and builder, first pass.
async fn first_pass<'s>(
    r: Readers<'_, 's>,
    db: &str,
    defs: &[TableDef],
) -> Result<(Conn, FactsBuilder<'s>)> {
    let t = r.t;
    let mut conn = connect(t).await?;
    let mut b = FactsBuilder::new(r.schema, r.roles.clone());
    b.judge_components(Arc::clone(r.keep));
    // `OMSLINT_READ_AGAIN_ALL=1`: every project row streams past again, as for a server
    // without `CRC32()`; the test that holds selecting by key to it compares both.
    if std::env::var_os("OMSLINT_READ_AGAIN_ALL").is_some_and(|v| v == "1") {
        b.read_again_whole();
    }
    b.begin_source(None);
    b.database(db);
    for def in defs {
        let rows = match b.table(def) {
            Interest::Rows => stream_rows(t, &mut conn, def, &mut b).await?,
            Interest::CountOnly => count_rows(t, &mut conn, def).await?,
            Interest::Skip => 0,
        };
        b.table_done(def, rows);
    }
    b.end_first_pass();
    Ok((conn, b))
}

async fn second_pass(
    t: &Target,
    conn: &mut Conn,
    defs: &[TableDef],
    b: &mut FactsBuilder<'_>,
    wanted: &Arc<FxHashSet<String>>,
) -> Result<()> {
    if !b.needs_second_pass(wanted) {
        return Ok(());
    }
    b.begin_second_pass();
    for def in defs {
        if b.table(def) == Interest::Rows {
            match b.again_filter() {
                Some((id, keys)) => {
                    // A server that cannot (a function it lacks) is read whole instead.
                    if read_by_keys(t, conn, def, b, id, &keys).await.is_err() {
                        b.keys_failed();
                    }
                }
                None => {
                    stream_rows(t, conn, def, b).await?;
                    b.again_done();
                }
            }
        }
        b.table_done(def, 0);
    }
    if !b.keys_read() {
        b.begin_second_pass();
        for def in defs {
            if b.table(def) == Interest::Rows {
                stream_rows(t, conn, def, b).await?;
                b.again_done();
            }
            b.table_done(def, 0);
        }
    }
    Ok(())
}

/// Ids to a statement when project rows are selected by id.
const IDS_PER_STATEMENT: usize = 500;

/// The project rows to read again, selected by their keys (`KeyFilter`): the ids of the
/// rows whose names may be duplicates (their ids kept on disk by the first pass,
/// `RowSpill`) and of the projects components point at, a few hundred at a time; when no
/// temporary file could be made, one statement selects those rows by the CRC-32s of their
/// ids first (a scan of the table). A row both select is read once.
async fn read_by_keys(
    t: &Target,
    conn: &mut Conn,
    def: &TableDef,
    b: &mut FactsBuilder<'_>,
    id: usize,
    keys: &KeyFilter,
) -> Result<()> {
    let Some(id_col) = def.columns.get(id).map(|c| sql::ident(&c.name)) else {
        return Err(Error::Usage(format!("{}: no id column", def.name)));
    };
    if !keys.id_crcs.is_empty() {
        let condition = crc_condition(&id_col, &keys.id_crcs);
        stream_rows_where(t, conn, def, b, &condition, None).await?;
    }
    for ids in keys.ids.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = ids.iter().map(|i| sql::literal(i)).collect();
        let condition = format!(" WHERE {id_col} IN ({})", list.join(","));
        stream_rows_where(t, conn, def, b, &condition, Some((id, &keys.id_crcs))).await?;
    }
    Ok(())
}

/// The databases' readers meet here between their passes: each hands over the job ids its
/// first pass found, and the second passes need the projects every `config_job` names.
struct Meeting {
    state: std::sync::Mutex<Seats>,
    all_here: std::sync::Condvar,
}

struct Seats {
    waiting_for: usize,
    ids: FxHashSet<String>,
    failed: bool,
    wanted: Option<Arc<FxHashSet<String>>>,
}

impl Meeting {
    fn new(readers: usize, ids: FxHashSet<String>) -> Meeting {
        Meeting {
            state: std::sync::Mutex::new(Seats {
                waiting_for: readers,
                ids,
                failed: false,
                wanted: None,
            }),
            all_here: std::sync::Condvar::new(),
        }
    }

    /// A reader that never started: counted as arrived and failed, without waiting.
    fn meet_absent(&self) {
        let mut seats = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seats.failed = true;
        seats.waiting_for -= 1;
        if seats.waiting_for == 0 {
            self.all_here.notify_all();
        }
    }

    /// Adds a reader's job ids (`None`: its first pass failed) and waits for the others:
    /// everyone's ids, or `None` when a reader failed.
    fn meet(&self, ids: Option<Vec<String>>) -> Option<Arc<FxHashSet<String>>> {
        use std::sync::PoisonError;
        let mut seats = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match ids {
            Some(ids) => seats.ids.extend(ids),
            None => seats.failed = true,
        }
        seats.waiting_for -= 1;
        if seats.waiting_for == 0 {
            seats.wanted = Some(Arc::new(std::mem::take(&mut seats.ids)));
            self.all_here.notify_all();
        }
        while seats.waiting_for > 0 {
            seats = self
                .all_here
                .wait(seats)
                .unwrap_or_else(PoisonError::into_inner);
        }
        (!seats.failed).then(|| seats.wanted.clone()).flatten()
    }
}

/// A reader's place at the meeting: a reader that stops before it met (a panic) still
/// counts as arrived, failed, so that the others do not wait for it forever.
struct Seat<'m> {
    meeting: &'m Meeting,
    met: bool,
}

impl Seat<'_> {
    fn meet(&mut self, ids: Option<Vec<String>>) -> Option<Arc<FxHashSet<String>>> {
        self.met = true;
        self.meeting.meet(ids)
    }
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        if !self.met {
            self.meeting.meet(None);
        }
    }
}

/// The I/O runtime one thread's MetaDB work runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::CheckFailed(format!("cannot start the I/O runtime: {e}")))
}

/// One database's two passes, on a thread and connection of its own: rows are decoded on
/// every core while the server streams the other databases. `None` when another
/// database's reader failed (its error is the one reported).
fn read_database<'s>(
    r: Readers<'_, 's>,
    db: &str,
    tables: &[TableDef],
    meeting: &Meeting,
) -> Result<Option<FactsBuilder<'s>>> {
    let mut seat = Seat {
        meeting,
        met: false,
    };
    let first = runtime().and_then(|rt| {
        let pass = rt.block_on(first_pass(r, db, tables))?;
        Ok((rt, pass))
    });
    let ids = first
        .as_ref()
        .ok()
        .map(|(_, (_, b))| b.job_project_ids().map(str::to_string).collect());
    let wanted = seat.meet(ids);
    let (rt, (mut conn, mut b)) = first?;
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    rt.block_on(async {
        second_pass(r.t, &mut conn, tables, &mut b, &wanted).await?;
        // Closing politely is a courtesy to the server; a failure here changes nothing read.
        let _ = conn.disconnect().await;
        Ok(Some(b))
    })
}

fn read(
    t: &Target,
    schema: &SchemaMap,
    roles: &HashMap<String, DbRole>,
    components: &[Component],
    keep: &Arc<JobKeep>,
) -> Result<MetaDb> {
    let mut dbs: Vec<String> = roles.keys().cloned().collect();
    dbs.sort();
    if dbs.is_empty() {
        return Err(Error::Usage(
            "--metadb needs config.yaml: its drc_rm_db, drc_cm_db and drc_cm_heartbeat_db name the databases to read".into(),
        ));
    }
    let defs = runtime()?.block_on(async {
        let mut conn = connect(t).await?;
        let defs = table_defs(t, &mut conn, &dbs).await?;
        preflight(t, &mut conn, &dbs, schema, roles, &defs).await?;
        Ok::<_, Error>(defs)
    })?;
    let per_db: Vec<(String, Vec<TableDef>)> = dbs
        .iter()
        .map(|db| {
            let tables = defs
                .iter()
                .filter(|((d, _), _)| d == db)
                .map(|(_, def)| def.clone())
                .collect();
            (db.clone(), tables)
        })
        .collect();
    let meeting = Meeting::new(
        per_db.len(),
        components
            .iter()
            .filter_map(|c| c.project_row_needed().map(str::to_string))
            .collect(),
    );
    let readers = Readers {
        t,
        schema,
        roles,
        keep,
    };
    let read: Vec<Result<Option<FactsBuilder<'_>>>> = std::thread::scope(|s| {
        let readers: Vec<_> = per_db
            .iter()
            .map(|(db, tables)| {
                let meeting = &meeting;
                std::thread::Builder::new()
                    .spawn_scoped(s, move || read_database(readers, db, tables, meeting))
                    .map_err(|e| {
                        // Its seat counts as failed: the others must not wait for it.
                        meeting.meet_absent();
                        Error::CheckFailed(format!(
                            "cannot start a thread to read database {db}: {e}"
                        ))
                    })
            })
            .collect();
        readers
            .into_iter()
            .map(|r| {
                r?.join().unwrap_or_else(|_| {
                    Err(Error::CheckFailed(
                        "a MetaDB reader stopped unexpectedly".into(),
                    ))
                })
            })
            .collect()
    });
    // The first error in database order, whichever reader met it first.
    let mut builders = Vec::with_capacity(read.len());
    for r in read {
        builders.extend(r?);
    }
    let mut metadb = MetaDb::default();
    for b in builders {
        metadb.merge(b.finish());
    }
    Ok(metadb)
}

/// Reads the live MetaDB into facts.
pub fn read_live(
    t: &Target,
    schema: &SchemaMap,
    roles: &HashMap<String, DbRole>,
    components: &[Component],
    keep: &Arc<JobKeep>,
) -> Result<MetaDb> {
    read(t, schema, roles, components, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reader leaves the meeting with everyone's ids; when one failed (or stopped
    /// before it met), every reader leaves with none, and none waits forever.
    #[test]
    fn readers_meet_between_passes() {
        let base: FxHashSet<String> = ["c".to_string()].into_iter().collect();
        let meeting = Meeting::new(3, base.clone());
        let got: Vec<Option<Arc<FxHashSet<String>>>> = std::thread::scope(|s| {
            let hs: Vec<_> = ["a", "b", "a"]
                .into_iter()
                .map(|id| {
                    let meeting = &meeting;
                    s.spawn(move || meeting.meet(Some(vec![id.to_string()])))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let all: FxHashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        for w in &got {
            assert_eq!(w.as_deref(), Some(&all));
        }

        let meeting = Meeting::new(3, base);
        let got: Vec<Option<Arc<FxHashSet<String>>>> = std::thread::scope(|s| {
            let ok = s.spawn(|| meeting.meet(Some(vec!["a".into()])));
            let failed = s.spawn(|| meeting.meet(None));
            let stopped = s.spawn(|| {
                let _seat = Seat {
                    meeting: &meeting,
                    met: false,
                };
                None
            });
            vec![
                ok.join().unwrap(),
                failed.join().unwrap(),
                stopped.join().unwrap(),
            ]
        });
        assert!(got.iter().all(Option::is_none), "{got:?}");

        // A reader whose thread could not start: the others leave, empty-handed.
        let meeting = Meeting::new(2, FxHashSet::default());
        let got = std::thread::scope(|s| {
            let ok = s.spawn(|| meeting.meet(Some(vec!["a".into()])));
            meeting.meet_absent();
            ok.join().unwrap()
        });
        assert!(got.is_none());
    }
}
