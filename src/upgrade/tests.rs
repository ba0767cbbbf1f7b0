//! Every documented hop of both editions against an oracle written from the guides'
//! own sentences (not from the YAML), and every case where omslint's knowledge ends.

use super::*;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

const ENTERPRISE: &[&str] = &[
    "2.1.0",
    "2.2.0",
    "3.1.0",
    "3.2.1",
    "3.2.2",
    "3.3.0",
    "3.3.1",
    "3.4.0",
    "4.0.1",
    "4.0.1 BP1",
    "4.0.2",
    "4.1.0",
    "4.2.0",
    "4.2.1",
    "4.2.1 BP1",
    "4.2.2",
    "4.2.3",
    "4.2.4",
    "4.2.5",
    "4.3.0",
    "4.3.0 BP1",
    "4.3.1",
    "4.3.2",
];

const CE: &[&str] = &[
    "3.2.2-CE",
    "3.3.0-CE",
    "3.3.1-CE",
    "4.0.0-CE",
    "4.1.0-CE",
    "4.1.1-CE",
    "4.2.0-CE",
    "4.2.1-CE",
    "4.2.2-CE",
    "4.2.3-CE",
    "4.2.4-CE",
    "4.2.5-CE",
    "4.2.6-CE",
    "4.2.7-CE",
    "4.2.8-CE",
    "4.2.9-CE",
    "4.2.10-CE",
    "4.2.11-CE",
    "4.2.12-CE",
];

/// OMS-FACTS: "3.2.1 and later go directly to 3.4.0, 4.0.x, 4.2.x, 4.3.x"; older
/// versions go to 3.2.1 first.
fn enterprise_documented(from: Version, to: Version) -> bool {
    let r = to.release();
    let series = r.0 == 4 && matches!(r.1, 0 | 2 | 3) || r == (3, 4, 0);
    if from < v("3.2.1") {
        to == v("3.2.1")
    } else {
        to > from && series
    }
}

/// SPEC §3: 4.0.2 is the boundary for 4.2.x targets, 4.0.1 for 4.3.x; no guide of a
/// 4.0.x target says.
fn enterprise_correction(from: Version, to: Version) -> Fork<bool> {
    match (to.major, to.minor) {
        (4, 0) => Fork::Unknown,
        (4, 2) => Fork::Known(from >= v("3.2.1") && from < v("4.0.2")),
        (4, 3) => Fork::Known(from >= v("3.2.1") && from < v("4.0.1")),
        _ => Fork::Known(false),
    }
}

/// OMS-FACTS's CE list, one pair per documented hop.
fn ce_documented(from: Version, to: Version) -> bool {
    let (f, t) = (from.release(), to.release());
    match t {
        (3, 3, 0) => f == (3, 2, 2),
        (3, 3, 1) => f == (3, 3, 0),
        (4, 0, 0) => matches!(f, (3, 2, 2) | (3, 3, 0) | (3, 3, 1)),
        (4, 1, 0) => ((3, 2, 2)..=(4, 0, 0)).contains(&f),
        (4, 2, 0) => f == (4, 1, 1),
        (4, 2, 1) => f == (4, 2, 0),
        (4, 2, 2) => f == (4, 2, 1),
        (4, 2, 6) => f == (4, 2, 4),
        (4, 2, 9) => ((4, 2, 0)..=(4, 2, 8)).contains(&f),
        _ => false,
    }
}

