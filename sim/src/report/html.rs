//! `report.html`: one self-contained page (plots are inlined SVG).
use std::fmt::Write as _;

use super::tables;
use crate::runner::Results;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}\
td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}.failed{color:#b00;font-weight:bold}\
.passed{color:#070;font-weight:bold}.note{color:#555;font-size:.9em;max-width:60em}figure{margin:1em 0}";

pub fn render(r: &Results, plots: &[super::plots::Plot]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&r.scenario)
    );
    let (class, verdict) = if r.passed { ("passed", "passed") } else { ("failed", "FAILED") };
    let _ = write!(s, "<h1>Scenario <code>{}</code></h1><p>{}</p>", esc(&r.scenario), esc(&r.description));
    let _ = write!(
        s,
        "<p>Started {} (UTC), took {} ms: <span class=\"{class}\">{verdict}</span>.</p>",
        esc(&r.started_utc),
        r.duration_ms
    );
    for t in tables::all(r) {
        let _ = write!(s, "<h2>{}</h2>", esc(&t.title));
        if t.rows.is_empty() {
            s.push_str("<p>(none)</p>");
            continue;
        }
        s.push_str("<table><tr>");
        for h in &t.header {
            let _ = write!(s, "<th>{}</th>", esc(h));
        }
        s.push_str("</tr>");
        for row in &t.rows {
            s.push_str("<tr>");
            for c in row {
                let class = if c.contains("FAILED") || c.contains("WRONG") { " class=\"failed\"" } else { "" };
                let _ = write!(s, "<td{class}>{}</td>", esc(c));
            }
            s.push_str("</tr>");
        }
        s.push_str("</table>");
        if !t.note.is_empty() {
            let _ = write!(s, "<p class=\"note\">{}</p>", esc(&t.note));
        }
    }
    if !plots.is_empty() {
        s.push_str("<h2>Plots</h2>");
        for p in plots {
            let _ = write!(s, "<figure><figcaption>{}</figcaption>{}</figure>", esc(&p.title), p.inline_svg);
        }
    }
    s.push_str("<p class=\"note\">Raw figures: results.json and the CSV files next to this page.</p></body></html>\n");
    s
}
