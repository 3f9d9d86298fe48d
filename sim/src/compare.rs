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

/// The compared figures of one run: (benchmark, metric) -> value, a benchmark named as
/// [`exact_figures`] names it (step, node, kernel/size/engine and run): a scenario may
/// run a kernel on two nodes (`real-mcu`) or twice (`repeat`), and each is compared
/// with its own counterpart, not with the first of its kind.
/// The rbpf peer is not gated: its figures move with the heap's state (it allocates
/// while it runs), which any change to the firmware shifts; it is ours that must not
/// regress.
fn figures(results: &Value) -> Vec<(String, &'static str, u64)> {
    let mut out = Vec::new();
    for b in results["benchmarks"].as_array().into_iter().flatten().filter(|b| b["engine"] != "rbpf") {
        let key = bench_name(b);
        for metric in ["exec_insns", "compile_insns", "code_bytes"] {
            if let Some(v) = b[metric].as_u64() {
                out.push((key.clone(), metric, v));
            }
        }
    }
    out
}

/// A benchmark record's name: the step, node, kernel, size, engine and run it is of.
fn bench_name(b: &Value) -> String {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    format!(
        "step {} bench on {} ({}/{}/{} run {})",
        text(&b["step"]),
        text(&b["node"]),
        text(&b["kernel"]),
        b["data_size"],
        text(&b["engine"]),
        b["run"]
    )
}

/// The figures of a run that repeat exactly from run to run, keyed by step, node and
/// what they are: outcomes, results, answer codes, and instruction counts the plugin
/// made: of running, loading, verifying and compiling programs. The last three
/// allocate, so they repeat because nothing else touches a node's heap between the
/// scenario's requests (probes are CoAP pings, answered from the raw bytes). Left out:
/// host wall times, SysTick's figures and the rbpf peer's. A sharded run merged must
/// have exactly the unsharded run's, and a benchmark run its committed baseline's.
pub fn exact_figures(results: &Value) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let list = |key: &str| results[key].as_array().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    for n in list("nodes") {
        out.insert(format!("node {}: up", text(&n["name"])), n["error"].is_null().to_string());
    }
    for s in list("steps") {
        out.insert(
            format!("step {} {} on {}: ok", text(&s["index"]), text(&s["step"]), text(&s["node"])),
            s["ok"].to_string(),
        );
    }
    let mut put = |what: String, record: &Value, fields: &[&str]| {
        for f in fields {
            out.insert(format!("{what}: {f}"), record[*f].to_string());
        }
    };
    for e in list("execs").into_iter().filter(|e| e["engine"] != "rbpf") {
        let what =
            format!("step {} exec on {} ({} run {})", text(&e["step"]), text(&e["node"]), text(&e["engine"]), e["run"]);
        put(what.clone(), &e, &["ok", "result", "slot"]);
        if e["measured"]["source"] == "plugin" {
            put(what, &e["measured"], &["insns", "cycles", "compile_insns", "compile_cycles"]);
        }
    }
    for d in list("deploys") {
        let what = format!(
            "step {} deploy on {} ({} run {})",
            text(&d["step"]),
            text(&d["node"]),
            text(&d["program"]),
            d["run"]
        );
        put(what, &d, &["ok", "accepted", "code", "image_bytes", "load_insns", "verify_insns"]);
    }
    // rbpf allocates while it runs, and its counts move with where the build put
    // things (they differ between checkouts at different paths): not ours to pin.
    for b in list("benchmarks").into_iter().filter(|b| b["engine"] != "rbpf") {
        let what = bench_name(&b);
        put(what.clone(), &b, &["ok", "result", "executed_ebpf", "bytecode_bytes", "code_bytes", "compile_memory"]);
        if b["measured_by"] == "plugin" {
            put(what, &b, &["exec_insns", "exec_cycles", "compile_insns", "compile_cycles"]);
        }
    }
    out
}

