//! The steps other than `bench`: info, deploy (signed, or tampered and refused),
//! exec, start/stop, set_sensor and fault injection. Each runs on every node it
//! names at once.
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use coap_lite::RequestType;
use serde::{Deserialize, Serialize};
use testbed::coap_client::{CoapClient, CoapError};

use crate::node::NodeRt;
use crate::publisher::Built;
use crate::runner::{Collected, Ctx, StepResult};
use crate::scenario::{Action, Tamper};
use proto::markers::Phase;
use testbed::plugin::region as region_cost;

/// One pull of one node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployResult {
    /// The step that made it (`3`, or `4.2` inside a parallel group).
    #[serde(default)]
    pub step: String,
    pub node: String,
    pub program: String,
    pub slot: u8,
    pub tamper: Tamper,
    pub run: usize,
    /// The device installed it (for `tamper: none`) or refused it with the slot unchanged.
    pub ok: bool,
    pub accepted: bool,
    /// The device's answer code (`2.04`, `4.01`, ...).
    pub code: String,
    pub reason: String,
    pub image_bytes: usize,
    /// Host wall time from request to answer.
    pub latency_ms: u64,
    /// Guest instructions the device spent on the pull (SysTick; includes waiting for the network).
    pub pull_insns: Option<u64>,
    /// Loading and verifying the image, exactly (plugin).
    pub load_insns: Option<u64>,
    pub verify_insns: Option<u64>,
}

/// What one node cost its host while a `wait` step let it idle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleResult {
    /// The step that made it (`3`, or `4.2` inside a parallel group).
    #[serde(default)]
    pub step: String,
    pub node: String,
    /// Host wall time of the wait (ms).
    pub wall_ms: u64,
    /// Host CPU time the node's emulator used meanwhile (ms).
    pub host_cpu_ms: u64,
}

impl IdleResult {
    /// Percent of one host core.
    pub fn cpu_percent(&self) -> f64 {
        self.host_cpu_ms as f64 / self.wall_ms.max(1) as f64 * 100.0
    }
}

/// A `wait` step: the nodes idle (the monitor still probes them) while their
/// emulators' host CPU time is read before and after.
pub async fn wait(ctx: &Ctx, seconds: f64) -> Collected {
    let usage = |node: &NodeRt| node.backend.lock().unwrap_or_else(|e| e.into_inner()).host_usage();
    let before: Vec<_> = ctx.nodes.values().map(|n| (n.clone(), usage(n))).collect();
    let t0 = Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs_f64(seconds)).await;
    let wall_ms = t0.elapsed().as_millis() as u64;
    let idle = before
        .into_iter()
        .filter(|(n, _)| n.is_up())
        .filter_map(|(n, b)| {
            let host_cpu_ms = usage(&n)?.cpu_ms.checked_sub(b?.cpu_ms)?;
            Some(IdleResult { step: String::new(), node: n.name.clone(), wall_ms, host_cpu_ms })
        })
        .collect();
    Collected { idle, ..Collected::default() }
}

/// One run of a slot on one engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecResult {
    /// The step that made it (`3`, or `4.2` inside a parallel group).
    #[serde(default)]
    pub step: String,
    pub node: String,
    pub slot: u8,
    pub engine: String,
    pub run: usize,
    pub result: Option<u64>,
    pub expected: Option<u64>,
    pub ok: bool,
    pub error: Option<String>,
    pub measured: Measured,
    /// Host wall-clock time of the request, answer included (over the node's link).
    #[serde(default)]
    pub round_trip_us: Option<u64>,
}

/// What one run cost, measured both ways.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measured {
    /// Guest instructions: exact with the plugin, else SysTick × 40.
    pub insns: u64,
    /// Estimated Cortex-M4 cycles (plugin only).
    pub cycles: Option<u64>,
    /// The in-guest SysTick figure (counts × 40), for the cross-check.
    pub systick_insns: u64,
    /// JIT compile cost when this run compiled.
    pub compile_insns: u64,
    pub compile_cycles: Option<u64>,
    /// `plugin` or `systick`.
    pub source: String,
    /// Core cycles of the run and of its compile, read by the firmware from the chip's
    /// cycle counter (boards only; QEMU has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hw_cycles: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_hw_cycles: Option<u64>,
}

