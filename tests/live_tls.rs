//! TLS to the MetaDB with rustls: every `--ssl-mode` against a real MariaDB that requires
//! TLS for the lint user, with a CA and a server certificate made here by openssl.

mod common;

use std::path::Path;
use std::process::Command;

use common::mariadb::MariaDb;
use common::{fixture, Out};

const PW: &str = "S3cr3t-tls-pw";

fn make_ca(dir: &Path, name: &str) {
    let script = format!(
        "set -e; cd '{d}'; \
         openssl req -x509 -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.pem -days 2 -subj /CN=omslint-{name} \
           -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null",
        d = dir.display()
    );
    assert!(Command::new("sh")
        .args(["-c", &script])
        .status()
        .unwrap()
        .success());
}

fn make_server_cert(dir: &Path) {
    let script = format!(
        "set -e; cd '{d}'; \
         openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null; \
         printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nkeyUsage=digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth\\n' > ext.cnf; \
         openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null",
        d = dir.display()
    );
    assert!(Command::new("sh")
        .args(["-c", &script])
        .status()
        .unwrap()
        .success());
}

fn lint(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_omslint"))
        .args(["lint", ".", "--to", "4.2.3", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("OMSLINT_METADB_PASSWORD", PW)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn every_ssl_mode_against_a_tls_server() {
    let certs = std::env::temp_dir().join(format!("omslint-tls-{}", std::process::id()));
    std::fs::create_dir_all(&certs).unwrap();
    make_ca(&certs, "ca");
    make_ca(&certs, "other-ca");
    make_server_cert(&certs);
    let p = |f: &str| certs.join(f).display().to_string();
    let db = MariaDb::start_with(&[
        format!("--ssl-ca={}", p("ca.pem")),
        format!("--ssl-cert={}", p("server.pem")),
        format!("--ssl-key={}", p("server.key")),
    ]);
    let case = fixture("cases/OMS008-fires");
    for e in std::fs::read_dir(case.join("metadb")).unwrap() {
        let f = e.unwrap().path();
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        db.sql(&format!("CREATE DATABASE `{name}`"));
        db.load(&name, &f);
    }
    db.sql(&format!("CREATE USER 'tls'@'127.0.0.1' IDENTIFIED BY '{PW}' REQUIRE SSL; GRANT SELECT ON *.* TO 'tls'@'127.0.0.1'"));
    let dir = certs.join("deployment");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(case.join("config.yaml"), dir.join("config.yaml")).unwrap();
    let url = format!("mysql://tls@127.0.0.1:{}", db.port);

    let ok = |out: &Out, mode: &str| {
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        assert!(out.stdout.contains("\"OMS008\""), "{mode}");
    };
    ok(&lint(&dir, &["--metadb", &url]), "preferred (the default)");
    ok(
        &lint(&dir, &["--metadb", &url, "--ssl-mode", "required"]),
        "required",
    );
    ok(
        &lint(
            &dir,
            &[
                "--metadb",
                &url,
                "--ssl-mode",
                "verify-ca",
                "--ssl-ca",
                &p("ca.pem"),
            ],
        ),
        "verify-ca",
    );
    ok(
        &lint(
            &dir,
            &[
                "--metadb",
                &url,
                "--ssl-mode",
                "verify-identity",
                "--ssl-ca",
                &p("ca.pem"),
            ],
        ),
        "verify-identity",
    );

    let plain = lint(
        &dir,
        &[
            "--metadb",
            &url,
            "--ssl-mode",
            "disabled",
            "--from",
            "3.4.0",
        ],
    );
    assert_eq!(plain.code, 3, "the user requires TLS: {}", plain.stderr);
    assert!(plain.stderr.contains("Access denied"), "{}", plain.stderr);

    let wrong_ca = lint(
        &dir,
        &[
            "--metadb",
            &url,
            "--ssl-mode",
            "verify-ca",
            "--ssl-ca",
            &p("other-ca.pem"),
            "--from",
            "3.4.0",
        ],
    );
    assert_eq!(
        wrong_ca.code, 3,
        "a certificate from another CA is refused: {}",
        wrong_ca.stderr
    );

    let bad_mode = lint(&dir, &["--metadb", &url, "--ssl-mode", "sometimes"]);
    assert_eq!(bad_mode.code, 2);
    drop(db);
    let _ = std::fs::remove_dir_all(&certs);
}
