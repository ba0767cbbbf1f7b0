//! The runbook as Markdown: numbered headings, fenced shell / SQL blocks, check boxes.
//!
//! Plain-text fields (titles, nodes, messages, guides) are escaped here; notes and
//! checks arrive as Markdown with their values escaped already; commands go into
//! fenced blocks whose fence is longer than any backtick run inside.

use std::fmt::Write;

use super::{Kind, Plan, Precondition, Step};
use crate::escape::markdown::{fenced, inline, paragraph};

fn step(out: &mut String, prefix: &str, s: &Step) {
    let _ = writeln!(out, "### {prefix}{}. {}\n", s.n, inline(&s.title));
    let _ = writeln!(
        out,
        "*{}* · on **{}**{}\n",
        s.kind.as_str(),
        inline(&s.node),
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
        if !s.container_commands.is_empty() {
            out.push_str("On the host:\n\n");
        }
        fenced(out, lang, &s.commands.join("\n"));
    }
    if !s.container_commands.is_empty() {
        out.push_str("Inside the container:\n\n");
        fenced(out, "shell", &s.container_commands.join("\n"));
    }
    if !s.checks.is_empty() {
        out.push_str("Check:\n\n");
        for c in &s.checks {
            let _ = writeln!(out, "- [ ] {c}");
        }
        out.push('\n');
    }
}

fn precondition(out: &mut String, p: &Precondition) {
    let mut head = String::new();
    if let Some(h) = &p.hop {
        let _ = write!(head, "\\[hop {}\\] ", inline(h));
    }
    match (&p.code, &p.subject) {
        (Some(c), Some(s)) => {
            let _ = write!(head, "**{c}** {}: ", inline(s));
        }
        (Some(c), None) => {
            let _ = write!(head, "**{c}**: ");
        }
        _ => {}
    }
    let _ = writeln!(out, "- [ ] {head}{}", inline(&p.message));
}

pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let u = &plan.upgrade;
    let _ = writeln!(
        out,
        "# OMS upgrade runbook: {} → {}\n",
        inline(&u.from),
        inline(&u.to)
    );
    let _ = writeln!(out, "Upgrade path: {}\n", inline(&u.path.join(" → ")));
    for n in &plan.notes {
        let _ = writeln!(out, "- {n}");
    }
    if !plan.notes.is_empty() {
        out.push('\n');
    }

    out.push_str("## Preconditions\n\n");
    let of = |kind: &'static str| plan.preconditions.iter().filter(move |p| p.kind == kind);
    let blocking: Vec<_> = of("check-error").chain(of("finding")).collect();
    if blocking.is_empty() {
        out.push_str("No blocking lint finding.\n\n");
    } else {
        out.push_str("Fix these blocking lint findings, then lint again:\n\n");
        for p in blocking {
            precondition(&mut out, p);
        }
        out.push('\n');
    }
    let advice: Vec<_> = of("advice").collect();
    if !advice.is_empty() {
        out.push_str("Act on these warnings and notices before the window:\n\n");
        for p in advice {
            precondition(&mut out, p);
        }
        out.push('\n');
    }
    out.push_str("In the console, before the window:\n\n");
    for p in of("console") {
        let _ = writeln!(out, "- [ ] {}", inline(&p.message));
    }
    out.push('\n');

    let several = plan.hops.len() > 1;
    for (i, h) in plan.hops.iter().enumerate() {
        if several {
            let _ = writeln!(
                out,
                "## Hop {}: upgrade {} → {}\n",
                i + 1,
                inline(&h.from),
                inline(&h.to)
            );
        } else {
            let _ = writeln!(out, "## Upgrade {} → {}\n", inline(&h.from), inline(&h.to));
        }
        let f = &h.forks;
        let _ = writeln!(out, "{}\n", paragraph(&format!("Guide: {}.", h.guide)));
        let _ = writeln!(
            out,
            "Correction package: {}. Heartbeat clean-up: {}. docker\\_init.sh: {}. `-e IS_UPGRADE=true`: {}. Image tag: `{}`.\n",
            match f.correction_package {
                "run" => "yes",
                "skip" => "no",
                _ => "unknown (no guide of this edition says)",
            },
            match f.heartbeat_cleanup {
                "swap" => "swap table",
                "delete" => "DELETE",
                _ => "unknown (no guide of this edition says)",
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
