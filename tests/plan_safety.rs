//! The runbook is exact for every topology and safe to paste (issue 10, SPEC §7): one
//! host one container, hostile values refused where they are read, Markdown that a real
//! CommonMark/GFM parser reads as intended, shell blocks that `bash -n` accepts, and every
//! finding of the hop in the runbook.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, json, omslint_in, Out};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> Out {
    omslint_in(dir, args)
}

fn steps(p: &Value) -> Vec<&Value> {
    let mut v: Vec<&Value> = p["hops"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["steps"].as_array().unwrap())
        .collect();
    v.extend(p["rollback"].as_array().unwrap());
    v
}

fn titles(p: &Value) -> Vec<String> {
    steps(p)
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect()
}

fn commands(s: &Value) -> String {
    let mut out = String::new();
    for key in ["commands", "container_commands"] {
        for c in s[key].as_array().into_iter().flatten() {
            out.push_str(c.as_str().unwrap());
            out.push('\n');
        }
    }
    out
}

/// A copy of a fixture in a fresh temporary directory.
fn copy_fixture(rel: &str, tag: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!(
        "omslint-plan-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    copy_dir(&fixture(rel), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let p = e.path();
        let to = dst.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &to);
        } else {
            std::fs::copy(&p, &to).unwrap();
        }
    }
}

/// Every fenced shell block of a Markdown document, as a real parser finds them.
fn shell_blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for ev in Parser::new_ext(md, Options::all()) {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if &*lang == "shell" => {
                cur = Some(String::new())
            }
            Event::Text(t) if cur.is_some() => cur.as_mut().unwrap().push_str(&t),
            Event::End(TagEnd::CodeBlock) => out.extend(cur.take()),
            _ => {}
        }
    }
    out
}

