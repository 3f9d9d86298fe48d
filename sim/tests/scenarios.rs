//! End-to-end: sim boots firmware in QEMU, checks it, and never leaves an emulator
//! behind, whether the run passes, fails a check, or is interrupted.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sim"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// PIDs of QEMU processes whose command line mentions `marker` (our run folder).
fn qemu_pids_mentioning(marker: &Path) -> Vec<u32> {
    let marker = marker.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("qemu-system-arm") && cmdline.contains(&marker) {
            pids.push(pid);
        }
    }
    pids
}

/// Kills leftovers so that a failing assertion does not leak emulators either.
struct NoQemuLeft<'a>(&'a Path);

impl Drop for NoQemuLeft<'_> {
    fn drop(&mut self) {
        for pid in qemu_pids_mentioning(self.0) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

/// Runs `sim scenario SCENARIO --results RESULTS`, which must pass; its stdout.
fn run_ok(scenario: impl AsRef<std::ffi::OsStr>, results: &Path) -> String {
    let out = sim().arg("scenario").arg(scenario).arg("--results").arg(results).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn only_run_dir(root: &Path, scenario: &str) -> PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(root.join(scenario)).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

fn results_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

#[test]
fn hello_boots_a_node_checks_info_and_leaves_no_qemu() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let stdout = run_ok("hello", tmp.path());
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");

    let dir = only_run_dir(tmp.path(), "hello");
    let r = results_json(&dir);
    assert_eq!(r["passed"], true);
    assert_eq!(r["steps"][0]["answer"]["board"], "mps2-an386");
    assert_eq!(r["provenance"]["firmware_sha256"].as_str().unwrap().len(), 64);
    assert!(r["provenance"]["qemu_version"].as_str().unwrap().contains("QEMU"));
    assert!(r["nodes"][0]["boot_to_ready_ms"].as_u64().is_some());
    let console = std::fs::read_to_string(dir.join("node0.console.log")).unwrap();
    assert!(console.contains("coap: listening on udp port 5683"), "{console}");
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn a_failed_check_is_reported_and_still_stops_the_node() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let scenario = tmp.path().join("wrong-board.yaml");
    std::fs::write(
        &scenario,
        "name: wrong-board\nnodes:\n  - name: n\nsteps:\n  - info: {node: n, expect: {board: stm32f4}}\n",
    )
    .unwrap();
    let out = sim().arg("scenario").arg(&scenario).arg("--results").arg(tmp.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("board is `mps2-an386`, expected `stm32f4`"), "{stdout}");
    let r = results_json(&only_run_dir(tmp.path(), "wrong-board"));
    assert_eq!(r["passed"], false);
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn an_interrupted_run_stops_every_node() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let scenario = tmp.path().join("slow.yaml");
    std::fs::write(&scenario, "name: slow\nnodes:\n  - name: n\nsteps:\n  - wait: {seconds: 120}\n").unwrap();
    let mut child = sim()
        .arg("scenario")
        .arg(&scenario)
        .arg("--results")
        .arg(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the node is up (its console says so), then interrupt sim.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let up = std::fs::read_dir(tmp.path().join("slow"))
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| std::fs::read_to_string(e.ok()?.path().join("n.console.log")).ok())
            .is_some_and(|log| log.contains("coap: listening"));
        if up {
            break;
        }
        assert!(Instant::now() < deadline, "node never came up");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(qemu_pids_mentioning(tmp.path()).len(), 1);
    Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn validate_reports_schema_errors_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(&bad, "name: bad\nnodes:\n  - name: n\n    flavour: vanilla\n").unwrap();
    let out = sim().arg("validate").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yaml:4:5"), "{stderr}");
    assert!(stderr.contains("flavour"), "{stderr}");

    let out = sim().args(["validate", "hello"]).current_dir(repo()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_bench_step_runs_every_engine_checks_results_and_writes_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let scenario = tmp.path().join("bench.yaml");
    std::fs::write(
        &scenario,
        "name: bench\nnodes:\n  - {name: m4, firmware: testbed}\nsteps:\n  - bench:\n      node: m4\n      engines: [interp, jit, rbpf, native]\n      repeat: 2\n      kernels: [{kernel: fletcher16, data_sizes: [80, 320]}, {kernel: crc32, data_sizes: [64]}]\n",
    )
    .unwrap();
    run_ok(&scenario, tmp.path());
    let dir = only_run_dir(tmp.path(), "bench");
    let r = results_json(&dir);
    let runs = r["benchmarks"].as_array().unwrap();
    // fletcher16 at two sizes on four engines, crc32 (no native build at 64 bytes) on three; two runs each.
    assert_eq!(runs.len(), (2 * 4 + 3) * 2, "{runs:?}");
    for run in runs {
        assert_eq!(run["ok"], true, "{run}");
        assert_eq!(run["result"], run["expected"]);
        assert_eq!(run["measured_by"], "plugin");
    }
    let insns = |size: u64, engine: &str, run: u64| {
        runs.iter()
            .find(|x| x["kernel"] == "fletcher16" && x["data_size"] == size && x["engine"] == engine && x["run"] == run)
            .unwrap()["exec_insns"]
            .as_u64()
            .unwrap()
    };
    for size in [80, 320] {
        let first = |engine: &str| insns(size, engine, 0);
        // (The JIT may beat native code: Fletcher-16's unrolled loop does.)
        assert!(first("native").max(first("jit")) < first("interp") && first("interp") < first("rbpf"), "size {size}");
        // Exact counts: our engines and native code take the same instructions every run.
        for engine in ["interp", "jit", "native"] {
            assert_eq!(insns(size, engine, 0), insns(size, engine, 1), "{engine} at {size}");
        }
    }
    // The plugin's exact count and the guest's SysTick agree within 1 % on long runs.
    let mut checked = 0;
    for run in runs.iter().filter(|x| x["exec_insns"].as_u64().unwrap() >= 100_000) {
        let (p, s) = (run["exec_insns"].as_f64().unwrap(), run["systick_insns"].as_f64().unwrap());
        assert!(((s - p) / p).abs() < 0.01, "{run}");
        checked += 1;
    }
    assert!(checked >= 4, "{checked}");
    for file in [
        "bench.csv",
        "report.md",
        "report.html",
        "junit.xml",
        "exec_insns.svg",
        "exec_insns.png",
        "vs_native.svg",
        "code_size.png",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("| fletcher16 | 320 |") && report.contains("Where we stand"), "{report}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Guest instructions per run"));
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("tests=\"2\" failures=\"0\""), "{junit}");

    // `sim report` renders the same report again from results.json.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let out = sim().arg("report").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("report.html").is_file());
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn a_compile_profile_counts_exactly_the_compile_phase() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let scenario = tmp.path().join("cprof.yaml");
    std::fs::write(
        &scenario,
        "name: cprof\nnodes:\n  - {name: m4, firmware: testbed, profile: compile}\nsteps:\n  - bench:\n      node: m4\n      engines: [jit]\n      kernels: [{kernel: crc32, data_sizes: [64]}, {kernel: fletcher16, data_sizes: [80]}]\n",
    )
    .unwrap();
    run_ok(&scenario, tmp.path());
    let dir = only_run_dir(tmp.path(), "cprof");
    let compiled: u64 =
        results_json(&dir)["benchmarks"].as_array().unwrap().iter().map(|b| b["compile_insns"].as_u64().unwrap()).sum();
    let csv = std::fs::read_to_string(dir.join("m4.functions.csv")).unwrap();
    let functions: Vec<(String, u64)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let (name, rest) = l.rsplit_once(',').unwrap().0.rsplit_once(',').unwrap();
            (name.trim_matches('"').to_string(), rest.parse().unwrap())
        })
        .collect();
    // Both kernels' compiles, and nothing else: no boot, no execution.
    assert_eq!(functions.iter().map(|f| f.1).sum::<u64>(), compiled, "{csv}");
    // The kernels go with their hints: the device checks their homes, it does not allocate.
    assert!(functions.iter().any(|f| f.0 == "jit::regalloc::homes::check_into"), "{csv}");
    assert!(!functions.iter().any(|f| f.0 == "jit::regalloc::allocate"), "{csv}");
    assert!(!functions.iter().any(|f| f.0 == "Reset" || f.0.contains("verifier")), "{csv}");
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("the compile phase's measured regions only"), "{report}");
    // By module: the compile's passes, adding up to the same figure.
    let profile = &results_json(&dir)["profiles"]["m4"];
    let modules: Vec<(String, u64)> = serde_json::from_value(profile["modules"].clone()).unwrap();
    assert_eq!(modules.iter().map(|m| m.1).sum::<u64>(), compiled, "{modules:?}");
    for pass in ["jit::analysis", "jit::regalloc", "jit::lower"] {
        assert!(modules.iter().any(|m| m.0 == pass && m.1 > 0), "{pass}: {modules:?}");
    }
    assert!(report.contains("| jit::regalloc |"), "{report}");
}

