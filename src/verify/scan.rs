//! Row streams, whatever they come from: a dump file (the backups, or dumps taken after
//! the upgrade) read by the streaming dump reader, or one database of the live MetaDB read
//! over a read-only session with text-protocol `SELECT`s, which format values as
//! mysqldump writes them (timestamps in UTC, as mysqldump's `--tz-utc` default).
//!
//! A pass of verify is one [`TableVisitor`] per unit; units are read in parallel.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fix::sql;
use crate::sources::dump::{self, ColumnDef, DumpSummary, Interest, TableDef, Value, Visitor};
use crate::sources::metadb::{self, grants, Target};

/// What a pass wants of the tables it meets.
pub trait TableVisitor: Send {
    /// A table of database `db`: whether to stream its rows.
    fn wants(&mut self, db: &str, def: &TableDef) -> bool;
    /// One row, values in the table's column order.
    fn row(&mut self, db: &str, def: &TableDef, values: &[Value<'_>]) -> Result<()>;
    /// A table seen in full (its rows counted, whether wanted or not).
    fn table_done(&mut self, _db: &str, _def: &TableDef, _rows: u64) {}
}

/// One unit of reading: a dump file, or one database of the live MetaDB.
#[derive(Clone)]
pub enum Unit {
    Dump(PathBuf),
    Live(Arc<LiveDb>),
}

/// One live database as information_schema shows it to this user.
pub struct LiveDb {
    pub target: Target,
    pub name: String,
    /// Its tables with their columns in order (the visible ones).
    pub defs: Vec<TableDef>,
}

impl Unit {
    /// Where it is, for messages: the file, or the live `host:port/db`.
    pub fn label(&self) -> String {
        match self {
            Unit::Dump(p) => p.display().to_string(),
            Unit::Live(l) => format!("MetaDB {}/{}", l.target.address(), l.name),
        }
    }
}

/// What a unit's scan learned besides what its visitor kept.
#[derive(Debug, Default)]
pub struct Scanned {
    /// A dump's summary (database, trailer, SHA-256); `None` for a live database.
    pub dump: Option<DumpSummary>,
}

/// Reads each unit with the visitor given for it, in parallel; results in order.
pub fn scan_with<V: TableVisitor>(jobs: Vec<(Unit, V)>, hashed: bool) -> Vec<(V, Result<Scanned>)> {
    jobs.into_par_iter()
        .map(|(u, mut v)| {
            let r = scan(&u, &mut v, hashed);
            (v, r)
        })
        .collect()
}

/// Reads one unit.
pub fn scan(unit: &Unit, v: &mut dyn TableVisitor, hashed: bool) -> Result<Scanned> {
    match unit {
        Unit::Dump(path) => {
            let mut a = DumpAdapter {
                inner: v,
                current: None,
            };
            let summary = if hashed {
                dump::scan_hashed(path, &mut a)?
            } else {
                dump::scan(path, &mut a)?
            };
            Ok(Scanned {
                dump: Some(summary),
            })
        }
        Unit::Live(db) => {
            let rt = metadb::runtime()?;
            rt.block_on(scan_live(db, v))?;
            Ok(Scanned::default())
        }
    }
}

struct DumpAdapter<'v> {
    inner: &'v mut dyn TableVisitor,
    current: Option<String>,
}

impl DumpAdapter<'_> {
    fn db<'a>(&'a self, def: &'a TableDef) -> &'a str {
        def.database
            .as_deref()
            .or(self.current.as_deref())
            .unwrap_or("")
    }
}

impl Visitor for DumpAdapter<'_> {
    fn database(&mut self, name: &str) {
        self.current = Some(name.to_string());
    }

    fn table(&mut self, table: &TableDef) -> Interest {
        let db = self.db(table).to_string();
        if self.inner.wants(&db, table) {
            Interest::Rows
        } else {
            Interest::Skip
        }
    }

    fn row(&mut self, table: &TableDef, values: &[Value<'_>], _offset: u64) -> Result<()> {
        let db = self.db(table).to_string();
        self.inner.row(&db, table, values)
    }

    fn table_done(&mut self, table: &TableDef, rows: u64) {
        let db = self.db(table).to_string();
        self.inner.table_done(&db, table, rows);
    }
}

