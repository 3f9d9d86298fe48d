//! The report's content as tables, once; `markdown` and `html` only format them.
use crate::runner::Results;
use crate::scenario::TableKind;

use super::summary::{self, Row};

/// A titled table with an optional note under it.
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub note: String,
}

impl Table {
    fn new(title: &str, header: &[&str]) -> Self {
        Self {
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            note: String::new(),
        }
    }
}

fn num(v: Option<u64>) -> String {
    v.map(group).unwrap_or_else(|| "—".into())
}

/// 1234567 → "1,234,567".
pub fn group(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}x")).unwrap_or_else(|| "—".into())
}

/// The whole report, section by section.
pub fn all(r: &Results) -> Vec<Table> {
    let want = |t| r.report.table(t);
    let mut out = vec![provenance(r), nodes(r), steps(r)];
    if want(TableKind::Fleet) {
        out.extend(fleet(r));
    }
    if !r.benchmarks.is_empty() {
        let rows = summary::rows(&r.benchmarks);
        if want(TableKind::Instructions) {
            out.push(instructions(&rows));
            if let Some(t) = boards(r) {
                out.push(t);
            }
        }
        if want(TableKind::Cycles) {
            out.push(cycles(&rows));
            out.extend(silicon(r));
        }
        if want(TableKind::Jit) {
            out.push(jit(&rows));
        }
        if want(TableKind::Goals) {
            out.push(goals(&rows));
        }
        if want(TableKind::CrossCheck) {
            out.push(cross_check(r));
        }
    }
    if !r.deploys.is_empty() && want(TableKind::Deploys) {
        out.push(deploys(r));
    }
    if !r.execs.is_empty() && want(TableKind::Execs) {
        out.push(execs(r));
    }
    for (node, profile) in r.profiles.iter().filter(|_| want(TableKind::Profiles)) {
        if !profile.modules.is_empty() {
            let total: u64 = profile.modules.iter().map(|m| m.1).sum();
            let mut t = Table::new(
                &format!("Where the guest instructions went on {node} ({}), by module", profile.scope),
                &["module", "instructions", "share"],
            );
            for (m, n) in &profile.modules {
                t.rows.push(vec![m.clone(), group(*n), format!("{:.1} %", *n as f64 / total.max(1) as f64 * 100.0)]);
            }
            t.note = "Each function counts under its crate and first module (a method under its type's).".into();
            out.push(t);
        }
        let funcs = &profile.functions;
        let total: u64 = funcs.iter().map(|f| f.1).sum();
        let mut t = Table::new(
            &format!("Where the guest instructions went on {node} ({}, 25 costliest functions)", profile.scope),
            &["function", "instructions", "share of these"],
        );
        for (f, n) in funcs {
            let short: String =
                if f.chars().count() > 90 { f.chars().take(90).chain("…".chars()).collect() } else { f.clone() };
            t.rows.push(vec![short, group(*n), format!("{:.1} %", *n as f64 / total.max(1) as f64 * 100.0)]);
        }
        t.note = format!(
            "All functions: {node}.functions.csv. Counted by the plugin's per-address profile over {}.",
            profile.scope
        );
        out.push(t);
    }
    for (variant, footprint) in r.footprints.iter().filter(|_| want(TableKind::Footprint)) {
        let kib = |b: u64| format!("{:.1}", b as f64 / 1024.0);
        let mut t = Table::new(&format!("Footprint of the {variant} firmware"), &["crate", "flash KiB", "RAM KiB"]);
        for (name, cost) in footprint.rows() {
            t.rows.push(vec![name.to_string(), kib(cost.flash), kib(cost.ram)]);
        }
        t.rows.push(vec!["total".into(), kib(footprint.total.flash), kib(footprint.total.ram)]);
        t.note = "From the image's sections and symbols (`mbpf footprint`); RAM includes the heap.".into();
        out.push(t);
    }
    if let Some(net) = r.network.as_ref().filter(|_| want(TableKind::Network)) {
        let mut t = Table::new("Impaired path to the file server", &["direction", "forwarded", "dropped", "reordered"]);
        for dir in ["to_server", "to_nodes"] {
            let d = &net[dir];
            t.rows.push(vec![
                dir.replace('_', " "),
                d["forwarded"].to_string(),
                d["dropped"].to_string(),
                d["reordered"].to_string(),
            ]);
        }
        out.push(t);
    }
    out
}

