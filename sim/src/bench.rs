//! The `bench` step: build each kernel at each data size, deploy it with a signed
//! pull, run it on each engine (our interpreter and JIT, the rbpf crate, the native
//! build), check every result against the kernel's reference, and record the costs.
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use coap_lite::RequestType;
use serde::{Deserialize, Serialize};
use vm::image::Layout;

use crate::kernels::Kernel;
use crate::node::NodeRt;
use crate::runner::{Collected, Ctx, StepResult};
use proto::markers::Phase;
use testbed::firmware::Variant;

use crate::publisher::Built;
use crate::scenario::{BenchStep, Contender};
use crate::steps::{measure, Measured};

/// One run of one build on one engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResult {
    /// The step that made it (`3`, or `4.2` inside a parallel group).
    #[serde(default)]
    pub step: String,
    pub node: String,
    pub kernel: String,
    pub data_size: usize,
    pub engine: String,
    pub run: usize,
    pub result: Option<u64>,
    pub expected: u64,
    pub ok: bool,
    pub error: Option<String>,
    /// Guest instructions of the run: exact (plugin) or SysTick × 40.
    pub exec_insns: u64,
    /// Estimated Cortex-M4 cycles (plugin).
    pub exec_cycles: Option<u64>,
    /// The SysTick figure for the same run, for the cross-check.
    pub systick_insns: u64,
    /// JIT compile cost (the first JIT run after a pull compiles).
    pub compile_insns: u64,
    pub compile_cycles: Option<u64>,
    /// eBPF instructions executed (our interpreter counts them).
    pub executed_ebpf: u64,
    pub bytecode_bytes: usize,
    /// Bytes of code run: bytecode for interpreters, machine code for the JIT.
    pub code_bytes: u32,
    /// `plugin` or `systick`.
    pub measured_by: String,
    /// Core cycles from the chip's cycle counter (DWT), on boards: silicon's figure
    /// beside the emulator's instructions and the cycle model's estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hw_cycles: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_hw_cycles: Option<u64>,
    /// Heap bytes the JIT compile held at most (the run that compiled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_memory: Option<u32>,
}