/// `bash -n` on the script, fed on standard input: tests run in parallel threads, and a
/// shared scratch file would mix their scripts.
fn bash_n(script: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bash");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "bash -n rejects:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn regions_that_share_their_nodes_handle_each_host_once() {
    let dir = fixture("topologies/shared-nodes");
    let out = run(
        &dir,
        &[
            "plan", ".", "--from", "3.4.0", "--to", "4.2.3", "--format", "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let p = json(&out);
    let t = titles(&p);
    let count = |prefix: &str| t.iter().filter(|x| x.starts_with(prefix)).count();
    assert_eq!(count("Stop the OMS 3.4.0 container on "), 2, "{t:?}");
    assert_eq!(count("Start the OMS container oms_423 on "), 2, "{t:?}");
    assert_eq!(count("Initialize the metadata on "), 1, "{t:?}");
    assert_eq!(count("Start the OMS console on "), 1, "{t:?}");
    assert_eq!(count("Restart the OMS 3.4.0 container on "), 2, "{t:?}");
    let all: String = steps(&p).iter().map(|s| commands(s)).collect();
    assert_eq!(all.matches("--name oms_423").count(), 2);
    assert_eq!(all.matches("bash /root/docker_init.sh").count(), 1);
    // The correction package: once per region on the shared first node, each time with
    // that region's config file, -ltrue only for the last.
    let jar: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("correction-1.0"))
        .collect();
    assert_eq!(jar.len(), 2, "{jar:?}");
    assert!(
        jar[0].contains("-y/home/admin/conf/config.region1.yaml -lfalse"),
        "{}",
        jar[0]
    );
    assert!(
        jar[1].contains("-y/home/admin/conf/config.region2.yaml -ltrue"),
        "{}",
        jar[1]
    );
    assert_eq!(all.matches("sudo docker cp ").count(), 2);
    // T1 is recorded once, on the first node.
    assert_eq!(all.matches("T1=").count(), 1);
    for s in steps(&p) {
        for n in s["checks"].as_array().unwrap() {
            assert!(!n.as_str().unwrap().contains("deployment deployment"));
        }
    }
    let md = run(&dir, &["plan", ".", "--from", "3.4.0", "--to", "4.2.3"]);
    for block in shell_blocks(&md.stdout) {
        bash_n(&block);
    }
}

/// (key, the line to write) for every config key whose value reaches a command.
const HOSTILE: [(&str, &str); 9] = [
    (
        "oms_meta_host",
        "oms_meta_host: \"10.0.0.100 $(touch /tmp/pwned)\"",
    ),
    ("oms_meta_port", "oms_meta_port: 99999"),
    ("oms_meta_user", "oms_meta_user: \"oms' -e 'system id\""),
    ("drc_rm_db", "drc_rm_db: \"rm_340; DROP DATABASE cm_340\""),
    ("drc_cm_db", "drc_cm_db: \"cm`id`\""),
    (
        "drc_cm_heartbeat_db",
        "drc_cm_heartbeat_db: \"cm_hb_340 > /etc/passwd\"",
    ),
    ("cm_region", "cm_region: \"<img src=x onerror=alert(1)>\""),
    ("cm_url", "cm_url: \"http://10.0.0.10:8088/$(id)\""),
    (
        "cm_nodes",
        "cm_nodes:\n  - \"10.0.0.1;reboot\"\n  - 10.0.0.2",
    ),
];

#[test]
fn a_hostile_config_value_stops_plan_and_is_an_oms012_finding() {
    for (key, line) in HOSTILE {
        let dir = copy_fixture("topologies/shared-nodes", key);
        let cfg = dir.join("regions/hz/config.yaml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        let mut lines: Vec<String> = Vec::new();
        let mut skip = false;
        let mut at = 0;
        for l in text.lines() {
            if skip && l.starts_with("  - ") {
                continue;
            }
            skip = false;
            if l.starts_with(&format!("{key}:")) {
                at = lines.len() + 1;
                lines.extend(line.lines().map(str::to_string));
                skip = key == "cm_nodes";
            } else {
                lines.push(l.to_string());
            }
        }
        assert!(at > 0, "{key} in the fixture");
        // A list's value starts on its first item's line.
        let at = if key == "cm_nodes" { at + 1 } else { at };
        std::fs::write(&cfg, lines.join("\n") + "\n").unwrap();

        let plan = run(&dir, &["plan", ".", "--from", "3.4.0", "--to", "4.2.3"]);
        assert_eq!(plan.code, 2, "{key}: {}{}", plan.stdout, plan.stderr);
        assert!(
            plan.stderr.contains(&format!("config.yaml:{at}:")),
            "{key}: {}",
            plan.stderr
        );
        assert!(plan.stdout.is_empty(), "{key}: no runbook is written");

        let lint = run(
            &dir,
            &[
                "lint", ".", "--from", "3.4.0", "--to", "4.2.3", "--format", "json",
            ],
        );
        let r = json(&lint);
        let hits: Vec<&Value> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "OMS012" && f["location"]["line"] == at)
            .filter(|f| {
                f["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{key}: "))
            })
            .collect();
        assert_eq!(hits.len(), 1, "{key}: {}", lint.stdout);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_hostile_docker_inspect_value_stops_plan_naming_its_line() {
    for (what, from, to) in [
        ("bind source", "/data/oms/oms_run", "/data/oms/run $(id)`x`"),
        ("container name", "/oms_340", "/oms_340;id"),
    ] {
        let dir = copy_fixture("topologies/shared-nodes", "inspect");
        let f = dir.join("docker-inspect.json");
        let text = std::fs::read_to_string(&f).unwrap();
        let json_from = serde_json::to_string(from).unwrap();
        let json_to = serde_json::to_string(to).unwrap();
        let line = text
            .lines()
            .position(|l| l.contains(&json_from))
            .expect("value in the fixture")
            + 1;
        std::fs::write(&f, text.replace(&json_from, &json_to)).unwrap();
        let plan = run(&dir, &["plan", ".", "--from", "3.4.0", "--to", "4.2.3"]);
        assert_eq!(plan.code, 2, "{what}: {}", plan.stderr);
        assert!(
            plan.stderr.contains(&format!("docker-inspect.json:{line}")),
            "{what}: {}",
            plan.stderr
        );
        assert!(plan.stderr.contains(what), "{}", plan.stderr);
        // lint reports it at the same line.
        let lint = run(
            &dir,
            &[
                "lint", ".", "--from", "3.4.0", "--to", "4.2.3", "--format", "json",
            ],
        );
        let r = json(&lint);
        assert!(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "OMS016"
                    && f["location"]["line"] == line
                    && f["message"].as_str().unwrap().starts_with(what)),
            "{what}: {}",
            lint.stdout
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// What a renderer makes of the Markdown: no HTML, no heading, link, emphasis or task
/// item that the inputs injected.
fn assert_inert(md: &str, who: &str) {
    for bad in ['\u{1b}', '\u{7}', '\r'] {
        assert!(!md.contains(bad), "{who}: raw {bad:?} in the Markdown");
    }
    let mut in_heading = false;
    let mut in_strong = false;
    let mut item_text = String::new();
    let mut in_item = false;
    for ev in Parser::new_ext(md, Options::all()) {
        match &ev {
            // `<br>` is the reports' own line break inside a table cell.
            Event::Html(h) | Event::InlineHtml(h) if &**h != "<br>" => {
                panic!("{who}: HTML element {h:?}")
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                assert!(!dest_url.contains("evil.example"), "{who}: injected link")
            }
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::Strong) => in_strong = true,
            Event::End(TagEnd::Strong) => in_strong = false,
            Event::Start(Tag::Item) => {
                in_item = true;
                item_text.clear();
            }
            Event::End(TagEnd::Item) => {
                assert!(
                    !item_text.starts_with("injected item"),
                    "{who}: injected list item"
                );
                in_item = false;
            }
            Event::Text(t) => {
                assert!(
                    !(in_heading && t.contains("Injected heading")),
                    "{who}: injected heading"
                );
                assert!(
                    !(in_strong && t.contains("bold")),
                    "{who}: injected emphasis"
                );
                if in_item {
                    item_text.push_str(t);
                }
            }
            _ => {}
        }
    }
    // The names are there, shown literally.
    assert!(md.contains("Injected heading"), "{who}");
    assert!(md.contains("onerror=alert(1)"), "{who}");
}

#[test]
fn hostile_project_names_render_as_text() {
    let dir = fixture("cases/OMS014-fires-hostile-names");
    let lint = run(
        &dir,
        &["lint", ".", "--to", "4.2.3", "--format", "markdown"],
    );
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    assert_inert(&lint.stdout, "lint --format markdown");
    let plan = run(&dir, &["plan", ".", "--to", "4.2.3"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_inert(&plan.stdout, "plan");
    for block in shell_blocks(&plan.stdout) {
        bash_n(&block);
    }
    // The terminal report shows control characters as escapes.
    let human = run(&dir, &["lint", ".", "--to", "4.2.3", "--color", "never"]);
    for bad in ['\u{1b}', '\u{7}', '\r'] {
        assert!(!human.stdout.contains(bad), "raw {bad:?} on the terminal");
    }
    assert!(human.stdout.contains("\\x1b[31m"), "{}", human.stdout);
}

#[test]
fn every_runbook_is_valid_shell() {
    for (dir, args) in [
        ("sample", vec!["--to", "4.2.3"]),
        ("sample", vec!["--from", "2.1.0", "--to", "4.2.3"]),
        (
            "cases/OMS001-quiet-ce",
            vec!["--from", "3.3.1-CE", "--to", "4.0.0-CE"],
        ),
        (
            "cases/OMS001-quiet-ce",
            vec!["--from", "4.2.4-CE", "--to", "4.2.6-CE"],
        ),
        (
            "topologies/shared-nodes",
            vec!["--from", "3.4.0", "--to", "4.3.1"],
        ),
    ] {
        let mut a = vec!["plan", "."];
        a.extend(args.iter().copied());
        let out = run(&fixture(dir), &a);
        assert_eq!(out.code, 0, "{dir} {args:?}: {}", out.stderr);
        let blocks = shell_blocks(&out.stdout);
        assert!(blocks.len() > 5, "{dir}");
        for b in blocks {
            bash_n(&b);
        }
    }
}

#[test]
fn warnings_and_notices_reach_the_runbook() {
    // 2.1.0 -> 3.2.1 -> 4.2.3: the console moves to port 8089 after the first hop.
    let out = run(
        &fixture("sample"),
        &[
            "plan", ".", "--from", "2.1.0", "--to", "4.2.3", "--format", "json",
        ],
    );
    let p = json(&out);
    let hop1 = &p["hops"][0];
    let port = hop1["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == "Tell the console's users what changed")
        .expect("OMS002 has its step");
    assert!(port["notes"][0].as_str().unwrap().contains("8089"));
    // 3.2.1 with DataHub tasks: raise them with support before the window.
    let out = run(
        &fixture("sample"),
        &[
            "plan", ".", "--from", "3.2.1", "--to", "4.2.3", "--format", "json",
        ],
    );
    let p = json(&out);
    let pre = p["preconditions"].as_array().unwrap();
    assert!(pre
        .iter()
        .any(|c| c["kind"] == "advice" && c["code"] == "OMS015"));
    assert!(pre
        .iter()
        .any(|c| c["kind"] == "advice" && c["code"] == "OMS013" || c["code"] == "OMS014"));
    // HA on now: the HA-off step says so.
    let ha = &p["hops"][0]["steps"][0];
    assert_eq!(ha["title"], "Turn HA off");
    assert!(ha["notes"][1].as_str().unwrap().starts_with("OMS008"));
}

#[test]
fn the_rollback_sizes_the_refetch_window_from_t1_to_the_restore() {
    let out = run(
        &fixture("sample"),
        &["plan", ".", "--to", "4.2.3", "--format", "json"],
    );
    let p = json(&out);
    let rb = p["rollback"].as_array().unwrap();
    let all: String = rb.iter().map(commands).collect();
    assert!(all.contains("T4="), "{all}");
    let ha = rb.iter().find(|s| s["title"] == "Turn HA on").unwrap();
    assert!(ha.to_string().contains("T4 − T1"), "{ha}");
    let recover = rb.last().unwrap();
    let text = recover.to_string();
    assert!(
        text.contains("JDBCWriter") && text.contains("connector"),
        "{text}"
    );
}

#[test]
fn a_multi_region_cm_location_patch_is_not_offered_as_safe() {
    // Upgrading to 3.2.1 wants cm_location 0; two regions cannot both have 0.
    let out = run(
        &fixture("sample"),
        &[
            "lint", ".", "--from", "3.1.0", "--to", "3.2.1", "--format", "json",
        ],
    );
    let r = json(&out);
    let hits: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OMS012" && f["message"].as_str().unwrap().contains("3.2.1"))
        .collect();
    assert_eq!(hits.len(), 2, "{}", out.stdout);
    for f in hits {
        assert!(f.get("fix").is_none(), "{f}");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("no value satisfies both"));
    }
}
