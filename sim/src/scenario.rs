//! Scenario files: YAML, validated once on load (unknown keys and bad values are
//! errors with file, line and column), trusted afterwards. Every key is documented
//! in `docs/scenarios.md`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use testbed::firmware::Variant;
use testbed::{Fault, Target};

use crate::kernels::Kernel;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the scenario; results go to `results/<name>/<timestamp>/`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub network: Network,
    /// Programs that `deploy` steps refer to by name.
    #[serde(default)]
    pub programs: Vec<ProgramSpec>,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Which tables and plots the reports show (all that have data by default).
    #[serde(default)]
    pub report: ReportSpec,
}

/// The tables and plots a scenario wants in its reports.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Tables (metrics); empty means all.
    #[serde(default)]
    pub tables: Vec<TableKind>,
    /// Plots; empty means all.
    #[serde(default)]
    pub plots: Vec<PlotKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// Guest instructions per run, per engine, with ratios.
    Instructions,
    /// Estimated cycles per run.
    Cycles,
    /// JIT compile cost, code size, break-even.
    Jit,
    /// The suite's figures against the project's goals.
    Goals,
    /// Plugin against SysTick.
    CrossCheck,
    Deploys,
    Execs,
    Network,
    Profiles,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    ExecInsns,
    ExecCycles,
    VsNative,
    CodeSize,
    DeployLatency,
}

impl ReportSpec {
    pub fn table(&self, t: TableKind) -> bool {
        self.tables.is_empty() || self.tables.contains(&t)
    }

    pub fn plot(&self, p: PlotKind) -> bool {
        self.plots.is_empty() || self.plots.contains(&p)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub name: String,
    /// How many copies: more than one makes a group `name-0` .. `name-(count-1)`;
    /// steps that name the group run on every copy at once.
    #[serde(default = "one")]
    pub count: usize,
    /// Where the node runs: `qemu/mps2-an386`.
    #[serde(default = "default_target")]
    pub target: Target,
    /// Which firmware build: `default` (the device server) or `testbed` (adds native
    /// benchmark kernels, the rbpf engine and unsigned `/run`).
    #[serde(default)]
    pub firmware: Variant,
    /// Seconds to wait for the node to answer `GET /info` after boot.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout_s: u64,
    /// Count instructions exactly with the QEMU plugin (on by default; needs
    /// `ci/build-plugin`).
    #[serde(default = "yes")]
    pub plugin: bool,
    /// Count instructions per firmware function over the whole run (the report
    /// shows where they went; `<node>.functions.csv` has them all).
    #[serde(default)]
    pub profile: bool,
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

fn default_target() -> Target {
    Target::QemuMps2An386
}

fn default_ready_timeout() -> u64 {
    30
}

/// The path between the nodes and the host file server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// `user` (QEMU's user networking, the default) or `tap` (each node on a tap
    /// device in a private network namespace sim creates and removes; needs root).
    #[serde(default)]
    pub mode: NetworkMode,
    /// Fraction of datagrams dropped on the path to the file server (each way).
    #[serde(default)]
    pub loss: f64,
    /// Delay added to every datagram on that path.
    #[serde(default)]
    pub delay_ms: u64,
    /// Fraction of datagrams held back and sent after the next one.
    #[serde(default)]
    pub reorder: f64,
    /// Seed of the loss and reordering decisions (runs with the same seed see the
    /// same pattern, given the same traffic).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkMode {
    #[default]
    User,
    Tap,
}

fn default_seed() -> u64 {
    1
}

impl Network {
    pub fn is_impaired(&self) -> bool {
        self.loss > 0.0 || self.delay_ms > 0 || self.reorder > 0.0
    }
}

/// A program to deploy: a C source compiled on the host, or a prebuilt image.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    pub name: String,
    /// C source, relative to the repository.
    pub source: Option<PathBuf>,
    /// A prebuilt image, relative to the repository.
    pub image: Option<PathBuf>,
    /// The image layout sent to the device: `femto` (default), `extended`, `text`
    /// or `elf`.
    #[serde(default = "default_layout")]
    pub layout: String,
    /// Helper ids the signed manifest grants.
    #[serde(default)]
    pub helpers: Vec<u8>,
    /// Writes `bench_data.h` with this many bytes next to the build (benchmark kernels).
    pub data_size: Option<usize>,
    /// `-D` defines for the compiler.
    #[serde(default)]
    pub defines: BTreeMap<String, String>,
}

fn default_layout() -> String {
    "femto".into()
}