#[test]
fn every_enterprise_hop_and_its_forks() {
    let g = UpgradeGraph::builtin();
    let mut documented = 0;
    for f in ENTERPRISE.iter().map(|s| v(s)) {
        for t in ENTERPRISE.iter().map(|s| v(s)) {
            let expect = enterprise_documented(f, t);
            let p = g.path(f, t);
            let proc = g.procedure(f, t);
            assert_eq!(proc.is_some(), expect, "{f} -> {t}: documented?");
            if !expect {
                assert_ne!(p.problem, None, "{f} -> {t} must not pass");
                continue;
            }
            documented += 1;
            assert_eq!(p.problem, None, "{f} -> {t}");
            assert_eq!(p.hops, vec![f, t]);
            let proc = proc.unwrap();
            assert_eq!(proc.edition, Edition::Enterprise);
            assert_eq!(
                proc.correction_package,
                enterprise_correction(f, t),
                "{f} -> {t}"
            );
            let swap = t >= v("4.2.0");
            assert_eq!(
                proc.heartbeat_cleanup,
                Fork::Known(if swap { Cleanup::Swap } else { Cleanup::Delete }),
                "{f} -> {t}"
            );
            assert_eq!(proc.docker_init, Fork::Known(DockerInit::Once));
            assert_eq!(proc.is_upgrade, t >= v("3.3.1"));
            assert!(
                proc.image_tag.starts_with("feature_4") || proc.image_tag.starts_with("feature_3")
            );
            assert!(!proc.image_tag.contains("ce"), "{}", proc.image_tag);
            assert!(!proc.guide.is_empty() && !proc.hop_source.is_empty());
        }
    }
    // 3 old sources to 3.2.1, and every pair of known 3.2.1+ versions into the series.
    assert!(documented > 100, "{documented}");
}

#[test]
fn every_ce_hop_and_its_forks() {
    let g = UpgradeGraph::builtin();
    let mut documented = 0;
    for f in CE.iter().map(|s| v(s)) {
        for t in CE.iter().map(|s| v(s)) {
            let expect = ce_documented(f, t);
            assert_eq!(g.procedure(f, t).is_some(), expect, "{f} -> {t}");
            let p = g.path(f, t);
            if !expect {
                assert_ne!(p.problem, None, "{f} -> {t} must not pass");
                continue;
            }
            documented += 1;
            assert_eq!(p.problem, None, "{f} -> {t}");
            let proc = g.procedure(f, t).unwrap();
            assert_eq!(proc.edition, Edition::Ce);
            assert_eq!(proc.is_upgrade, t >= v("3.3.1-CE"));
            assert!(proc.image_tag.ends_with("-ce"), "{}", proc.image_tag);
            let r = t.release();
            if matches!(
                r,
                (3, 3, 1) | (4, 0, 0) | (4, 1, 0) | (4, 2, 0) | (4, 2, 1) | (4, 2, 2)
            ) {
                // The CE guides (oceanbase/oms-doc): no correction package, DELETE, once
                // per region.
                assert_eq!(proc.correction_package, Fork::Known(false));
                assert_eq!(proc.heartbeat_cleanup, Fork::Known(Cleanup::Delete));
                assert_eq!(proc.docker_init, Fork::Known(DockerInit::PerRegion));
                assert_eq!(
                    proc.image_tag,
                    format!("feature_{}.{}.{}-ce", r.0, r.1, r.2)
                );
            } else if r == (3, 3, 0) {
                // The V3.3.0-CE guide says nothing of the nodes docker_init.sh runs on.
                assert_eq!(proc.correction_package, Fork::Known(false));
                assert_eq!(proc.heartbeat_cleanup, Fork::Known(Cleanup::Delete));
                assert_eq!(proc.docker_init, Fork::Unknown);
            } else {
                // No CE guide: nothing is borrowed from the Enterprise guides.
                assert_eq!(proc.correction_package, Fork::Unknown, "{f} -> {t}");
                assert_eq!(proc.heartbeat_cleanup, Fork::Unknown);
                assert_eq!(proc.docker_init, Fork::Unknown);
            }
        }
    }
    assert_eq!(documented, 1 + 1 + 3 + 4 + 1 + 1 + 1 + 1 + 9);
}