fn provenance(r: &Results) -> Table {
    let mut t = Table::new("Provenance", &["what", "value"]);
    let p = &r.provenance;
    for (k, key) in [
        ("git revision", "git_revision"),
        ("firmware sha256", "firmware_sha256"),
        ("QEMU", "qemu_version"),
        ("toolchain", "toolchain"),
        ("scenario sha256", "scenario_sha256"),
        ("host", "host"),
    ] {
        t.rows.push(vec![k.into(), p[key].as_str().unwrap_or_default().to_string()]);
    }
    let counted = if p["plugin"].as_bool() == Some(true) {
        "exactly, by the QEMU plugin (qemu-plugin/insn_count.c)"
    } else {
        "by the device's SysTick (±40 instructions)"
    };
    t.rows.push(vec!["instructions counted".into(), counted.into()]);
    let part = match (r.shard, r.merged_shards) {
        (Some(shard), _) => format!("shard {shard} of the scenario's nodes (`sim merge` joins the shards)"),
        (None, 0) => "all of the scenario's nodes".into(),
        (None, n) => format!("all, merged from {n} shards (host times are each shard's)"),
    };
    t.rows.push(vec!["nodes run".into(), part]);
    t
}

fn nodes(r: &Results) -> Table {
    let mut t = Table::new("Nodes", &["node", "target", "firmware", "boot to ready (ms, host)", "status"]);
    for n in &r.nodes {
        let status = match (&n.error, n.fault_injected, n.fault_detected_after_ms) {
            (_, true, Some(ms)) => {
                format!("fault injected, detected after {ms} ms: {}", n.error.clone().unwrap_or_default())
            }
            (_, true, None) => "fault injected, NOT detected".into(),
            (Some(e), _, _) => format!("FAILED: {e}"),
            (None, _, _) => match n.executed_instructions {
                Some(i) => format!("ok; {} instructions executed in all (Renode)", group(i)),
                None => "ok".into(),
            },
        };
        t.rows.push(vec![n.name.clone(), n.target.clone(), n.firmware.clone(), num(n.boot_to_ready_ms), status]);
    }
    t
}

/// Percentiles over the nodes, for fleets (a figure without samples is left out).
fn fleet(r: &Results) -> Option<Table> {
    let mut t = Table::new("The fleet", &["figure", "samples", "p50", "p95", "p99", "max"]);
    let mut row = |figure: &str, mut v: Vec<f64>, digits: usize| {
        if v.is_empty() {
            return;
        }
        let mut at = |p: f64| format!("{:.digits$}", super::percentile(&mut v, p));
        let cells = [at(50.0), at(95.0), at(99.0), at(100.0)];
        t.rows.push([vec![figure.into(), v.len().to_string()], cells.to_vec()].concat());
    };
    row("boot to ready (ms, host)", r.nodes.iter().filter_map(|n| n.boot_to_ready_ms).map(|v| v as f64).collect(), 0);
    let pulls = r.deploys.iter().filter(|d| d.ok && d.accepted);
    row("signed pull, request to answer (ms, host)", pulls.map(|d| d.latency_ms as f64).collect(), 0);
    row("host CPU per node while idle (% of a core)", r.idle.iter().map(|i| i.cpu_percent()).collect(), 2);
    let usage: Vec<_> = r.nodes.iter().filter_map(|n| n.host_usage).collect();
    row("host CPU per node, whole run (s)", usage.iter().map(|u| u.cpu_ms as f64 / 1000.0).collect(), 1);
    row("memory per node, PSS (MiB)", usage.iter().map(|u| u.pss_kib as f64 / 1024.0).collect(), 1);
    t.note = "Host figures: wall time and the emulators' CPU time and proportional memory (shared pages divided among the processes that map them), read from /proc. Idle: during `wait` steps, while the monitor probes each node once a second.".into();
    (!t.rows.is_empty()).then_some(t)
}

