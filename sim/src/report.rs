//! `report.md`: what ran, on what, and what came out.
use std::fmt::Write as _;

use crate::run::Results;

pub fn markdown(r: &Results) -> String {
    let mut s = format!("# Scenario `{}`\n\n{}\n\n", r.scenario, r.description);
    let _ = writeln!(s, "Started {} (UTC), {} ms, **{}**.\n", r.started_utc, r.duration_ms, if r.passed { "passed" } else { "FAILED" });
    let p = &r.provenance;
    let _ = writeln!(s, "| provenance | |\n|---|---|");
    for (k, v) in [("git revision", &p.git_revision), ("firmware sha256", &p.firmware_sha256), ("QEMU", &p.qemu_version), ("toolchain", &p.toolchain), ("scenario sha256", &p.scenario_sha256), ("host", &p.host)] {
        let _ = writeln!(s, "| {k} | `{v}` |");
    }
    let _ = writeln!(s, "\n## Nodes\n\n| node | target | boot to ready (ms, host time) | error |\n|---|---|---:|---|");
    for n in &r.nodes {
        let _ = writeln!(s, "| {} | {} | {} | {} |", n.name, n.target, n.boot_to_ready_ms.map(|v| v.to_string()).unwrap_or_default(), n.error.clone().unwrap_or_default());
    }
    let _ = writeln!(s, "\n## Steps\n\n| step | node | ok | error |\n|---|---|---|---|");
    for st in &r.steps {
        let _ = writeln!(s, "| {} | {} | {} | {} |", st.step, st.node, st.ok, st.error.clone().unwrap_or_default());
    }
    if !r.benchmarks.is_empty() {
        let _ = writeln!(s, "\n## Interpreter and JIT\n\n{}", crate::bench::table(&r.benchmarks));
        s.push_str(
            "\nFigures are guest instructions counted by the device's SysTick under QEMU `-icount shift=0` \
             (one count = 40 instructions, so each figure is exact to ±40). They depend only on the code \
             run, not on the host: the same firmware and programs give the same figures on every run. \
             Raw figures: `bench.csv` and `results.json`.\n",
        );
    }
    s
}
