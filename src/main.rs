//! The `omslint` binary: parses the command line and maps results to SPEC §2 exit codes.

use std::process::ExitCode;

use clap::Parser;
use omslint::{cli, lint, plan};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Lint(args) => lint::run(&args),
        cli::Command::Plan(args) => plan::run(&args),
        cli::Command::Verify(args) => omslint::verify::run(&args),
        cli::Command::Rules(args) => lint::print_rules(args.format),
        cli::Command::Explain { rule } => lint::explain(&rule),
        cli::Command::Schema { which } => omslint::schema::print(which),
        cli::Command::Completions { shell } => {
            let mut cmd = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "omslint", &mut std::io::stdout());
            Ok(0)
        }
        cli::Command::Man => {
            let cmd = <cli::Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => Ok(0),
                Err(e) => Err(omslint::error::Error::CheckFailed(format!(
                    "cannot write the man page: {e}"
                ))),
            }
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("omslint: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