fn steps(r: &Results) -> Table {
    let mut t = Table::new("Steps", &["#", "step", "node", "result", "ms"]);
    for s in &r.steps {
        let res = if s.ok { "ok".to_string() } else { format!("FAILED: {}", s.error.clone().unwrap_or_default()) };
        t.rows.push(vec![s.index.clone(), s.step.clone(), s.node.clone(), res, s.duration_ms.to_string()]);
    }
    t
}

/// The columns every per-engine figure table starts with.
const ENGINE_COLUMNS: [&str; 8] =
    ["kernel", "bytes", "interpreter", "JIT", "rbpf", "native", "JIT / native", "interp / native"];

fn instructions(rows: &[Row]) -> Table {
    let mut t = Table::new(
        "Guest instructions per run",
        &[&ENGINE_COLUMNS[..], &["rbpf / interp", "insns per eBPF insn (interp)", "runs", "spread"]].concat(),
    );
    for r in rows {
        let spread = r.engines.values().map(|e| e.spread).max().unwrap_or(0);
        let ok = r.engines.values().all(|e| e.all_ok);
        t.rows.push(vec![
            format!("{}{}", r.kernel, if ok { "" } else { " (WRONG RESULT)" }),
            r.data_size.to_string(),
            num(r.insns("interp")),
            num(r.insns("jit")),
            num(r.insns("rbpf")),
            num(r.insns("native")),
            ratio(r.ratio("jit", "native")),
            ratio(r.ratio("interp", "native")),
            ratio(r.ratio("rbpf", "interp")),
            r.interp_per_ebpf().map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
            r.engines.values().map(|e| e.runs).max().unwrap_or(0).to_string(),
            group(spread),
        ]);
    }
    t.note = "Every result was checked against the kernel's reference (sim/src/kernels.rs). Figures are medians over runs; \
              `spread` is the largest max − min over the runs of any engine: emulated figures depend only on the code run, \
              so it is 0 when nothing changed between runs."
        .into();
    t
}

fn cycles(rows: &[Row]) -> Table {
    let mut t = Table::new("Estimated Cortex-M4 cycles per run", &ENGINE_COLUMNS);
    for r in rows {
        let c = |e: &str| r.engines.get(e).and_then(|f| f.cycles);
        t.rows.push(vec![
            r.kernel.clone(),
            r.data_size.to_string(),
            num(c("interp")),
            num(c("jit")),
            num(c("rbpf")),
            num(c("native")),
            ratio(r.cycle_ratio("jit", "native")),
            ratio(r.cycle_ratio("interp", "native")),
        ]);
    }
    t.note =
        "Cycles are estimated by the plugin from the Cortex-M4 timing table in docs/cycle-model.md (zero wait states; \
              divides charged 7, taken branches 3)."
            .into();
    t
}

fn jit(rows: &[Row]) -> Table {
    let mut t = Table::new(
        "JIT compile cost and code size",
        &[
            "kernel",
            "bytes",
            "compile (insns)",
            "compile memory (B)",
            "bytecode (B)",
            "JIT code (B)",
            "code / bytecode",
            "break-even runs",
        ],
    );
    for r in rows.iter().filter(|r| r.engines.contains_key("jit")) {
        let j = &r.engines["jit"];
        t.rows.push(vec![
            r.kernel.clone(),
            r.data_size.to_string(),
            group(j.compile_insns),
            j.compile_memory.map(|m| group(m as u64)).unwrap_or_else(|| "—".into()),
            r.bytecode_bytes.to_string(),
            j.code_bytes.to_string(),
            r.code_density().map(|d| format!("{d:.2}")).unwrap_or_else(|| "—".into()),
            r.break_even_runs().map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
        ]);
    }
    t.note = "Compile memory: the heap the compile held at most (its tables and code buffer), what a board must have \
              free to compile the program. Break-even: the number of runs after which compiling once and running the \
              JIT costs fewer instructions than interpreting."
        .into();
    t
}

