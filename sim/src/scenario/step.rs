//! A scenario's steps: what each asks of which nodes.
use serde::Deserialize;
use testbed::Fault;

use super::one;
use crate::kernels::Kernel;

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
