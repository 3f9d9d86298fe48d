//! FIT IoT-LAB nodes as a target (`iotlab/<site>/<node type>`): an experiment is
//! submitted, waited for and stopped with iotlabcli's commands (PyPI `iotlabcli`), the
//! firmware flashed onto its nodes, and each node's serial port (TCP port 20000 on the
//! node's name, inside the site) reached through an SSH tunnel to the site's frontend;
//! the serial bridge then speaks slipmux on it as on any serial line.
//!
//! Credentials stay the user's: iotlabcli reads its own `~/.iotlabrc` (written by
//! `iotlab-auth`), and the SSH login is the user name found there; the project stores
//! neither. The commands run through [`Cli`], so their lines and the answers they
//! parse are tested against recorded outputs without an account.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::firmware::Board;

/// An IoT-LAB site with Cortex-M4 nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Site {
    Grenoble,
    Lille,
    Paris,
    Saclay,
    Strasbourg,
}

impl Site {
    pub const ALL: [Site; 5] = [Site::Grenoble, Site::Lille, Site::Paris, Site::Saclay, Site::Strasbourg];

    pub fn name(self) -> &'static str {
        match self {
            Site::Grenoble => "grenoble",
            Site::Lille => "lille",
            Site::Paris => "paris",
            Site::Saclay => "saclay",
            Site::Strasbourg => "strasbourg",
        }
    }

    /// The site's SSH frontend.
    pub fn frontend(self) -> String {
        format!("{}.iot-lab.info", self.name())
    }
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Site {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Site::ALL.into_iter().find(|site| site.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Site::ALL.iter().map(|s| s.name()).collect();
            format!("unknown IoT-LAB site `{s}` ({})", names.join(", "))
        })
    }
}

/// The IoT-LAB node types our firmware runs on, with the board they are.
const NODE_TYPES: [(&str, &str, Board); 2] =
    [("st-iotnode", "st-iotnode:multi", Board::BL475eIot01a), ("nrf52840dk", "nrf52840dk:multi", Board::Nrf52840Dk)];

/// IoT-LAB's name of a board's node type.
pub fn node_type(board: Board) -> Option<&'static str> {
    NODE_TYPES.iter().find(|(_, _, b)| *b == board).map(|(n, _, _)| *n)
}

/// The board of an IoT-LAB node type.
pub fn board_of(node_type: &str) -> std::result::Result<Board, String> {
    NODE_TYPES.iter().find(|(n, _, _)| *n == node_type).map(|(_, _, b)| *b).ok_or_else(|| {
        let names: Vec<&str> = NODE_TYPES.iter().map(|(n, _, _)| *n).collect();
        format!("IoT-LAB node type `{node_type}` has no mbpf firmware ({})", names.join(", "))
    })
}

fn archi(board: Board) -> Result<&'static str> {
    NODE_TYPES
        .iter()
        .find(|(_, _, b)| *b == board)
        .map(|(_, a, _)| *a)
        .ok_or_else(|| Error::Unsupported { what: format!("{board} on FIT IoT-LAB") })
}

/// Runs one iotlabcli (or ssh) command and returns its standard output.
pub trait Cli: Send {
    fn run(&mut self, program: &str, args: &[String]) -> Result<String>;
}

/// The installed commands: from `PATH`, or the repository's virtual environment
/// (`ci/setup` installs iotlabcli there).
pub struct SystemCli {
    venv_bin: PathBuf,
}

impl SystemCli {
    pub fn new(repo: &Path) -> Self {
        Self { venv_bin: repo.join("target/venv/bin") }
    }

    fn resolve(&self, program: &str) -> PathBuf {
        let in_venv = self.venv_bin.join(program);
        if in_venv.is_file() {
            in_venv
        } else {
            PathBuf::from(program)
        }
    }
}