/// µBPF's published JIT compile time for Fletcher-16 (microseconds, least and most) and
/// the clock of the Cortex-M4 board it was measured on (as best known:
/// shared/reference/microbpf.md).
const UBPF_COMPILE_US: (u64, u64) = (1_871, 2_006);
const UBPF_CLOCK_MHZ: u64 = 180;

/// The performance goals (issue 18's table), each with what this run measured.
fn goals(rows: &[Row]) -> Table {
    let mut t = Table::new("Where we stand", &["figure", "measured", "goal"]);
    let f16 = rows.iter().find(|r| r.kernel == "fletcher16" && r.data_size == 2560);
    let g = |a, b| {
        summary::geomean_ratio(rows, a, b)
            .map(|(v, n)| format!("{v:.2}x over {n} builds"))
            .unwrap_or_else(|| "—".into())
    };
    // The row with the largest figure, named.
    let worst = |f: &dyn Fn(&Row) -> Option<f64>, unit: &str| {
        rows.iter()
            .filter_map(|r| f(r).map(|v| (v, r)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(v, r)| format!("{v:.2}{unit} ({} {} B)", r.kernel, r.data_size))
            .unwrap_or_else(|| "—".into())
    };
    let mut row = |figure: &str, measured: String, goal: &str| t.rows.push(vec![figure.into(), measured, goal.into()]);
    row("JIT / native, geometric mean", g("jit", "native"), "≤ 1.3x");
    row("JIT / native, worst kernel", worst(&|r| r.ratio("jit", "native"), "x"), "≤ 2.0x on every kernel");
    row("JIT / native, Fletcher-16 2560 B", ratio(f16.and_then(|r| r.ratio("jit", "native"))), "≤ 1.2x");
    // Instructions are exact, time is what a board spends: a divide or a taken branch
    // costs several cycles (µBPF's 1.3x on Fletcher-16 is time).
    let gc = summary::geomean_cycle_ratio(rows, "jit", "native").map(|(v, n)| format!("{v:.2}x over {n} builds"));
    row("JIT / native in estimated cycles, geometric mean", gc.unwrap_or_else(|| "—".into()), "—");
    row(
        "JIT / native in estimated cycles, Fletcher-16 2560 B",
        ratio(f16.and_then(|r| r.cycle_ratio("jit", "native"))),
        "—",
    );
    row("interpreter / native, Fletcher-16 2560 B", ratio(f16.and_then(|r| r.ratio("interp", "native"))), "≤ 12x");
    row("interpreter / native, geometric mean", g("interp", "native"), "—");
    row(
        "interpreter, guest insns per eBPF insn, median over kernels",
        per_kernel_median(rows).unwrap_or_else(|| "—".into()),
        "≤ 14",
    );
    row(
        "interpreter, guest insns per eBPF insn, Fletcher-16 2560 B",
        f16.and_then(Row::interp_per_ebpf).map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
        "—",
    );
    let compile_goal = format!("≤ {}", summary::COMPILE_PER_BYTE_GOAL);
    row("JIT compile, guest insns per bytecode byte, worst kernel", worst(&Row::compile_per_byte, ""), &compile_goal);
    row(
        "JIT compile, Fletcher-16 2560 B",
        num(f16.and_then(|r| r.engines.get("jit")).map(|j| j.compile_insns)),
        "< 30,000",
    );
    // µBPF's published compile of the same kernel, in time on its board: compared in
    // estimated cycles at that board's clock.
    let (lo, hi) = UBPF_COMPILE_US;
    row(
        "JIT compile, Fletcher-16 2560 B, estimated cycles",
        f16.and_then(|r| r.engines.get("jit")?.compile_cycles)
            .map(|c| {
                format!(
                    "{} ({} µs at {UBPF_CLOCK_MHZ} MHz)",
                    group(c),
                    group((c + UBPF_CLOCK_MHZ / 2) / UBPF_CLOCK_MHZ)
                )
            })
            .unwrap_or_else(|| "—".into()),
        &format!(
            "— (µBPF: {} – {} µs, {} – {} cycles at {UBPF_CLOCK_MHZ} MHz)",
            group(lo),
            group(hi),
            group(lo * UBPF_CLOCK_MHZ),
            group(hi * UBPF_CLOCK_MHZ)
        ),
    );
    // rbpf's own counts depend on its heap and hashing, not on our code; a kernel that
    // keeps data in the device's store runs differently once the store holds it.
    let stateless = |r: &&Row| {
        serde_json::from_value::<crate::kernels::Kernel>(serde_json::Value::String(r.kernel.clone()))
            .is_ok_and(|k| k.helpers().is_empty())
    };
    let ours = rows.iter().filter(stateless).flat_map(|r| r.engines.iter().filter(|(e, _)| **e != "rbpf"));
    let spread = ours.map(|(_, f)| f.spread).max();
    let repeated = rows.iter().any(|r| r.engines.values().any(|f| f.runs > 1));
    row(
        "exec instructions, run to run, largest difference",
        match spread {
            Some(s) if repeated => format!("{s}"),
            _ => "— (one run)".into(),
        },
        "0 (identical)",
    );
    row("rbpf / ours (interpreters), geometric mean", g("rbpf", "interp"), "≥ 8x");
    t.note = format!(
        "Run to run: every run of one build on our engines, kernels without device state. Each build compiles \
         once per run of a scenario; ci/test's bench gate runs ci-bench twice on each board and requires every \
         exact figure (exec, load, verify, compile) to equal the other run's and the committed baseline's \
         (`sim compare --exact`). µBPF's compile time is its paper's, on its board (a Cortex-M4 Nucleo, likely at \
         {UBPF_CLOCK_MHZ} MHz; its Fletcher-16 build, not ours): a comparison of magnitude, not a goal of issue 18."
    );
    t
}

/// The median of the interpreter's guest instructions per eBPF instruction, one figure
/// per kernel (its largest input), with the range; helper time included.
fn per_kernel_median(rows: &[Row]) -> Option<String> {
    let mut largest: Vec<&Row> = Vec::new();
    for r in rows.iter().filter(|r| r.interp_per_ebpf().is_some()) {
        match largest.iter_mut().find(|l| l.kernel == r.kernel) {
            Some(l) if l.data_size < r.data_size => *l = r,
            Some(_) => {}
            None => largest.push(r),
        }
    }
    let mut per: Vec<f64> = largest.iter().filter_map(|r| r.interp_per_ebpf()).collect();
    per.sort_by(f64::total_cmp);
    let n = per.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => per[n / 2],
        _ => (per[n / 2 - 1] + per[n / 2]) / 2.0,
    };
    Some(format!("{median:.1} over {n} kernels ({:.1} – {:.1}, helper calls included)", per[0], per[n - 1]))
}

