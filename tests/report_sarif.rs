//! `--format sarif` and `--format github` from the real binary: the SARIF log validates
//! against the official SARIF 2.1.0 schema (tests/schemas/, see its README), declares
//! every rule, has one result per finding of the JSON report of the same run, and
//! carries config patches as `artifactChanges`; the GitHub annotations are one per
//! finding that counts.

mod common;

use std::path::Path;

use common::{fixture, json, omslint_in, Out};
use omslint::report::sarif::FINGERPRINT_KEY;
use serde_json::Value;

const SAMPLE_ARGS: &[&str] = &["lint", ".", "--backup-dir", "backups"];

fn run(dir: &Path, args: &[&str], format: &str) -> Out {
    let mut all = args.to_vec();
    all.extend(["--format", format]);
    let out = omslint_in(dir, &all);
    assert!(
        out.code == 0 || out.code == 1,
        "omslint {all:?} exited {}\nstderr:\n{}",
        out.code,
        out.stderr
    );
    out
}

fn assert_valid_sarif(v: &Value) {
    let path = common::root().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let id = schema["$id"]
        .as_str()
        .expect("the schema's $id")
        .to_string();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    if let Err(e) = schemas.validate(v, index) {
        panic!("not valid SARIF 2.1.0:\n{e:#}");
    }
}

/// Decodes a URI path's percent-escapes.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The file a result's artifact location names, resolved as GitHub and SARIF viewers
/// resolve it: a relative URI against its `uriBaseId` from `originalUriBaseIds`.
fn artifact_path(run: &Value, artifact: &Value) -> std::path::PathBuf {
    let uri = artifact["uri"].as_str().expect("artifactLocation.uri");
    if let Some(abs) = uri.strip_prefix("file://") {
        assert!(artifact.get("uriBaseId").is_none(), "{artifact}");
        return percent_decode(abs).into();
    }
    assert!(
        !uri.contains(':') && !uri.starts_with('/'),
        "a relative reference: {uri}"
    );
    let base_id = artifact["uriBaseId"]
        .as_str()
        .unwrap_or_else(|| panic!("a relative URI has a uriBaseId: {artifact}"));
    let base = run["originalUriBaseIds"][base_id]["uri"]
        .as_str()
        .unwrap_or_else(|| panic!("{base_id} is defined in originalUriBaseIds"));
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    Path::new(&percent_decode(&base["file://".len()..])).join(percent_decode(uri))
}

