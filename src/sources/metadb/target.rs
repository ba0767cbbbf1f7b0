//! Where the live MetaDB is and how to log in: the `--metadb` URL (or config.yaml's
//! `oms_meta_*`), the password (never on the command line), and the TLS mode.

use std::path::Path;

use crate::error::{Error, Result};
use crate::facts::{ConfigFile, ConfigValue, Secret};

pub use crate::facts::live::{SslMode, Target};

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::Usage("--metadb: a '%' that is not followed by two hex digits".into())
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        Error::Usage("--metadb: the user name is not UTF-8 after percent-decoding".into())
    })
}

/// `mysql://user@host:port`. The user is everything before the last `@` (so OceanBase's
/// `user@tenant#cluster` works with or without percent-encoding); a password in the URL is
/// refused, because argv is visible to every user of the machine.
pub fn parse_url(url: &str) -> Result<(String, String, u16)> {
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))
        .or_else(|| url.strip_prefix("oceanbase://"))
        .ok_or_else(|| {
            Error::Usage("--metadb takes mysql://user@host:port (or `config`)".into())
        })?;
    let rest = rest.trim_end_matches('/');
    let (user, hostport) = rest.rsplit_once('@').ok_or_else(|| {
        Error::Usage("--metadb: no user in the URL (mysql://user@host:port)".into())
    })?;
    if user.contains(':') {
        return Err(Error::Usage(
            "--metadb: a password in the URL is refused (it would be visible in the process list); use OMSLINT_METADB_PASSWORD, --password-file, or the prompt".into(),
        ));
    }
    if hostport.contains('/') {
        return Err(Error::Usage(
            "--metadb: no database in the URL; the databases come from config.yaml (drc_rm_db, drc_cm_db, drc_cm_heartbeat_db)".into(),
        ));
    }
    let user = percent_decode(user)?;
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (h, p) = v6
                .split_once(']')
                .ok_or_else(|| Error::Usage("--metadb: unclosed '[' in the host".into()))?;
            (h.to_string(), p.strip_prefix(':'))
        }
        None => match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        },
    };
    let port = match port {
        Some(p) => p
            .parse()
            .map_err(|_| Error::Usage(format!("--metadb: port {p:?} is not a number")))?,
        None => 3306,
    };
    if host.is_empty() || user.is_empty() {
        return Err(Error::Usage(
            "--metadb: the URL needs both a user and a host".into(),
        ));
    }
    Ok((user, host, port))
}

/// The password: `OMSLINT_METADB_PASSWORD`, else `--password-file`, else `fallback`
/// (config.yaml's, for `--metadb config`), else a prompt when stdin is a terminal.
pub fn password(file: Option<&Path>, fallback: Option<&Secret>) -> Result<Secret> {
    if let Ok(p) = std::env::var("OMSLINT_METADB_PASSWORD") {
        return Ok(Secret(p));
    }
    if let Some(path) = file {
        if path.is_dir() {
            return Err(Error::parse_no_pos(
                path,
                "is a directory, expected a password file",
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::unreadable(path, e))?;
        let first = text.lines().next().unwrap_or("");
        return Ok(Secret(first.to_string()));
    }
    if let Some(s) = fallback {
        return Ok(s.clone());
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("MetaDB password: ")
            .map_err(|e| Error::Usage(format!("could not read the password: {e}")))?;
        return Ok(Secret(p));
    }
    Err(Error::Usage(
        "no MetaDB password: set OMSLINT_METADB_PASSWORD or give --password-file (stdin is not a terminal, so there is no prompt)".into(),
    ))
}

/// Host, port, user and password from config.yaml's `oms_meta_*` (`--metadb config`).
pub fn from_config(configs: &[ConfigFile]) -> Result<(String, String, u16, Option<Secret>)> {
    let get = |k: &str| configs.iter().find_map(|c| c.text(k));
    let host = get("oms_meta_host")
        .ok_or_else(|| Error::Usage("--metadb config: no oms_meta_host in config.yaml".into()))?;
    let user = get("oms_meta_user")
        .ok_or_else(|| Error::Usage("--metadb config: no oms_meta_user in config.yaml".into()))?;
    let port = match get("oms_meta_port") {
        Some(p) => p.trim().parse().map_err(|_| {
            Error::Usage(format!(
                "--metadb config: oms_meta_port {p:?} is not a port number"
            ))
        })?,
        None => 3306,
    };
    let password =
        configs
            .iter()
            .find_map(|c| match c.get("oms_meta_password").map(|e| &e.value) {
                Some(ConfigValue::Secret(s)) => Some(s.clone()),
                _ => None,
            });
    Ok((user, host, port, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oceanbase_users_survive_the_url() {
        let (u, h, p) = parse_url("mysql://oms_user@oms_tenant#obcluster@10.0.0.5:2883").unwrap();
        assert_eq!(
            (u.as_str(), h.as_str(), p),
            ("oms_user@oms_tenant#obcluster", "10.0.0.5", 2883)
        );
        let (u, _, _) = parse_url("mysql://oms_user%40t%23c@h:1").unwrap();
        assert_eq!(u, "oms_user@t#c");
        let (_, h, p) = parse_url("mysql://u@[::1]:3307").unwrap();
        assert_eq!((h.as_str(), p), ("::1", 3307));
        let (_, _, p) = parse_url("mysql://u@db.example").unwrap();
        assert_eq!(p, 3306);
    }

    #[test]
    fn refuses_passwords_and_bad_urls() {
        for bad in [
            "mysql://u:pw@h:1",
            "http://u@h",
            "mysql://h:1",
            "mysql://u@h:x",
            "mysql://u@h:1/rm",
            "mysql://u@h:1%",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        let e = parse_url("mysql://u:S3cr3t@h:1").unwrap_err().to_string();
        assert!(!e.contains("S3cr3t"));
    }

    #[test]
    fn ssl_modes() {
        assert_eq!(
            SslMode::parse("VERIFY_IDENTITY"),
            Some(SslMode::VerifyIdentity)
        );
        assert_eq!(SslMode::parse("verify-ca"), Some(SslMode::VerifyCa));
        assert_eq!(SslMode::parse("maybe"), None);
    }
}