/// The same benchmarks on nodes of different targets, side by side: the fewest guest
/// instructions each target's nodes took per kernel, size and engine. `None` when
/// every node ran on one target.
fn boards(r: &Results) -> Option<Table> {
    use std::collections::BTreeMap;
    let target_of: BTreeMap<&str, &str> = r.nodes.iter().map(|n| (n.name.as_str(), n.target.as_str())).collect();
    let mut targets: Vec<&str> = r.benchmarks.iter().filter_map(|b| target_of.get(b.node.as_str()).copied()).collect();
    targets.sort();
    targets.dedup();
    let [first, second] = targets[..] else { return None };
    let mut best: BTreeMap<(&str, usize, &str), BTreeMap<&str, u64>> = BTreeMap::new();
    for b in r.benchmarks.iter().filter(|b| b.ok) {
        let Some(&target) = target_of.get(b.node.as_str()) else { continue };
        let slot = best
            .entry((b.kernel.as_str(), b.data_size, b.engine.as_str()))
            .or_default()
            .entry(target)
            .or_insert(u64::MAX);
        *slot = (*slot).min(b.exec_insns);
    }
    let mut t = Table::new("The same code on two boards", &["kernel", "bytes", "engine", first, second, "difference"]);
    for ((kernel, size, engine), by) in &best {
        let (Some(&a), Some(&b)) = (by.get(first), by.get(second)) else { continue };
        let diff = if a == b {
            "same".to_string()
        } else {
            format!("{:+} ({:+.2} %)", b as i64 - a as i64, (b as f64 - a as f64) * 100.0 / a as f64)
        };
        t.rows.push(vec![kernel.to_string(), size.to_string(), engine.to_string(), group(a), group(b), diff]);
    }
    t.note = "Guest instructions per run (the fewest over runs). The JIT's code and the native builds count the same on both boards; our interpreter differs by a few instructions where it allocates (each board's heap has its own free list), and rbpf's counts vary between runs even on one board (its allocations and hashing depend on the heap's state).".into();
    Some(t)
}

