//! The runbook as Markdown: numbered headings, fenced shell / SQL blocks, check boxes.

use std::fmt::Write;

use super::{Kind, Plan, Step};

fn step(out: &mut String, prefix: &str, s: &Step) {
    let _ = writeln!(out, "### {prefix}{}. {}\n", s.n, s.title);
    let _ = writeln!(
        out,
        "*{}* · on **{}**{}\n",
        s.kind.as_str(),
        s.node,
        if s.manual && s.kind != Kind::Manual {
            " · manual"
        } else {
            ""
        }
    );
    for n in &s.notes {
        if n.starts_with("- ") {
            let _ = writeln!(out, "{n}");
        } else {
            let _ = writeln!(out, "{n}\n");
        }
    }
    if s.notes.last().is_some_and(|n| n.starts_with("- ")) {
        out.push('\n');
    }
    if !s.commands.is_empty() {
        let lang = if s.kind == Kind::Sql { "sql" } else { "shell" };
        let _ = writeln!(out, "```{lang}");
        for c in &s.commands {
            let _ = writeln!(out, "{c}");
        }
        out.push_str("```\n\n");
    }
    if !s.checks.is_empty() {
        out.push_str("Check:\n\n");
        for c in &s.checks {
            let _ = writeln!(out, "- [ ] {c}");
        }
        out.push('\n');
    }
}

pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let u = &plan.upgrade;
    let _ = writeln!(out, "# OMS upgrade runbook: {} → {}\n", u.from, u.to);
    let _ = writeln!(out, "Upgrade path: {}\n", u.path.join(" → "));
    for n in &plan.notes {
        let _ = writeln!(out, "- {n}");
    }
    if !plan.notes.is_empty() {
        out.push('\n');
    }

    out.push_str("## Preconditions\n\n");
    let blocking: Vec<_> = plan
        .preconditions
        .iter()
        .filter(|p| p.kind != "console")
        .collect();
    if blocking.is_empty() {
        out.push_str("No blocking lint finding.\n\n");
    } else {
        out.push_str("Fix these blocking lint findings, then lint again:\n\n");
        for p in blocking {
            let mut head = match (&p.code, &p.subject) {
                (Some(c), Some(s)) => format!("**{c}** {s}: "),
                (Some(c), None) => format!("**{c}**: "),
                _ => String::new(),
            };
            if let Some(h) = &p.hop {
                head = format!("[hop {h}] {head}");
            }
            let _ = writeln!(out, "- [ ] {head}{}", p.message);
        }
        out.push('\n');
    }
    out.push_str("In the console, before the window:\n\n");
    for p in plan.preconditions.iter().filter(|p| p.kind == "console") {
        let _ = writeln!(out, "- [ ] {}", p.message);
    }
    out.push('\n');

    let several = plan.hops.len() > 1;
    for (i, h) in plan.hops.iter().enumerate() {
        if several {
            let _ = writeln!(out, "## Hop {}: upgrade {} → {}\n", i + 1, h.from, h.to);
        } else {
            let _ = writeln!(out, "## Upgrade {} → {}\n", h.from, h.to);
        }
        let f = &h.forks;
        let _ = writeln!(out, "Guide: {}.\n", h.guide);
        let _ = writeln!(
            out,
            "Correction package: {}. Heartbeat clean-up: {}. docker_init.sh: {}. `-e IS_UPGRADE=true`: {}. Image tag: `{}`.\n",
            match f.correction_package {
                "run" => "yes",
                "skip" => "no",
                _ => "unknown (no guide of this edition says)",
            },
            match f.heartbeat_cleanup {
                "unknown" => "unknown (no guide of this edition says)",
                other => other,
            },
            match f.docker_init {
                "once" => "on one node when the nodes agree",
                "per-region" => "once per region when its nodes share a config",
                _ => "unknown (no guide of this edition says)",
            },
            if f.is_upgrade { "yes" } else { "no" },
            f.image_tag
        );
        let prefix = if several {
            format!("{}.", i + 1)
        } else {
            String::new()
        };
        for s in &h.steps {
            step(&mut out, &prefix, s);
        }
    }

    if !plan.rollback.is_empty() {
        out.push_str("## Rollback\n\n");
        for s in &plan.rollback {
            step(&mut out, "R", s);
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