impl Cli for SystemCli {
    fn run(&mut self, program: &str, args: &[String]) -> Result<String> {
        let out = Command::new(self.resolve(program)).args(args).output().map_err(|source| Error::Spawn {
            program: program.into(),
            hint: "install iotlabcli (ci/setup puts it in target/venv) and run iotlab-auth once",
            source,
        })?;
        if !out.status.success() {
            return Err(Error::ToolFailed {
                program: format!("{program} {}", args.join(" ")),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// One experiment: `count` nodes of one board at one site, all running one firmware.
pub struct Experiment {
    pub id: u64,
    pub site: Site,
    pub board: Board,
    /// The nodes' names (`st-iotnode-7.saclay.iot-lab.info`), in IoT-LAB's order.
    pub nodes: Vec<String>,
}

fn parse_json(program: &str, text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| Error::ToolFailed {
        program: program.into(),
        message: format!("unexpected output ({e}): {}", text.trim()),
    })
}

impl Experiment {
    /// Submits an experiment of `count` nodes for `minutes`, waits until it runs, lists
    /// its nodes and flashes `firmware` onto every one.
    pub fn start(
        cli: &mut dyn Cli,
        name: &str,
        site: Site,
        board: Board,
        count: usize,
        minutes: u32,
        firmware: &Path,
    ) -> Result<Experiment> {
        let resources = format!("{count},archi={}+site={site}", archi(board)?);
        let args = ["submit", "-n", name, "-d", &minutes.to_string(), "-l", &resources].map(String::from);
        let answer = parse_json("iotlab-experiment submit", &cli.run("iotlab-experiment", &args)?)?;
        let id = answer["id"].as_u64().ok_or_else(|| Error::ToolFailed {
            program: "iotlab-experiment submit".into(),
            message: format!("no experiment id in {answer}"),
        })?;
        let mut experiment = Experiment { id, site, board, nodes: Vec::new() };
        // From here on a failure stops the experiment, so that no nodes stay booked.
        match experiment.prepare(cli, count, firmware) {
            Ok(()) => Ok(experiment),
            Err(e) => {
                let _ = experiment.stop(cli);
                Err(e)
            }
        }
    }

    fn prepare(&mut self, cli: &mut dyn Cli, count: usize, firmware: &Path) -> Result<()> {
        let id = self.id.to_string();
        let state = cli.run("iotlab-experiment", &["wait", "-i", &id].map(String::from))?;
        if state.trim().trim_matches('"') != "Running" {
            return Err(Error::ToolFailed {
                program: "iotlab-experiment wait".into(),
                message: format!("experiment {id} is {}, not Running", state.trim()),
            });
        }
        let nodes = parse_json(
            "iotlab-experiment get",
            &cli.run("iotlab-experiment", &["get", "-i", &id, "-n"].map(String::from))?,
        )?;
        let mut names: Vec<String> = nodes["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["network_address"].as_str().map(String::from))
            .collect();
        names.sort_by_key(|n| node_number(n));
        if names.len() != count {
            return Err(Error::ToolFailed {
                program: "iotlab-experiment get".into(),
                message: format!("experiment {id} has {} nodes, {count} were asked for", names.len()),
            });
        }
        let flash = ["--flash".to_string(), firmware.display().to_string(), "-i".into(), id.clone()];
        let flashed = parse_json("iotlab-node --flash", &cli.run("iotlab-node", &flash)?)?;
        let failed: Vec<&str> = flashed["1"].as_array().into_iter().flatten().filter_map(|n| n.as_str()).collect();
        if !failed.is_empty() || flashed["0"].as_array().map_or(0, Vec::len) != count {
            return Err(Error::ToolFailed {
                program: "iotlab-node --flash".into(),
                message: format!(
                    "flashing failed on {}: {flashed}",
                    if failed.is_empty() { "some nodes".into() } else { failed.join(", ") }
                ),
            });
        }
        self.nodes = names;
        Ok(())
    }

    /// Stops the experiment (its nodes go back to IoT-LAB).
    pub fn stop(&self, cli: &mut dyn Cli) -> Result<()> {
        cli.run("iotlab-experiment", &["stop", "-i", &self.id.to_string()].map(String::from)).map(drop)
    }

    /// Resets or powers off one node (fault injection).
    pub fn node_command(&self, cli: &mut dyn Cli, node: &str, command: NodeCommand) -> Result<()> {
        let list = format!("{},{},{}", self.site, node_type(self.board).unwrap_or("?"), node_number(node));
        let args = [command.flag().to_string(), "-i".into(), self.id.to_string(), "-l".into(), list];
        let answer = parse_json("iotlab-node", &cli.run("iotlab-node", &args)?)?;
        if answer["0"].as_array().is_some_and(|ok| ok.iter().any(|n| n.as_str() == Some(node))) {
            Ok(())
        } else {
            Err(Error::ToolFailed { program: format!("iotlab-node {}", command.flag()), message: answer.to_string() })
        }
    }
}

/// What `iotlab-node` does to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeCommand {
    Reset,
    /// Power off: the node is gone, as a crash looks from the host.
    Stop,
}

impl NodeCommand {
    fn flag(self) -> &'static str {
        match self {
            NodeCommand::Reset => "--reset",
            NodeCommand::Stop => "--stop",
        }
    }
}

/// `st-iotnode-12.saclay.iot-lab.info` → 12.
fn node_number(name: &str) -> u32 {
    let host = name.split('.').next().unwrap_or(name);
    host.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The user name of the user's own iotlabcli set-up (`~/.iotlabrc` holds
/// `user:base64(password)`); only the name is read, for the SSH login.
pub fn login(iotlabrc: &Path) -> Result<String> {
    let text = std::fs::read_to_string(iotlabrc).map_err(|_| Error::MissingTool {
        tool: "IoT-LAB account".into(),
        hint: format!("no {}: run `iotlab-auth -u LOGIN` once", iotlabrc.display()),
    })?;
    let user = text.trim().split(':').next().unwrap_or_default();
    if user.is_empty() {
        return Err(Error::Corrupt { path: iotlabrc.to_path_buf(), message: "no user name before ':'".into() });
    }
    Ok(user.to_string())
}

/// The `ssh` arguments of a tunnel from `local_port` on loopback to a node's serial
/// port, through the site's frontend; it runs until killed.
pub fn serial_tunnel_args(login: &str, site: Site, node: &str, local_port: u16) -> Vec<String> {
    let host = node.split('.').next().unwrap_or(node);
    vec![
        "-N".into(),
        "-o".into(),
        "ExitOnForwardFailure=yes".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-L".into(),
        format!("127.0.0.1:{local_port}:{host}:20000"),
        format!("{login}@{}", site.frontend()),
    ]
}

/// A running experiment, shared by its nodes; stopped when the last one is dropped.
pub struct Running {
    experiment: Experiment,
    cli: std::sync::Mutex<Box<dyn Cli>>,
}

impl Running {
    pub fn new(experiment: Experiment, cli: Box<dyn Cli>) -> std::sync::Arc<Running> {
        std::sync::Arc::new(Running { experiment, cli: std::sync::Mutex::new(cli) })
    }

    pub fn experiment(&self) -> &Experiment {
        &self.experiment
    }

    fn node_command(&self, node: &str, command: NodeCommand) -> Result<()> {
        let mut cli = self.cli.lock().unwrap_or_else(|e| e.into_inner());
        self.experiment.node_command(cli.as_mut(), node, command)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut cli = self.cli.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = self.experiment.stop(cli.as_mut()) {
            tracing::warn!(id = self.experiment.id, "stopping the IoT-LAB experiment failed: {e}");
        }
    }
}

/// One IoT-LAB node: its serial port through an SSH tunnel, bridged like a local one.
pub struct IotLabNode {
    name: String,
    host: String,
    running: std::sync::Arc<Running>,
    tunnel: Option<std::process::Child>,
    bridge: Option<crate::serial::Bridge>,
    console: crate::node::ConsoleWatch,
    down: Option<String>,
}

impl IotLabNode {
    /// Opens the tunnel to the node's serial port and bridges it; `host` is one of the
    /// experiment's nodes.
    pub fn connect(
        name: &str,
        running: std::sync::Arc<Running>,
        host: &str,
        login: &str,
        run_dir: &Path,
    ) -> Result<IotLabNode> {
        let port = crate::qemu::free_tcp_port()?;
        let args = serial_tunnel_args(login, running.experiment.site, host, port);
        let tunnel = Command::new("ssh")
            .args(&args)
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|source| Error::Spawn { program: "ssh".into(), hint: "install OpenSSH's client", source })?;
        let console = run_dir.join(format!("{name}.console.log"));
        std::fs::File::create(&console).map_err(Error::file("create", &console))?;
        let mut node = IotLabNode {
            name: name.into(),
            host: host.into(),
            running,
            tunnel: Some(tunnel),
            bridge: None,
            console: crate::node::ConsoleWatch::new(console.clone(), None),
            down: None,
        };
        let line = crate::serial::SerialAddr::Tcp(format!("127.0.0.1:{port}"));
        node.bridge = Some(crate::serial::Bridge::start(
            &line,
            crate::serial::Console::File(console),
            std::time::Duration::from_secs(30),
        )?);
        // The firmware booted while nobody listened: reset it so its boot is logged.
        node.running.node_command(host, NodeCommand::Reset)?;
        Ok(node)
    }
}

impl crate::node::Node for IotLabNode {
    fn name(&self) -> &str {
        &self.name
    }

    fn coap_addr(&self) -> std::net::SocketAddr {
        self.bridge.as_ref().map_or(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), crate::serial::Bridge::coap_addr)
    }

    fn console_log(&self) -> &Path {
        self.console.path()
    }

    fn crashed(&mut self) -> Option<String> {
        if let Some(why) = &self.down {
            return Some(why.clone());
        }
        let tunnel = format!("the SSH tunnel to {}", self.host);
        if let Some(why) = crate::node::exited(&mut self.tunnel, &tunnel) {
            return Some(why);
        }
        self.console.panic()
    }

    /// Kill powers the node off; a hang cannot be injected on IoT-LAB.
    fn inject(&mut self, fault: crate::node::Fault) -> Result<()> {
        match fault {
            crate::node::Fault::Kill => {
                self.running.node_command(&self.host, NodeCommand::Stop)?;
                self.down = Some(format!("{} powered off through iotlab-node", self.host));
                Ok(())
            }
            crate::node::Fault::Freeze => {
                Err(Error::Unsupported { what: "freeze on FIT IoT-LAB (no debugger halt there)".into() })
            }
        }
    }

    fn stop(&mut self) {
        self.bridge = None;
        if let Some(mut t) = self.tunnel.take() {
            let _ = t.kill();
            let _ = t.wait();
        }
    }
}

impl Drop for IotLabNode {
    fn drop(&mut self) {
        crate::node::Node::stop(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers each command with the output recorded for it, and fails on any command
    /// line it was not told to expect.
    struct Recorded {
        script: Vec<(String, String)>,
        /// Also run each command line through the real iotlabcli, pointed at a closed
        /// port on the loopback: it must get as far as connecting (its argument parser
        /// accepted the line).
        real: Option<tempfile::TempDir>,
    }

    impl Recorded {
        fn new(script: &[(&str, &str)]) -> Self {
            Self { script: script.iter().map(|(c, o)| (c.to_string(), o.to_string())).collect(), real: None }
        }

        fn checked_by_iotlabcli(mut self) -> Self {
            let home = tempfile::tempdir().unwrap();
            // A user name and a base64 password: iotlabcli wants an account before it parses.
            std::fs::write(home.path().join(".iotlabrc"), "alice:c2VjcmV0").unwrap();
            self.real = Some(home);
            self
        }
    }

    fn closed_loopback_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    impl Cli for Recorded {
        fn run(&mut self, program: &str, args: &[String]) -> Result<String> {
            let line = format!("{program} {}", args.join(" "));
            if let Some(home) = &self.real {
                let bin = crate::repo_root().join("target/venv/bin").join(program);
                assert!(bin.is_file(), "{} is missing: run ci/setup (it installs iotlabcli)", bin.display());
                let out = Command::new(&bin)
                    .args(args)
                    .env("HOME", home.path())
                    .env("IOTLAB_API_URL", format!("http://127.0.0.1:{}/api/", closed_loopback_port()))
                    .output()
                    .unwrap();
                let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
                assert!(said.contains("Connection refused"), "iotlabcli did not accept `{line}`: {said}");
            }
            let i = self
                .script
                .iter()
                .position(|(c, _)| *c == line)
                .unwrap_or_else(|| panic!("unexpected command: {line}"));
            Ok(self.script.remove(i).1)
        }
    }

    const NODES: &str = r#"{"items": [
        {"archi": "st-iotnode:multi", "network_address": "st-iotnode-11.saclay.iot-lab.info", "site": "saclay", "state": "Busy", "uid": "b275", "x": "1.2", "y": "3.4", "z": "2.1"},
        {"archi": "st-iotnode:multi", "network_address": "st-iotnode-2.saclay.iot-lab.info", "site": "saclay", "state": "Busy", "uid": "a012", "x": "1.2", "y": "0.4", "z": "2.1"}
    ]}"#;

    #[test]
    fn an_experiment_is_submitted_waited_for_flashed_and_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let fw = dir.path().join("fw.elf");
        std::fs::write(&fw, b"\x7fELF").unwrap();
        let flash = format!("iotlab-node --flash {} -i 412345", fw.display());
        let mut cli = Recorded::new(&[
            ("iotlab-experiment submit -n mbpf-fleet -d 30 -l 2,archi=st-iotnode:multi+site=saclay", "{\n    \"id\": 412345\n}\n"),
            ("iotlab-experiment wait -i 412345", "\"Running\"\n"),
            ("iotlab-experiment get -i 412345 -n", NODES),
            (
                &flash,
                "{\n    \"0\": [\n        \"st-iotnode-11.saclay.iot-lab.info\",\n        \"st-iotnode-2.saclay.iot-lab.info\"\n    ]\n}\n",
            ),
            ("iotlab-node --stop -i 412345 -l saclay,st-iotnode,2", "{\n    \"0\": [\n        \"st-iotnode-2.saclay.iot-lab.info\"\n    ]\n}\n"),
            ("iotlab-experiment stop -i 412345", "{\n    \"id\": 412345,\n    \"status\": \"Delete request accepted\"\n}\n"),
        ])
        .checked_by_iotlabcli();
        let e = Experiment::start(&mut cli, "mbpf-fleet", Site::Saclay, Board::BL475eIot01a, 2, 30, &fw).unwrap();
        assert_eq!(e.id, 412345);
        // Sorted by node number, so that node positions are stable.
        assert_eq!(e.nodes, ["st-iotnode-2.saclay.iot-lab.info", "st-iotnode-11.saclay.iot-lab.info"]);
        e.node_command(&mut cli, &e.nodes[0], NodeCommand::Stop).unwrap();
        e.stop(&mut cli).unwrap();
        assert!(cli.script.is_empty(), "commands not run: {:?}", cli.script);
    }

    #[test]
    fn a_failed_flash_stops_the_experiment_and_names_the_node() {
        let mut cli = Recorded::new(&[
            ("iotlab-experiment submit -n x -d 10 -l 2,archi=nrf52840dk:multi+site=lille", "{\"id\": 7}"),
            ("iotlab-experiment wait -i 7", "\"Running\""),
            (
                "iotlab-experiment get -i 7 -n",
                r#"{"items": [{"network_address": "nrf52840dk-1.lille.iot-lab.info"}, {"network_address": "nrf52840dk-3.lille.iot-lab.info"}]}"#,
            ),
            (
                "iotlab-node --flash fw.elf -i 7",
                r#"{"0": ["nrf52840dk-1.lille.iot-lab.info"], "1": ["nrf52840dk-3.lille.iot-lab.info"]}"#,
            ),
            ("iotlab-experiment stop -i 7", r#"{"id": 7, "status": "Delete request accepted"}"#),
        ]);
        let err = Experiment::start(&mut cli, "x", Site::Lille, Board::Nrf52840Dk, 2, 10, Path::new("fw.elf"))
            .err()
            .expect("a failed flash is an error");
        assert!(err.to_string().contains("nrf52840dk-3.lille"), "{err}");
        assert!(cli.script.is_empty(), "the experiment was not stopped: {:?}", cli.script);
    }

    #[test]
    fn an_experiment_that_ends_before_running_is_an_error_and_is_stopped() {
        let mut cli = Recorded::new(&[
            ("iotlab-experiment submit -n x -d 10 -l 1,archi=st-iotnode:multi+site=saclay", "{\"id\": 8}"),
            ("iotlab-experiment wait -i 8", "\"Error\""),
            ("iotlab-experiment stop -i 8", "{\"id\": 8}"),
        ]);
        let err = Experiment::start(&mut cli, "x", Site::Saclay, Board::BL475eIot01a, 1, 10, Path::new("fw.elf"))
            .err()
            .expect("an experiment in Error is an error");
        assert!(err.to_string().contains("experiment 8 is \"Error\""), "{err}");
        let mut cli = Recorded::new(&[(
            "iotlab-experiment submit -n x -d 10 -l 1,archi=st-iotnode:multi+site=saclay",
            "Error: HTTP 401 Unauthorized",
        )]);
        let err = Experiment::start(&mut cli, "x", Site::Saclay, Board::BL475eIot01a, 1, 10, Path::new("fw.elf"))
            .err()
            .expect("an unparsable answer is an error");
        assert!(err.to_string().contains("HTTP 401"), "{err}");
    }

    #[test]
    fn boards_without_an_iotlab_node_type_are_refused() {
        let mut cli = Recorded::new(&[]);
        let err = Experiment::start(&mut cli, "x", Site::Saclay, Board::NucleoF439zi, 1, 10, Path::new("fw.elf"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("nucleo-f439zi on FIT IoT-LAB"), "{err}");
    }

    #[test]
    fn the_ssh_tunnel_reaches_the_nodes_serial_port_through_the_frontend() {
        let args = serial_tunnel_args("alice", Site::Saclay, "st-iotnode-2.saclay.iot-lab.info", 40123);
        assert_eq!(
            args.join(" "),
            "-N -o ExitOnForwardFailure=yes -o BatchMode=yes -L 127.0.0.1:40123:st-iotnode-2:20000 alice@saclay.iot-lab.info"
        );
        let dir = tempfile::tempdir().unwrap();
        let rc = dir.path().join(".iotlabrc");
        std::fs::write(&rc, "alice:c2VjcmV0\n").unwrap();
        assert_eq!(login(&rc).unwrap(), "alice");
        assert!(login(&dir.path().join("none")).unwrap_err().to_string().contains("iotlab-auth"));
    }
}