/// Measures a run from its answer's costs and the plugin's marks for `phase`.
pub fn measure(node: &NodeRt, costs: &proto::Costs, phase: Phase) -> Measured {
    let per = costs.insns_per_count as u64;
    let marks = node.new_marks();
    let systick = costs.exec_counts * per;
    match region_cost(&marks, phase) {
        Some(c) => {
            let compile = region_cost(&marks, Phase::Compile);
            Measured {
                insns: c.insns,
                cycles: Some(c.cycles),
                systick_insns: systick,
                compile_insns: compile.map_or(costs.compile_counts * per, |c| c.insns),
                compile_cycles: compile.map(|c| c.cycles),
                source: "plugin".into(),
                hw_cycles: costs.exec_cycles,
                compile_hw_cycles: costs.compile_cycles,
            }
        }
        None => Measured {
            insns: systick,
            cycles: None,
            systick_insns: systick,
            compile_insns: costs.compile_counts * per,
            compile_cycles: None,
            source: "systick".into(),
            hw_cycles: costs.exec_cycles,
            compile_hw_cycles: costs.compile_cycles,
        },
    }
}

fn step_result(index: &str, step: &str, node: &str) -> StepResult {
    StepResult {
        index: index.to_string(),
        step: step.to_string(),
        node: node.to_string(),
        ok: false,
        answer: None,
        error: None,
        duration_ms: 0,
    }
}

/// Runs `f` on every node the step names, at once, collecting a step result per node.
async fn on_each<F, Fut>(ctx: &Arc<Ctx>, sel: &crate::scenario::Nodes, index: &str, step: &str, f: F) -> Collected
where
    F: Fn(Arc<NodeRt>) -> Fut,
    Fut: std::future::Future<Output = (anyhow::Result<Option<serde_json::Value>>, Collected)>,
{
    let nodes = ctx.nodes_for(sel);
    let runs = nodes.into_iter().map(|node| {
        let name = node.name.clone();
        let t0 = Instant::now();
        let fut = f(node);
        async move {
            let (outcome, mut collected) = fut.await;
            let mut r = step_result(index, step, &name);
            r.duration_ms = t0.elapsed().as_millis() as u64;
            match outcome {
                Ok(answer) => {
                    r.ok = true;
                    r.answer = answer;
                }
                Err(e) => r.error = Some(format!("{e:#}")),
            }
            collected.steps.insert(0, r);
            collected
        }
    });
    let mut all = Collected::default();
    for c in futures::future::join_all(runs).await {
        all.extend(c);
    }
    all
}

pub async fn run(ctx: &Arc<Ctx>, action: &Action<'_>, index: &str) -> Collected {
    match action {
        Action::Info(s) => {
            on_each(ctx, &s.node, index, "info", |node| async move {
                let r = node.op(info(&node, &s.expect)).await;
                (r.map(Some), Collected::default())
            })
            .await
        }
        Action::Deploy(d) => deploy(ctx, d, index).await,
        Action::Exec(e) => {
            on_each(ctx, &e.node, index, "exec", |node| async move {
                let mut c = Collected::default();
                let r = node.op(exec(&node, e, &mut c)).await;
                (r.map(|()| None), c)
            })
            .await
        }
        Action::Start(s) => {
            simple(
                ctx,
                &s.node,
                index,
                "start",
                proto::paths::START,
                proto::encode(&proto::StartRequest { slot: s.slot, input: Vec::new(), budget: 0 }),
            )
            .await
        }
        Action::Stop(s) => {
            simple(ctx, &s.node, index, "stop", proto::paths::STOP, proto::encode(&proto::StopRequest { slot: s.slot }))
                .await
        }
        Action::SetSensor(s) => {
            simple(
                ctx,
                &s.node,
                index,
                "set_sensor",
                proto::paths::SENSOR,
                proto::encode(&proto::SensorRequest { index: s.index, value: s.value }),
            )
            .await
        }
        Action::Fault(f) => {
            on_each(ctx, &f.node, index, "fault", |node| async move {
                let r = node
                    .inject(f.kind)
                    .map(|()| Some(serde_json::json!({ "injected": format!("{:?}", f.kind).to_lowercase() })));
                (r, Collected::default())
            })
            .await
        }
        // `run_step` handles these itself.
        Action::Wait(_) | Action::Parallel(_) | Action::Bench(_) => Collected::default(),
    }
}