/// One workload step: a map with exactly one key naming the action (YAML's
/// `- info: {...}`), checked in [`Scenario::check`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `GET /info` on nodes and compare the answer.
    pub info: Option<InfoStep>,
    /// Let time pass (the nodes keep running).
    pub wait: Option<WaitStep>,
    /// Benchmark kernels: build each at its data sizes, deploy signed, run on each
    /// engine, check the result.
    pub bench: Option<BenchStep>,
    /// Signed pull of a program into a slot, or a tampered one that must be refused.
    pub deploy: Option<DeployStep>,
    /// Run a slot once on one or more engines.
    pub exec: Option<ExecStep>,
    /// Start a slot as a background program.
    pub start: Option<SlotStep>,
    /// Stop a background program.
    pub stop: Option<SlotStep>,
    /// Set an emulated sensor's reading.
    pub set_sensor: Option<SensorStep>,
    /// Fault injection: kill or freeze a node's emulator.
    pub fault: Option<FaultStep>,
    /// Steps run at the same time (each on its own nodes).
    pub parallel: Option<Vec<Step>>,
}

/// Which nodes a step acts on: a node's or group's name, or `all`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Nodes {
    One(String),
    Many(Vec<String>),
}

/// What a step runs a program on: one of the device's engines, or the kernel's native
/// Cortex-M4 build (testbed firmware), which only benchmarks compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum Contender {
    Engine(proto::Engine),
    Native,
}

impl Contender {
    /// Every contender, in report order.
    pub const ALL: [Contender; 4] = [
        Contender::Engine(proto::Engine::Interp),
        Contender::Engine(proto::Engine::Jit),
        Contender::Engine(proto::Engine::Rbpf),
        Contender::Native,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Contender::Engine(e) => e.name(),
            Contender::Native => "native",
        }
    }

    /// The device engine, unless it is the native build.
    pub fn engine(self) -> Option<proto::Engine> {
        match self {
            Contender::Engine(e) => Some(e),
            Contender::Native => None,
        }
    }

    /// Needs the testbed firmware (rbpf and native builds are only there).
    pub fn needs_testbed(self) -> bool {
        matches!(self, Contender::Engine(proto::Engine::Rbpf) | Contender::Native)
    }
}

impl TryFrom<String> for Contender {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        Contender::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| format!("unknown engine `{name}` (interp, jit, rbpf, native)"))
    }
}

