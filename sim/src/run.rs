//! Running a scenario: boot its nodes, replay its steps, write the results.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tools::coap_client::{CoapClient, Retransmit};

use crate::backend::{qemu, BootSpec, Node};
use crate::scenario::{Action, InfoStep, NodeSpec, Scenario, Target};
use crate::provenance;
use tools::firmware::{self, Variant};

#[derive(Debug, Serialize)]
pub struct Results {
    pub scenario: String,
    pub description: String,
    pub started_utc: String,
    pub duration_ms: u64,
    pub provenance: provenance::Provenance,
    pub nodes: Vec<NodeResult>,
    pub steps: Vec<StepResult>,
    pub benchmarks: Vec<crate::bench::BenchResult>,
    pub passed: bool,
}

#[derive(Debug, Serialize)]
pub struct NodeResult {
    pub name: String,
    pub target: String,
    /// Host wall-clock time from QEMU start to the first answer to GET /info.
    pub boot_to_ready_ms: Option<u64>,
    pub console_log: String,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StepResult {
    pub step: String,
    pub node: String,
    pub ok: bool,
    pub answer: Option<serde_json::Value>,
    pub error: Option<String>,
}

/// Quick probes while waiting for a node to come up.
const PROBE: Retransmit = Retransmit { ack_timeout: Duration::from_millis(300), max_retransmit: 0 };

pub struct Runner {
    pub repo: PathBuf,
    pub results_root: PathBuf,
}

impl Runner {
    /// Runs a scenario; returns the run folder and the results (which say whether it
    /// passed). Nodes are stopped before this returns, whatever happened.
    pub async fn run(&self, scenario_path: &Path, scenario: &Scenario) -> anyhow::Result<(PathBuf, Results)> {
        let started = Instant::now();
        let started_utc = provenance::utc_now();
        let run_dir = self.results_root.join(&scenario.name).join(started_utc.replace(':', "-"));
        std::fs::create_dir_all(&run_dir).with_context(|| format!("cannot create {}", run_dir.display()))?;
        tracing::info!(dir = %run_dir.display(), "run folder");

        let fw = firmware::build(&self.repo, Variant::Default)?;
        let provenance = provenance::collect(&self.repo, &fw, scenario_path)?;

        let mut nodes: Vec<(NodeSpec, Box<dyn Node>)> = Vec::new();
        let mut node_results = Vec::new();
        for spec in &scenario.nodes {
            let boot = BootSpec { name: &spec.name, firmware: &fw, run_dir: &run_dir };
            let node: Box<dyn Node> = match spec.target {
                Target::QemuMps2An386 => Box::new(qemu::boot(&boot)?),
            };
            nodes.push((spec.clone(), node));
        }
        for (spec, node) in nodes.iter_mut() {
            let t0 = Instant::now();
            let ready = wait_ready(node.as_mut(), Duration::from_secs(spec.ready_timeout_s)).await;
            node_results.push(NodeResult {
                name: spec.name.clone(),
                target: "qemu/mps2-an386".into(),
                boot_to_ready_ms: ready.as_ref().ok().map(|_| t0.elapsed().as_millis() as u64),
                console_log: node.console_log().file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                error: ready.err().map(|e| format!("{e:#}")),
            });
        }

        // A file server for the scenario's deployments, in the run folder.
        let files = run_dir.join("files");
        std::fs::create_dir_all(&files)?;
        let server = tools::file_server::FileServer::bind("127.0.0.1:0".parse()?, &files).await?;
        let port = server.local_addr()?.port();
        let server = server.spawn();
        let bench = crate::bench::Bench {
            repo: &self.repo,
            work: &run_dir.join("build"),
            server_root: &files,
            base_uri: format!("coap://10.0.2.2:{port}"),
            key: tools::publish::read_signing_key(&tools::publish::testbed_key_path())?,
        };
        let mut benchmarks = Vec::new();
        let mut steps = Vec::new();
        for step in &scenario.steps {
            match step.action() {
                Some(Action::Info(s)) => {
                    let node = nodes.iter_mut().find(|(n, _)| n.name == s.node).map(|(_, node)| node);
                    let Some(node) = node else { continue };
                    steps.push(info_step(node.as_mut(), s).await);
                }
                Some(Action::Wait(w)) => tokio::time::sleep(Duration::from_secs_f64(w.seconds)).await,
                Some(Action::Bench(b)) => {
                    let node = nodes.iter_mut().find(|(n, _)| n.name == b.node).map(|(_, node)| node);
                    let Some(node) = node else { continue };
                    let mut client = CoapClient::new(node.coap_addr());
                    let mut result = StepResult { step: "bench".into(), node: b.node.clone(), ok: false, answer: None, error: None };
                    match bench.run(b, &mut client).await {
                        Ok(runs) => {
                            let failed: Vec<String> = runs.iter().filter(|r| !r.ok).map(|r| format!("{} bytes on {}: {:?} (want {}) {}", r.data_size, r.engine, r.result, r.expected, r.error.clone().unwrap_or_default())).collect();
                            result.ok = failed.is_empty();
                            result.error = (!failed.is_empty()).then(|| failed.join("; "));
                            benchmarks.extend(runs);
                        }
                        Err(e) => result.error = Some(format!("{e:#}")),
                    }
                    steps.push(result);
                }
                // `Scenario::check` guarantees one action per step.
                None => {}
            }
        }
        for (_, node) in nodes.iter_mut() {
            node.stop();
        }
        server.abort();

        let passed = node_results.iter().all(|n| n.error.is_none()) && steps.iter().all(|s| s.ok);
        let results = Results {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            started_utc,
            duration_ms: started.elapsed().as_millis() as u64,
            provenance,
            nodes: node_results,
            steps,
            benchmarks,
            passed,
        };
        let json = serde_json::to_string_pretty(&results)?;
        std::fs::write(run_dir.join("results.json"), json)?;
        if !results.benchmarks.is_empty() {
            std::fs::write(run_dir.join("bench.csv"), crate::bench::csv(&results.benchmarks))?;
        }
        std::fs::write(run_dir.join("report.md"), crate::report::markdown(&results))?;
        Ok((run_dir, results))
    }
}

/// Polls `GET /info` until the node answers, crashes, or the timeout passes.
async fn wait_ready(node: &mut dyn Node, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut client = CoapClient::new(node.coap_addr()).with_retransmit(PROBE);
    loop {
        if let Some(why) = node.crashed() {
            anyhow::bail!("node {} crashed while booting: {why}", node.name());
        }
        if client.info().await.is_ok() {
            tracing::info!(node = node.name(), "ready");
            return Ok(());
        }
        if Instant::now() >= deadline {
            anyhow::bail!("node {} did not answer GET /info within {timeout:?}", node.name());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn info_step(node: &mut dyn Node, step: &InfoStep) -> StepResult {
    let mut result = StepResult { step: "info".into(), node: step.node.clone(), ok: false, answer: None, error: None };
    let mut client = CoapClient::new(node.coap_addr());
    match client.info().await {
        Ok(info) => {
            result.answer = Some(serde_json::json!({
                "board": info.board, "build_id": info.build_id, "features": info.features,
                "slots": info.slots, "version": info.version, "addresses": info.addresses,
            }));
            let mut problems = Vec::new();
            if let Some(board) = &step.expect.board {
                if &info.board != board {
                    problems.push(format!("board is `{}`, expected `{board}`", info.board));
                }
            }
            for f in &step.expect.features {
                if !info.features.contains(f) {
                    problems.push(format!("feature `{f}` missing"));
                }
            }
            result.ok = problems.is_empty();
            result.error = (!problems.is_empty()).then(|| problems.join("; "));
        }
        Err(e) => {
            let crash = node.crashed().map(|c| format!(" ({c})")).unwrap_or_default();
            result.error = Some(format!("{e:#}{crash}"));
        }
    }
    result
}
