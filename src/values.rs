//! What a value from the inputs must look like before it may land in a shell or SQL
//! command of the runbook: an IP or host name, a port, a database, a container, an
//! absolute path. A value that is not what its key says is reported where it is read
//! (OMS012 in `lint`, exit 2 in `plan`), so that quoting is a second line of defence,
//! not the only one.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The kinds of value the runbook puts into commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An IPv4 or IPv6 address, or a DNS host name.
    Host,
    Port,
    /// A MySQL user name.
    User,
    /// A database name as the guides write it, unquoted: letters, digits, `_` and `$`.
    Database,
    /// A docker container or volume name.
    DockerName,
    /// A docker image reference (`registry:5000/oms/oms:feature_4.2.3`).
    Image,
    /// An absolute host path.
    AbsPath,
    /// A region name (`cn-hangzhou`).
    Region,
    /// `http://HOST:PORT` (cm_url).
    Url,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Host => "an IP address or host name",
            Kind::Port => "a port number (1-65535)",
            Kind::User => "a MySQL user name (no spaces, quotes or control characters)",
            Kind::Database => "a database name (letters, digits, _ and $)",
            Kind::DockerName => {
                "a docker name (letters, digits, _ . -, starting with a letter or digit)"
            }
            Kind::Image => "a docker image reference",
            Kind::AbsPath => "an absolute path (no control characters, `, $, \" or \\, no ..)",
            Kind::Region => "a region name (letters, digits, _ . -)",
            Kind::Url => "a URL http://HOST:PORT",
        }
    }
}

/// `Ok(())` when `v` is a valid value of `kind`, else why not.
pub fn check(kind: Kind, v: &str) -> Result<(), String> {
    let ok = match kind {
        Kind::Host => is_host(v),
        Kind::Port => v.parse::<u16>().is_ok_and(|p| p > 0) && !v.starts_with('0'),
        Kind::User => {
            !v.is_empty()
                && v.chars().count() <= 80
                && v.chars().all(|c| {
                    !c.is_control() && !c.is_whitespace() && !"'\"`\\$;|&<>(){}*?!".contains(c)
                })
        }
        Kind::Database => {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        }
        Kind::DockerName => {
            let mut chars = v.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
                && v.len() <= 255
                && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        }
        Kind::Image => {
            !v.is_empty()
                && v.len() <= 512
                && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-/:@".contains(c))
        }
        Kind::AbsPath => {
            v.starts_with('/')
                && v.len() <= 4096
                && !v.chars().any(|c| c.is_control() || "`$\"\\".contains(c))
                && !v.split('/').any(|seg| seg == "..")
        }
        Kind::Region => {
            !v.is_empty()
                && v.len() <= 128
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        }
        Kind::Url => is_url(v),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{}\" is not {}",
            crate::escape::terminal::visible(v),
            kind.describe()
        ))
    }
}

fn is_host(v: &str) -> bool {
    if v.parse::<Ipv4Addr>().is_ok() || v.parse::<Ipv6Addr>().is_ok() {
        return true;
    }
    // RFC 1123 host name; an all-numeric dotted name must have been an IPv4 address.
    let labels: Vec<&str> = v.split('.').collect();
    !v.is_empty()
        && v.len() <= 253
        && !labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_url(v: &str) -> bool {
    let Some(rest) = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = rest.trim_end_matches('/');
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    is_host(host) && port.is_none_or(|p| check(Kind::Port, p).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_values_pass() {
        for (k, v) in [
            (Kind::Host, "10.0.0.100"),
            (Kind::Host, "::1"),
            (Kind::Host, "meta-db.example.com"),
            (Kind::Port, "2883"),
            (Kind::User, "oms_meta_user@oms#obcluster"),
            (Kind::Database, "rm_340"),
            (Kind::Database, "oms_cm_heartbeat_1"),
            (Kind::DockerName, "oms_423"),
            (
                Kind::Image,
                "registry.example.com:5000/oceanbase/oms:feature_4.2.3",
            ),
            (Kind::AbsPath, "/data/oms/oms_run"),
            (Kind::Region, "cn-hangzhou"),
            (Kind::Url, "http://10.0.0.1:8088"),
        ] {
            assert_eq!(check(k, v), Ok(()), "{v}");
        }
    }

    #[test]
    fn hostile_values_fail() {
        for (k, v) in [
            (Kind::Host, "10.0.0.100 $(touch /tmp/pwned)"),
            (Kind::Host, "10.0.0.1;id"),
            (Kind::Host, "999.1.1.1"),
            (Kind::Host, ""),
            (Kind::Port, "99999"),
            (Kind::Port, "0"),
            (Kind::Port, "2883 -e"),
            (Kind::User, "root' -e 'id"),
            (Kind::User, "a b"),
            (Kind::Database, "rm_340; DROP DATABASE x"),
            (Kind::Database, "rm`x`"),
            (Kind::Database, "cm-hb"),
            (Kind::DockerName, "-oms"),
            (Kind::DockerName, "oms $(id)"),
            (Kind::Image, "oms:4.2.3 && id"),
            (Kind::AbsPath, "data/oms"),
            (Kind::AbsPath, "/data/\u{1b}[2J"),
            (Kind::AbsPath, "/data/../etc"),
            (Kind::Region, "cn hangzhou"),
            (Kind::Region, "<b>x</b>"),
            (Kind::Url, "http://10.0.0.1:8088/$(id)"),
            (Kind::Url, "10.0.0.1:8088"),
        ] {
            assert!(check(k, v).is_err(), "{v:?} should fail as {k:?}");
        }
        assert!(check(Kind::Host, "a\u{1b}b").unwrap_err().contains("\\x1b"));
    }
}
