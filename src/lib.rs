//! omslint: the pre-upgrade precheck for OceanBase Migration Service deployments.
//!
//! The data flows one way: sources → facts → rules → findings → reports.

pub mod catalog;
pub mod cli;
pub mod emit;
pub mod engine;
pub mod error;
pub mod escape;
pub mod facts;
pub mod finding;
pub mod findings;
pub mod fix;
pub mod fuzzing;
pub mod json_text;
pub mod lint;
pub mod plan;
pub mod redact;
pub mod report;
pub mod rules;
pub mod schema;
pub mod schema_map;
pub mod settings;
pub mod sources;
pub mod textfile;
pub mod upgrade;
pub mod values;
pub mod verify;
pub mod version;