async fn simple(
    ctx: &Arc<Ctx>,
    sel: &crate::scenario::Nodes,
    index: &str,
    step: &str,
    path: &str,
    payload: Vec<u8>,
) -> Collected {
    on_each(ctx, sel, index, step, |node| {
        let payload = payload.clone();
        async move {
            let r = node
                .op(async {
                    node.client()
                        .await
                        .request(RequestType::Post, path, &payload)
                        .await
                        .map(|_| None)
                        .map_err(anyhow::Error::from)
                })
                .await;
            (r, Collected::default())
        }
    })
    .await
}

async fn info(node: &NodeRt, expect: &crate::scenario::InfoExpect) -> anyhow::Result<serde_json::Value> {
    let info = node.client().await.info().await?;
    let answer = serde_json::json!({
        "board": info.board, "build_id": info.build_id, "features": info.features,
        "slots": info.slots, "version": info.version, "addresses": info.addresses,
        "memory": info.memory.map(|m| serde_json::json!({
            "heap_size": m.heap_size, "heap_free": m.heap_free, "stack_size": m.stack_size, "stack_peak": m.stack_peak,
        })),
    });
    let mut problems = Vec::new();
    if let Some(board) = &expect.board {
        if &info.board != board {
            problems.push(format!("board is `{}`, expected `{board}`", info.board));
        }
    }
    for f in &expect.features {
        if !info.features.contains(f) {
            problems.push(format!("feature `{f}` missing"));
        }
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("; "));
    Ok(answer)
}

async fn slot_info(client: &mut CoapClient, slot: u8) -> anyhow::Result<Option<proto::SlotInfo>> {
    let slots: Vec<proto::SlotInfo> =
        proto::decode(&client.get(proto::paths::SLOTS).await?).context("malformed /slots answer")?;
    Ok(slots.into_iter().find(|s| s.slot == slot))
}

async fn deploy(ctx: &Arc<Ctx>, d: &crate::scenario::DeployStep, index: &str) -> Collected {
    let mut all = Collected::default();
    let Some(spec) = ctx.scenario.programs.iter().find(|p| p.name == d.program) else {
        return all;
    };
    for run in 0..d.repeat {
        // One publication per round, pulled by every node the step names.
        let published = ctx
            .publisher
            .build_program(&ctx.repo, spec)
            .and_then(|b| Ok((ctx.publisher.publish(&b, d.slot, d.tamper)?, b)));
        let (uri, built) = match published {
            Ok(x) => x,
            Err(e) => {
                let mut r = step_result(index, "deploy", &format!("{:?}", d.node));
                r.error = Some(format!("building `{}`: {e:#}", d.program));
                all.steps.push(r);
                return all;
            }
        };
        let c = on_each(ctx, &d.node, index, "deploy", |node| {
            let (uri, built) = (uri.clone(), built.clone());
            async move {
                let mut c = Collected::default();
                let r = node.op(pull(&node, &uri, &built, d, run, &mut c)).await;
                (r.map(|()| None), c)
            }
        })
        .await;
        all.extend(c);
    }
    all
}