#[test]
fn a_crashed_or_hung_node_is_reported_within_five_seconds_and_the_others_carry_on() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let scenario = tmp.path().join("faults.yaml");
    std::fs::write(
        &scenario,
        [
            "name: faults",
            "nodes: [{name: crash}, {name: hang}, {name: ok},",
            "  {name: crash-stm32, target: qemu/b-l475e-iot01a}, {name: hang-stm32, target: qemu/b-l475e-iot01a}]",
            "programs: [{name: calls, source: programs/tests/calls_only.c}]",
            "steps:",
            "  - fault: {node: crash, kind: kill}",
            "  - fault: {node: hang, kind: freeze}",
            "  - fault: {node: crash-stm32, kind: kill}",
            "  - fault: {node: hang-stm32, kind: freeze}",
            "  - deploy: {node: ok, program: calls}",
            "  - wait: {seconds: 5}",
            "  - exec: {node: ok, engines: [interp, jit], expect: 7050}",
        ]
        .join("\n"),
    )
    .unwrap();
    run_ok(&scenario, tmp.path());
    let r = results_json(&only_run_dir(tmp.path(), "faults"));
    let node = |name: &str| r["nodes"].as_array().unwrap().iter().find(|n| n["name"] == name).unwrap().clone();
    // Both boards: a UDP node and a serial node (whose bridge outlives a frozen QEMU).
    for (name, why) in [
        ("crash", "crashed"),
        ("hang", "stopped answering"),
        ("crash-stm32", "crashed"),
        ("hang-stm32", "stopped answering"),
    ] {
        let n = node(name);
        assert_eq!(n["fault_injected"], true, "{n}");
        assert!(n["error"].as_str().unwrap().contains(why), "{n}");
        assert!(n["fault_detected_after_ms"].as_u64().unwrap() < 5000, "{n}");
    }
    assert!(node("ok")["error"].is_null());
    assert!(r["steps"].as_array().unwrap().iter().all(|s| s["ok"] == true), "{r}");
    assert_eq!(r["execs"].as_array().unwrap().len(), 2);
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn many_nodes_boot_deploy_and_execute_together() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    run_ok("many-nodes", tmp.path());
    let r = results_json(&only_run_dir(tmp.path(), "many-nodes"));
    let nodes = r["nodes"].as_array().unwrap();
    assert!(nodes.len() >= 16);
    assert!(nodes.iter().all(|n| n["error"].is_null()));
    // Every node pulled both programs and ran them on both engines.
    assert_eq!(r["deploys"].as_array().unwrap().len(), 2 * nodes.len());
    let execs = r["execs"].as_array().unwrap();
    assert_eq!(execs.len(), (4 + 2) * nodes.len());
    assert!(execs.iter().all(|e| e["ok"] == true));
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn a_fleet_rolls_out_two_updates_reports_host_costs_and_merges_from_shards_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    run_ok("fleet-small", tmp.path());
    let dir = only_run_dir(tmp.path(), "fleet-small");
    let r = results_json(&dir);
    let nodes = r["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 8);
    for n in nodes {
        assert!(n["error"].is_null(), "{n}");
        assert!(n["host_usage"]["cpu_ms"].as_u64().unwrap() > 0, "{n}");
        assert!(n["host_usage"]["pss_kib"].as_u64().unwrap() > 0, "{n}");
    }
    // Both updates reached every node, and each ran on both engines.
    let deploys = r["deploys"].as_array().unwrap();
    assert_eq!(deploys.len(), 2 * 8);
    assert!(deploys.iter().all(|d| d["ok"] == true));
    let execs = r["execs"].as_array().unwrap();
    assert_eq!(execs.len(), 2 * 2 * 8);
    assert!(execs.iter().all(|e| e["ok"] == true));
    // The wait measured every node while it idled.
    let idle = r["idle"].as_array().unwrap();
    assert_eq!(idle.len(), 8);
    assert!(idle.iter().all(|i| i["wall_ms"].as_u64().unwrap() >= 10_000), "{idle:?}");
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for row in ["boot to ready", "signed pull", "while idle", "memory per node"] {
        assert!(report.contains(row), "no fleet row `{row}` in the report");
    }

    // The same scenario as two shards, merged: every exact figure equals the
    // unsharded run's.
    let mut shard_dirs = Vec::new();
    for k in ["1/2", "2/2"] {
        let root = tmp.path().join(k.replace('/', "-of-"));
        let out = sim().args(["scenario", "fleet-small", "--shard", k, "--results"]).arg(&root).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let dir = only_run_dir(&root, "fleet-small");
        assert_eq!(results_json(&dir)["nodes"].as_array().unwrap().len(), 4);
        shard_dirs.push(dir);
    }
    let merged_root = tmp.path().join("merged");
    let out = sim().arg("merge").args(&shard_dirs).arg("--results").arg(&merged_root).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let merged = only_run_dir(&merged_root, "fleet-small");
    for file in ["results.json", "report.md", "report.html", "junit.xml", "deploy.csv", "exec.csv"] {
        assert!(merged.join(file).is_file(), "merged run has no {file}");
    }
    let out = sim().args(["compare", "--exact"]).arg(&dir).arg(&merged).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains(", 0 differ"), "{stdout}");
    // An incomplete set is refused.
    let out = sim().arg("merge").arg(&shard_dirs[0]).arg("--results").arg(&merged_root).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2/2 missing"));
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn compare_passes_the_baseline_and_fails_an_injected_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = repo().join("results/baselines/ci-bench/results.json");
    let out = sim().arg("compare").arg(&baseline).arg(&baseline).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // The JIT got 10 % slower on one size: the gate fails and says where.
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let runs = v["benchmarks"].as_array_mut().unwrap();
    let jit = runs.iter_mut().find(|r| r["engine"] == "jit").unwrap();
    let was = jit["exec_insns"].as_u64().unwrap();
    // 10 % more (rounded up), and the change as the gate prints it.
    let slower = (was * 11).div_ceil(10);
    let change = format!("{:+.1}%", (slower - was) as f64 * 100.0 / was as f64);
    jit["exec_insns"] = slower.into();
    let regressed = tmp.path().join("results.json");
    std::fs::write(&regressed, serde_json::to_string(&v).unwrap()).unwrap();
    let out = sim().arg("compare").arg(&baseline).arg(&regressed).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("REGRESSED") && stdout.contains(&change) && stdout.contains("1 failed"), "{stdout}");
    // Exactly: a compile one instruction dearer differs; the baseline equals itself.
    let out = sim().args(["compare", "--exact"]).arg(&baseline).arg(&baseline).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let jit = v["benchmarks"].as_array_mut().unwrap().iter_mut().find(|r| r["engine"] == "jit").unwrap();
    jit["compile_insns"] = (jit["compile_insns"].as_u64().unwrap() + 1).into();
    std::fs::write(&regressed, serde_json::to_string(&v).unwrap()).unwrap();
    let out = sim().args(["compare", "--exact"]).arg(&baseline).arg(&regressed).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("compile_insns") && stdout.contains(", 1 differ"), "{stdout}");
}

