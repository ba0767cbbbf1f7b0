//! The one escaping layer every output goes through: Markdown (the lint report and the
//! runbook), the terminal (the human report), the shell (commands in the runbook and the
//! Markdown report), SQL (fixes, the runbook, the live reader's queries).
//!
//! Text from the inputs (project names, paths, messages) is data: each function here
//! makes sure it is shown, never interpreted.

pub mod markdown;
pub mod shell;
pub mod sql;
pub mod terminal;
