//! Fixes as text: guarded SQL and config patches. Applying them is `lint --fix`'s job;
//! building them is here so every fix is escaped and guarded in one place.

pub mod apply;
pub mod patch;
/// The SQL quoting lives below every layer that writes SQL (`escape::sql`).
pub use crate::escape::sql;
