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

/// A dump after its first pass: the builder waits for what every other dump's first
/// pass found (the projects that components point at) before its second pass.
struct Pending<'s> {
    path: PathBuf,
    builder: FactsBuilder<'s>,
    input: Input,
}

fn first_pass<'s>(
    path: &Path,
    database: Option<&str>,
    schema: &'s SchemaMap,
    roles: &HashMap<String, DbRole>,
) -> Result<Pending<'s>> {
    let (hash, scanned) = rayon::join(
        || super::sha256_file(path),
        || -> Result<FactsBuilder<'s>> {
            let mut b = FactsBuilder::new(schema, roles.clone());
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
            Ok(b)
        },
    );
    Ok(Pending {
        path: path.to_path_buf(),
        builder: scanned?,
        input: Input {
            kind: "dump",
            path: path.display().to_string(),
            sha256: Some(hash?),
        },
    })
}

fn second_pass(p: &mut Pending<'_>, wanted: &Arc<FxHashSet<String>>) -> Result<()> {
    if p.builder.needs_second_pass(wanted) {
        p.builder.begin_second_pass();
        dump::scan(
            &p.path,
            &mut DumpVisitor {
                builder: &mut p.builder,
            },
        )?;
    }
    Ok(())
}

/// Every dump into one MetaDB: first passes in parallel, then the second passes that the
/// project tables need, in parallel again.
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
    let mut pending: Vec<Pending<'_>> = peeked
        .par_iter()
        .map(|(p, db)| first_pass(p, db.as_deref(), schema, &roles))
        .collect::<Result<_>>()?;
    let wanted: FxHashSet<String> = components
        .iter()
        .filter_map(|c| c.project_id.clone())
        .chain(
            pending
                .iter()
                .flat_map(|p| p.builder.job_project_ids().cloned()),
        )
        .collect();
    let wanted = Arc::new(wanted);
    pending
        .par_iter_mut()
        .try_for_each(|p| second_pass(p, &wanted))?;
    let mut metadb = MetaDb::default();
    let mut inputs = Vec::new();
    for p in pending {
        metadb.merge(p.builder.finish());
        inputs.push(p.input);
    }
    Ok((metadb, inputs))
}