/// What GitHub code scanning requires of an upload (its documented SARIF support and
/// upload limits): at most 20 runs, 25,000 results and 25,000 rules a run, 20 tags a
/// rule; every result with a declared `ruleId`, a level of error/warning/note, a
/// non-empty message, and a location whose `physicalLocation.artifactLocation.uri` is
/// set and whose region starts at line 1 or later; `partialFingerprints` on every
/// result, none twice; the run's `automationDetails.id`. Beyond GitHub: every relative
/// URI resolves, against `%SRCROOT%`, to a file that exists, and no URI is absolute when
/// the file is under `cwd`.
fn assert_github_accepts(v: &Value, cwd: &Path) {
    let runs = v["runs"].as_array().expect("runs");
    assert!(!runs.is_empty() && runs.len() <= 20);
    let cwd = std::fs::canonicalize(cwd).unwrap();
    for run in runs {
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert!(rules.len() <= 25_000);
        for r in rules {
            assert!(r["properties"]["tags"].as_array().map_or(0, Vec::len) <= 20);
        }
        let id = run["automationDetails"]["id"]
            .as_str()
            .expect("automationDetails.id");
        assert!(id.ends_with('/') && id.len() > 1, "{id}");
        let results = run["results"].as_array().expect("results");
        assert!(results.len() <= 25_000);
        let mut fingerprints = std::collections::BTreeSet::new();
        for r in results {
            let rule_id = r["ruleId"].as_str().expect("ruleId");
            assert!(!rule_id.is_empty());
            let i = rules
                .iter()
                .position(|d| d["id"] == rule_id)
                .unwrap_or_else(|| panic!("{rule_id} is not declared"));
            assert_eq!(r["ruleIndex"], i, "{r}");
            assert!(
                matches!(r["level"].as_str(), Some("error" | "warning" | "note")),
                "{r}"
            );
            assert!(
                !r["message"]["text"]
                    .as_str()
                    .expect("message.text")
                    .trim()
                    .is_empty(),
                "{r}"
            );
            let locations = r["locations"].as_array().expect("locations");
            assert!(!locations.is_empty() && locations.len() <= 1000, "{r}");
            for l in locations {
                let p = &l["physicalLocation"];
                let artifact = &p["artifactLocation"];
                let uri = artifact["uri"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no physicalLocation in {r}"));
                assert!(!uri.is_empty());
                assert!(
                    p["region"]["startLine"].as_u64().expect("startLine") >= 1,
                    "{r}"
                );
                if let Some(c) = p["region"].get("startColumn") {
                    assert!(c.as_u64().unwrap() >= 1, "{r}");
                }
                let file = artifact_path(run, artifact);
                assert!(file.is_file(), "{} ({uri}) is not a file", file.display());
                let under = std::fs::canonicalize(&file).unwrap().starts_with(&cwd);
                assert_eq!(
                    artifact.get("uriBaseId").is_some(),
                    under,
                    "relative exactly when under the working directory: {artifact}"
                );
            }
            let fp = r["partialFingerprints"]
                .as_object()
                .expect("partialFingerprints");
            assert!(!fp.is_empty());
            for v in fp.values() {
                let v = v.as_str().unwrap();
                assert!(!v.is_empty());
                assert!(fingerprints.insert(v.to_string()), "fingerprint {v} twice");
            }
        }
    }
}

fn level(severity: &str) -> &str {
    match severity {
        "notice" => "note",
        s => s,
    }
}

#[test]
fn sample_sarif_validates_and_matches_the_json_report() {
    let dir = fixture("sample");
    let sarif_out = run(&dir, SAMPLE_ARGS, "sarif");
    let json_out = run(&dir, SAMPLE_ARGS, "json");
    assert_eq!(
        sarif_out.code, json_out.code,
        "same exit code in every format"
    );
    let sarif = json(&sarif_out);
    let report = json(&json_out);

    assert_valid_sarif(&sarif);
    assert_github_accepts(&sarif, &dir);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];

    // Every rule of the catalog, in order, documented.
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "omslint");
    assert_eq!(driver["version"], report["tool"]["version"]);
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), omslint::catalog::catalog().len());
    let catalog = omslint::catalog::catalog();
    for (r, m) in rules.iter().zip(catalog) {
        assert_eq!(r["id"], m.code.as_str());
        assert_eq!(r["name"], m.name.as_str());
        assert_eq!(r["shortDescription"]["text"], m.summary.trim());
        assert_eq!(r["help"]["text"], m.explain().as_str());
        // No invented link: the help cites the published guides instead.
        assert!(r.get("helpUri").is_none(), "{}", m.code);
        let markdown = r["help"]["markdown"].as_str().unwrap();
        assert!(markdown.contains("### Sources"), "{}", m.code);
        let cited = r["properties"]["sources"].as_array().unwrap();
        assert_eq!(cited.len(), m.docs.sources.len(), "{}", m.code);
        for (c, source) in cited.iter().zip(&m.docs.sources) {
            assert_eq!(c["quote"], source.quote.trim(), "{}", m.code);
        }
        assert_eq!(
            r["defaultConfiguration"]["level"],
            level(m.severity.as_str())
        );
    }

    // One result per finding, same order, same rule, level and message.
    let findings = report["findings"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(results.len(), findings.len());
    let mut fingerprints = std::collections::BTreeSet::new();
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["code"]);
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], f["code"]);
        assert_eq!(r["level"], level(f["severity"].as_str().unwrap()));
        assert_eq!(r["message"]["text"], f["message"]);
        let loc = &r["locations"][0];
        let p = &loc["physicalLocation"];
        assert_eq!(p["artifactLocation"]["uriBaseId"], "%SRCROOT%", "{r}");
        if let Some(l) = f.get("location") {
            assert_eq!(p["artifactLocation"]["uri"], l["path"]);
            assert_eq!(p["region"]["startLine"], l["line"]);
        }
        let l = &loc["logicalLocations"][0];
        assert_eq!(l["kind"], f["subject"]["kind"]);
        assert_eq!(
            l["fullyQualifiedName"],
            format!(
                "{}:{}",
                f["subject"]["kind"].as_str().unwrap(),
                f["subject"]["id"].as_str().unwrap()
            )
        );
        assert_eq!(
            r.get("suppressions").is_some(),
            !f["suppressed"].is_null(),
            "waived findings, and only they, are suppressed"
        );
        let fp = r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
        assert!(
            fingerprints.insert(fp.to_string()),
            "fingerprint {fp} twice"
        );
        if let Some(sql) = f["fix"].get("sql") {
            assert_eq!(&r["properties"]["fix"]["sql"], sql);
        }
    }

    assert_eq!(run["properties"]["upgrade"], report["upgrade"]);
    let errored = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "error")
        .count();
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], errored == 0);

    // No secret of the sample's config files or component configs.
    for secret in [
        "S3cr3t-fixture-pw",
        "S3cr3t-fixture-tsdb",
        "S3cr3t-fixture-src",
    ] {
        assert!(!sarif_out.stdout.contains(secret), "{secret} in the SARIF");
    }
}