impl From<Contender> for String {
    fn from(c: Contender) -> String {
        c.name().into()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoStep {
    pub node: Nodes,
    #[serde(default)]
    pub expect: InfoExpect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoExpect {
    pub board: Option<String>,
    /// Features that must be present.
    #[serde(default)]
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitStep {
    pub seconds: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchStep {
    pub node: Nodes,
    pub kernels: Vec<BenchKernel>,
    pub engines: Vec<Contender>,
    /// Runs per engine and build (the report shows their spread).
    #[serde(default = "one")]
    pub repeat: usize,
    #[serde(default = "default_slot")]
    pub slot: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchKernel {
    pub kernel: Kernel,
    /// One build per size: `bench_data` gets this many bytes.
    pub data_sizes: Vec<usize>,
}

fn default_slot() -> u8 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployStep {
    pub node: Nodes,
    /// A name from `programs`.
    pub program: String,
    #[serde(default = "default_slot")]
    pub slot: u8,
    /// Deliver a broken update instead, which the device must refuse.
    #[serde(default)]
    pub tamper: Tamper,
    /// How many times (latency figures per pull).
    #[serde(default = "one")]
    pub repeat: usize,
}

/// Ways to break a signed update; each must be refused with the slot unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    // (names as in scenario files: `none`, `wrong_key`, ...; see `Tamper::name`)
    #[default]
    None,
    /// Signed by a key the device does not trust.
    WrongKey,
    /// One byte of the image changed after signing.
    ImageDigest,
    /// A sequence number not above the slot's current one.
    Replay,
    /// A manifest for another device class.
    WrongClass,
    /// One byte of the signed manifest changed after signing.
    Manifest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecStep {
    pub node: Nodes,
    #[serde(default = "default_slot")]
    pub slot: u8,
    #[serde(default = "default_engines")]
    pub engines: Vec<Contender>,
    /// Input bytes as hex.
    #[serde(default)]
    pub input: String,
    /// The r0 every run must return.
    pub expect: Option<u64>,
    #[serde(default = "one")]
    pub repeat: usize,
}

fn default_engines() -> Vec<Contender> {
    vec![Contender::Engine(proto::Engine::Interp)]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotStep {
    pub node: Nodes,
    #[serde(default = "default_slot")]
    pub slot: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorStep {
    pub node: Nodes,
    pub index: u8,
    pub value: i16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    pub node: Nodes,
    pub kind: Fault,
}

impl Tamper {
    pub fn name(self) -> &'static str {
        match self {
            Tamper::None => "none",
            Tamper::WrongKey => "wrong_key",
            Tamper::ImageDigest => "image_digest",
            Tamper::Replay => "replay",
            Tamper::WrongClass => "wrong_class",
            Tamper::Manifest => "manifest",
        }
    }
}

/// A step, once validated.
pub enum Action<'a> {
    Info(&'a InfoStep),
    Wait(&'a WaitStep),
    Bench(&'a BenchStep),
    Deploy(&'a DeployStep),
    Exec(&'a ExecStep),
    Start(&'a SlotStep),
    Stop(&'a SlotStep),
    SetSensor(&'a SensorStep),
    Fault(&'a FaultStep),
    Parallel(&'a [Step]),
}

impl Action<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Info(_) => "info",
            Action::Wait(_) => "wait",
            Action::Bench(_) => "bench",
            Action::Deploy(_) => "deploy",
            Action::Exec(_) => "exec",
            Action::Start(_) => "start",
            Action::Stop(_) => "stop",
            Action::SetSensor(_) => "set_sensor",
            Action::Fault(_) => "fault",
            Action::Parallel(_) => "parallel",
        }
    }

    /// The nodes the step names (none for `wait` and `parallel`).
    pub fn nodes(&self) -> Option<&Nodes> {
        match self {
            Action::Info(s) => Some(&s.node),
            Action::Bench(s) => Some(&s.node),
            Action::Deploy(s) => Some(&s.node),
            Action::Exec(s) => Some(&s.node),
            Action::Start(s) | Action::Stop(s) => Some(&s.node),
            Action::SetSensor(s) => Some(&s.node),
            Action::Fault(s) => Some(&s.node),
            Action::Wait(_) | Action::Parallel(_) => None,
        }
    }
}

impl Step {
    pub fn action(&self) -> Option<Action<'_>> {
        let mut actions = Vec::new();
        actions.extend(self.info.iter().map(Action::Info));
        actions.extend(self.wait.iter().map(Action::Wait));
        actions.extend(self.bench.iter().map(Action::Bench));
        actions.extend(self.deploy.iter().map(Action::Deploy));
        actions.extend(self.exec.iter().map(Action::Exec));
        actions.extend(self.start.iter().map(Action::Start));
        actions.extend(self.stop.iter().map(Action::Stop));
        actions.extend(self.set_sensor.iter().map(Action::SetSensor));
        actions.extend(self.fault.iter().map(Action::Fault));
        actions.extend(self.parallel.iter().map(|p| Action::Parallel(p)));
        if actions.len() == 1 {
            actions.pop()
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("no scenario `{name}`: looked for {tried}")]
    NotFound { name: String, tried: String },
}

/// Most nodes one scenario may boot.
pub const MAX_NODES: usize = 64;

impl Scenario {
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io { path: path.into(), source })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = yaml_serde::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            // The library appends "at line N column M" itself; keep the message clean.
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            ScenarioError::Syntax { path: path.into(), line, column, message }
        })?;
        scenario.check().map_err(|message| ScenarioError::Invalid { path: path.into(), message })?;
        Ok(scenario)
    }

    /// Every node the scenario boots: groups expanded to `name-i`.
    pub fn node_names(&self) -> Vec<(String, &NodeSpec)> {
        let mut out = Vec::new();
        for spec in &self.nodes {
            if spec.count == 1 {
                out.push((spec.name.clone(), spec));
            } else {
                out.extend((0..spec.count).map(|i| (format!("{}-{i}", spec.name), spec)));
            }
        }
        out
    }

    /// The nodes a selector names, in scenario order: a node, a group (all its
    /// copies), a list of those, or `all`.
    pub fn select(&self, nodes: &Nodes) -> Result<Vec<String>, String> {
        let names: Vec<&str> = match nodes {
            Nodes::One(n) => vec![n.as_str()],
            Nodes::Many(v) => v.iter().map(String::as_str).collect(),
        };
        let all = self.node_names();
        let mut out = Vec::new();
        for name in names {
            let matched: Vec<String> = if name == "all" {
                all.iter().map(|(n, _)| n.clone()).collect()
            } else if let Some(group) = self.nodes.iter().find(|s| s.name == name) {
                all.iter().filter(|(_, s)| std::ptr::eq(*s, group)).map(|(n, _)| n.clone()).collect()
            } else if all.iter().any(|(n, _)| n == name) {
                vec![name.to_string()]
            } else {
                return Err(format!("names node `{name}`, which the scenario does not define"));
            };
            for m in matched {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }

    /// Checks that need the whole file: unique node names, steps naming real nodes
    /// and programs, values in range.
    fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("name `{}` must be non-empty letters, digits, `-` or `_`", self.name));
        }
        if self.nodes.is_empty() {
            return Err("a scenario needs at least one node".into());
        }
        let names = self.node_names();
        if names.len() > MAX_NODES {
            return Err(format!("{} nodes; at most {MAX_NODES}", names.len()));
        }
        for spec in &self.nodes {
            if spec.count == 0 {
                return Err(format!("node `{}`: count must be at least 1", spec.name));
            }
            if spec.name == "all" {
                return Err("`all` is reserved: it selects every node".into());
            }
        }
        for (i, (n, _)) in names.iter().enumerate() {
            if names[..i].iter().any(|(m, _)| m == n) || (self.nodes.iter().any(|s| &s.name == n && s.count > 1)) {
                return Err(format!("node name `{n}` is used twice"));
            }
        }
        let net = &self.network;
        if !(0.0..=0.9).contains(&net.loss) || !(0.0..=0.9).contains(&net.reorder) {
            return Err("network: loss and reorder must be between 0 and 0.9".into());
        }
        if net.delay_ms > 10_000 {
            return Err("network: delay_ms must be at most 10000".into());
        }
        for (i, p) in self.programs.iter().enumerate() {
            if self.programs[..i].iter().any(|q| q.name == p.name) {
                return Err(format!("program name `{}` is used twice", p.name));
            }
            if p.source.is_some() == p.image.is_some() {
                return Err(format!("program `{}`: give exactly one of `source` and `image`", p.name));
            }
            if vm::image::Layout::from_name(&p.layout).is_none() {
                return Err(format!(
                    "program `{}`: unknown layout `{}` (text, femto, extended, elf)",
                    p.name, p.layout
                ));
            }
        }
        self.check_steps(&self.steps, "step ")
    }

    fn check_steps(&self, steps: &[Step], prefix: &str) -> Result<(), String> {
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{prefix}{}", i + 1);
            let Some(action) = step.action() else {
                return Err(format!("{at} must have exactly one action (e.g. `info`)"));
            };
            let name = action.name();
            if let Some(nodes) = action.nodes() {
                self.select(nodes).map_err(|e| format!("{at} (`{name}`) {e}"))?;
            }
            let bad = |what: &str| Err(format!("{at} (`{name}`): {what}"));
            match action {
                Action::Wait(w) if !(0.0..=3600.0).contains(&w.seconds) => {
                    return bad("seconds must be between 0 and 3600")
                }
                Action::Bench(b) => {
                    if b.kernels.is_empty() || b.engines.is_empty() {
                        return bad("give at least one kernel and one engine");
                    }
                    if !(1..=100).contains(&b.repeat) {
                        return bad("repeat must be 1..=100");
                    }
                    for k in &b.kernels {
                        if k.data_sizes.is_empty() {
                            return bad(&format!("{}: give at least one data size", k.kernel.name()));
                        }
                        if let Some(s) = k.data_sizes.iter().find(|s| !k.kernel.sizes().contains(s)) {
                            let r = k.kernel.sizes();
                            return bad(&format!(
                                "{}: data size {s} is outside {}..={}",
                                k.kernel.name(),
                                r.start(),
                                r.end()
                            ));
                        }
                    }
                }
                Action::Deploy(d) => {
                    if !self.programs.iter().any(|p| p.name == d.program) {
                        return bad(&format!("no program `{}` under `programs`", d.program));
                    }
                    if !(1..=1000).contains(&d.repeat) {
                        return bad("repeat must be 1..=1000");
                    }
                }
                Action::Exec(e) => {
                    if e.engines.is_empty() || !(1..=1000).contains(&e.repeat) {
                        return bad("give at least one engine, and repeat 1..=1000");
                    }
                    if e.engines.contains(&Contender::Native) {
                        return bad("`native` runs benchmark kernels: use a `bench` step");
                    }
                    if e.input.len() % 2 != 0 || !e.input.chars().all(|c| c.is_ascii_hexdigit()) {
                        return bad("input must be hex digits, two per byte");
                    }
                }
                Action::Parallel(steps) => {
                    if steps.iter().any(|s| matches!(s.action(), Some(Action::Parallel(_)))) {
                        return bad("parallel groups do not nest");
                    }
                    self.check_steps(steps, &format!("{at}.")).map_err(|e| e.to_string())?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Finds a scenario: a path as given, or a bare name in `scenarios/` (with or
/// without `.yaml`).
pub fn resolve(arg: &str, scenarios_dir: &Path) -> Result<PathBuf, ScenarioError> {
    let direct = PathBuf::from(arg);
    if direct.is_file() {
        return Ok(direct);
    }
    let mut tried = vec![direct.display().to_string()];
    for candidate in [scenarios_dir.join(arg), scenarios_dir.join(format!("{arg}.yaml"))] {
        if candidate.is_file() {
            return Ok(candidate);
        }
        tried.push(candidate.display().to_string());
    }
    Err(ScenarioError::NotFound { name: arg.into(), tried: tried.join(", ") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(Path::new("t.yaml"), text)
    }

    #[test]
    fn a_minimal_scenario_parses_with_defaults() {
        let s = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - info: {node: a}\n").unwrap();
        assert_eq!(s.nodes[0].target, Target::QemuMps2An386);
        assert_eq!(s.nodes[0].ready_timeout_s, 30);
        assert_eq!(s.nodes[0].firmware, Variant::Default);
        assert!(!s.network.is_impaired());
    }

    #[test]
    fn unknown_keys_name_line_and_column() {
        let e = parse("name: x\nnodes:\n  - name: a\n    colour: red\n").unwrap_err();
        match e {
            ScenarioError::Syntax { line, column, message, .. } => {
                assert_eq!((line, column), (4, 5), "{message}");
                assert!(message.contains("colour"), "{message}");
            }
            other => panic!("{other}"),
        }
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - bench:\n      node: a\n      kernels: [{kernel: crc32, data_sizes: [64], speed: 2}]\n      engines: [jit]\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 7, .. }), "{e}");
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let e = parse("name: x\nnodes:\n  - name: a\n    target: qemu/lm3s6965\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\n    ready_timeout_s: soon\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - bench:\n      node: a\n      kernels: [{kernel: quicksort, data_sizes: [64]}]\n      engines: [jit]\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 7, .. }), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - exec: {node: a, engines: [turbo]}\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 5, .. }), "{e}");
    }

    #[test]
    fn whole_file_checks() {
        assert!(matches!(parse("name: x\nnodes: []\n"), Err(ScenarioError::Invalid { .. })));
        assert!(parse("name: x\nnodes:\n  - name: a\n  - name: a\n").is_err());
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - info: {node: b}\n").unwrap_err();
        assert!(e.to_string().contains("`b`"), "{e}");
        assert!(parse("name: ../x\nnodes:\n  - name: a\n").is_err());
        assert!(parse("name: x\nnodes:\n  - name: a\nsteps:\n  - {}\n").is_err());
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - reboot: {node: a}\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 5, .. }), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - deploy: {node: a, program: p}\n").unwrap_err();
        assert!(e.to_string().contains("no program `p`"), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\nnetwork: {loss: 1.5}\n").unwrap_err();
        assert!(e.to_string().contains("loss"), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - bench: {node: a, kernels: [{kernel: bubble_sort, data_sizes: [4096]}], engines: [jit]}\n").unwrap_err();
        assert!(e.to_string().contains("outside"), "{e}");
        let e = parse("name: x\nnodes:\n  - {name: a, count: 65}\n").unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
    }

    #[test]
    fn groups_expand_and_selectors_resolve() {
        let s = parse("name: x\nnodes:\n  - {name: w, count: 3}\n  - name: solo\nsteps:\n  - info: {node: w}\n  - info: {node: [w-1, solo]}\n  - info: {node: all}\n").unwrap();
        let names: Vec<_> = s.node_names().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["w-0", "w-1", "w-2", "solo"]);
        assert_eq!(s.select(&Nodes::One("w".into())).unwrap(), ["w-0", "w-1", "w-2"]);
        assert_eq!(s.select(&Nodes::Many(vec!["w-1".into(), "solo".into()])).unwrap(), ["w-1", "solo"]);
        assert_eq!(s.select(&Nodes::One("all".into())).unwrap().len(), 4);
        assert!(parse("name: x\nnodes:\n  - {name: w, count: 2}\n  - name: w-1\n").is_err());
    }

    #[test]
    fn parallel_steps_are_checked_inside() {
        let e = parse(
            "name: x\nnodes:\n  - name: a\nsteps:\n  - parallel:\n      - info: {node: a}\n      - info: {node: z}\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("step 1.2"), "{e}");
    }
}
