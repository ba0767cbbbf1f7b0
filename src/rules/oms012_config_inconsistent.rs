//! OMS012: config.yaml problems the upgrade trips over.

use std::collections::BTreeMap;

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::facts::{ConfigFile, Region};
use crate::finding::{Applicability, Finding, Fix, FixKind, Location, Severity, Subject};
use crate::fix::patch;

const REQUIRED: [&str; 9] = [
    "oms_meta_host",
    "oms_meta_port",
    "oms_meta_user",
    "drc_rm_db",
    "drc_cm_db",
    "drc_cm_heartbeat_db",
    "cm_url",
    "cm_location",
    "cm_nodes",
];

/// Keys every region shares (OMS-FACTS.md: the meta connection, drc_rm_db, drc_cm_db).
const SHARED: [&str; 5] = [
    "oms_meta_host",
    "oms_meta_port",
    "oms_meta_user",
    "drc_rm_db",
    "drc_cm_db",
];

struct Checker<'a, 'c> {
    ctx: &'a Context<'c>,
    meta: &'static RuleMeta,
    out: Vec<Finding>,
}

impl Checker<'_, '_> {
    fn report(
        &mut self,
        subject: Subject,
        file: Option<(&ConfigFile, &str)>,
        message: String,
    ) -> &mut Finding {
        let mut f = finding(self.meta, Severity::Error, subject, message);
        if let Some((c, key)) = file {
            f.location = Some(match c.span_of(key) {
                Some(s) => s.into(),
                None => Location {
                    path: c.path.display().to_string(),
                    line: 1,
                    column: 0,
                },
            });
        }
        self.out.push(f);
        self.out.last_mut().expect("just pushed")
    }

    fn patch(&mut self, c: &ConfigFile, key: &str, new_value: &str, why: &str) -> Option<Fix> {
        let e = c.get(key)?;
        let edit = patch::edit_value(&c.path, &c.redacted_text, e.key_line, key, new_value)?;
        Some(Fix {
            kind: FixKind::ConfigPatch,
            applicability: Applicability::Safe,
            description: format!("set {key} to {new_value} in {} ({why})", c.path.display()),
            database: None,
            sql: None,
            rollback_sql: None,
            patch: Some(patch::unified_diff(&edit)),
            apply: Some(crate::finding::Apply::LineEdit(edit)),
        })
    }

    fn file(&mut self, region: &Region, c: &ConfigFile, multi: bool) {
        let subject = || Subject::new("region", &region.id);
        let mut required: Vec<&str> = REQUIRED.to_vec();
        if multi {
            required.push("cm_region");
        }
        for key in required {
            let present = c.get(key).is_some_and(|e| match &e.value {
                crate::facts::ConfigValue::Null => false,
                crate::facts::ConfigValue::Str(s) => !s.trim().is_empty(),
                crate::facts::ConfigValue::List(l) => !l.is_empty(),
                _ => true,
            });
            if !present {
                self.report(
                    subject(),
                    Some((c, key)),
                    format!(
                        "{} has no {key}: the new container reads it at start",
                        c.path.display()
                    ),
                );
            }
        }
        for (_, line, column, why) in c.value_problems() {
            let f = self.report(
                subject(),
                None,
                format!("{why}: a value that is not what its key says can reach no command of the runbook; correct it in {}", c.path.display()),
            );
            f.location = Some(Location {
                path: c.path.display().to_string(),
                line,
                column,
            });
        }
        if let Some(e) = c.get("cm_location") {
            match e.value.as_int() {
                Some(l) if (0..=127).contains(&l) => {
                    let to = self.ctx.to();
                    if l != 0 && to.release() == (3, 2, 1) && self.ctx.from() < to {
                        // With several regions, 0 everywhere repeats cm_location, which this
                        // rule reports too: a fix that trades one error for another is not
                        // safe, so none is offered.
                        let fix = if multi {
                            None
                        } else {
                            self.patch(c, "cm_location", "0", "upgrades to 3.2.1 require 0")
                        };
                        let f = self.report(
                            subject(),
                            Some((c, "cm_location")),
                            if multi {
                                format!("cm_location is {l}: an upgrade to 3.2.1 from an older version requires cm_location 0, and with several regions each region needs its own cm_location: no value satisfies both; ask OMS support how to take this deployment to 3.2.1")
                            } else {
                                format!("cm_location is {l}: an upgrade to 3.2.1 from an older version requires cm_location 0")
                            },
                        );
                        f.fix = fix.map(Box::new);
                    }
                }
                _ => {
                    self.report(
                        subject(),
                        Some((c, "cm_location")),
                        format!(
                            "cm_location must be an integer region code in 0..127, not {}",
                            e.value
                                .scalar_text()
                                .unwrap_or_else(|| "a list or mapping".into())
                        ),
                    );
                }
            }
        }
        if let Some(url) = c.text("cm_url") {
            let port = url_port(&url);
            if port != Some(8088) {
                let fixed = with_port(&url, 8088);
                let fix = fixed
                    .as_deref()
                    .and_then(|u| self.patch(c, "cm_url", u, "the CM listens on 8088"));
                let f = self.report(
                    subject(),
                    Some((c, "cm_url")),
                    format!(
                        "cm_url {url} is not on port 8088 (port {}): the CM service listens on 8088",
                        port.map_or("none".into(), |p| p.to_string())
                    ),
                );
                f.fix = fix.map(Box::new);
                f.evidence.insert("cm_url".into(), url.into());
            }
        }
    }
}