/// The native builds benchmark firmware carries (`programs/bench/native.txt`).
pub fn native_builds(repo: &Path) -> anyhow::Result<BTreeSet<(String, usize)>> {
    let path = repo.join("programs/bench/native.txt");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let builds = proto::bench::parse_native_list(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(builds.into_iter().flat_map(|(kernel, sizes)| sizes.into_iter().map(move |s| (kernel.clone(), s))).collect())
}

/// Why an engine does not run a kernel, if it does not.
fn not_applicable(
    engine: Contender,
    kernel: Kernel,
    size: usize,
    natives: &BTreeSet<(String, usize)>,
) -> Option<String> {
    match engine {
        // rbpf 0.4 places a called function's frame below its one 512-byte stack and
        // then rejects the frame's own stores (seen on sha256's `compress` call).
        Contender::Engine(proto::Engine::Rbpf) if kernel.has_local_calls() => {
            Some("rbpf 0.4 mishandles the stack frames of bpf-to-bpf calls".into())
        }
        Contender::Native if !natives.contains(&(kernel.name().to_string(), size)) => {
            Some(format!("no native build at {size} bytes (programs/bench/native.txt)"))
        }
        _ => None,
    }
}

pub async fn run(ctx: &Arc<Ctx>, step: &BenchStep, index: &str) -> Collected {
    let mut all = Collected::default();
    let fail = |all: &mut Collected, node: &str, e: String| {
        all.steps.push(StepResult {
            index: index.into(),
            step: "bench".into(),
            node: node.into(),
            ok: false,
            answer: None,
            error: Some(e),
            duration_ms: 0,
        });
    };
    let natives = match native_builds(&ctx.repo) {
        Ok(n) => n,
        Err(e) => {
            fail(&mut all, "-", format!("{e:#}"));
            return all;
        }
    };
    // Build and publish everything first; every node then pulls the same updates in order.
    let mut builds = Vec::new();
    for k in &step.kernels {
        for &size in &k.data_sizes {
            let name = format!("{}-{size}", k.kernel.name());
            let published = ctx
                .publisher
                .build_c(
                    &ctx.repo,
                    &name,
                    Path::new(&k.kernel.source()),
                    Some(size),
                    &[],
                    Layout::Femto,
                    k.kernel.helpers(),
                )
                .and_then(|b| Ok((ctx.publisher.publish(&b, step.slot, crate::scenario::Tamper::None)?, b)));
            match published {
                Ok((uri, built)) => builds.push((k.kernel, size, uri, built)),
                Err(e) => {
                    fail(&mut all, "-", format!("building {name}: {e:#}"));
                    return all;
                }
            }
        }
    }
    let nodes = ctx.nodes_for(&step.node);
    let runs = nodes.into_iter().map(|node| {
        let (builds, natives) = (&builds, &natives);
        async move {
            let t0 = std::time::Instant::now();
            let mut results = Vec::new();
            let outcome = bench_node(&node, step, builds, natives, &mut results).await;
            let failed: Vec<String> = results
                .iter()
                .filter(|r| !r.ok)
                .map(|r| {
                    format!(
                        "{} {} B on {}: {:?} (want {}) {}",
                        r.kernel,
                        r.data_size,
                        r.engine,
                        r.result,
                        r.expected,
                        r.error.clone().unwrap_or_default()
                    )
                })
                .collect();
            let error = match outcome {
                Err(e) => Some(format!("{e:#}")),
                Ok(()) if !failed.is_empty() => Some(failed.join("; ")),
                Ok(()) => None,
            };
            let r = StepResult {
                index: index.into(),
                step: "bench".into(),
                node: node.name.clone(),
                ok: error.is_none(),
                answer: None,
                error,
                duration_ms: t0.elapsed().as_millis() as u64,
            };
            (r, results)
        }
    });
    for (r, results) in futures::future::join_all(runs).await {
        all.steps.push(r);
        all.benchmarks.extend(results);
    }
    all
}

async fn bench_node(
    node: &NodeRt,
    step: &BenchStep,
    builds: &[(Kernel, usize, String, Arc<Built>)],
    natives: &BTreeSet<(String, usize)>,
    out: &mut Vec<BenchResult>,
) -> anyhow::Result<()> {
    if node.firmware != Variant::Testbed {
        if let Some(e) = step.engines.iter().find(|e| e.needs_testbed()) {
            anyhow::bail!("engine `{}` needs `firmware: testbed` on node {}", e.name(), node.name);
        }
    }
    for (kernel, size, uri, built) in builds {
        let expected = kernel.expected(&proto::bench::data(*size));
        node.op(async {
            let mut client = node.client().await;
            client
                .request(
                    RequestType::Post,
                    proto::paths::PULL,
                    &proto::encode(&proto::PullRequest { manifest_uri: uri.clone() }),
                )
                .await
                .with_context(|| format!("pulling {}", built.name))?;
            for &engine in &step.engines {
                if not_applicable(engine, *kernel, *size, natives).is_some() {
                    continue;
                }
                for run in 0..step.repeat {
                    node.new_marks();
                    let (resp, region) = match engine.engine() {
                        Some(pe) => {
                            let req = proto::ExecRequest {
                                slot: step.slot,
                                engine: pe,
                                input: Vec::new(),
                                budget: 0,
                                helpers: None,
                            };
                            (
                                client.request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req)).await?,
                                Phase::Exec,
                            )
                        }
                        None => {
                            let req = proto::NativeRequest { kernel: kernel.name().into(), data_size: *size as u32 };
                            (
                                client.request(RequestType::Post, proto::paths::NATIVE, &proto::encode(&req)).await?,
                                Phase::Native,
                            )
                        }
                    };
                    let r: proto::RunResponse = proto::decode(&resp).context("malformed run answer")?;
                    let m: Measured = measure(node, &r.costs, region);
                    out.push(BenchResult {
                        step: String::new(),
                        node: node.name.clone(),
                        kernel: kernel.name().into(),
                        data_size: *size,
                        engine: engine.name().into(),
                        run,
                        result: r.result,
                        expected,
                        ok: r.result == Some(expected),
                        error: r.failure.map(|f| format!("{:?}: {}", f.kind, f.message)),
                        exec_insns: m.insns,
                        exec_cycles: m.cycles,
                        systick_insns: m.systick_insns,
                        compile_insns: m.compile_insns,
                        compile_cycles: m.compile_cycles,
                        executed_ebpf: r.costs.executed,
                        bytecode_bytes: built.bytecode_bytes,
                        code_bytes: r.costs.code_size,
                        measured_by: m.source,
                        hw_cycles: m.hw_cycles,
                        compile_hw_cycles: m.compile_hw_cycles,
                        compile_memory: r.costs.compile_memory,
                    });
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// Engines in report order.
pub const ENGINES: [&str; 4] =
    [Contender::ALL[0].name(), Contender::ALL[1].name(), Contender::ALL[2].name(), Contender::ALL[3].name()];