#[test]
fn sarif_is_deterministic() {
    let dir = fixture("sample");
    let a = run(&dir, SAMPLE_ARGS, "sarif");
    let b = run(&dir, SAMPLE_ARGS, "sarif");
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn config_patch_is_an_artifact_change() {
    let dir = fixture("cases/OMS012-fires-port");
    let args = ["lint", ".", "--to", "4.2.3"];
    let sarif = json(&run(&dir, &args, "sarif"));
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "OMS012")
        .expect("an OMS012 result");
    let fix = &r["fixes"][0];
    assert!(fix["description"]["text"]
        .as_str()
        .unwrap()
        .contains("8088"));
    let change = &fix["artifactChanges"][0];
    let uri = change["artifactLocation"]["uri"].as_str().unwrap();
    assert_eq!(uri, "config.yaml");
    assert_eq!(change["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_github_accepts(&sarif, &dir);
    let rep = &change["replacements"][0];
    let line = rep["deletedRegion"]["startLine"].as_u64().unwrap();
    assert_eq!(rep["deletedRegion"]["endLine"], line);
    let inserted = rep["insertedContent"]["text"].as_str().unwrap();

    // Applying the replacement to the file gives the fixed line, nothing else changes.
    let text = std::fs::read_to_string(dir.join(uri)).unwrap();
    let old = text.lines().nth(line as usize - 1).unwrap();
    assert!(old.contains(":8080"), "{old}");
    assert_eq!(inserted, old.replace(":8080", ":8088"));
}

/// (command, properties, message) of a workflow command, unescaped.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let rest = line
        .strip_prefix("::")
        .unwrap_or_else(|| panic!("not a workflow command: {line}"));
    let (head, message) = rest.split_once("::").expect("command::message");
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape(v))
        })
        .collect();
    (command.to_string(), props, unescape(message))
}

#[test]
fn github_annotations_one_per_unwaived_finding() {
    let dir = fixture("sample");
    let gh = run(&dir, SAMPLE_ARGS, "github");
    let report = json(&run(&dir, SAMPLE_ARGS, "json"));
    assert_eq!(gh.code, 1, "the sample has errors");

    let open: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .collect();
    let errored = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "error")
        .count();
    let lines: Vec<&str> = gh.stdout.lines().collect();
    assert_eq!(lines.len(), open.len() + errored + 1);

    for (line, f) in lines.iter().zip(&open) {
        let (command, props, message) = parse_command(line);
        assert_eq!(command, f["severity"].as_str().unwrap());
        let get = |k: &str| props.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
        assert_eq!(
            get("title"),
            Some(
                format!(
                    "{} {}",
                    f["code"].as_str().unwrap(),
                    f["rule"].as_str().unwrap()
                )
                .as_str()
            )
        );
        assert_eq!(message, f["message"].as_str().unwrap());
        match f.get("location") {
            Some(l) => {
                assert_eq!(get("file"), l["path"].as_str());
                assert_eq!(get("line"), Some(l["line"].to_string().as_str()));
            }
            None => assert!(get("file").is_none() && get("line").is_none()),
        }
    }

    let (command, props, message) = parse_command(lines.last().unwrap());
    assert_eq!(command, "notice");
    assert_eq!(props, [("title".to_string(), "omslint".to_string())]);
    let s = &report["summary"];
    let count = |n: &Value, one: &str| {
        let n = n.as_u64().unwrap();
        format!("{n} {one}{}", if n == 1 { "" } else { "s" })
    };
    let expected = format!(
        "{}, {}, {}",
        count(&s["error"], "error"),
        count(&s["warning"], "warning"),
        count(&s["notice"], "notice")
    );
    assert!(message.starts_with(&expected), "{message}");
}

