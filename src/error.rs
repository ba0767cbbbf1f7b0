//! The error type every fallible step returns, and its mapping to SPEC §2 exit codes.
//!
//! Exit codes matter more than messages here: CI pipelines gate on them, so an input that
//! cannot be parsed (2) must never be confused with one that cannot be read (3).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input file a problem is: 1-based line and column (column 0 = unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

#[derive(Debug)]
pub enum Error {
    /// Wrong flags or arguments (exit 2).
    Usage(String),
    /// An input exists but cannot be parsed (exit 2). `message` must never quote a secret.
    Parse {
        path: PathBuf,
        pos: Option<Pos>,
        message: String,
    },
    /// An input cannot be read at all (exit 3).
    Unreadable { path: PathBuf, message: String },
    /// A check could not run (exit 3), e.g. a database the config names is absent.
    CheckFailed(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn parse(path: &Path, line: u64, column: u64, message: impl Into<String>) -> Self {
        Error::Parse {
            path: path.to_path_buf(),
            pos: (line > 0).then_some(Pos { line, column }),
            message: message.into(),
        }
    }

    pub fn parse_no_pos(path: &Path, message: impl Into<String>) -> Self {
        Error::Parse {
            path: path.to_path_buf(),
            pos: None,
            message: message.into(),
        }
    }

    pub fn unreadable(path: &Path, err: impl fmt::Display) -> Self {
        Error::Unreadable {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }

    /// SPEC §2: 2 for usage and parse errors, 3 for unreadable sources and failed checks.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Parse { .. } => 2,
            Error::Unreadable { .. } | Error::CheckFailed(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => write!(f, "{m}"),
            Error::Parse { path, pos, message } => match pos {
                Some(Pos { line, column }) if *column > 0 => {
                    write!(f, "{}:{line}:{column}: {message}", path.display())
                }
                Some(Pos { line, .. }) => write!(f, "{}:{line}: {message}", path.display()),
                None => write!(f, "{}: {message}", path.display()),
            },
            Error::Unreadable { path, message } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            Error::CheckFailed(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}