/// Every exact figure that differs between two runs, or is in only one of them.
pub fn exact_differences(a: &Value, b: &Value) -> Vec<String> {
    let (a, b) = (exact_figures(a), exact_figures(b));
    let mut out = Vec::new();
    for (k, va) in &a {
        match b.get(k) {
            None => out.push(format!("{k}: {va} in the first run only")),
            Some(vb) if vb != va => out.push(format!("{k}: {va} against {vb}")),
            Some(_) => {}
        }
    }
    out.extend(b.iter().filter(|(k, _)| !a.contains_key(*k)).map(|(k, v)| format!("{k}: {v} in the second run only")));
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
        format!("{:<52} {:<14} {:>12} {:>12} {:>9}  status\n", "benchmark", "figure", "baseline", "run", "change");
    for r in rows {
        let (run, change) = match r.run {
            Some(v) => {
                (v.to_string(), format!("{:+.1}%", (v as f64 - r.baseline as f64) / r.baseline.max(1) as f64 * 100.0))
            }
            None => ("missing".into(), "—".into()),
        };
        s.push_str(&format!(
            "{:<52} {:<14} {:>12} {:>12} {:>9}  {}\n",
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
    fn exact_figures_must_match_and_wall_times_are_not_among_them() {
        let run = |insns: u64, latency: u64| {
            serde_json::json!({
                "nodes": [{"name": "n-0", "error": null}],
                "steps": [{"index": "2", "step": "exec", "node": "n-0", "ok": true}],
                "execs": [{"step": "2", "node": "n-0", "engine": "jit", "run": 0, "ok": true, "result": 7, "slot": 1,
                           "measured": {"source": "plugin", "insns": insns, "cycles": 9, "systick_insns": latency}}],
                "deploys": [{"step": "1", "node": "n-0", "program": "p", "run": 0, "ok": true, "accepted": true,
                             "code": "2.04", "image_bytes": 64, "load_insns": 5, "pull_insns": latency, "latency_ms": latency}]
            })
        };
        assert_eq!(exact_differences(&run(100, 3), &run(100, 9)), Vec::<String>::new());
        let diff = exact_differences(&run(100, 3), &run(101, 3));
        assert_eq!(diff, ["step 2 exec on n-0 (jit run 0): insns: 100 against 101"]);
        let mut fewer = run(100, 3);
        fewer["execs"] = serde_json::json!([]);
        assert_eq!(exact_differences(&run(100, 3), &fewer).len(), 7);
        // The rbpf peer's figures are not pinned.
        let mut rbpf = run(100, 3);
        rbpf["execs"][0]["engine"] = "rbpf".into();
        assert_eq!(exact_figures(&rbpf).len(), exact_figures(&fewer).len());
    }

    #[test]
    fn what_a_compile_held_is_an_exact_figure() {
        let bench = |memory: u32| {
            serde_json::json!({"benchmarks": [{"step": "1", "node": "m4", "kernel": "sha256", "data_size": 640,
                "engine": "jit", "run": 0, "measured_by": "systick", "compile_memory": memory}]})
        };
        assert_eq!(exact_differences(&bench(37_164), &bench(37_164)), Vec::<String>::new());
        assert_eq!(
            exact_differences(&bench(37_164), &bench(44_940)),
            ["step 1 bench on m4 (sha256/640/jit run 0): compile_memory: 37164 against 44940"]
        );
    }

    #[test]
    fn each_benchmark_is_compared_with_its_own_node_and_run() {
        // The same kernel on two nodes, run twice on the first (the second run reuses
        // the compiled code: no compile).
        let results = |b_compile: u64| {
            let rec = |node: &str, run: u64, compile: u64| {
                serde_json::json!({"step": "1", "node": node, "kernel": "crc32", "data_size": 640, "engine": "jit",
                                   "run": run, "exec_insns": 20_000, "compile_insns": compile, "code_bytes": 400})
            };
            serde_json::json!({"benchmarks": [rec("a", 0, 100_000), rec("a", 1, 0), rec("b", 0, b_compile)]})
        };
        let same = compare(&results(90_000), &results(90_000), 0.02, 40);
        assert_eq!(same.len(), 9);
        assert!(same.iter().all(|r| !r.regressed && r.run == Some(r.baseline)), "a run equals itself");
        let grown = compare(&results(90_000), &results(99_000), 0.02, 40);
        let regressed: Vec<_> = grown.iter().filter(|r| r.regressed).map(|r| (r.key.as_str(), r.metric)).collect();
        assert_eq!(regressed, [("step 1 bench on b (crc32/640/jit run 0)", "compile_insns")]);
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
