//! Rule metadata and documentation: one YAML file per rule under `rules/`, compiled into
//! the binary so `omslint rules` and `omslint explain` work from any directory.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::Severity;

#[derive(Debug, Clone, Deserialize)]
pub struct FixMeta {
    pub kind: String,
    pub applicability: String,
}

/// A passage a reader can open: the guide as OceanBase publishes it (product, version,
/// edition and page title), the section, and the words quoted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub guide: String,
    pub section: String,
    pub quote: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
    pub safety: String,
    pub refines: String,
    /// Which facts an earlier hop of a path may change, so that the reader knows what to
    /// lint again between hops (or that the verdict does not depend on the hop).
    pub hops: String,
    pub sources: Vec<SourceRef>,
}

/// The command whose engine runs a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// `omslint lint` (and `plan`): before the upgrade.
    #[default]
    Lint,
    /// `omslint verify`: after the upgrade or the rollback (SPEC §8).
    Verify,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Lint => "lint",
            Command::Verify => "verify",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RuleMeta {
    pub code: String,
    pub name: String,
    pub severity: String,
    pub summary: String,
    pub applies_to: String,
    pub subject: String,
    /// Which command runs it: `lint` (the default) or `verify`.
    #[serde(default)]
    pub command: Command,
    pub fix: FixMeta,
    pub docs: Docs,
}

impl RuleMeta {
    pub fn default_severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::Error)
    }

    pub fn fixable(&self) -> &str {
        match self.fix.applicability.as_str() {
            "none" | "" => "no",
            other => other,
        }
    }

    /// The text `omslint explain` prints.
    pub fn explain(&self) -> String {
        let mut out = format!(
            "{} ({}) — {}\n\n{}Default severity: {}\nApplies to: {}\nFix: {}{}\n",
            self.code,
            self.name,
            self.summary,
            match self.command {
                Command::Lint => "",
                Command::Verify => "Command: omslint verify (after the upgrade or the rollback)\n",
            },
            self.severity,
            self.applies_to,
            self.fix.kind,
            match self.fix.applicability.as_str() {
                "none" | "" => String::new(),
                a => format!(" ({a})"),
            }
        );
        let mut section = |title: &str, body: &str| {
            let body = body.trim();
            if !body.is_empty() {
                out.push_str(&format!("\n## {title}\n{body}\n"));
            }
        };
        section("What it does", &self.docs.what);
        section("Why it matters", &self.docs.why);
        section("Example", &self.docs.example);
        section("How to fix", &self.docs.fix);
        section("Fix safety", &self.docs.safety);
        section("Where it refines the guides", &self.docs.refines);
        section("Across hops", &self.docs.hops);
        if !self.docs.sources.is_empty() {
            out.push_str("\n## Sources\n");
            for s in &self.docs.sources {
                out.push_str(&format!(
                    "- {}, {}: \"{}\"\n",
                    s.guide.trim(),
                    s.section.trim(),
                    s.quote.trim()
                ));
            }
        }
        out
    }
}

macro_rules! rule_files {
    ($($file:literal),* $(,)?) => {
        [$(($file, include_str!(concat!("../rules/", $file)))),*]
    };
}

const RULE_FILES: [(&str, &str); 24] = rule_files![
    "OMS001-unsupported-upgrade-path.yaml",
    "OMS002-console-port-change.yaml",
    "OMS003-duplicate-project-name.yaml",
    "OMS004-oblogproxy-task.yaml",
    "OMS005-incr-sync-missing-dbtype.yaml",
    "OMS006-incr-sync-missing-checkpoint.yaml",
    "OMS007-blackregionno-conflict.yaml",
    "OMS008-ha-enabled.yaml",
    "OMS009-store-refetch-window.yaml",
    "OMS010-heartbeat-table-bloat.yaml",
    "OMS011-backup-missing.yaml",
    "OMS012-config-inconsistent.yaml",
    "OMS013-cm-nodes-differ.yaml",
    "OMS014-project-not-ready.yaml",
    "OMS015-datahub-task-hidden.yaml",
    "OMS016-mount-paths.yaml",
    "OMS101-project-lost.yaml",
    "OMS102-project-state-regressed.yaml",
    "OMS103-version-not-recorded.yaml",
    "OMS104-ha-not-restored.yaml",
    "OMS105-server-not-online.yaml",
    "OMS106-datasource-lost.yaml",
    "OMS107-component-setting-lost.yaml",
    "OMS108-rollback-differs.yaml",
];

