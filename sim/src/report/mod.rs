//! Everything a run writes: `results.json` (raw), one CSV per metric, plots (SVG and
//! PNG), `report.md`, `report.html` and `junit.xml`. `sim report RUN_DIR` re-renders
//! all but `results.json` from it.
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::runner::Results;

mod glyphs;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod plots;
pub mod summary;
pub mod tables;

/// Writes `results.json` and renders the rest from it.
pub fn write_all(dir: &Path, results: &Results) -> anyhow::Result<()> {
    std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(results)?)?;
    render(dir, results)
}

/// Renders the CSVs, plots and reports of a run folder from its results.
pub fn render(dir: &Path, results: &Results) -> anyhow::Result<()> {
    let mut files = Vec::new();
    if !results.benchmarks.is_empty() {
        std::fs::write(dir.join("bench.csv"), bench_csv(results))?;
        files.push("bench.csv");
        // One CSV per metric: a row per build, a column per engine (medians).
        for (file, metric) in METRICS {
            std::fs::write(dir.join(file), metric_csv(results, metric))?;
            files.push(file);
        }
    }
    if !results.deploys.is_empty() {
        std::fs::write(dir.join("deploy.csv"), deploy_csv(results))?;
        files.push("deploy.csv");
    }
    if !results.execs.is_empty() {
        std::fs::write(dir.join("exec.csv"), exec_csv(results))?;
        files.push("exec.csv");
    }
    let plots = match plots::draw(dir, results) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("plots not drawn: {e:#}");
            Vec::new()
        }
    };
    std::fs::write(dir.join("report.md"), markdown::render(results, &plots, &files))?;
    std::fs::write(dir.join("report.html"), html::render(results, &plots))?;
    std::fs::write(dir.join("junit.xml"), junit::render(results))?;
    Ok(())
}

/// `sim report RUN_DIR`.
pub fn rerender(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join("results.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let results: Results =
        serde_json::from_str(&text).with_context(|| format!("{} is not a sim results.json", path.display()))?;
    render(dir, &results)
}

fn opt(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn bench_csv(r: &Results) -> String {
    let mut s = String::from("node,kernel,data_size,engine,run,ok,result,expected,exec_insns,exec_cycles,systick_insns,compile_insns,compile_cycles,executed_ebpf,bytecode_bytes,code_bytes,measured_by,compile_memory\n");
    for b in &r.benchmarks {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            b.node,
            b.kernel,
            b.data_size,
            b.engine,
            b.run,
            b.ok,
            opt(b.result),
            b.expected,
            b.exec_insns,
            opt(b.exec_cycles),
            b.systick_insns,
            b.compile_insns,
            opt(b.compile_cycles),
            b.executed_ebpf,
            b.bytecode_bytes,
            b.code_bytes,
            b.measured_by,
            opt(b.compile_memory.map(u64::from))
        );
    }
    s
}

/// The per-metric CSVs and which figure of an engine they hold.
const METRICS: [(&str, Metric); 4] = [
    ("exec_insns.csv", Metric::Insns),
    ("exec_cycles.csv", Metric::Cycles),
    ("compile_insns.csv", Metric::Compile),
    ("code_bytes.csv", Metric::CodeBytes),
];

#[derive(Clone, Copy)]
enum Metric {
    Insns,
    Cycles,
    Compile,
    CodeBytes,
}

fn metric_csv(r: &Results, metric: Metric) -> String {
    let mut s = String::from("kernel,data_size");
    for e in crate::bench::ENGINES {
        s.push(',');
        s.push_str(e);
    }
    s.push('\n');
    for row in summary::rows(&r.benchmarks) {
        let _ = write!(s, "{},{}", row.kernel, row.data_size);
        for e in crate::bench::ENGINES {
            let v = row.engines.get(e).and_then(|f| match metric {
                Metric::Insns => Some(f.insns),
                Metric::Cycles => f.cycles,
                Metric::Compile => (f.compile_insns > 0).then_some(f.compile_insns),
                Metric::CodeBytes => Some(f.code_bytes as u64),
            });
            let _ = write!(s, ",{}", opt(v));
        }
        s.push('\n');
    }
    s
}

fn deploy_csv(r: &Results) -> String {
    let mut s = String::from(
        "node,program,slot,tamper,run,ok,accepted,code,image_bytes,latency_ms,pull_insns,load_insns,verify_insns\n",
    );
    for d in &r.deploys {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            d.node,
            d.program,
            d.slot,
            d.tamper.name(),
            d.run,
            d.ok,
            d.accepted,
            d.code,
            d.image_bytes,
            d.latency_ms,
            opt(d.pull_insns),
            opt(d.load_insns),
            opt(d.verify_insns)
        );
    }
    s
}

fn exec_csv(r: &Results) -> String {
    let mut s = String::from("node,slot,engine,run,ok,result,insns,cycles,systick_insns,compile_insns\n");
    for e in &r.execs {
        let m = &e.measured;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{}",
            e.node,
            e.slot,
            e.engine,
            e.run,
            e.ok,
            opt(e.result),
            m.insns,
            opt(m.cycles),
            m.systick_insns,
            m.compile_insns
        );
    }
    s
}

/// `items` grouped by `key`, groups in the order their first item appears.
pub fn grouped<T, K: PartialEq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<(K, Vec<&T>)> {
    let mut groups: Vec<(K, Vec<&T>)> = Vec::new();
    for item in items {
        let k = key(item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

/// Nearest-rank percentile of `v` (sorted in place); the default of `T` when empty.
pub fn percentile<T: Copy + Default + PartialOrd>(v: &mut [T], p: f64) -> T {
    if v.is_empty() {
        return T::default();
    }
    v.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}
