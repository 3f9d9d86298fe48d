//! `sim merge`: the run folders of a scenario's shards (`sim scenario --shard K/N` on
//! N machines) joined into one run folder, ordered as one machine running every node
//! would have written it: nodes by their place in the scenario, records by step and
//! then node.
//!
//! Only a complete set of one scenario file on one firmware merges: every shard of the
//! same count, each once, with the same scenario and firmware image hashes.
use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{bail, ensure, Context};
use serde_json::Value;

use crate::runner::Results;

/// Reads a run folder's (or file's) results.
pub fn load(path: &std::path::Path) -> anyhow::Result<Results> {
    let file = crate::compare::results_file(path)?;
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a sim results.json", file.display()))
}

/// Joins the shards' results; refuses runs of different scenarios or firmware, runs
/// that are not shards, and incomplete or repeated sets.
pub fn merge(runs: Vec<(PathBuf, Results)>) -> anyhow::Result<Results> {
    let Some((first_dir, first)) = runs.first() else { bail!("nothing to merge: name the shards' run folders") };
    let mut indices = BTreeSet::new();
    let mut count = None;
    for (dir, r) in &runs {
        let Some(shard) = r.shard else {
            bail!("{} is not a shard's run (it ran every node; see `sim scenario --shard K/N`)", dir.display())
        };
        if *count.get_or_insert(shard.count) != shard.count {
            bail!("{} is shard {shard} but {} is of {} shards", dir.display(), first_dir.display(), count.unwrap_or(0));
        }
        ensure!(indices.insert(shard.index), "shard {shard} is given twice ({})", dir.display());
        let differs = |what: &str, a: &Value, b: &Value| -> anyhow::Result<()> {
            ensure!(
                a == b,
                "{} and {} ran different {what} ({a} against {b}): only shards of one run merge",
                first_dir.display(),
                dir.display()
            );
            Ok(())
        };
        differs("scenarios", &Value::from(first.scenario.clone()), &Value::from(r.scenario.clone()))?;
        for key in ["scenario_sha256", "firmware_images", "plugin"] {
            differs(&key.replace('_', " "), &first.provenance[key], &r.provenance[key])?;
        }
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = (1..=count).filter(|k| !indices.contains(k)).map(|k| format!("{k}/{count}")).collect();
    ensure!(missing.is_empty(), "incomplete set of shards: {} missing", missing.join(", "));

    let positions: std::collections::HashMap<String, usize> =
        runs.iter().flat_map(|(_, r)| &r.nodes).map(|n| (n.name.clone(), n.position)).collect();
    let position = |node: &str| positions.get(node).copied().unwrap_or(usize::MAX);
    let step_key = |step: &str| step.split('.').map(|p| p.parse::<u32>().unwrap_or(u32::MAX)).collect::<Vec<_>>();
    let hosts: BTreeSet<&str> = runs.iter().filter_map(|(_, r)| r.provenance["host"].as_str()).collect();
    let mut provenance = first.provenance.clone();
    provenance["host"] = Value::from(hosts.into_iter().collect::<Vec<_>>().join(", "));

    let mut merged = Results {
        scenario: first.scenario.clone(),
        description: first.description.clone(),
        started_utc: runs.iter().map(|(_, r)| r.started_utc.clone()).min().unwrap_or_default(),
        // The shards ran at once, on machines of their own.
        duration_ms: runs.iter().map(|(_, r)| r.duration_ms).max().unwrap_or(0),
        provenance,
        report: first.report.clone(),
        nodes: Vec::new(),
        steps: Vec::new(),
        benchmarks: Vec::new(),
        deploys: Vec::new(),
        execs: Vec::new(),
        idle: Vec::new(),
        profiles: Default::default(),
        footprints: first.footprints.clone(),
        network: sum_counts(runs.iter().filter_map(|(_, r)| r.network.clone())),
        shard: None,
        merged_shards: count,
        passed: runs.iter().all(|(_, r)| r.passed),
    };
    for (_, r) in &runs {
        merged.nodes.extend(r.nodes.iter().cloned());
        merged.steps.extend(r.steps.iter().cloned());
        merged.benchmarks.extend(r.benchmarks.iter().cloned());
        merged.deploys.extend(r.deploys.iter().cloned());
        merged.execs.extend(r.execs.iter().cloned());
        merged.idle.extend(r.idle.iter().cloned());
        merged.profiles.extend(r.profiles.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    // Stable sorts: a node's records of one step keep their order.
    merged.nodes.sort_by_key(|n| n.position);
    merged.steps.sort_by_cached_key(|s| (step_key(&s.index), position(&s.node)));
    merged.benchmarks.sort_by_cached_key(|b| (step_key(&b.step), position(&b.node)));
    merged.deploys.sort_by_cached_key(|d| (step_key(&d.step), position(&d.node)));
    merged.execs.sort_by_cached_key(|e| (step_key(&e.step), position(&e.node)));
    merged.idle.sort_by_cached_key(|i| (step_key(&i.step), position(&i.node)));
    Ok(merged)
}

/// The impaired path's counters of every shard, added up.
fn sum_counts(mut all: impl Iterator<Item = Value>) -> Option<Value> {
    fn add(into: &mut Value, from: &Value) {
        match (into, from) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    add(a.entry(k.clone()).or_insert(Value::from(0)), v);
                }
            }
            (a @ Value::Number(_), Value::Number(b)) => {
                *a = Value::from(a.as_u64().unwrap_or(0) + b.as_u64().unwrap_or(0));
            }
            _ => {}
        }
    }
    let mut total = all.next()?;
    for v in all {
        add(&mut total, &v);
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shard's results: its nodes (name, position), an exec step on each.
    fn shard(index: usize, count: usize, nodes: &[(&str, usize)], scenario_sha: &str) -> (PathBuf, Results) {
        let json = serde_json::json!({
            "scenario": "fleet", "description": "", "started_utc": format!("2026-12-04T06:0{index}:00Z"),
            "duration_ms": 1000 * index, "passed": true,
            "provenance": {"scenario_sha256": scenario_sha, "firmware_images": {"default": "f00d"}, "plugin": true, "host": format!("h{index}")},
            "shard": {"index": index, "count": count},
            "nodes": nodes.iter().map(|(n, p)| serde_json::json!({"name": n, "position": p, "target": "t", "firmware": "default",
                "boot_to_ready_ms": 1, "console_log": "", "error": null, "fault_detected_after_ms": null})).collect::<Vec<_>>(),
            "steps": nodes.iter().flat_map(|(n, _)| ["1", "2"].map(|i| serde_json::json!({"index": i, "step": "exec", "node": n, "ok": true,
                "answer": null, "error": null, "duration_ms": 1}))).collect::<Vec<_>>(),
        });
        (PathBuf::from(format!("run-{index}")), serde_json::from_value(json).unwrap())
    }

    #[test]
    fn shards_merge_in_scenario_order_and_bad_sets_are_refused() {
        let merged =
            merge(vec![shard(2, 2, &[("n-1", 1), ("n-3", 3)], "s"), shard(1, 2, &[("n-0", 0), ("n-2", 2)], "s")])
                .unwrap();
        let names: Vec<&str> = merged.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["n-0", "n-1", "n-2", "n-3"]);
        let steps: Vec<(&str, &str)> = merged.steps.iter().map(|s| (s.index.as_str(), s.node.as_str())).collect();
        assert_eq!(steps[..5], [("1", "n-0"), ("1", "n-1"), ("1", "n-2"), ("1", "n-3"), ("2", "n-0")]);
        assert_eq!((merged.merged_shards, merged.duration_ms, merged.shard), (2, 2000, None));
        assert_eq!(merged.provenance["host"], "h1, h2");

        let refusal = |runs| merge(runs).unwrap_err().to_string();
        assert!(refusal(vec![shard(1, 3, &[], "s"), shard(3, 3, &[], "s")]).contains("2/3 missing"));
        assert!(refusal(vec![shard(1, 2, &[], "s"), shard(1, 2, &[], "s")]).contains("given twice"));
        assert!(refusal(vec![shard(1, 2, &[], "s"), shard(2, 3, &[], "s")]).contains("of 2 shards"));
        assert!(refusal(vec![shard(1, 2, &[], "s"), shard(2, 2, &[], "t")]).contains("different scenario sha256"));
        let mut whole = shard(1, 1, &[], "s");
        whole.1.shard = None;
        assert!(refusal(vec![whole]).contains("not a shard's run"));
        assert!(refusal(vec![]).contains("nothing to merge"));
    }

    #[test]
    fn counters_add_up_field_by_field() {
        let a = serde_json::json!({"to_server": {"forwarded": 3, "dropped": 1}, "to_nodes": {"forwarded": 2}});
        let b = serde_json::json!({"to_server": {"forwarded": 4, "dropped": 0}, "to_nodes": {"forwarded": 5}});
        let sum = sum_counts([a, b].into_iter()).unwrap();
        assert_eq!(sum, serde_json::json!({"to_server": {"forwarded": 7, "dropped": 1}, "to_nodes": {"forwarded": 7}}));
        assert_eq!(sum_counts(std::iter::empty()), None);
    }
}