/// Every rule's metadata, lint's and verify's, in code order.
pub fn catalog() -> &'static [RuleMeta] {
    static CATALOG: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        RULE_FILES
            .iter()
            .map(|(file, text)| {
                // Embedded at build time and checked by a test: a failure is a build defect.
                serde_saphyr::from_str(text)
                    .unwrap_or_else(|e| panic!("rules/{file} is not valid rule metadata: {e}"))
            })
            .collect()
    })
}

/// Finds a rule by code (`OMS003`, `oms3`) or name (`duplicate-project-name`).
pub fn lookup(key: &str) -> Option<&'static RuleMeta> {
    // Reports and settings look up every finding's own code: tens of thousands of times
    // on a large MetaDB, so the exact code is tried before anything is allocated.
    if let Some(m) = catalog().iter().find(|m| m.code == key) {
        return Some(m);
    }
    let k = key.trim();
    let by_num = k
        .to_ascii_uppercase()
        .strip_prefix("OMS")
        .and_then(|n| n.parse::<u32>().ok());
    catalog().iter().find(|m| {
        m.code.eq_ignore_ascii_case(k)
            || m.name.eq_ignore_ascii_case(k)
            || by_num.is_some_and(|n| m.code[3..].parse::<u32>().ok() == Some(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_file_parses_and_matches_its_name() {
        let cat = catalog();
        assert_eq!(cat.len(), 24);
        assert_eq!(
            cat.iter().filter(|m| m.command == Command::Verify).count(),
            8,
            "OMS101–OMS108 are verify's"
        );
        for m in cat {
            let verify = m.code.as_str() >= "OMS101";
            assert_eq!(m.command == Command::Verify, verify, "{}: command", m.code);
        }
        for (m, (file, _)) in cat.iter().zip(RULE_FILES.iter()) {
            assert_eq!(*file, format!("{}-{}.yaml", m.code, m.name));
            assert!(Severity::parse(&m.severity).is_some(), "{file}: severity");
            assert!(!m.docs.what.trim().is_empty(), "{file}: docs.what");
            assert!(!m.docs.sources.is_empty(), "{file}: a guide passage");
            assert!(!m.docs.hops.trim().is_empty(), "{file}: docs.hops");
            // A user opens the guides OceanBase publishes, not this repository's files.
            let text = m.explain();
            for private in ["seeds/", ".txt", "shared/", "OMS-FACTS"] {
                assert!(!text.contains(private), "{file} cites {private}");
            }
            for s in &m.docs.sources {
                assert!(
                    !s.section.trim().is_empty() && !s.quote.trim().is_empty(),
                    "{file}"
                );
            }
        }
    }

    #[test]
    fn lookup_by_code_number_or_name() {
        assert_eq!(
            lookup("OMS003").map(|m| m.name.as_str()),
            Some("duplicate-project-name")
        );
        assert_eq!(lookup("oms3").map(|m| m.code.as_str()), Some("OMS003"));
        assert_eq!(
            lookup("ha-enabled").map(|m| m.code.as_str()),
            Some("OMS008")
        );
        assert!(lookup("OMS999").is_none());
        assert_eq!(lookup("oms108").map(|m| m.command), Some(Command::Verify));
        assert_eq!(
            lookup("rollback-differs").map(|m| m.code.as_str()),
            Some("OMS108")
        );
    }
}
