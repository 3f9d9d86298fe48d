//! Scenario files: YAML, validated once on load (unknown keys and bad values are
//! errors with file, line and column), trusted afterwards.
use std::path::{Path, PathBuf};


use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the scenario; results go to `results/<name>/<timestamp>/`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub name: String,
    /// Where the node runs: `qemu/mps2-an386`.
    #[serde(default = "default_target")]
    pub target: Target,
    /// Seconds to wait for the node to answer `GET /info` after boot.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout_s: u64,
}

fn default_target() -> Target {
    Target::QemuMps2An386
}

fn default_ready_timeout() -> u64 {
    30
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Target {
    #[serde(rename = "qemu/mps2-an386")]
    QemuMps2An386,
}

/// One workload step: a map with exactly one key naming the action (YAML's
/// `- info: {...}`), checked in [`Scenario::check`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `GET /info` on a node and compare the answer.
    pub info: Option<InfoStep>,
    /// Let time pass (the nodes keep running).
    pub wait: Option<WaitStep>,
    /// Compile a benchmark program at several data sizes, deploy each (signed pull)
    /// and run it on each engine, checking the result.
    pub bench: Option<BenchStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineName {
    Interp,
    Jit,
}

/// The benchmark kernels sim knows the expected result of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// `programs/bench/fletcher16.c` over `bench_data[DATA_SIZE]` in .rodata.
    Fletcher16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchStep {
    pub node: String,
    pub kernel: Kernel,
    /// The C source, relative to the repository.
    pub source: PathBuf,
    /// One build per size: `bench_data` gets this many bytes.
    pub data_sizes: Vec<usize>,
    pub engines: Vec<EngineName>,
    #[serde(default = "default_slot")]
    pub slot: u8,
}

fn default_slot() -> u8 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitStep {
    pub seconds: f64,
}

/// A step, once validated.
pub enum Action<'a> {
    Info(&'a InfoStep),
    Wait(&'a WaitStep),
    Bench(&'a BenchStep),
}

impl Step {
    pub fn action(&self) -> Option<Action<'_>> {
        let actions: Vec<Action> = self
            .info
            .iter()
            .map(Action::Info)
            .chain(self.wait.iter().map(Action::Wait))
            .chain(self.bench.iter().map(Action::Bench))
            .collect();
        if actions.len() == 1 { actions.into_iter().next() } else { None }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoStep {
    pub node: String,
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

    /// Checks that need the whole file: unique node names, steps naming real nodes.
    fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("name `{}` must be non-empty letters, digits, `-` or `_`", self.name));
        }
        if self.nodes.is_empty() {
            return Err("a scenario needs at least one node".into());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if self.nodes[..i].iter().any(|m| m.name == n.name) {
                return Err(format!("node name `{}` is used twice", n.name));
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let Some(action) = step.action() else {
                return Err(format!("step {} must have exactly one action (e.g. `info`)", i + 1));
            };
            match action {
                Action::Info(s) if !self.nodes.iter().any(|n| n.name == s.node) => {
                    return Err(format!("step {} (`info`) names node `{}`, which the scenario does not define", i + 1, s.node));
                }
                Action::Wait(w) if !(0.0..=3600.0).contains(&w.seconds) => {
                    return Err(format!("step {} (`wait`): seconds must be between 0 and 3600", i + 1));
                }
                Action::Bench(b) if !self.nodes.iter().any(|n| n.name == b.node) => {
                    return Err(format!("step {} (`bench`) names node `{}`, which the scenario does not define", i + 1, b.node));
                }
                Action::Bench(b) if b.data_sizes.is_empty() || b.engines.is_empty() => {
                    return Err(format!("step {} (`bench`): give at least one data size and one engine", i + 1));
                }
                Action::Bench(b) if b.data_sizes.iter().any(|&s| s == 0 || s > 32 * 1024) => {
                    return Err(format!("step {} (`bench`): data sizes must be 1..=32768 bytes", i + 1));
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
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let e = parse("name: x\nnodes:\n  - name: a\n    target: qemu/lm3s6965\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
        let e = parse("name: x\nnodes:\n  - name: a\n    ready_timeout_s: soon\n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
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
    }
}