#[test]
fn tap_networking_runs_nodes_in_private_namespaces_and_removes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let scenario = tmp.path().join("tap.yaml");
    std::fs::write(
        &scenario,
        [
            "name: tap",
            "nodes: [{name: t, count: 2}]",
            "network: {mode: tap, loss: 0.1, seed: 3}",
            "programs: [{name: calls, source: programs/tests/calls_only.c}]",
            "steps:",
            "  - deploy: {node: t, program: calls}",
            "  - exec: {node: t, engines: [interp, jit], expect: 7050}",
        ]
        .join("\n"),
    )
    .unwrap();
    run_ok(&scenario, tmp.path());
    let r = results_json(&only_run_dir(tmp.path(), "tap"));
    // The pulls crossed the namespaces' relays (impaired as asked).
    let to_server = &r["network"]["to_server"];
    assert!(to_server["forwarded"].as_u64().unwrap() >= 4, "{r}");
    // Every QEMU ran inside a namespace, and the namespaces are gone.
    let log = std::fs::read_to_string(only_run_dir(tmp.path(), "tap").join("t-0.console.log")).unwrap();
    assert!(log.contains("coap: listening"), "{log}");
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(!list.lines().any(|l| l.starts_with("mbpf-")), "{list}");
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

#[test]
fn every_deploy_completes_intact_over_a_lossy_path() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    run_ok("lossy-network", tmp.path());
    let r = results_json(&only_run_dir(tmp.path(), "lossy-network"));
    // The relay really dropped datagrams...
    assert!(r["network"]["to_server"]["dropped"].as_u64().unwrap() > 0, "{}", r["network"]);
    // ...and every good pull still installed the exact image (checked through /slots),
    // every tampered one was refused, and every run gave the right result.
    let deploys = r["deploys"].as_array().unwrap();
    assert_eq!(deploys.len(), 2 * (4 + 4 + 1));
    assert!(deploys.iter().all(|d| d["ok"] == true), "{deploys:?}");
    assert!(r["execs"].as_array().unwrap().iter().all(|e| e["ok"] == true));
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}

