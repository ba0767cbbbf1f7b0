//! `omslint schema report|plan`: the JSON Schemas (draft 2020-12) that every report and
//! every runbook validates against (the tests check it over every fixture).

use crate::cli::SchemaKind;
use crate::error::Result;

pub const REPORT: &str = include_str!("../schemas/report.schema.json");
pub const PLAN: &str = include_str!("../schemas/plan.schema.json");

pub fn print(which: SchemaKind) -> Result<u8> {
    print!(
        "{}",
        match which {
            SchemaKind::Report => REPORT,
            SchemaKind::Plan => PLAN,
        }
    );
    Ok(0)
}
