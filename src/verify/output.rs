//! Writing verify's report: the same formats, `--output`, colour and exit codes as
//! `lint` (SPEC §8), through the one writer both use.

use crate::cli::VerifyArgs;
use crate::emit::{self, Emit};
use crate::error::Result;
use crate::report::Report;

pub use crate::emit::Progress;

/// Renders the report, says where it went, and returns the exit code.
pub fn emit(args: &VerifyArgs, report: &Report, check_errors: bool) -> Result<u8> {
    let e = Emit::new(&args.report, Default::default());
    emit::emit(&e, report, check_errors)
}
