//! The MetaDB from dump files: each dump is scanned by its own builder, dumps in
//! parallel, and the parts merged.
//!
//! cm dumps go first: their `config_job` rows name the projects whose rows the rm dump
//! must keep in full (OMS005 needs their source type and creation time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::dump::{self, Interest, TableDef, Value, Visitor};
use crate::error::{Error, Result};
use crate::facts::builder::FactsBuilder;
use crate::facts::fxhash::FxHashSet;
use crate::facts::{Component, DbRole, Input, MetaDb};
use crate::schema_map::SchemaMap;

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

    fn row(&mut self, _table: &TableDef, values: &[Value<'_>], _offset: u64) -> Result<()> {
        self.builder.row(values);
        Ok(())
    }

    fn table_done(&mut self, table: &TableDef, rows: u64) {
        self.builder.table_done(table, rows);
    }
}

struct Scanned {
    metadb: MetaDb,
    input: Input,
}

fn scan_one(
    path: &Path,
    database: Option<&str>,
    schema: &SchemaMap,
    roles: &HashMap<String, DbRole>,
    wanted: &Arc<FxHashSet<String>>,
) -> Result<Scanned> {
    let (hash, scanned) = rayon::join(
        || super::sha256_file(path),
        || -> Result<MetaDb> {
            let mut b = FactsBuilder::new(schema, roles.clone());
            b.want_projects(Arc::clone(wanted));
            b.begin_source(Some(path.to_path_buf()));
            if let Some(db) = database {
                b.database(db);
            }
            let summary = dump::scan(path, &mut DumpVisitor { builder: &mut b })?;
            if summary.database.is_none() && database.is_none() {
                return Err(Error::parse_no_pos(
                    path,
                    "cannot tell which database this dump holds: no '-- Host: … Database: …' header, USE or CREATE DATABASE",
                ));
            }
            if b.needs_second_pass() {
                b.begin_second_pass();
                dump::scan(path, &mut DumpVisitor { builder: &mut b })?;
            }
            Ok(b.finish())
        },
    );
    Ok(Scanned {
        metadb: scanned?,
        input: Input {
            kind: "dump",
            path: path.display().to_string(),
            sha256: Some(hash?),
        },
    })
}

/// Every dump, cm dumps first, into one MetaDB.
pub fn read_dumps(
    paths: &[PathBuf],
    schema: &SchemaMap,
    roles: HashMap<String, DbRole>,
    components: &[Component],
) -> Result<(MetaDb, Vec<Input>)> {
    let peeked: Vec<(PathBuf, Option<String>)> = paths
        .par_iter()
        .map(|p| Ok((p.clone(), dump::peek_database(p)?)))
        .collect::<Result<_>>()?;
    let is_cm = |db: &Option<String>| {
        db.as_ref()
            .and_then(|d| roles.get(d))
            .is_some_and(|r| *r == DbRole::Cm)
    };
    let (first, rest): (Vec<_>, Vec<_>) = peeked.into_iter().partition(|(_, db)| is_cm(db));
    let mut wanted: FxHashSet<String> = components
        .iter()
        .filter_map(|c| c.project_id.clone())
        .collect();
    let mut metadb = MetaDb::default();
    let mut inputs = Vec::new();
    for phase in [first, rest] {
        let shared = Arc::new(std::mem::take(&mut wanted));
        let scanned: Vec<Scanned> = phase
            .par_iter()
            .map(|(p, db)| scan_one(p, db.as_deref(), schema, &roles, &shared))
            .collect::<Result<_>>()?;
        wanted = Arc::try_unwrap(shared).unwrap_or_else(|a| (*a).clone());
        for s in scanned {
            wanted.extend(
                s.metadb
                    .job_components
                    .iter()
                    .filter_map(|c| c.project_id.clone()),
            );
            metadb.merge(s.metadb);
            inputs.push(s.input);
        }
    }
    Ok((metadb, inputs))
}
