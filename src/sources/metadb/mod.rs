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

use futures_util::future::try_join_all;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, SslOpts};

use super::dump::{ColumnDef, Interest, TableDef, Value};
use crate::error::{Error, Result};
use crate::facts::builder::FactsBuilder;
use crate::facts::fxhash::FxHashSet;
use crate::facts::{Component, DbRole, MetaDb};
use crate::fix::sql;
use crate::schema_map::SchemaMap;
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
async fn connect(t: &Target) -> Result<Conn> {
    let mut conn = connect_session(t).await?;
    with_timeout(
        t,
        t.query_timeout_s,
        "cannot make the session read-only",
        conn.query_drop("SET SESSION TRANSACTION READ ONLY"),
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

/// Checks SELECT grants and that every database exists, before reading anything.
async fn preflight(t: &Target, conn: &mut Conn, dbs: &[String]) -> Result<()> {
    let grants: Vec<String> = strings(t, conn, "SHOW GRANTS", "cannot read its own grants")
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    let missing = grants::missing_select(&grants, dbs);
    if !missing.is_empty() {
        return Err(Error::CheckFailed(format!(
            "MetaDB {}: user lacks SELECT on {} (grant it with: {})",
            t.address(),
            missing.join(", "),
            missing
                .iter()
                .map(|d| format!("GRANT SELECT ON {}.* TO <user>", sql::ident(d)))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let present: Vec<String> = strings(
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
    let absent: Vec<&String> = dbs.iter().filter(|d| !present.contains(d)).collect();
    if !absent.is_empty() {
        return Err(Error::CheckFailed(format!(
            "MetaDB {}: database {} named in config.yaml does not exist",
            t.address(),
            absent
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
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
    let cols = def
        .columns
        .iter()
        .map(|c| sql::ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!(
        "SELECT {cols} FROM {}",
        sql::table(def.database.as_deref(), &def.name)
    );
    let what = format!(
        "cannot read {}.{}",
        def.database.as_deref().unwrap_or(""),
        def.name
    );
    let mut count = 0u64;
    let read = async {
        let mut result = conn.query_iter(q).await?;
        result
            .for_each(|row| {
                count += 1;
                let scratch: Vec<Option<Vec<u8>>> = (0..row.len())
                    .map(|i| match row.as_ref(i) {
                        Some(mysql_async::Value::Bytes(_))
                        | Some(mysql_async::Value::NULL)
                        | None => None,
                        Some(v) => Some(v.as_sql(true).trim_matches('\'').as_bytes().to_vec()),
                    })
                    .collect();
                let values: Vec<Value<'_>> = (0..row.len())
                    .map(|i| match (row.as_ref(i), &scratch[i]) {
                        (Some(mysql_async::Value::Bytes(bytes)), _) => {
                            Value::Text(Cow::Borrowed(bytes))
                        }
                        (_, Some(s)) => Value::Number(s),
                        _ => Value::Null,
                    })
                    .collect();
                b.row(&values);
            })
            .await?;
        result.drop_result().await
    };
    with_timeout(t, t.query_timeout_s, &what, read).await?;
    Ok(count)
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

/// One database: its own connection and builder, first pass.
async fn first_pass<'s>(
    t: &Target,
    db: &str,
    defs: &[TableDef],
    schema: &'s SchemaMap,
    roles: &HashMap<String, DbRole>,
) -> Result<(Conn, FactsBuilder<'s>)> {
    let mut conn = connect(t).await?;
    let mut b = FactsBuilder::new(schema, roles.clone());
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
            stream_rows(t, conn, def, b).await?;
        }
        b.table_done(def, 0);
    }
    Ok(())
}

async fn read(
    t: &Target,
    schema: &SchemaMap,
    roles: &HashMap<String, DbRole>,
    components: &[Component],
) -> Result<MetaDb> {
    let mut dbs: Vec<String> = roles.keys().cloned().collect();
    dbs.sort();
    if dbs.is_empty() {
        return Err(Error::Usage(
            "--metadb needs config.yaml: its drc_rm_db, drc_cm_db and drc_cm_heartbeat_db name the databases to read".into(),
        ));
    }
    let mut conn = connect(t).await?;
    preflight(t, &mut conn, &dbs).await?;
    let defs = table_defs(t, &mut conn, &dbs).await?;
    drop(conn);
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
    let mut passes = try_join_all(
        per_db
            .iter()
            .map(|(db, tables)| first_pass(t, db, tables, schema, roles)),
    )
    .await?;
    let wanted: FxHashSet<String> = components
        .iter()
        .filter_map(|c| c.project_row_needed().map(str::to_string))
        .chain(
            passes
                .iter()
                .flat_map(|(_, b)| b.job_project_ids().map(str::to_string)),
        )
        .collect();
    let wanted = Arc::new(wanted);
    try_join_all(
        passes
            .iter_mut()
            .zip(&per_db)
            .map(|((conn, b), (_, tables))| second_pass(t, conn, tables, b, &wanted)),
    )
    .await?;
    let mut metadb = MetaDb::default();
    for (conn, b) in passes {
        // Closing politely is a courtesy to the server; a failure here changes nothing read.
        let _ = conn.disconnect().await;
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
) -> Result<MetaDb> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::CheckFailed(format!("cannot start the I/O runtime: {e}")))?;
    rt.block_on(read(t, schema, roles, components))
}
