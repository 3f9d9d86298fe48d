//! Running a scenario, in named phases ([`Runner::run`]): prepare the firmware,
//! start the file server (behind an impaired relay when the network asks for one),
//! boot the nodes, replay the steps while a monitor watches the nodes' health, and
//! collect the results.
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use testbed::coap_client::{CoapClient, Credentials};
use testbed::firmware::{self, Board, Variant};
use testbed::plugin::{MarkLog, Markers, PluginSpec};
use testbed::qemu::{self, QemuOptions};
use testbed::Node;
use tokio::sync::watch;

use crate::node::{monitor, wait_ready, Health, NodeRt};
use crate::scenario::{Action, NetworkMode, NodeSpec, Scenario, Step};
use crate::{bench, netem, netns, provenance, publisher, steps};

#[derive(Debug, Serialize, Deserialize)]
pub struct Results {
    pub scenario: String,
    pub description: String,
    pub started_utc: String,
    pub duration_ms: u64,
    pub provenance: serde_json::Value,
    /// The tables and plots the scenario asked for.
    #[serde(default)]
    pub report: crate::scenario::ReportSpec,
    pub nodes: Vec<NodeResult>,
    pub steps: Vec<StepResult>,
    #[serde(default)]
    pub benchmarks: Vec<bench::BenchResult>,
    #[serde(default)]
    pub deploys: Vec<steps::DeployResult>,
    #[serde(default)]
    pub execs: Vec<steps::ExecResult>,
    /// Host CPU per node during `wait` steps.
    #[serde(default)]
    pub idle: Vec<steps::IdleResult>,
    /// Guest instructions per firmware function, for nodes with a `profile` (the 25
    /// costliest).
    #[serde(default)]
    pub profiles: BTreeMap<String, NodeProfile>,
    /// Flash and RAM of each firmware variant the run booted.
    #[serde(default)]
    pub footprints: BTreeMap<String, testbed::footprint::Footprint>,
    /// What the impaired path did, when the scenario asked for one.
    #[serde(default)]
    pub network: Option<serde_json::Value>,
    /// The part of the nodes this run booted (`--shard`).
    #[serde(default)]
    pub shard: Option<crate::scenario::Shard>,
    /// How many shards `sim merge` joined into this run (0: not a merged run).
    #[serde(default)]
    pub merged_shards: usize,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeResult {
    pub name: String,
    /// Its place in the scenario's node list (sharded runs are merged in this order).
    #[serde(default)]
    pub position: usize,
    pub target: String,
    pub firmware: String,
    /// Host wall-clock time from QEMU start to the first answer to GET /info.
    pub boot_to_ready_ms: Option<u64>,
    pub console_log: String,
    /// Why the node failed: did not boot, crashed, or stopped answering.
    pub error: Option<String>,
    /// A fault was injected into this node on purpose.
    #[serde(default)]
    pub fault_injected: bool,
    /// From the injection to its detection.
    pub fault_detected_after_ms: Option<u64>,
    /// What its emulator had cost the host by the end of the steps (none on a board).
    #[serde(default)]
    pub host_usage: Option<testbed::HostUsage>,
    /// Instructions its CPU executed in all, where the emulator counts them (Renode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_instructions: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// Position in the scenario: `3`, or `4.2` inside a parallel group.
    pub index: String,
    pub step: String,
    pub node: String,
    pub ok: bool,
    pub answer: Option<serde_json::Value>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Everything steps need.
pub struct Ctx {
    pub repo: PathBuf,
    pub scenario: Scenario,
    pub nodes: BTreeMap<String, Arc<NodeRt>>,
    pub publisher: publisher::Publisher,
    pub progress: indicatif::ProgressBar,
}

impl Ctx {
    pub fn nodes_for(&self, sel: &crate::scenario::Nodes) -> Vec<Arc<NodeRt>> {
        self.scenario.select(sel).unwrap_or_default().iter().filter_map(|n| self.nodes.get(n).cloned()).collect()
    }
}

/// What the steps produced.
#[derive(Default)]
pub struct Collected {
    pub steps: Vec<StepResult>,
    pub benchmarks: Vec<bench::BenchResult>,
    pub deploys: Vec<steps::DeployResult>,
    pub execs: Vec<steps::ExecResult>,
    pub idle: Vec<steps::IdleResult>,
}

impl Collected {
    pub fn extend(&mut self, other: Collected) {
        self.steps.extend(other.steps);
        self.benchmarks.extend(other.benchmarks);
        self.deploys.extend(other.deploys);
        self.execs.extend(other.execs);
        self.idle.extend(other.idle);
    }

    /// Names `index` as the step of every record not yet named (a parallel group's
    /// records are named by their own steps first).
    fn tag(&mut self, index: &str) {
        let steps = self.deploys.iter_mut().map(|r| &mut r.step);
        let steps = steps.chain(self.execs.iter_mut().map(|r| &mut r.step));
        let steps = steps.chain(self.benchmarks.iter_mut().map(|r| &mut r.step));
        for step in steps.chain(self.idle.iter_mut().map(|r| &mut r.step)).filter(|s| s.is_empty()) {
            *step = index.to_string();
        }
    }
}

pub struct Runner {
    pub repo: PathBuf,
    pub results_root: PathBuf,
}

/// The firmware images a scenario's nodes boot, and how they are measured.
struct Firmware {
    /// By board and variant.
    images: BTreeMap<(Board, Variant), PathBuf>,
    footprints: BTreeMap<String, testbed::footprint::Footprint>,
    plugin_library: Option<PathBuf>,
    provenance: provenance::Provenance,
}

/// The file server, and what stands between it and the nodes.
struct Network {
    files: PathBuf,
    server: tokio::task::JoinHandle<testbed::Result<()>>,
    server_addr: SocketAddr,
    /// The port the nodes reach the file server at (the relay's, when impaired).
    device_port: u16,
    relays: Vec<netem::Relay>,
    namespaces: Vec<Arc<netns::Netns>>,
}

impl Runner {
    /// Runs a scenario; returns the run folder and the results (which say whether it
    /// passed). Nodes are stopped before this returns, whatever happened.
    pub async fn run(&self, scenario_path: &Path, scenario: &Scenario) -> anyhow::Result<(PathBuf, Results)> {
        let started = Instant::now();
        let started_utc = provenance::utc_now();
        let mut folder = started_utc.replace(':', "-");
        if let Some(shard) = scenario.shard {
            folder.push_str(&format!("-shard-{}-of-{}", shard.index, shard.count));
        }
        let run_dir = self.results_root.join(&scenario.name).join(folder);
        std::fs::create_dir_all(&run_dir).with_context(|| format!("cannot create {}", run_dir.display()))?;
        tracing::info!(dir = %run_dir.display(), "run folder");

        let firmware = self.prepare_firmware(scenario_path, scenario)?;
        let mut network = start_file_server(scenario, &run_dir).await?;
        let progress = progress_bar(scenario);
        progress.set_message("booting");
        let (nodes, mut node_results) = boot_nodes(scenario, &self.repo, &firmware, &mut network, &run_dir).await?;
        let collected = self.replay(scenario, &nodes, &network, &run_dir, &progress).await?;
        for result in node_results.iter_mut() {
            let node = &nodes[&result.name];
            let mut backend = node.backend.lock().unwrap_or_else(|e| e.into_inner());
            result.host_usage = backend.host_usage();
            result.executed_instructions = backend.executed_instructions();
            drop(backend);
            node.stop();
        }
        network.server.abort();
        let profiles = collect_profiles(scenario, &firmware, &run_dir)?;
        let relay_stats =
            scenario.network.is_impaired().then(|| netem::RelayStats::sum(network.relays.iter().map(|r| r.stats())));
        drop(network);
        collect_node_health(&nodes, &mut node_results);

        // Nodes faulted on purpose must have been detected; any other failure fails the run.
        let nodes_ok = node_results.iter().all(|n| {
            if n.fault_injected {
                n.fault_detected_after_ms.is_some()
            } else {
                n.error.is_none()
            }
        });
        let passed = nodes_ok && collected.steps.iter().all(|s| s.ok);
        let results = Results {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            started_utc,
            duration_ms: started.elapsed().as_millis() as u64,
            provenance: serde_json::to_value(&firmware.provenance)?,
            report: scenario.report.clone(),
            nodes: node_results,
            steps: collected.steps,
            benchmarks: collected.benchmarks,
            deploys: collected.deploys,
            execs: collected.execs,
            idle: collected.idle,
            profiles,
            footprints: firmware.footprints,
            network: relay_stats.map(serde_json::to_value).transpose()?,
            shard: scenario.shard,
            merged_shards: 0,
            passed,
        };
        crate::report::write_all(&run_dir, &results)?;
        Ok((run_dir, results))
    }

    /// Builds each firmware variant the nodes boot (a cached image of the same sources
    /// is reused), the instruction-count plugin, and the run's provenance.
    fn prepare_firmware(&self, scenario_path: &Path, scenario: &Scenario) -> anyhow::Result<Firmware> {
        let mut images = BTreeMap::new();
        for spec in &scenario.nodes {
            let board = spec.target.board();
            if let std::collections::btree_map::Entry::Vacant(e) = images.entry((board, spec.firmware)) {
                tracing::info!(board = board.name(), variant = spec.firmware.name(), "building firmware");
                e.insert(firmware::build(&self.repo, board, spec.firmware)?);
            }
        }
        let plugin_library = testbed::plugin::plugin_library(&self.repo);
        let wants_plugin = scenario.nodes.iter().any(|n| n.plugin);
        if wants_plugin && plugin_library.is_none() {
            tracing::warn!("the instruction-count plugin could not be built (ci/build-plugin needs gcc): figures come from SysTick (±40 instructions)");
        }
        let fw_list: Vec<(String, PathBuf)> = images.iter().map(|(k, p)| (image_name(*k), p.clone())).collect();
        let provenance =
            provenance::collect(&self.repo, &fw_list, scenario_path, wants_plugin && plugin_library.is_some())?;
        let mut footprints = BTreeMap::new();
        for (key, image) in &images {
            footprints.insert(image_name(*key), testbed::footprint::Footprint::of_elf(image)?);
        }
        Ok(Firmware { images, footprints, plugin_library, provenance })
    }

    /// Replays the steps in order while the monitor watches the nodes.
    async fn replay(
        &self,
        scenario: &Scenario,
        nodes: &BTreeMap<String, Arc<NodeRt>>,
        network: &Network,
        run_dir: &Path,
        progress: &indicatif::ProgressBar,
    ) -> anyhow::Result<Collected> {
        let key = testbed::keys::testbed_key()?;
        let ctx = Arc::new(Ctx {
            repo: self.repo.clone(),
            scenario: scenario.clone(),
            nodes: nodes.clone(),
            publisher: publisher::Publisher::new(
                network.files.clone(),
                format!("coap://10.0.2.2:{}", network.device_port),
                key,
                run_dir.join("build"),
            ),
            progress: progress.clone(),
        });
        let monitor = tokio::spawn(monitor(nodes.values().cloned().collect()));
        let mut collected = Collected::default();
        for (i, step) in scenario.steps.iter().enumerate() {
            let c = run_step(&ctx, step, format!("{}", i + 1)).await;
            collected.extend(c);
            progress.inc(1);
        }
        progress.finish_and_clear();
        monitor.abort();
        Ok(collected)
    }
}

/// Starts the file server on the loopback; with user networking the nodes reach it
/// through one relay when the path is impaired, with tap networking each node's
/// namespace gets its own relay ([`node_network`]).
async fn start_file_server(scenario: &Scenario, run_dir: &Path) -> anyhow::Result<Network> {
    let files = run_dir.join("files");
    std::fs::create_dir_all(&files)?;
    let server = testbed::file_server::FileServer::bind("127.0.0.1:0".parse()?, &files).await?;
    let server_addr = server.local_addr()?;
    let server = server.spawn();
    let tap = scenario.network.mode == NetworkMode::Tap;
    let mut relays = Vec::new();
    if !tap && scenario.network.is_impaired() {
        relays.push(netem::Relay::start(server_addr, &scenario.network).await?);
    }
    let device_port = relays.first().map_or(server_addr.port(), |r| r.port());
    if tap {
        netns::Netns::remove_stale();
    }
    Ok(Network { files, server, server_addr, device_port, relays, namespaces: Vec::new() })
}

/// A node's network: user networking, or a tap device in a namespace of its own with
/// its CoAP port relayed from the host's loopback and the file server relayed
/// (and impaired as asked) from 10.0.2.2 inside.
async fn node_network(scenario: &Scenario, network: &mut Network) -> anyhow::Result<qemu::Network> {
    if scenario.network.mode != NetworkMode::Tap {
        return Ok(qemu::Network::User);
    }
    let ns = Arc::new(netns::Netns::create(&format!("mbpf-{}-{}", std::process::id(), network.namespaces.len()))?);
    let front = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    let coap_addr = front.local_addr()?;
    let node_coap = SocketAddr::from((netns::NODE_IP, proto::COAP_PORT));
    network.relays.push(netem::Relay::start_on(
        front,
        node_coap,
        &crate::scenario::Network::default(),
        netem::Upstream::Netns(ns.clone()),
    )?);
    let inside =
        tokio::net::UdpSocket::from_std(ns.bind_udp(SocketAddr::from((netns::HOST_IP, network.server_addr.port())))?)?;
    network.relays.push(netem::Relay::start_on(
        inside,
        network.server_addr,
        &scenario.network,
        netem::Upstream::Loopback,
    )?);
    let tap = qemu::Tap { netns: ns.name.clone(), device: netns::TAP.into(), coap_addr };
    network.namespaces.push(ns);
    Ok(qemu::Network::Tap(tap))
}

/// How results name a firmware image: the variant, behind the board when it is not
/// mps2-an386 (so that earlier results' names stay).
fn image_name((board, variant): (Board, Variant)) -> String {
    match board {
        Board::Mps2An386 => variant.name().to_string(),
        b => format!("{}/{}", b.name(), variant.name()),
    }
}

/// The instruction-count plugin's set-up for a node that asked for it.
fn plugin_for(name: &str, spec: &NodeSpec, firmware: &Firmware, run_dir: &Path) -> anyhow::Result<Option<PluginSpec>> {
    // The plugin is QEMU's: other targets count otherwise, or not at all.
    let (Some(lib), true) = (&firmware.plugin_library, spec.plugin && spec.target.is_qemu()) else {
        return Ok(None);
    };
    let markers = Markers::from_elf(&firmware.images[&(spec.target.board(), spec.firmware)])?;
    let window = match spec.profile {
        crate::scenario::Profile::Phase(phase) => Some(markers.phase(phase).with_context(|| {
            format!("node {name}: its firmware has no markers of the {} phase to profile", phase.name())
        })?),
        _ => None,
    };
    Ok(Some(PluginSpec {
        library: lib.clone(),
        out: run_dir.join(format!("{name}.marks")),
        markers,
        profile: spec.profile.is_on().then(|| run_dir.join(format!("{name}.profile"))),
        window,
    }))
}

/// Boots one node of `spec` on its target.
async fn boot_node(
    scenario: &Scenario,
    (name, spec): (&str, &NodeSpec),
    image: &Path,
    plugin: Option<PluginSpec>,
    network: &mut Network,
    placement: &crate::targets::Placement,
    run_dir: &Path,
) -> anyhow::Result<Box<dyn Node>> {
    if !spec.target.is_qemu() {
        return placement.boot(name, spec.target, image, run_dir);
    }
    // A serial node is on no network: its link is the bridge to its USART.
    let network =
        if spec.target.board().serial() { qemu::Network::User } else { node_network(scenario, network).await? };
    let options = QemuOptions { board: spec.target.board(), plugin, network };
    Ok(Box::new(qemu::boot_with(name, image, run_dir, &options)?))
}

/// Boots every node, then waits for all of them together.
async fn boot_nodes(
    scenario: &Scenario,
    repo: &Path,
    firmware: &Firmware,
    network: &mut Network,
    run_dir: &Path,
) -> anyhow::Result<(BTreeMap<String, Arc<NodeRt>>, Vec<NodeResult>)> {
    let mut nodes = BTreeMap::new();
    // The firmware sim builds trusts the repository's test client (keys/README.md).
    let credentials = Credentials::testbed().context("the test client's EDHOC credentials")?;
    let placement = crate::targets::Placement::prepare(scenario, &firmware.images, repo)?;
    for (_, name, spec) in scenario.booted() {
        let plugin = plugin_for(&name, spec, firmware, run_dir)?;
        let marks = plugin.as_ref().map(|p| Mutex::new(MarkLog::new(p)));
        let image = &firmware.images[&(spec.target.board(), spec.firmware)];
        let node = boot_node(scenario, (&name, spec), image, plugin, network, &placement, run_dir).await?;
        let rt = NodeRt {
            name: name.clone(),
            firmware: spec.firmware,
            addr: node.coap_addr(),
            client: tokio::sync::Mutex::new(CoapClient::new(node.coap_addr()).with_credentials(credentials.clone())),
            backend: Mutex::new(node),
            marks,
            health: watch::Sender::new(Health::Up),
            op: tokio::sync::Mutex::new(()),
            last_answer: Mutex::new(Instant::now()),
            fault_at: Mutex::new(None),
            detected_after: Mutex::new(None),
        };
        nodes.insert(name.clone(), Arc::new(rt));
    }
    let boots = scenario.booted().into_iter().map(|(_, name, spec)| {
        let node = nodes[&name].clone();
        let timeout = Duration::from_secs(spec.ready_timeout_s);
        async move {
            let t0 = Instant::now();
            let ready = wait_ready(&node, timeout).await;
            if let Err(e) = &ready {
                node.mark_down(format!("{e:#}"));
            }
            (t0.elapsed(), ready)
        }
    });
    let ready = futures::future::join_all(boots).await;
    let mut node_results = Vec::new();
    for ((position, name, spec), (took, ready)) in scenario.booted().into_iter().zip(ready) {
        node_results.push(NodeResult {
            name: name.clone(),
            position,
            target: spec.target.name(),
            firmware: spec.firmware.name().into(),
            boot_to_ready_ms: ready.as_ref().ok().map(|_| took.as_millis() as u64),
            console_log: format!("{name}.console.log"),
            error: ready.err().map(|e| format!("{e:#}")),
            fault_injected: false,
            fault_detected_after_ms: None,
            host_usage: None,
            executed_instructions: None,
        });
    }
    Ok((nodes, node_results))
}

/// A node's profile: where its guest instructions went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeProfile {
    /// What the counts cover, in words.
    pub scope: String,
    /// Instructions per firmware function, the costliest first.
    pub functions: Vec<(String, u64)>,
    /// ... per module (crate and first module: `jit::regalloc`), the costliest first.
    #[serde(default)]
    pub modules: Vec<(String, u64)>,
}

/// Per-function profiles, for nodes that asked: QEMU writes them when it exits, so
/// only after the nodes are stopped.
fn collect_profiles(
    scenario: &Scenario,
    firmware: &Firmware,
    run_dir: &Path,
) -> anyhow::Result<BTreeMap<String, NodeProfile>> {
    let mut profiles = BTreeMap::new();
    for (_, name, spec) in scenario.booted().into_iter().filter(|(_, _, s)| s.profile.is_on()) {
        let path = run_dir.join(format!("{name}.profile"));
        match testbed::plugin::profile_by_function(&firmware.images[&(spec.target.board(), spec.firmware)], &path) {
            Ok(funcs) => {
                let total: u64 = funcs.iter().map(|f| f.1).sum();
                let mut csv = String::from("function,insns,share\n");
                for (f, n) in &funcs {
                    csv.push_str(&format!("\"{}\",{n},{:.4}\n", f.replace('"', "'"), *n as f64 / total.max(1) as f64));
                }
                std::fs::write(run_dir.join(format!("{name}.functions.csv")), csv)?;
                let modules = testbed::plugin::profile_by_module(&funcs);
                profiles.insert(
                    name,
                    NodeProfile {
                        scope: spec.profile.scope(),
                        functions: funcs.into_iter().take(25).collect(),
                        modules,
                    },
                );
            }
            Err(e) => tracing::warn!(node = %name, "no profile: {e:#}"),
        }
    }
    Ok(profiles)
}

/// What the monitor saw of each node: faults injected and detected, and why a node
/// went down.
fn collect_node_health(nodes: &BTreeMap<String, Arc<NodeRt>>, node_results: &mut [NodeResult]) {
    for r in node_results.iter_mut() {
        let node = &nodes[&r.name];
        r.fault_injected = node.fault_at.lock().unwrap_or_else(|e| e.into_inner()).is_some();
        r.fault_detected_after_ms =
            node.detected_after.lock().unwrap_or_else(|e| e.into_inner()).map(|d| d.as_millis() as u64);
        if r.error.is_none() {
            r.error = node.down_reason();
        }
    }
}

fn progress_bar(scenario: &Scenario) -> indicatif::ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(scenario.steps.len() as u64);
    let style =
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} steps  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs one step (a parallel group runs its steps at once) and collects its results.
fn run_step<'a>(
    ctx: &'a Arc<Ctx>,
    step: &'a Step,
    index: String,
) -> std::pin::Pin<Box<dyn Future<Output = Collected> + Send + 'a>> {
    Box::pin(async move {
        let Some(action) = step.action() else {
            return Collected::default();
        };
        ctx.progress.set_message(format!("step {index}: {}", action.name()));
        tracing::info!(step = %index, action = action.name(), "step");
        let mut collected = match action {
            Action::Wait(w) => steps::wait(ctx, w.seconds).await,
            Action::Parallel(group) => {
                let runs = group.iter().enumerate().map(|(j, s)| run_step(ctx, s, format!("{index}.{}", j + 1)));
                let mut all = Collected::default();
                for c in futures::future::join_all(runs).await {
                    all.extend(c);
                }
                all
            }
            Action::Bench(b) => bench::run(ctx, b, &index).await,
            other => steps::run(ctx, &other, &index).await,
        };
        collected.tag(&index);
        collected
    })
}