#[test]
fn paths_through_stops_and_every_unknown() {
    let g = UpgradeGraph::builtin();
    let cases: &[(&str, &str, Option<PathProblem>, &str)] = &[
        (
            "2.1.0",
            "4.2.3",
            Some(PathProblem::NeedsStops),
            "2.1.0 → 3.2.1 → 4.2.3",
        ),
        (
            "3.1.0",
            "4.3.1",
            Some(PathProblem::NeedsStops),
            "3.1.0 → 3.2.1 → 4.3.1",
        ),
        ("2.2.0", "3.2.1", None, "2.2.0 → 3.2.1"),
        (
            "3.2.2-CE",
            "3.3.1-CE",
            Some(PathProblem::NeedsStops),
            "3.2.2-CE → 3.3.0-CE → 3.3.1-CE",
        ),
        (
            "4.2.0-CE",
            "4.2.2-CE",
            Some(PathProblem::NeedsStops),
            "4.2.0-CE → 4.2.1-CE → 4.2.2-CE",
        ),
        // A target below the required stop from a source below it.
        (
            "2.1.0",
            "3.1.0",
            Some(PathProblem::BelowRequiredStop { stop: v("3.2.1") }),
            "2.1.0 → 3.1.0",
        ),
        // Releases no guide covers.
        (
            "4.2.3",
            "4.4.0",
            Some(PathProblem::UnknownTarget),
            "4.2.3 → 4.4.0",
        ),
        (
            "4.2.3",
            "9.9.9",
            Some(PathProblem::UnknownTarget),
            "4.2.3 → 9.9.9",
        ),
        (
            "4.2.6",
            "4.3.1",
            Some(PathProblem::UnknownSource),
            "4.2.6 → 4.3.1",
        ),
        // Known versions, no documented hop.
        ("3.2.1", "3.3.0", Some(PathProblem::NoPath), "3.2.1 → 3.3.0"),
        (
            "4.0.0-CE",
            "4.2.2-CE",
            Some(PathProblem::NoPath),
            "4.0.0-CE → 4.2.2-CE",
        ),
        (
            "4.0.0-CE",
            "4.2.3-CE",
            Some(PathProblem::NoPath),
            "4.0.0-CE → 4.2.3-CE",
        ),
        (
            "4.1.0-CE",
            "4.2.9-CE",
            Some(PathProblem::NoPath),
            "4.1.0-CE → 4.2.9-CE",
        ),
        (
            "4.2.2-CE",
            "4.2.3-CE",
            Some(PathProblem::NoPath),
            "4.2.2-CE → 4.2.3-CE",
        ),
        (
            "4.1.0-CE",
            "4.1.1-CE",
            Some(PathProblem::FreshOnly),
            "4.1.0-CE → 4.1.1-CE",
        ),
        (
            "4.2.3",
            "4.2.3",
            Some(PathProblem::NotNewer),
            "4.2.3 → 4.2.3",
        ),
        (
            "4.2.3",
            "4.0.2",
            Some(PathProblem::NotNewer),
            "4.2.3 → 4.0.2",
        ),
        (
            "3.4.0",
            "4.2.9-CE",
            Some(PathProblem::EditionChange),
            "3.4.0 → 4.2.9-CE",
        ),
        (
            "4.0.0-CE",
            "4.2.3",
            Some(PathProblem::EditionChange),
            "4.0.0-CE → 4.2.3",
        ),
    ];
    for (f, t, problem, display) in cases {
        let p = g.path(v(f), v(t));
        assert_eq!(&p.problem, problem, "{f} -> {t}");
        assert_eq!(p.display(), *display);
        assert_eq!(
            p.documented(),
            matches!(problem, None | Some(PathProblem::NeedsStops))
        );
        if problem.is_some() {
            assert!(g.explain(&p).is_some());
        }
    }
}

#[test]
fn messages_name_what_is_known() {
    let g = UpgradeGraph::builtin();
    let say = |f: &str, t: &str| g.explain(&g.path(v(f), v(t))).unwrap();
    assert_eq!(
        say("4.2.3", "4.4.0"),
        "no upgrade guide covers 4.4.0; the newest known Enterprise target is 4.3.2"
    );
    assert!(say("4.2.6", "4.3.1").contains("4.2.6 is not a Enterprise version omslint knows"));
    let below = say("2.1.0", "3.1.0");
    assert!(below.contains("3.2.1 is a required stop"), "{below}");
    let none = say("4.0.0-CE", "4.2.2-CE");
    assert!(none.contains("4.2.2-CE is reached from 4.2.1-CE"), "{none}");
    assert!(
        none.contains("from 4.0.0-CE the documented targets are 4.1.0-CE"),
        "{none}"
    );
}

