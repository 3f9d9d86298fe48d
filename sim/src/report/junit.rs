//! `junit.xml`: every node and step as a test case, for CI systems to show.
use std::fmt::Write as _;

use crate::runner::Results;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn render(r: &Results) -> String {
    let mut cases = String::new();
    let mut failures = 0;
    let mut total = 0;
    let mut case = |name: String, ms: u64, failure: Option<String>| {
        total += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            esc(&r.scenario),
            esc(&name),
            ms as f64 / 1000.0
        );
        match failure {
            Some(f) => {
                failures += 1;
                let _ = writeln!(cases, ">\n      <failure message=\"{}\"/>\n    </testcase>", esc(&f));
            }
            None => cases.push_str("/>\n"),
        }
    };
    for n in &r.nodes {
        let failure = if n.fault_injected {
            n.fault_detected_after_ms.is_none().then(|| "injected fault not detected".to_string())
        } else {
            n.error.clone()
        };
        case(format!("node {} boots", n.name), n.boot_to_ready_ms.unwrap_or(0), failure);
    }
    for s in &r.steps {
        case(
            format!("step {} {} on {}", s.index, s.step, s.node),
            s.duration_ms,
            (!s.ok).then(|| s.error.clone().unwrap_or_default()),
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"{}\" tests=\"{total}\" failures=\"{failures}\" time=\"{:.3}\" timestamp=\"{}\">\n{cases}  </testsuite>\n</testsuites>\n",
        esc(&r.scenario),
        r.duration_ms as f64 / 1000.0,
        esc(&r.started_utc)
    )
}
