//! `--backup-dir`: the mysqldump files the runbook takes before the upgrade. They are
//! checked, not read whole: the head names the database, the tail says whether the dump
//! ran to completion.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::Kind;
use crate::error::{Error, Result};
use crate::facts::{BackupFile, Backups};

const TRAILER: &[u8] = b"-- Dump completed";

fn tail_has_trailer(path: &Path, size: u64) -> Result<bool> {
    let mut f = std::fs::File::open(path).map_err(|e| super::unreadable(path, &e))?;
    let start = size.saturating_sub(4096);
    f.seek(SeekFrom::Start(start))
        .map_err(|e| super::unreadable(path, &e))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail)
        .map_err(|e| super::unreadable(path, &e))?;
    Ok(tail.windows(TRAILER.len()).any(|w| w == TRAILER))
}

fn check_file(path: &Path) -> Result<BackupFile> {
    let size = std::fs::metadata(path)
        .map_err(|e| super::unreadable(path, &e))?
        .len();
    let mut b = BackupFile {
        path: path.to_path_buf(),
        database: None,
        size,
        completed: false,
        problem: None,
    };
    if size == 0 {
        b.problem = Some("empty file (0 bytes)".into());
        return Ok(b);
    }
    match super::dump::peek_database(path) {
        Ok(Some(db)) => b.database = Some(db),
        Ok(None) => {
            b.problem = Some("names no database (no dump header, USE or CREATE DATABASE)".into())
        }
        Err(Error::Unreadable { path, message }) => {
            return Err(Error::Unreadable { path, message })
        }
        Err(e) => b.problem = Some(format!("not a dump: {e}")),
    }
    b.completed = tail_has_trailer(path, size)?;
    if b.problem.is_none() && !b.completed {
        b.problem = Some("no '-- Dump completed' trailer: the dump was cut short".into());
    }
    Ok(b)
}

pub fn read_backup_dir(dir: &Path) -> Result<Backups> {
    match super::look(dir)? {
        Some(Kind::Dir) => {}
        None => return Err(Error::unreadable(dir, "No such file or directory")),
        Some(kind) => {
            return Err(Error::parse_no_pos(
                dir,
                format!("is {}, expected the backup directory", kind.describe()),
            ))
        }
    }
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| super::unreadable(dir, &e))? {
        let p = e.map_err(|e| super::unreadable(dir, &e))?.path();
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || !p.extension().is_some_and(|x| x.eq_ignore_ascii_case("sql")) {
            continue;
        }
        // A backup that cannot be read is not a missing backup: exit 3 naming it.
        match super::look(&p)? {
            Some(Kind::File) => files.push(p),
            None => {}
            Some(kind) => {
                return Err(Error::parse_no_pos(
                    &p,
                    format!("is {}, expected a dump file", kind.describe()),
                ))
            }
        }
    }
    files.sort();
    Ok(Backups {
        dir: dir.to_path_buf(),
        files: files.iter().map(|p| check_file(p)).collect::<Result<_>>()?,
    })
}