/// (rule, fingerprint, uri, line) of every result.
fn identities(sarif: &Value) -> Vec<(String, String, String, u64)> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .unwrap()
                    .to_string(),
                p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                p["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_and_uris_do_not_depend_on_how_the_path_is_written() {
    let root = common::root();
    let abs = root.join("fixtures/sample");
    let abs = abs.to_str().unwrap();
    let spellings: Vec<(String, String)> = vec![
        ("fixtures/sample".into(), "fixtures/sample/backups".into()),
        (
            "./fixtures/sample".into(),
            "./fixtures/sample/backups".into(),
        ),
        (abs.to_string(), format!("{abs}/backups")),
        (
            "fixtures/../fixtures/sample/".into(),
            "fixtures/sample/./backups".into(),
        ),
    ];
    let mut seen: Option<Vec<(String, String, String, u64)>> = None;
    for (dir, backups) in &spellings {
        let out = run(&root, &["lint", dir, "--backup-dir", backups], "sarif");
        let sarif = json(&out);
        assert_valid_sarif(&sarif);
        assert_github_accepts(&sarif, &root);
        let ids = identities(&sarif);
        assert!(!ids.is_empty());
        for (rule, _, uri, _) in &ids {
            assert!(uri.starts_with("fixtures/sample/"), "{rule}: {uri}");
        }
        match &seen {
            None => seen = Some(ids),
            Some(first) => assert_eq!(&ids, first, "lint {dir}"),
        }
    }
    let first = seen.unwrap();

    // From inside the snapshot the URIs are shorter, the fingerprints the same.
    let inner = json(&run(abs.as_ref(), SAMPLE_ARGS, "sarif"));
    assert_github_accepts(&inner, Path::new(abs));
    let ids = identities(&inner);
    let fps = |v: &[(String, String, String, u64)]| -> Vec<String> {
        v.iter().map(|(r, f, _, _)| format!("{r} {f}")).collect()
    };
    assert_eq!(fps(&ids), fps(&first));
    for ((_, _, inner_uri, inner_line), (_, _, uri, line)) in ids.iter().zip(&first) {
        assert_eq!(format!("fixtures/sample/{inner_uri}"), *uri);
        assert_eq!(inner_line, line);
    }

    // Inputs outside the working directory: absolute file URIs, same fingerprints.
    let regions = root.join("fixtures/sample/regions");
    let outside = json(&run(
        &regions,
        &["lint", "..", "--backup-dir", "../backups"],
        "sarif",
    ));
    assert_valid_sarif(&outside);
    assert_github_accepts(&outside, &regions);
    let ids = identities(&outside);
    assert_eq!(fps(&ids), fps(&first));
    let mut absolute = 0;
    for ((_, _, out_uri, _), (_, _, uri, _)) in ids.iter().zip(&first) {
        if out_uri.starts_with("file:///") {
            absolute += 1;
            assert!(out_uri.ends_with(uri.as_str()), "{out_uri} vs {uri}");
        } else {
            assert!(
                out_uri.starts_with("hangzhou/") || out_uri.starts_with("shanghai/"),
                "{out_uri}"
            );
        }
    }
    assert!(absolute > 0);
}