/// The port of `http://host:port[/…]`, 80/443 by scheme when none is written.
fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.trim().split_once("://").unwrap_or(("http", url.trim()));
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    match host.rsplit_once(':') {
        Some((_, p)) => p.parse().ok(),
        None => match scheme.to_ascii_lowercase().as_str() {
            "https" => Some(443),
            _ => Some(80),
        },
    }
}

fn with_port(url: &str, port: u16) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
    Some(format!("{scheme}://{bare}:{port}{path}"))
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let d = ctx.deployment;
    if d.configs.is_empty() {
        return Outcome::Skipped("no config.yaml given".into());
    }
    if let Err(o) = super::common::metadb_readable(ctx) {
        return o;
    }
    let mut ck = Checker {
        ctx,
        meta,
        out: Vec::new(),
    };
    let multi = d.regions.len() > 1;
    for r in &d.regions {
        for &i in &r.configs {
            ck.file(r, &d.configs[i], multi);
        }
    }
    // Across regions: one config per region speaks for it.
    let firsts: Vec<(&Region, &ConfigFile)> = d
        .regions
        .iter()
        .filter_map(|r| d.region_config(r).map(|c| (r, c)))
        .collect();
    for (key, what) in [
        ("cm_location", "region code"),
        ("drc_cm_heartbeat_db", "heartbeat database"),
    ] {
        let mut seen: BTreeMap<String, Vec<&Region>> = BTreeMap::new();
        for (r, c) in &firsts {
            if let Some(v) = c.text(key) {
                seen.entry(v).or_default().push(r);
            }
        }
        for (v, regions) in seen.into_iter().filter(|(_, rs)| rs.len() > 1) {
            let ids: Vec<String> = regions.iter().map(|r| r.id.clone()).collect();
            ck.report(
                Subject::deployment(),
                None,
                format!(
                    "{key} {v} is used by regions {}: each region needs its own {what}",
                    ids.join(", ")
                ),
            )
            .evidence
            .insert("regions".into(), ids.into());
        }
    }
    if multi {
        let defaults: Vec<String> = firsts
            .iter()
            .filter(|(_, c)| {
                c.get("cm_is_default")
                    .and_then(|e| e.value.as_bool())
                    .unwrap_or(true)
            })
            .map(|(r, _)| r.id.clone())
            .collect();
        if defaults.len() != 1 {
            ck.report(
                Subject::deployment(),
                None,
                format!(
                    "exactly one region must have cm_is_default: true (it defaults to true when absent); {} do: {}",
                    defaults.len(),
                    if defaults.is_empty() { "none".to_string() } else { defaults.join(", ") }
                ),
            )
            .evidence
            .insert("default_regions".into(), defaults.into());
        }
        for key in SHARED {
            let values: BTreeMap<String, Vec<String>> =
                firsts.iter().fold(BTreeMap::new(), |mut m, (r, c)| {
                    if let Some(v) = c.text(key) {
                        m.entry(v).or_default().push(r.id.clone());
                    }
                    m
                });
            if values.len() > 1 {
                ck.report(
                    Subject::deployment(),
                    None,
                    format!(
                        "{key} differs across regions ({}): every region shares one MetaDB connection and the same rm and cm databases",
                        values.iter().map(|(v, rs)| format!("{v} in {}", rs.join("/"))).collect::<Vec<_>>().join("; ")
                    ),
                );
            }
        }
    }
    if !d.metadb.is_empty() {
        let present: Vec<&str> = d
            .metadb
            .databases
            .iter()
            .map(|db| db.name.as_str())
            .collect();
        for (r, c) in &firsts {
            for key in ["drc_rm_db", "drc_cm_db", "drc_cm_heartbeat_db"] {
                let Some(name) = c.text(key) else { continue };
                if !present.contains(&name.as_str()) {
                    ck.report(
                        Subject::new("region", &r.id),
                        Some((c, key)),
                        format!(
                            "{key} names database {name}, which is not in the MetaDB sources ({})",
                            present.join(", ")
                        ),
                    );
                }
            }
        }
    }
    let mut out = ck.out;
    crate::finding::sort_findings(&mut out);
    out.dedup_by(|a, b| a.message == b.message && a.subject == b.subject);
    Outcome::Ran(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_of_cm_urls() {
        assert_eq!(url_port("http://10.0.0.1:8088"), Some(8088));
        assert_eq!(url_port("http://10.0.0.1"), Some(80));
        assert_eq!(url_port("https://vip.example/x"), Some(443));
        assert_eq!(url_port("http://10.0.0.1:80x"), None);
        assert_eq!(
            with_port("http://10.0.0.1:8080/", 8088).as_deref(),
            Some("http://10.0.0.1:8088/")
        );
        assert_eq!(
            with_port("http://vip", 8088).as_deref(),
            Some("http://vip:8088")
        );
    }
}