/// Cycles counted on a chip beside what the emulator says of the same code: its
/// instructions and the cycle model's estimate (from the run's QEMU nodes, where it
/// has any). Only runs with board nodes have the first column.
fn silicon(r: &Results) -> Option<Table> {
    use std::collections::BTreeMap;
    let median = |v: &mut Vec<u64>| (!v.is_empty()).then(|| super::percentile(v, 50.0));
    type Figures = (Vec<u64>, Vec<u64>, Vec<u64>);
    let mut by: BTreeMap<(&str, usize, &str), Figures> = BTreeMap::new();
    for b in r.benchmarks.iter().filter(|b| b.ok) {
        let f = by.entry((b.kernel.as_str(), b.data_size, b.engine.as_str())).or_default();
        f.0.extend(b.hw_cycles);
        if b.measured_by == "plugin" {
            f.1.push(b.exec_insns);
            f.2.extend(b.exec_cycles);
        }
    }
    if by.values().all(|f| f.0.is_empty()) {
        return None;
    }
    let mut t = Table::new(
        "Silicon against the emulator",
        &["kernel", "bytes", "engine", "cycles (chip)", "instructions (QEMU)", "cycles (model)", "model / chip"],
    );
    for ((kernel, size, engine), (mut hw, mut insns, mut model)) in by {
        let Some(hw) = median(&mut hw) else { continue };
        let model = median(&mut model);
        t.rows.push(vec![
            kernel.to_string(),
            size.to_string(),
            engine.to_string(),
            group(hw),
            num(median(&mut insns)),
            num(model),
            ratio(model.filter(|_| hw > 0).map(|m| m as f64 / hw as f64)),
        ]);
    }
    t.note = "Cycles (chip): the core's DWT cycle counter around the run, read by the firmware on the board (median over runs). Instructions and the model's cycles come from this run's QEMU nodes (the instruction-count plugin and docs/cycle-model.md), where it has any: a ratio near 1 says the model holds for that code on that chip (flash wait states and caches are not in the model).".into();
    Some(t)
}

fn cross_check(r: &Results) -> Table {
    let mut t = Table::new(
        "Plugin against SysTick (runs of 100,000 instructions or more)",
        &["kernel", "bytes", "engine", "plugin", "SysTick", "difference"],
    );
    for (k, s, e, p, st, d) in summary::cross_check(&r.benchmarks, 100_000) {
        t.rows.push(vec![k, s.to_string(), e, group(p), group(st), format!("{d:+.3} %")]);
    }
    t.note = "The in-guest SysTick count under -icount shift=0 (one count = 40 instructions on mps2-an386's 25 MHz, 100 on the STM32L475's 10 MHz SysTick reference) against the plugin's exact count between the same markers.".into();
    t
}