#[test]
fn every_result_points_at_the_file_that_holds_its_fact() {
    let dir = fixture("sample");
    let sarif = json(&run(&dir, SAMPLE_ARGS, "sarif"));
    let report = json(&run(&dir, SAMPLE_ARGS, "json"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    let dump_of = |db: &str| format!("metadb/{db}.sql");
    for (r, f) in results.iter().zip(findings) {
        let p = &r["locations"][0]["physicalLocation"];
        let uri = p["artifactLocation"]["uri"].as_str().unwrap();
        let line = p["region"]["startLine"].as_u64().unwrap();
        let subject = &f["subject"];
        let want: (String, Option<u64>) = match (
            f["code"].as_str().unwrap(),
            subject["kind"].as_str().unwrap(),
        ) {
            // A backup that is not usable: the backup file.
            ("OMS011", _) => (f["evidence"]["file"].as_str().unwrap().to_string(), Some(1)),
            // Projects, and ha.config: the rm database's dump.
            (_, "project" | "sync-project") | ("OMS008" | "OMS009", _) => {
                (dump_of("rm_340"), Some(1))
            }
            // A config_job component: the cm database's dump.
            (_, "component") => (dump_of("cm_340"), Some(1)),
            (_, "database") => (dump_of(subject["id"].as_str().unwrap()), Some(1)),
            // cm_nodes: the key in the first region's config.yaml.
            ("OMS013", _) => {
                let text =
                    std::fs::read_to_string(dir.join("regions/hangzhou/config.yaml")).unwrap();
                let n = text
                    .lines()
                    .position(|l| l.starts_with("cm_nodes:"))
                    .unwrap() as u64
                    + 1;
                ("regions/hangzhou/config.yaml".into(), Some(n))
            }
            ("OMS016", _) => ("docker-inspect.json".into(), None),
            (code, kind) => panic!("no expectation for {code} on a {kind}"),
        };
        assert_eq!(uri, want.0, "{r}");
        if let Some(l) = want.1 {
            assert_eq!(line, l, "{r}");
        }
        if let Some(l) = f.get("location") {
            assert_eq!(uri, l["path"]);
            assert_eq!(line, l["line"].as_u64().unwrap());
        }
    }
    let codes: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for code in [
        "OMS003", "OMS007", "OMS008", "OMS010", "OMS011", "OMS013", "OMS014", "OMS016",
    ] {
        assert!(codes.contains(code), "the sample fires {code}");
    }
}

#[derive(serde::Deserialize)]
struct CaseArgs {
    #[serde(default)]
    args: Vec<String>,
}

#[test]
fn every_fixture_case_gives_a_log_github_accepts() {
    let cases = fixture("cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 50);
    let mut results = 0;
    for dir in &dirs {
        let case: CaseArgs =
            serde_saphyr::from_str(&std::fs::read_to_string(dir.join("case.yaml")).unwrap())
                .unwrap();
        let mut args = vec!["lint", "."];
        args.extend(case.args.iter().map(String::as_str));
        let out = run(dir, &args, "sarif");
        let sarif = json(&out);
        assert_valid_sarif(&sarif);
        assert_github_accepts(&sarif, dir);
        results += sarif["runs"][0]["results"].as_array().unwrap().len();
    }
    assert!(results > dirs.len() / 2, "{results} results");
}

#[test]
fn a_multi_hop_path_gives_each_hop_its_own_fingerprint() {
    let dir = fixture("sample");
    let sarif = json(&run(
        &dir,
        &["lint", ".", "--from", "3.1.0", "--to", "4.3.1"],
        "sarif",
    ));
    assert_valid_sarif(&sarif);
    assert_github_accepts(&sarif, &dir);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let per_hop: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "OMS010").collect();
    assert_eq!(per_hop.len(), 2, "one OMS010 per hop");
    assert_ne!(
        per_hop[0]["partialFingerprints"],
        per_hop[1]["partialFingerprints"]
    );
    assert_ne!(
        per_hop[0]["properties"]["hop"],
        per_hop[1]["properties"]["hop"]
    );
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "omslint/3.1.0-4.3.1/"
    );
}
