//! What verify's rules read: the facts of the deployment now against those of its
//! baseline (the pre-upgrade backups), reduced to what differs. Every fact is a
//! `Result`: `Err` says why it could not be read (a table or column missing, a backup
//! cut short), and the rule that needs it is a check error (exit 3), never a pass.

use crate::facts::ProjectKind;
use crate::version::Version;

/// A fact, or why it could not be read (names the file or `host:port/db`, the table and
/// the column).
pub type Fact<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// After the upgrade (`--to`): OMS101–OMS107.
    Upgrade,
    /// After the rollback (`--rolled-back`): OMS108, and OMS101, OMS106 and OMS107's
    /// settings against the backup.
    RolledBack,
}

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: String,
    pub modified: Option<String>,
}

/// `ha.config` as it is now.
#[derive(Debug, Clone)]
pub struct HaRow {
    pub id: String,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRow {
    pub ip: String,
    pub status: String,
}

/// A project of the baseline that is not as it was: missing now, or in another status.
#[derive(Debug, Clone)]
pub struct ProjectChange {
    pub kind: ProjectKind,
    pub id: String,
    pub name: Option<String>,
    /// Its status in the baseline (trimmed, upper case).
    pub before: String,
    /// Its status now; `None` when the row is gone.
    pub now: Option<String>,
}

/// A data source of the baseline that is gone now.
#[derive(Debug, Clone)]
pub struct DatasourceRow {
    pub id: String,
    pub name: Option<String>,
    pub ds_type: Option<String>,
}

/// A `config_job` setting (job name and key) of the baseline whose values are not all
/// there now.
#[derive(Debug, Clone)]
pub struct SettingChange {
    pub job_name: String,
    pub key: String,
    /// Its values in the baseline (several rows may hold one setting).
    pub before: Vec<Option<String>>,
    /// Its values now; `None` when no row holds the setting any more.
    pub now: Option<Vec<Option<String>>>,
}

/// An Incr-Sync component (a `config_job` job) that had no `dbType` nor `db_type` in the
/// baseline and has none now (in `config_job`, nor in its component files when given).
#[derive(Debug, Clone)]
pub struct DbTypeComponent {
    pub name: String,
    pub project_id: Option<String>,
    /// The project's `gmt_created` in the baseline, to place it before or after 3.3.0.
    pub project_created: Option<String>,
    /// The task syncs DDL (its source has no `ignoreDdl: true`).
    pub syncs_ddl: bool,
}

/// A table of a backed-up database that differs from its backup (OMS108).
#[derive(Debug, Clone, Default)]
pub struct TableDiff {
    pub database: String,
    pub table: String,
    /// The table is not in the backup (it exists only now), or not there now.
    pub absent_in_backup: bool,
    pub absent_now: bool,
    pub backup_rows: u64,
    pub now_rows: u64,
    pub missing: u64,
    pub extra: u64,
    pub changed: u64,
    /// The key rows were matched by: the key columns, or empty for the whole row.
    pub key: Vec<String>,
    /// The first keys of each kind, in the order of the backup (missing, changed) or of
    /// the table now (extra).
    pub first_missing: Vec<String>,
    pub first_extra: Vec<String>,
    /// The first changed rows, each with the columns that differ.
    pub first_changed: Vec<(String, Vec<String>)>,
    pub columns_only_in_backup: Vec<String>,
    pub columns_only_now: Vec<String>,
    /// Where the backup of the table is.
    pub backup_file: Option<String>,
}

/// OMS108's comparison: the tables compared and those that differ.
#[derive(Debug, Clone, Default)]
pub struct TableComparison {
    pub compared: usize,
    pub databases: Vec<String>,
    pub diffs: Vec<TableDiff>,
}

/// Everything verify's rules read.
#[derive(Debug, Clone)]
pub struct VerifyFacts {
    pub mode: Mode,
    /// The version before the upgrade as `--from` gives it (else the baseline's
    /// oms_version says).
    pub from: Option<Version>,
    /// The target of the upgrade verified (`--to`).
    pub to: Option<Version>,
    /// Planned downtime in minutes, for OMS104.
    pub downtime_min: u64,
    /// How the baseline and the deployment now are named in messages.
    pub baseline_label: String,
    pub now_label: String,
    /// The backup file holding the rm and the cm database (for reports' locations).
    pub rm_backup: Option<String>,
    pub cm_backup: Option<String>,
    pub baseline_versions: Fact<Vec<VersionRow>>,
    pub now_versions: Fact<Vec<VersionRow>>,
    pub now_ha: Fact<Option<HaRow>>,
    pub baseline_hosts: Fact<Vec<HostRow>>,
    pub now_hosts: Fact<Vec<HostRow>>,
    pub projects: Fact<Vec<ProjectChange>>,
    pub datasources: Fact<Vec<DatasourceRow>>,
    pub settings: Fact<Vec<SettingChange>>,
    pub dbtype: Fact<Vec<DbTypeComponent>>,
    pub tables: Fact<TableComparison>,
}

impl VerifyFacts {
    /// The highest version of a list of `oms_version` rows, or why there is none.
    pub fn highest(rows: &[VersionRow]) -> std::result::Result<Option<Version>, String> {
        let mut best: Option<Version> = None;
        for r in rows {
            let v: Version = r
                .version
                .parse()
                .map_err(|e| format!("oms_version holds {e}"))?;
            if best.is_none_or(|b| v > b) {
                best = Some(v);
            }
        }
        Ok(best)
    }
}
