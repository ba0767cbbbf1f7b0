//! The command line (SPEC §1).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "omslint",
    version,
    about = "Pre-upgrade precheck for OceanBase Migration Service (OMS) deployments",
    long_about = "Reads an OMS deployment (its config.yaml files, the mysqldump backups of its MetaDB, its Incr-Sync component configs) and reports every condition the OMS upgrade guides say will block or break the upgrade, each with a fix where one is safe.\n\nExit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage error or unparsable input; 3 a source could not be read or a check could not run."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a deployment against the upgrade guides.
    Lint(Box<LintArgs>),
    /// Print the upgrade runbook for this deployment (SPEC §7).
    Plan(Box<PlanArgs>),
    /// After the upgrade (--to) or the rollback (--rolled-back): prove against the
    /// pre-upgrade backups (--backup-dir) that nothing was lost (SPEC §8).
    Verify(Box<VerifyArgs>),
    /// List every rule: code, name, severity, fixable, applies-to.
    Rules(RulesArgs),
    /// Print a rule's full documentation.
    Explain {
        /// A rule code (OMS003) or name (duplicate-project-name).
        rule: String,
    },
    /// Print the JSON Schema (draft 2020-12) of the JSON report or of the runbook.
    Schema {
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `omslint man > omslint.1`.
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The report of `lint --format json` (SPEC §4).
    Report,
    /// The runbook of `plan --format json` (SPEC §7).
    Plan,
}

/// The formats `omslint rules` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML: one test case per check.
    Junit,
    /// A report for a change ticket.
    Markdown,
    /// GitHub workflow annotations.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    Plan,
    Window,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Notice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "human")]
    pub format: RulesFormat,
}

/// The sources and versions `lint` and `plan` share.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// A snapshot directory: config.yaml or regions/*/config.yaml, metadb/*.sql,
    /// components/, docker-inspect.json, omslint.yaml.
    pub snapshot_dir: Option<PathBuf>,
    /// An OMS config.yaml (one per region, or per node). Repeatable.
    #[arg(long = "config", value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// A mysqldump / mariadb-dump file of one MetaDB database. Repeatable.
    #[arg(long = "dump", value_name = "FILE")]
    pub dumps: Vec<PathBuf>,
    /// The host directory mounted at /home/ds/run (one sub-directory per component).
    #[arg(long = "components", value_name = "DIR")]
    pub components: Vec<PathBuf>,
    /// `docker inspect` JSON of the current OMS container(s).
    #[arg(long, value_name = "FILE")]
    pub docker_inspect: Option<PathBuf>,
    /// Where the pre-upgrade mysqldump backups are: lint checks them (OMS011), verify
    /// compares the deployment with them.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// The live MetaDB: `mysql://user@host:port`, or `config` for config.yaml's
    /// oms_meta_*. The password comes from OMSLINT_METADB_PASSWORD, --password-file or a
    /// prompt, never from the command line. Without this flag omslint never connects.
    #[arg(long, value_name = "URL")]
    pub metadb: Option<String>,
    /// A file whose first line is the MetaDB password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// TLS to the MetaDB: disabled, preferred, required, verify-ca, verify-identity.
    #[arg(long, value_name = "MODE", default_value = "preferred")]
    pub ssl_mode: String,
    /// CA certificate for --ssl-mode verify-ca / verify-identity.
    #[arg(long, value_name = "FILE")]
    pub ssl_ca: Option<PathBuf>,
    /// Seconds to wait for the MetaDB to accept a connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// Seconds one MetaDB query may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub query_timeout: u64,
    /// The current OMS version (default: the highest in the MetaDB's oms_version).
    #[arg(long, value_name = "VERSION")]
    pub from: Option<String>,
    /// The target OMS version (required unless omslint.yaml gives it).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Planned downtime, T2 − T1 of the guides (90, 90m, 1h30m; default 60m).
    #[arg(long, value_name = "DURATION")]
    pub downtime: Option<String>,
    /// A MetaDB schema map overriding rules/schema.yaml.
    #[arg(long, value_name = "FILE")]
    pub schema_map: Option<PathBuf>,
    /// An upgrade graph replacing the built-in rules/upgrade-paths.yaml (same schema), for
    /// a site that knows a newer guide.
    #[arg(long, value_name = "FILE")]
    pub upgrade_paths: Option<PathBuf>,
    /// Settings file (default: omslint.yaml in the snapshot directory).
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
}

/// How `lint` and `verify` write their report (SPEC §8: the same options for both).
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report format (default: human).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to a file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// SARIF `automationDetails.id` category (default `omslint/<from>-<to>/`): give each
    /// deployment its own when several are uploaded from one repository.
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,
    /// The lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Exit 0 whatever the findings (usage errors and unreadable sources still exit 2 and 3).
    #[arg(long)]
    pub exit_zero: bool,
    /// Colour in the human report (auto: only on a terminal, never with NO_COLOR).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// When the lint runs: `plan` (the change ticket gate) or `window` (go/no-go).
    #[arg(long, value_enum)]
    pub stage: Option<StageArg>,
    /// OMS010: heartbeat rows above which the table is reported (default 1000).
    #[arg(long, value_name = "ROWS")]
    pub heartbeat_threshold: Option<u64>,
    /// Apply the safe fixes (SQL against --metadb in one guarded transaction per database;
    /// config patches atomically, with a backup), then lint again.
    #[arg(long)]
    pub fix: bool,
    /// Apply the unsafe fixes too (HA off, the refetch setting); implies --fix.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print every change --fix would make and change nothing: the SQL as --fix-script
    /// writes it, then a unified diff per config file (`git apply` and `patch` take it).
    /// With --unsafe-fixes, the unsafe ones too. Exit 1 when there is a change.
    #[arg(long, conflicts_with_all = ["fix"])]
    pub diff: bool,
    /// Write the fix SQL to FILE and its rollback beside it (FILE.rollback.sql), to review
    /// and run with the mysql client; works offline.
    #[arg(long, value_name = "FILE")]
    pub fix_script: Option<PathBuf>,
    /// Where --fix writes the rollback SQL before committing (default: omslint-rollback.sql).
    #[arg(long, value_name = "FILE")]
    pub rollback_file: Option<PathBuf>,
    /// List the fixes applied.
    #[arg(long)]
    pub show_fixes: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `omslint verify`: the deployment now (SNAPSHOT_DIR, --dump or --metadb) against its
/// pre-upgrade backups (--backup-dir).
#[derive(Debug, Args)]
#[command(
    after_help = "After an upgrade: omslint verify --backup-dir DIR --metadb mysql://user@host:port --to 4.2.3 [--downtime 90m]\nAfter a rollback (right after the restore, before the old container restarts): omslint verify --rolled-back --backup-dir DIR --metadb mysql://user@host:port"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// After a rollback: every table of every backed-up database must equal its backup,
    /// row for row (OMS108), and no project, data source or component setting of the
    /// backup may be missing. Run it after the restore, before the old container restarts.
    #[arg(long)]
    pub rolled_back: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Runbook format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: PlanFormat,
    /// Write the runbook to a file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
