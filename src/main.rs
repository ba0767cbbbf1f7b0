//! The `omslint` binary: parses the command line and maps results to SPEC §2 exit codes.

use std::process::ExitCode;

use clap::Parser;
use omslint::{cli, lint, plan};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Lint(args) => lint::run(&args),
        cli::Command::Plan(args) => plan::run(&args),
        cli::Command::Rules(args) => lint::print_rules(args.format),
        cli::Command::Explain { rule } => lint::explain(&rule),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("omslint: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
