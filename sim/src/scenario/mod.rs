//! Scenario files: YAML, validated once on load (unknown keys and bad values are
//! errors with file, line and column), trusted afterwards. Every key is documented
//! in `docs/scenarios.md`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use testbed::firmware::Variant;
use testbed::Target;

mod check;
mod step;

pub use step::*;

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
    /// The hardware map of `board/` nodes (relative to the scenario file;
    /// `sim scenario --hardware-map` overrides it).
    #[serde(default)]
    pub hardware_map: Option<std::path::PathBuf>,
    /// The part of the nodes this run boots (`sim scenario --shard K/N`); all without.
    #[serde(skip)]
    pub shard: Option<Shard>,
}

/// Shard K of N: the nodes at positions K-1, K-1+N, K-1+2N, ... of the scenario's node
/// list ([`Scenario::node_names`]). Round-robin keeps every group spread evenly over
/// the shards, and a node's shard depends only on the scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub fn holds(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard: K/N, with 1 <= K <= N <= {MAX_NODES}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if !(1..=MAX_NODES).contains(&count) || !(1..=count).contains(&index) {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
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
    /// Flash and RAM of each firmware image, per crate.
    Footprint,
    /// Percentiles over the nodes: boot to ready, signed pulls, host CPU while idle,
    /// memory per emulator.
    Fleet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    ExecInsns,
    ExecCycles,
    VsNative,
    CodeSize,
    /// Instructions against Fletcher-16's input size, one line per engine.
    SizeScaling,
    /// JIT compile instructions against bytecode size, one point per kernel build.
    CompileCost,
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
    /// Which firmware build: `default` (the device server), `interp` (that server
    /// without the JIT) or `testbed` (adds native benchmark kernels, the rbpf engine
    /// and unsigned `/run`).
    #[serde(default)]
    pub firmware: Variant,
    /// Seconds to wait for the node to answer `GET /info` after boot.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout_s: u64,
    /// Count instructions exactly with the QEMU plugin (on by default; needs
    /// `ci/build-plugin`).
    #[serde(default = "yes")]
    pub plugin: bool,
    /// Count instructions per firmware function (the report shows where they went;
    /// `<node>.functions.csv` has them all): `true` over the whole run, or a phase's
    /// name (`load`, `verify`, `compile`, `exec`, `native`) for only what runs inside
    /// that phase's measured regions.
    #[serde(default)]
    pub profile: Profile,
}

/// What a node's per-function profile counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "ProfileValue")]
pub enum Profile {
    #[default]
    Off,
    WholeRun,
    Phase(proto::markers::Phase),
}

impl Profile {
    pub fn is_on(self) -> bool {
        self != Profile::Off
    }

    /// What the profile covers, in words (for the report).
    pub fn scope(self) -> String {
        match self {
            Profile::Off => "nothing".into(),
            Profile::WholeRun => "the whole run, boot included".into(),
            Profile::Phase(p) => format!("the {} phase's measured regions only", p.name()),
        }
    }
}

/// `profile:` as written: a switch or a phase's name.
#[derive(Deserialize)]
#[serde(untagged)]
enum ProfileValue {
    Switch(bool),
    Phase(String),
}

impl TryFrom<ProfileValue> for Profile {
    type Error = String;

    fn try_from(v: ProfileValue) -> Result<Self, String> {
        use proto::markers::Phase;
        match v {
            ProfileValue::Switch(on) => Ok(if on { Profile::WholeRun } else { Profile::Off }),
            ProfileValue::Phase(name) => {
                Phase::ALL.into_iter().find(|p| p.name() == name).map(Profile::Phase).ok_or_else(|| {
                    let names: Vec<_> = Phase::ALL.iter().map(|p| p.name()).collect();
                    format!("profile: `{name}` is neither true, false nor a phase ({})", names.join(", "))
                })
            }
        }
    }
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

fn default_target() -> Target {
    Target::QEMU_MPS2
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
pub const MAX_NODES: usize = 256;

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

    /// The nodes this run boots, with their positions in [`Self::node_names`]: all of
    /// them, or the shard's.
    pub fn booted(&self) -> Vec<(usize, String, &NodeSpec)> {
        let held = |i: &usize| self.shard.is_none_or(|s| s.holds(*i));
        self.node_names().into_iter().enumerate().filter(|(i, _)| held(i)).map(|(i, (n, s))| (i, n, s)).collect()
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
mod tests;