#[test]
fn correction_package_boundaries_are_per_target() {
    let g = UpgradeGraph::builtin();
    let fork = |f: &str, t: &str| g.procedure(v(f), v(t)).unwrap().correction_package;
    assert_eq!(fork("3.4.0", "4.2.3"), Fork::Known(true));
    assert_eq!(fork("4.0.1 BP1", "4.2.3"), Fork::Known(true));
    assert_eq!(fork("4.0.2", "4.2.3"), Fork::Known(false));
    assert_eq!(fork("4.0.1", "4.3.1"), Fork::Known(false));
    assert_eq!(fork("4.0.1 BP1", "4.3.1"), Fork::Known(false));
    assert_eq!(fork("3.3.1", "4.3.1"), Fork::Known(true));
    assert_eq!(fork("3.2.1", "3.4.0"), Fork::Known(false));
    assert_eq!(fork("3.4.0", "4.0.2"), Fork::Unknown);
    // 2.1.0 -> 4.2.3 is not one hop: the second hop starts at 3.2.1 and takes the fork.
    assert!(g.procedure(v("2.1.0"), v("4.2.3")).is_none());
    assert_eq!(fork("3.2.1", "4.2.3"), Fork::Known(true));
}

#[test]
fn image_tags_follow_each_editions_spelling() {
    let g = UpgradeGraph::builtin();
    let tag = |f: &str, t: &str| g.procedure(v(f), v(t)).unwrap().image_tag;
    assert_eq!(tag("3.4.0", "4.2.3"), "feature_4.2.3");
    assert_eq!(tag("4.2.3", "4.3.0 BP1"), "feature_4.3.0_BP1");
    assert_eq!(tag("3.3.1-CE", "4.0.0-CE"), "feature_4.0.0-ce");
}

fn load(text: &str) -> Result<UpgradeGraph> {
    UpgradeGraph::parse(text, Path::new("site-paths.yaml"))
}

#[test]
fn a_site_graph_is_validated() {
    let good = DEFAULT_PATHS;
    assert!(load(good).is_ok());
    let cases = [
        (
            good.replace(
                "\"4.3.2\"]\n    known_source",
                "\"4.3.2\", \"4.4\"]\n    known_source",
            ),
            "4.4",
        ),
        (
            good.replace(
                "to: [\"3.2.1\"]\n        source",
                "to: [\"3.2.9\"]\n        source",
            ),
            "3.2.9 is not listed under `known`",
        ),
        (
            good.replace("heartbeat_cleanup: swap", "heartbeat_cleanup: truncate"),
            "not swap, delete or unknown",
        ),
        (
            good.replace("schema_version: 1", "schema_version: 2"),
            "schema_version 2",
        ),
        (
            good.replace("docker_init: per-region", "docker_init: everywhere"),
            "not once, per-region or unknown",
        ),
        (
            good.replace(
                "    fresh_only: []\n",
                "    fresh_only: []\n    extrapolate: true\n",
            ),
            "extrapolate",
        ),
        (
            good.replace("      - to: [\"3.4.0\"]\n", "      - to: [\"3.4.1\"]\n"),
            "3.4.1",
        ),
    ];
    for (text, expect) in cases {
        let err = load(&text).expect_err(expect).to_string();
        assert!(err.starts_with("site-paths.yaml:"), "{err}");
        assert!(err.contains(expect), "{err} should mention {expect}");
    }
    // A hop target without a procedure is refused.
    let orphan = good.replace("      - to: [\"3.4.0\"]\n", "      - to: []\n");
    let err = load(&orphan).unwrap_err().to_string();
    assert!(err.contains("3.4.0 has no entry under `targets`"), "{err}");
}

#[test]
fn a_site_graph_can_add_a_release() {
    let text = DEFAULT_PATHS
        .replace(
            "\"4.3.1\", \"4.3.2\"]\n    known_source",
            "\"4.3.1\", \"4.3.2\", \"4.4.0\"]\n    known_source",
        )
        .replace(
            "\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\"]\n        source",
            "\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\", \"4.4.0\"]\n        source",
        )
        .replace(
            "      - to: [\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\"]\n",
            "      - to: [\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\", \"4.4.0\"]\n",
        );
    let g = load(&text).unwrap();
    assert_eq!(g.path(v("4.2.3"), v("4.4.0")).problem, None);
    assert_eq!(
        UpgradeGraph::builtin().path(v("4.2.3"), v("4.4.0")).problem,
        Some(PathProblem::UnknownTarget)
    );
}
