//! Where the nodes that are not QEMU's run: boards on the desk (the hardware map
//! gives each one its probe and port), Renode, and FIT IoT-LAB experiments. Everything
//! a run needs from them is checked before the first node boots: a node without a
//! map entry, a probe that is not attached, or a missing `renode` fails the run at
//! once, naming what is missing.
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use testbed::firmware::{Board, Variant};
use testbed::hardware_map::{self, HardwareMap};
use testbed::iotlab::{self, Running};
use testbed::{Node, Target};

use crate::scenario::Scenario;

/// How long an IoT-LAB experiment is booked for.
const IOTLAB_MINUTES: u32 = 30;

/// The hardware map's entry of each `board/` node this run boots (none without such
/// nodes); the map is needed once there is one.
pub fn assign_boards(scenario: &Scenario) -> anyhow::Result<Vec<(String, hardware_map::Entry)>> {
    let on_boards: Vec<(String, Board)> = scenario
        .booted()
        .into_iter()
        .filter_map(|(_, name, spec)| match spec.target {
            Target::Board(b) => Some((name, b)),
            _ => None,
        })
        .collect();
    let Some((_, board)) = on_boards.first() else { return Ok(Vec::new()) };
    let path = scenario.hardware_map.as_deref().ok_or(hardware_map::MapError::Missing { board: *board })?;
    let map = HardwareMap::load(path)?;
    let entries = map.assign(&on_boards)?;
    Ok(on_boards.iter().zip(entries).map(|((name, _), e)| (name.clone(), e.clone())).collect())
}

/// The non-QEMU places of a run's nodes.
#[derive(Default)]
pub struct Placement {
    boards: HashMap<String, hardware_map::Entry>,
    iotlab: HashMap<String, (Arc<Running>, String)>,
    iotlab_login: String,
}

impl Placement {
    /// Matches `board/` nodes to the hardware map and checks their probes, checks that
    /// Renode is installed for `renode/` nodes, and starts one IoT-LAB experiment per
    /// site and node type for `iotlab/` nodes.
    pub fn prepare(
        scenario: &Scenario,
        images: &BTreeMap<(Board, Variant), std::path::PathBuf>,
        repo: &Path,
    ) -> anyhow::Result<Placement> {
        let booted = scenario.booted();
        let mut placement = Placement::default();
        let boards = assign_boards(scenario)?;
        if !boards.is_empty() {
            let attached = testbed::probe::attached_probes();
            for (name, entry) in boards {
                hardware_map::check_attached(&name, &entry, &attached)?;
                placement.boards.insert(name, entry);
            }
        }
        if booted.iter().any(|(_, _, s)| matches!(s.target, Target::Renode(_))) {
            testbed::renode::find_renode()?;
        }
        let mut groups: BTreeMap<(String, Board, Variant), Vec<String>> = BTreeMap::new();
        for (_, name, spec) in &booted {
            if let Target::IotLab(site, board) = spec.target {
                groups.entry((site.name().to_string(), board, spec.firmware)).or_default().push(name.clone());
            }
        }
        if !groups.is_empty() {
            let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
            placement.iotlab_login = iotlab::login(&home.join(".iotlabrc"))?;
        }
        for ((site, board, variant), names) in groups {
            let site: iotlab::Site = site.parse().map_err(anyhow::Error::msg)?;
            let mut cli: Box<dyn iotlab::Cli> = Box::new(iotlab::SystemCli::new(repo));
            let image = &images[&(board, variant)];
            let name = format!("mbpf-{}", scenario.name);
            let experiment =
                iotlab::Experiment::start(cli.as_mut(), &name, site, board, names.len(), IOTLAB_MINUTES, image)
                    .with_context(|| format!("the IoT-LAB experiment for {} nodes at {site}", names.len()))?;
            let hosts = experiment.nodes.clone();
            let running = Running::new(experiment, cli);
            for (name, host) in names.into_iter().zip(hosts) {
                placement.iotlab.insert(name, (running.clone(), host));
            }
        }
        Ok(placement)
    }

    /// Boots a node that QEMU does not run.
    pub fn boot(&self, name: &str, target: Target, image: &Path, run_dir: &Path) -> anyhow::Result<Box<dyn Node>> {
        Ok(match target {
            Target::Board(_) => {
                let entry = self.boards.get(name).context("no hardware map entry was assigned")?;
                Box::new(testbed::probe::BoardNode::boot(name, entry, image, run_dir)?)
            }
            Target::Renode(board) => Box::new(testbed::renode::RenodeNode::boot(name, board, image, run_dir)?),
            Target::IotLab(..) => {
                let (running, host) = self.iotlab.get(name).context("no IoT-LAB node was assigned")?;
                Box::new(iotlab::IotLabNode::connect(name, running.clone(), host, &self.iotlab_login, run_dir)?)
            }
            Target::Qemu(_) => anyhow::bail!("QEMU nodes boot through testbed::qemu"),
        })
    }
}
