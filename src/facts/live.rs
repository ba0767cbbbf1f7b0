//! The live MetaDB a deployment was read from: kept with the facts so that `--fix` writes
//! to the same server and reasons can name `host:port/database`. The sources fill it; the
//! connection itself is theirs.

use std::path::PathBuf;

use super::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disabled,
    /// TLS when the server offers it, as the MySQL client does by default.
    #[default]
    Preferred,
    /// TLS, without checking the certificate.
    Required,
    /// TLS with the certificate checked against the CA, not the host name.
    VerifyCa,
    /// TLS with the certificate and the host name checked.
    VerifyIdentity,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "disabled" => Some(SslMode::Disabled),
            "preferred" => Some(SslMode::Preferred),
            "required" => Some(SslMode::Required),
            "verify-ca" => Some(SslMode::VerifyCa),
            "verify-identity" => Some(SslMode::VerifyIdentity),
            _ => None,
        }
    }
}

/// Everything needed to connect, the password redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Kept whole: OceanBase users look like `oms_user@oms_tenant#obcluster`.
    pub user: String,
    pub password: Secret,
    pub ssl_mode: SslMode,
    pub ssl_ca: Option<PathBuf>,
    pub connect_timeout_s: u64,
    pub query_timeout_s: u64,
}

impl Target {
    /// `host:port`, for messages (never the user or password).
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}
