//! `sim compare`: a regression gate. Figures of a run against a committed baseline;
//! anything that grew beyond the tolerance, or disappeared, fails.
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

/// `results.json` of a run: a file, a run folder, or a scenario folder (its newest run).
pub fn results_file(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if path.join("results.json").is_file() {
        return Ok(path.join("results.json"));
    }
    let mut runs: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("no results at {}", path.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("results.json").is_file())
        .collect();
    runs.sort();
    runs.pop()
        .map(|p| p.join("results.json"))
        .with_context(|| format!("no run with a results.json under {}", path.display()))
}

/// The compared figures of one run: (kernel/size/engine, metric) -> value.
/// The rbpf peer is not gated: its figures move with the heap's state (it allocates
/// while it runs), which any change to the firmware shifts; it is ours that must not
/// regress.
fn figures(results: &Value) -> Vec<(String, &'static str, u64)> {
    let mut out = Vec::new();
    for b in results["benchmarks"].as_array().into_iter().flatten().filter(|b| b["engine"] != "rbpf") {
        let key = format!(
            "{}/{}/{}",
            b["kernel"].as_str().unwrap_or("?"),
            b["data_size"],
            b["engine"].as_str().unwrap_or("?")
        );
        for metric in ["exec_insns", "compile_insns", "code_bytes"] {
            if let Some(v) = b[metric].as_u64() {
                out.push((key.clone(), metric, v));
            }
        }
    }
    out
}

pub struct Row {
    pub key: String,
    pub metric: &'static str,
    pub baseline: u64,
    pub run: Option<u64>,
    pub regressed: bool,
}

/// Compares; a figure regresses when it grew by more than `tolerance` (0.02 = 2 %) and
/// by more than `slack` units (SysTick granularity: 40 instructions).
pub fn compare(baseline: &Value, run: &Value, tolerance: f64, slack: u64) -> Vec<Row> {
    let now = figures(run);
    figures(baseline)
        .into_iter()
        .map(|(key, metric, base)| {
            let v = now.iter().find(|(k, m, _)| *k == key && *m == metric).map(|(_, _, v)| *v);
            let regressed = match v {
                None => true,
                Some(v) => v > base + slack && (v as f64) > base as f64 * (1.0 + tolerance),
            };
            Row { key, metric, baseline: base, run: v, regressed }
        })
        .collect()
}

pub fn table(rows: &[Row]) -> String {
    let mut s =
        format!("{:<28} {:<14} {:>12} {:>12} {:>9}  status\n", "benchmark", "figure", "baseline", "run", "change");
    for r in rows {
        let (run, change) = match r.run {
            Some(v) => {
                (v.to_string(), format!("{:+.1}%", (v as f64 - r.baseline as f64) / r.baseline.max(1) as f64 * 100.0))
            }
            None => ("missing".into(), "—".into()),
        };
        s.push_str(&format!(
            "{:<28} {:<14} {:>12} {:>12} {:>9}  {}\n",
            r.key,
            r.metric,
            r.baseline,
            run,
            change,
            if r.regressed { "REGRESSED" } else { "ok" }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exec: u64) -> Value {
        serde_json::json!({"benchmarks": [{"kernel": "fletcher16", "data_size": 80, "engine": "jit", "exec_insns": exec, "compile_insns": 25000, "code_bytes": 490}]})
    }

    #[test]
    fn growth_beyond_tolerance_and_missing_figures_regress() {
        assert!(compare(&run(10_000), &run(10_000), 0.02, 40).iter().all(|r| !r.regressed));
        assert!(compare(&run(10_000), &run(9_000), 0.02, 40).iter().all(|r| !r.regressed), "improvements pass");
        assert!(compare(&run(10_000), &run(10_040), 0.0, 40).iter().all(|r| !r.regressed), "within one SysTick count");
        let rows = compare(&run(10_000), &run(11_000), 0.02, 40);
        assert!(rows.iter().any(|r| r.regressed && r.metric == "exec_insns"));
        let rows = compare(&run(10_000), &serde_json::json!({"benchmarks": []}), 0.02, 40);
        assert!(rows.iter().all(|r| r.regressed && r.run.is_none()));
    }
}