fn deploys(r: &Results) -> Table {
    let mut t = Table::new(
        "Deployments (signed pulls)",
        &[
            "node",
            "program",
            "tamper",
            "pulls",
            "ok",
            "answer",
            "latency p50 / p95 / max (ms)",
            "pull (guest insns, median)",
            "load + verify (insns)",
        ],
    );
    for ((node, program, tamper), of) in super::grouped(&r.deploys, |d| (d.node.clone(), d.program.clone(), d.tamper)) {
        let mut lat: Vec<u64> = of.iter().map(|d| d.latency_ms).collect();
        let mut pull: Vec<u64> = of.iter().filter_map(|d| d.pull_insns).collect();
        let lv = of.iter().find_map(|d| Some(d.load_insns? + d.verify_insns?));
        let codes: Vec<&str> =
            of.iter().map(|d| d.code.as_str()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        t.rows.push(vec![
            node,
            program,
            tamper.name().to_string(),
            of.len().to_string(),
            of.iter().filter(|d| d.ok).count().to_string(),
            codes.join(" "),
            format!(
                "{} / {} / {}",
                super::percentile(&mut lat, 50.0),
                super::percentile(&mut lat, 95.0),
                lat.last().unwrap_or(&0)
            ),
            if pull.is_empty() { "—".into() } else { group(super::percentile(&mut pull, 50.0)) },
            num(lv),
        ]);
    }
    t.note = "Latency is host wall time (QEMU's virtual clock follows the host's while nodes idle); guest instructions of a pull include waiting for the network.".into();
    t
}

fn execs(r: &Results) -> Table {
    let mut t = Table::new(
        "Executions",
        &[
            "node",
            "slot",
            "engine",
            "runs",
            "ok",
            "result",
            "insns (median)",
            "cycles (median)",
            "round trip ms (median)",
        ],
    );
    for ((node, slot, engine), of) in super::grouped(&r.execs, |e| (e.node.clone(), e.slot, e.engine.clone())) {
        let mut insns: Vec<u64> = of.iter().map(|e| e.measured.insns).collect();
        let mut cycles: Vec<u64> = of.iter().filter_map(|e| e.measured.cycles).collect();
        let mut trip: Vec<u64> = of.iter().filter_map(|e| e.round_trip_us).collect();
        t.rows.push(vec![
            node,
            slot.to_string(),
            engine,
            of.len().to_string(),
            of.iter().filter(|e| e.ok).count().to_string(),
            of.first().and_then(|e| e.result).map(|v| v.to_string()).unwrap_or_else(|| "—".into()),
            group(super::percentile(&mut insns, 50.0)),
            if cycles.is_empty() { "—".into() } else { group(super::percentile(&mut cycles, 50.0)) },
            if trip.is_empty() {
                "—".into()
            } else {
                format!("{:.2}", super::percentile(&mut trip, 50.0) as f64 / 1000.0)
            },
        ]);
    }
    t.note = "Round trip: the host's time from sending the exec request to its answer, over the node's link (UDP, or its serial line through the host's bridge).".into();
    t
}

#[cfg(test)]
mod tests {
    /// A board node's run (chip cycles, SysTick only) and a QEMU node's run of the same
    /// kernel (plugin instructions and the model's cycles).
    fn results(board_cycles: Option<u64>) -> crate::runner::Results {
        let bench = |node: &str, by: &str, insns: u64, model: Option<u64>, hw: Option<u64>| {
            serde_json::json!({"node": node, "kernel": "crc32", "data_size": 640, "engine": "jit", "run": 0,
                "result": 1, "expected": 1, "ok": true, "error": null, "exec_insns": insns, "exec_cycles": model,
                "systick_insns": insns, "compile_insns": 0, "compile_cycles": null, "executed_ebpf": 10,
                "bytecode_bytes": 100, "code_bytes": 200, "measured_by": by, "hw_cycles": hw})
        };
        serde_json::from_value(serde_json::json!({"scenario": "s", "description": "", "started_utc": "",
            "duration_ms": 0, "provenance": {}, "nodes": [], "steps": [], "passed": true,
            "benchmarks": [bench("desk", "systick", 30_000, None, board_cycles),
                           bench("qemu", "plugin", 20_000, Some(26_000), None)]}))
        .unwrap()
    }

    #[test]
    fn where_we_stand_names_the_worst_kernels_and_any_difference_between_runs() {
        let bench = |kernel: &str, size: u64, engine: &str, run: u64, insns: u64, compile: u64| {
            serde_json::json!({"node": "m4", "kernel": kernel, "data_size": size, "engine": engine, "run": run,
                "result": 1, "expected": 1, "ok": true, "error": null, "exec_insns": insns, "exec_cycles": null,
                "systick_insns": insns, "compile_insns": compile, "compile_cycles": null, "executed_ebpf": 10,
                "bytecode_bytes": 400, "code_bytes": 800, "measured_by": "plugin"})
        };
        let mut benchmarks = vec![
            bench("sha256", 640, "jit", 0, 5_000, 64_000),
            bench("sha256", 640, "native", 0, 1_000, 0),
            bench("fletcher16", 2560, "jit", 0, 1_070, 20_000),
            bench("fletcher16", 2560, "jit", 1, 1_073, 20_000),
            bench("fletcher16", 2560, "native", 0, 1_000, 0),
        ];
        benchmarks[2]["compile_cycles"] = serde_json::json!(36_000);
        let r: crate::runner::Results = serde_json::from_value(serde_json::json!({"scenario": "s", "description": "",
            "started_utc": "", "duration_ms": 0, "provenance": {}, "nodes": [], "steps": [], "passed": true,
            "benchmarks": benchmarks}))
        .unwrap();
        let t = super::goals(&super::summary::rows(&r.benchmarks));
        let measured = |figure: &str| t.rows.iter().find(|row| row[0].starts_with(figure)).map(|row| row[1].clone());
        assert_eq!(measured("JIT / native, worst kernel").as_deref(), Some("5.00x (sha256 640 B)"));
        assert_eq!(measured("JIT compile, guest insns per bytecode byte").as_deref(), Some("160.00 (sha256 640 B)"));
        assert_eq!(measured("exec instructions, run to run").as_deref(), Some("3"));
        // The compile's estimated cycles in time at the clock µBPF's was measured at.
        assert_eq!(
            measured("JIT compile, Fletcher-16 2560 B, estimated cycles").as_deref(),
            Some("36,000 (200 µs at 180 MHz)")
        );
    }

    #[test]
    fn the_jit_table_shows_what_a_compile_held_where_the_device_said() {
        let mut r = results(None);
        r.benchmarks[1].compile_memory = Some(37_164);
        let t = super::jit(&super::summary::rows(&r.benchmarks));
        let column = t.header.iter().position(|c| c == "compile memory (B)").expect("the column");
        assert_eq!(t.rows[0][column], "37,164");
        r.benchmarks[1].compile_memory = None;
        let t = super::jit(&super::summary::rows(&r.benchmarks));
        assert_eq!(t.rows[0][column], "—", "an older firmware says nothing");
    }

    #[test]
    fn chip_cycles_sit_beside_the_emulators_instructions_and_the_models_estimate() {
        let t = super::silicon(&results(Some(25_000))).expect("a run with chip cycles has the table");
        assert_eq!(t.rows, vec![vec!["crc32", "640", "jit", "25,000", "20,000", "26,000", "1.04x"]]);
        assert!(super::silicon(&results(None)).is_none(), "no chip, no table");
    }
}
