//! `report.md`: the tables and plots of a run, for reading on a terminal or a forge.
use std::fmt::Write as _;

use super::tables::{self, Table};
use crate::runner::Results;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "\n## {}\n", t.title);
    if t.rows.is_empty() {
        s.push_str("(none)\n");
        return;
    }
    let _ = writeln!(s, "| {} |", t.header.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(t.header.len()));
    for row in &t.rows {
        let _ = writeln!(s, "| {} |", row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
    }
    if !t.note.is_empty() {
        let _ = writeln!(s, "\n{}", t.note);
    }
}

pub fn render(r: &Results, plots: &[super::plots::Plot], csvs: &[&str]) -> String {
    let mut s = format!("# Scenario `{}`\n\n{}\n\n", r.scenario, r.description);
    let _ = writeln!(
        s,
        "Started {} (UTC), took {} ms: **{}**.",
        r.started_utc,
        r.duration_ms,
        if r.passed { "passed" } else { "FAILED" }
    );
    for t in tables::all(r) {
        table(&mut s, &t);
    }
    if !plots.is_empty() {
        s.push_str("\n## Plots\n");
        for p in plots {
            let _ = writeln!(s, "\n### {}\n\n![{}]({})\n\n([PNG]({}))", p.title, p.title, p.svg, p.png);
        }
    }
    let _ =
        writeln!(s, "\nRaw figures: `results.json`{}.", csvs.iter().map(|c| format!(", `{c}`")).collect::<String>());
    s
}