/// One pull; a good update must install, a tampered one must be refused with the
/// slot unchanged.
async fn pull(
    node: &NodeRt,
    uri: &str,
    built: &Built,
    d: &crate::scenario::DeployStep,
    run: usize,
    out: &mut Collected,
) -> anyhow::Result<()> {
    let mut client = node.client().await;
    let before = slot_info(&mut client, d.slot).await?;
    node.new_marks();
    let t0 = Instant::now();
    let answer = client
        .request(
            RequestType::Post,
            proto::paths::PULL,
            &proto::encode(&proto::PullRequest { manifest_uri: uri.to_string() }),
        )
        .await;
    let latency_ms = t0.elapsed().as_millis() as u64;
    let marks = node.new_marks();
    let mut r = DeployResult {
        step: String::new(),
        node: node.name.clone(),
        program: built.name.clone(),
        slot: d.slot,
        tamper: d.tamper,
        run,
        ok: false,
        accepted: false,
        code: String::new(),
        reason: String::new(),
        image_bytes: built.image.len(),
        latency_ms,
        pull_insns: None,
        load_insns: region_cost(&marks, Phase::Load).map(|c| c.insns),
        verify_insns: region_cost(&marks, Phase::Verify).map(|c| c.insns),
    };
    let after = slot_info(&mut client, d.slot).await?;
    let outcome = match answer {
        Ok(bytes) => {
            let resp: proto::PullResponse = proto::decode(&bytes).context("malformed pull answer")?;
            r.accepted = true;
            r.code = "2.04".into();
            r.pull_insns = Some(resp.counts * resp.insns_per_count as u64);
            let installed =
                after.as_ref().is_some_and(|s| s.loaded && s.image_sha256 == suit::sha256(&built.image).to_vec());
            match d.tamper {
                Tamper::None if installed => Ok(()),
                Tamper::None => {
                    Err(anyhow::anyhow!("the device accepted the update but /slots does not show the image"))
                }
                t => Err(anyhow::anyhow!("the device accepted a tampered update ({t:?})")),
            }
        }
        Err(CoapError::Status { code, payload, .. }) => {
            r.code = code.clone();
            r.reason = String::from_utf8_lossy(&payload).into_owned();
            match d.tamper {
                Tamper::None => Err(anyhow::anyhow!("refused with {code}: {}", r.reason)),
                _ if before != after => Err(anyhow::anyhow!("refused with {code}, but the slot changed")),
                _ if code.starts_with('4') => Ok(()),
                _ => Err(anyhow::anyhow!("refused with {code} ({}), expected a 4.xx refusal", r.reason)),
            }
        }
        Err(e) => Err(e.into()),
    };
    r.ok = outcome.is_ok();
    out.deploys.push(r);
    outcome
}

async fn exec(node: &NodeRt, e: &crate::scenario::ExecStep, out: &mut Collected) -> anyhow::Result<()> {
    let input = hex::decode(e.input.split_whitespace().collect::<String>())?;
    let mut client = node.client().await;
    let mut problems = Vec::new();
    for &engine in &e.engines {
        for run in 0..e.repeat {
            let Some(pe) = engine.engine() else {
                continue;
            };
            node.new_marks();
            let req = proto::ExecRequest { slot: e.slot, engine: pe, input: input.clone(), budget: 0, helpers: None };
            let sent = std::time::Instant::now();
            let answer = client.request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req)).await?;
            let round_trip_us = Some(sent.elapsed().as_micros() as u64);
            let resp: proto::RunResponse = proto::decode(&answer).context("malformed exec answer")?;
            let measured = measure(node, &resp.costs, Phase::Exec);
            let error = resp.failure.as_ref().map(|f| format!("{:?}: {}", f.kind, f.message));
            let ok = error.is_none() && e.expect.is_none_or(|x| resp.result == Some(x));
            if !ok {
                problems.push(format!(
                    "{} run {run}: {:?} (want {:?}) {}",
                    engine.name(),
                    resp.result,
                    e.expect,
                    error.clone().unwrap_or_default()
                ));
            }
            out.execs.push(ExecResult {
                step: String::new(),
                node: node.name.clone(),
                slot: e.slot,
                engine: engine.name().into(),
                run,
                result: resp.result,
                expected: e.expect,
                ok,
                error,
                measured,
                round_trip_us,
            });
        }
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("; "));
    Ok(())
}