/// `board/`, `renode/` and `iotlab/` nodes fail before anything boots when what they
/// need is missing here, each with a message naming it: no hardware map, a probe
/// that is not attached (this machine has none), no `renode`, no IoT-LAB account.
#[test]
fn nodes_off_qemu_name_what_is_missing_before_anything_boots() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = NoQemuLeft(tmp.path());
    let fail = |args: &[&str]| {
        let out = sim().arg("scenario").arg("hello").arg("--results").arg(tmp.path()).args(args).output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // The documented example map is valid, and validate shows which entry a node takes.
    let out = sim()
        .args(["validate", "silicon", "--hardware-map"])
        .arg(repo().join("docs/hardware-map.example.yaml"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        said.contains("chip: b-l475e-iot01a on probe 0672FF485550755187121728, serial:///dev/ttyACM0?baud=115200"),
        "{said}"
    );
    let e = fail(&["--target", "board/nrf52840-dk"]);
    assert!(e.contains("board/nrf52840-dk nodes need a hardware map: pass --hardware-map FILE"), "{e}");
    let map = tmp.path().join("lab.yaml");
    std::fs::write(&map, "- board: nrf52840-dk\n  probe: 000683000000\n  serial: /dev/ttyACM7\n").unwrap();
    let map_arg = map.to_str().unwrap();
    let e = fail(&["--target", "board/nrf52840-dk", "--hardware-map", map_arg]);
    assert!(
        e.contains("node node0 (nrf52840-dk): its probe 000683000000 is not attached (attached probes: none)"),
        "{e}"
    );
    let e = fail(&["--target", "board/nucleo-f439zi", "--hardware-map", map_arg]);
    assert!(
        e.contains("node node0 (nucleo-f439zi) has no entry in the hardware map")
            && e.contains("it lists no nucleo-f439zi"),
        "{e}"
    );
    if testbed::renode::find_renode().is_err() {
        let e = fail(&["--target", "renode/nrf52840"]);
        assert!(e.contains("no renode found: Renode is in no package registry"), "{e}");
    }
    let home = tempfile::tempdir().unwrap();
    let out = sim()
        .env("HOME", home.path())
        .args(["scenario", "hello", "--target", "iotlab/saclay/st-iotnode", "--results"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && e.contains("run `iotlab-auth -u LOGIN` once"), "{e}");
    assert_eq!(qemu_pids_mentioning(tmp.path()), Vec::<u32>::new());
}