fn failed(t: &Target, what: &str, e: impl std::fmt::Display) -> Error {
    Error::CheckFailed(format!("MetaDB {}: {what}: {e}", t.address()))
}

/// A read-only session whose TIMESTAMPs read in UTC, like the dumps.
pub async fn session(t: &Target) -> Result<Conn> {
    let mut conn = metadb::connect_session(t).await?;
    for (q, what) in [
        (
            "SET SESSION TRANSACTION READ ONLY",
            "cannot make the session read-only",
        ),
        (
            "SET time_zone = '+00:00'",
            "cannot set the session time zone to UTC",
        ),
    ] {
        metadb::with_timeout(t, t.query_timeout_s, what, conn.query_drop(q)).await?;
    }
    Ok(conn)
}

async fn scan_live(db: &LiveDb, v: &mut dyn TableVisitor) -> Result<()> {
    let t = &db.target;
    let mut conn = session(t).await?;
    for def in &db.defs {
        let rows = if v.wants(&db.name, def) {
            stream(t, &mut conn, &db.name, def, v).await?
        } else {
            0
        };
        v.table_done(&db.name, def, rows);
    }
    let _ = conn.disconnect().await;
    Ok(())
}

/// `SELECT every column FROM db.table`, each row handed to the visitor as it arrives.
async fn stream(
    t: &Target,
    conn: &mut Conn,
    db: &str,
    def: &TableDef,
    v: &mut dyn TableVisitor,
) -> Result<u64> {
    let cols = def
        .columns
        .iter()
        .map(|c| sql::ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!("SELECT {cols} FROM {}", sql::table(Some(db), &def.name));
    let what = format!("cannot read {db}.{}", def.name);
    let mut count = 0u64;
    let mut first_error: Option<Error> = None;
    let read = async {
        let mut result = conn.query_iter(q).await?;
        result
            .for_each(|row| {
                if first_error.is_some() {
                    return;
                }
                count += 1;
                // The text protocol gives every value as bytes (or NULL).
                let values: Vec<Value<'_>> = (0..row.len())
                    .map(|i| match row.as_ref(i) {
                        Some(mysql_async::Value::Bytes(b)) => Value::Text(Cow::Borrowed(b)),
                        Some(mysql_async::Value::NULL) | None => Value::Null,
                        Some(other) => Value::Text(Cow::Owned(
                            other.as_sql(true).trim_matches('\'').as_bytes().to_vec(),
                        )),
                    })
                    .collect();
                if let Err(e) = v.row(db, def, &values) {
                    first_error = Some(e);
                }
            })
            .await?;
        result.drop_result().await
    };
    metadb::with_timeout(t, t.query_timeout_s, &what, read).await?;
    match first_error {
        Some(e) => Err(e),
        None => Ok(count),
    }
}

/// What the live MetaDB holds of the databases verify needs.
pub struct LiveView {
    pub dbs: Vec<LiveDb>,
    /// Databases that do not exist on the server.
    pub absent_dbs: Vec<String>,
    /// (database, table) pairs confirmed absent (the server says so, not only
    /// information_schema, which hides what a user may not read).
    pub absent_tables: Vec<(String, String)>,
}

/// Reads the table definitions of `wanted` databases, and for each table the baseline
/// has that information_schema does not show, asks the server whether it exists: a
/// table hidden by missing grants is a check error, never "absent".
pub fn prepare_live(t: &Target, wanted: &[(String, Vec<String>)]) -> Result<LiveView> {
    let rt = metadb::runtime()?;
    rt.block_on(prepare(t, wanted))
}

async fn strings(
    t: &Target,
    conn: &mut Conn,
    q: &str,
    what: &str,
) -> Result<Vec<Vec<Option<String>>>> {
    let rows: Vec<mysql_async::Row> =
        metadb::with_timeout(t, t.query_timeout_s, what, conn.query(q)).await?;
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

async fn probe(t: &Target, conn: &mut Conn, db: &str, table: &str) -> Result<grants::Access> {
    let q = format!("SELECT 1 FROM {} LIMIT 0", sql::table(Some(db), table));
    let what = format!("cannot read {db}.{table}");
    let secs = t.query_timeout_s;
    match tokio::time::timeout(std::time::Duration::from_secs(secs), conn.query_drop(q)).await {
        Ok(Ok(())) => Ok(grants::Access::Readable),
        Ok(Err(mysql_async::Error::Server(e))) => {
            grants::classify(e.code).ok_or_else(|| failed(t, &what, e))
        }
        Ok(Err(e)) => Err(failed(t, &what, e)),
        Err(_) => Err(failed(t, &what, format!("no answer within {secs} s"))),
    }
}

async fn prepare(t: &Target, wanted: &[(String, Vec<String>)]) -> Result<LiveView> {
    let mut conn = session(t).await?;
    let names: Vec<String> = wanted.iter().map(|(d, _)| d.clone()).collect();
    let list = names
        .iter()
        .map(|n| sql::literal(n))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = strings(
        t,
        &mut conn,
        &format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({list}) \
             ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
        ),
        "cannot read information_schema.COLUMNS",
    )
    .await?;
    let mut view = LiveView {
        dbs: Vec::new(),
        absent_dbs: Vec::new(),
        absent_tables: Vec::new(),
    };
    for (db, baseline_tables) in wanted {
        let mut defs: Vec<TableDef> = Vec::new();
        for r in rows
            .iter()
            .filter(|r| r.first().cloned().flatten().as_deref() == Some(db))
        {
            let col = |i: usize| r.get(i).cloned().flatten();
            let (Some(table), Some(name)) = (col(1), col(2)) else {
                continue;
            };
            if defs.last().is_none_or(|d| d.name != table) {
                defs.push(TableDef {
                    database: Some(db.clone()),
                    name: table,
                    columns: Vec::new(),
                    charset: None,
                    collation: None,
                });
            }
            if let Some(d) = defs.last_mut() {
                d.columns.push(ColumnDef {
                    name,
                    data_type: col(3).unwrap_or_default(),
                    charset: None,
                    collation: None,
                    max_len: None,
                });
            }
        }
        // What information_schema does not show is asked of the server itself.
        let mut db_absent = false;
        for table in baseline_tables {
            if defs.iter().any(|d| d.name.eq_ignore_ascii_case(table)) {
                continue;
            }
            match probe(t, &mut conn, db, table).await? {
                grants::Access::Absent => {
                    let gone = probe_db(t, &mut conn, db).await?;
                    if gone {
                        db_absent = true;
                        break;
                    }
                    view.absent_tables.push((db.clone(), table.clone()));
                }
                grants::Access::Denied => {
                    return Err(Error::CheckFailed(format!(
                        "MetaDB {}: user lacks SELECT on {db}.{table} (grant it with: GRANT SELECT ON {} TO <user>)",
                        t.address(),
                        sql::table(Some(db), table)
                    )))
                }
                grants::Access::Readable => {
                    return Err(Error::CheckFailed(format!(
                        "MetaDB {}: {db}.{table} can be read but information_schema.COLUMNS does not list it for this user, so its columns are unknown",
                        t.address()
                    )))
                }
            }
        }
        if db_absent || (defs.is_empty() && probe_db(t, &mut conn, db).await?) {
            view.absent_dbs.push(db.clone());
            continue;
        }
        view.dbs.push(LiveDb {
            target: t.clone(),
            name: db.clone(),
            defs,
        });
    }
    let _ = conn.disconnect().await;
    Ok(view)
}

/// Whether the database does not exist (as opposed to exists but shows nothing).
async fn probe_db(t: &Target, conn: &mut Conn, db: &str) -> Result<bool> {
    let q = format!("USE {}", sql::ident(db));
    let what = format!("cannot use database {db}");
    let secs = t.query_timeout_s;
    match tokio::time::timeout(std::time::Duration::from_secs(secs), conn.query_drop(q)).await {
        Ok(Ok(())) => Ok(false),
        Ok(Err(mysql_async::Error::Server(e))) if e.code == 1049 => Ok(true),
        Ok(Err(mysql_async::Error::Server(e))) if matches!(e.code, 1044 | 1142) => {
            Err(Error::CheckFailed(format!(
                "MetaDB {}: user lacks SELECT on {db} (grant it with: GRANT SELECT ON {}.* TO <user>)",
                t.address(),
                sql::ident(db)
            )))
        }
        Ok(Err(e)) => Err(failed(t, &what, e)),
        Err(_) => Err(failed(t, &what, format!("no answer within {secs} s"))),
    }
}
