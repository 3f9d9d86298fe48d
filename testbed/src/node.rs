//! A running node, whatever runs it: every backend boots a node, tells its CoAP
//! address and console log, detects a crash, injects faults, and stops it; dropping a
//! node stops it too.
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::coap_client::{CoapClient, Retransmit};
use crate::error::{Error, Result};

/// A failure made on purpose, to test that failures are detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The node dies (its emulator gets SIGKILL): a crash.
    Kill,
    /// The node stops (its emulator gets SIGSTOP): a hang.
    Freeze,
}

pub trait Node: Send {
    fn name(&self) -> &str;
    /// The address its CoAP server is reachable at from the host.
    fn coap_addr(&self) -> SocketAddr;
    fn console_log(&self) -> &Path;
    /// `Some(reason)` once the node has crashed (its process exited, or its console
    /// reported a panic).
    fn crashed(&mut self) -> Option<String>;
    fn inject(&mut self, fault: Fault) -> Result<()>;
    /// Stops the node and waits until it is gone.
    fn stop(&mut self);
    /// What the node's emulator has cost the host so far; `None` where no host
    /// process runs it (a board) or it has stopped.
    fn host_usage(&self) -> Option<HostUsage> {
        None
    }
    /// Instructions the node's CPU has executed since it started, where its emulator
    /// counts them as a whole (Renode); `None` elsewhere.
    fn executed_instructions(&mut self) -> Option<u64> {
        None
    }
}

/// A node's console log, read as it grows, for the panic line the firmware prints
/// (`PANIC: ...`) before it stops. A fault's pc is looked up in the node's firmware
/// image, where known: the line then names the function and source line.
pub(crate) struct ConsoleWatch {
    path: std::path::PathBuf,
    image: Option<std::path::PathBuf>,
    seen: u64,
    panic: Option<String>,
}

impl ConsoleWatch {
    pub(crate) fn new(path: std::path::PathBuf, image: Option<&Path>) -> Self {
        Self { path, image: image.map(Path::to_path_buf), seen: 0, panic: None }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The panic line, once one is complete in the log (it stays found).
    pub(crate) fn panic(&mut self) -> Option<String> {
        use std::io::{Read, Seek, SeekFrom};
        if self.panic.is_some() {
            return self.panic.clone();
        }
        let Ok(mut file) = std::fs::File::open(&self.path) else { return None };
        let mut new = Vec::new();
        if file.seek(SeekFrom::Start(self.seen)).is_err() || file.read_to_end(&mut new).is_err() {
            return None;
        }
        // Whole lines only: the firmware may be half-way through one.
        let end = new.iter().rposition(|&b| b == b'\n')?;
        self.seen += end as u64 + 1;
        let text = String::from_utf8_lossy(&new[..end]);
        self.panic = text.lines().find(|l| l.starts_with("PANIC:")).map(|l| {
            let place = crate::symbols::faulting_pc(l)
                .and_then(|pc| crate::symbols::locate(self.image.as_deref()?, pc))
                .map(|at| format!(" at {at}"))
                .unwrap_or_default();
            format!("firmware {l}{place}")
        });
        self.panic.clone()
    }
}

/// `Some("<what> exited (status)")` once the process has exited (it is then forgotten).
pub(crate) fn exited(child: &mut Option<std::process::Child>, what: &str) -> Option<String> {
    let status = child.as_mut()?.try_wait().ok()??;
    *child = None;
    Some(format!("{what} exited ({status})"))
}

/// What an emulator process costs its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct HostUsage {
    /// CPU time, user and system, since the process started (ms).
    pub cpu_ms: u64,
    /// Proportional set size (KiB): its private memory plus its share of pages shared
    /// with other processes (the libraries every emulator maps), so that the figures
    /// of many nodes add up to what they take together.
    pub pss_kib: u64,
}

impl HostUsage {
    /// Reads a running process's figures from `/proc` (Linux); `None` if it is gone.
    pub fn of_process(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
        // SAFETY: sysconf has no preconditions.
        let ticks_per_s = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok().filter(|&t| t > 0)?;
        Some(Self { cpu_ms: Self::cpu_ticks(&stat)? * 1000 / ticks_per_s, pss_kib: Self::pss_kib(&rollup)? })
    }

    /// utime + stime from `/proc/PID/stat`: fields 14 and 15, counted after the
    /// command name, which is in parentheses and may itself hold spaces and ')'.
    fn cpu_ticks(stat: &str) -> Option<u64> {
        let after_name = &stat[stat.rfind(')')? + 1..];
        let mut fields = after_name.split_whitespace().skip(11);
        let user: u64 = fields.next()?.parse().ok()?;
        let system: u64 = fields.next()?.parse().ok()?;
        Some(user + system)
    }

    fn pss_kib(rollup: &str) -> Option<u64> {
        let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// Polls `GET /info` until `node` answers, crashes, or `timeout` passes.
pub async fn wait_ready(node: &mut dyn Node, timeout: Duration) -> Result<proto::Info> {
    let deadline = Instant::now() + timeout;
    let probe = Retransmit { ack_timeout: Duration::from_millis(300), max_retransmit: 0 };
    let mut client = CoapClient::new(node.coap_addr()).with_retransmit(probe);
    loop {
        if let Some(reason) = node.crashed() {
            return Err(Error::Crashed { node: node.name().to_string(), reason });
        }
        if let Ok(info) = client.info().await {
            return Ok(info);
        }
        if Instant::now() >= deadline {
            return Err(Error::NotReady { node: node.name().to_string(), timeout });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where a node runs: the backend, and the board whose firmware it runs.
///
/// Spelled `qemu/<board>` (QEMU emulates it), `board/<board>` (the board itself, on
/// the desk, through its debug probe; see [`crate::hardware_map`]), `renode/<platform>`
/// (Renode's model of the chip) or `iotlab/<site>/<node type>` (FIT IoT-LAB nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub enum Target {
    Qemu(Board),
    Board(Board),
    Renode(Board),
    IotLab(crate::iotlab::Site, Board),
}

use crate::firmware::Board;

impl Target {
    /// The targets whose name names a board alone (IoT-LAB's also name a site).
    pub const FIXED: [Target; 6] = [
        Target::Qemu(Board::Mps2An386),
        Target::Qemu(Board::BL475eIot01a),
        Target::Board(Board::BL475eIot01a),
        Target::Board(Board::NucleoF439zi),
        Target::Board(Board::Nrf52840Dk),
        Target::Renode(Board::Nrf52840Dk),
    ];
    /// QEMU's `mps2-an386`, the default.
    pub const QEMU_MPS2: Target = Target::Qemu(Board::Mps2An386);

    /// The target's name in commands and scenarios.
    pub fn name(self) -> String {
        match self {
            Target::Qemu(b) => format!("qemu/{b}"),
            Target::Board(b) => format!("board/{b}"),
            Target::Renode(b) => format!("renode/{}", crate::renode::platform(b).unwrap_or("?")),
            Target::IotLab(site, b) => format!("iotlab/{site}/{}", crate::iotlab::node_type(b).unwrap_or("?")),
        }
    }

    /// The board the target runs (and the firmware is built for).
    pub fn board(self) -> Board {
        match self {
            Target::Qemu(b) | Target::Board(b) | Target::Renode(b) | Target::IotLab(_, b) => b,
        }
    }

    /// Whether the target runs in QEMU (exact instruction counts with the plugin,
    /// user or tap networking).
    pub fn is_qemu(self) -> bool {
        matches!(self, Target::Qemu(_))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(t) = Target::FIXED.into_iter().find(|t| t.name() == s) {
            return Ok(t);
        }
        if let Some(rest) = s.strip_prefix("iotlab/") {
            let (site, node_type) = rest.split_once('/').ok_or_else(|| {
                format!("unknown target `{s}`: want iotlab/SITE/NODE_TYPE, e.g. iotlab/saclay/st-iotnode")
            })?;
            let site: crate::iotlab::Site = site.parse()?;
            let board = crate::iotlab::board_of(node_type)?;
            return Ok(Target::IotLab(site, board));
        }
        let names: Vec<String> = Target::FIXED.iter().map(|t| t.name()).collect();
        Err(format!("unknown target `{s}` ({}, iotlab/SITE/NODE_TYPE)", names.join(", ")))
    }
}

// By hand rather than `try_from = "String"`, so that a bad name is reported at the
// value's own line and column in a scenario file.
impl<'de> serde::Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Target;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a target such as qemu/mps2-an386")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Target, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Name)
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.name()
    }
}

#[cfg(test)]
mod tests {
    use super::HostUsage;

    #[test]
    fn every_target_name_parses_back_and_bad_ones_say_what_is_wanted() {
        use super::Target;
        use crate::firmware::Board;
        for t in Target::FIXED {
            assert_eq!(t.name().parse::<Target>(), Ok(t));
        }
        let iotlab: Target = "iotlab/saclay/st-iotnode".parse().unwrap();
        assert_eq!(iotlab, Target::IotLab(crate::iotlab::Site::Saclay, Board::BL475eIot01a));
        assert_eq!(iotlab.name(), "iotlab/saclay/st-iotnode");
        assert_eq!("renode/nrf52840".parse::<Target>(), Ok(Target::Renode(Board::Nrf52840Dk)));
        let e = "qemu/nucleo-f439zi".parse::<Target>().unwrap_err();
        assert!(e.contains("unknown target `qemu/nucleo-f439zi`") && e.contains("board/nucleo-f439zi"), "{e}");
        let e = "iotlab/mars/st-iotnode".parse::<Target>().unwrap_err();
        assert!(e.contains("mars") && e.contains("saclay"), "{e}");
        let e = "iotlab/saclay/m3".parse::<Target>().unwrap_err();
        assert!(e.contains("m3") && e.contains("nrf52840dk"), "{e}");
        assert!("iotlab/saclay".parse::<Target>().unwrap_err().contains("iotlab/SITE/NODE_TYPE"));
        // Scenarios spell targets as strings.
        let t: Target = serde_json::from_str("\"board/nrf52840-dk\"").unwrap();
        assert_eq!(t, Target::Board(Board::Nrf52840Dk));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"board/nrf52840-dk\"");
    }

    #[test]
    fn proc_figures_are_parsed_past_a_command_name_with_spaces() {
        let stat = "4242 (qemu-system-arm) x) S 1 4242 4242 0 -1 4194560 9431 0 0 0 731 219 0 0 20 0 5 0 8877 1";
        assert_eq!(HostUsage::cpu_ticks(stat), Some(731 + 219));
        assert_eq!(HostUsage::cpu_ticks("4242 qemu"), None);
        let rollup = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss: 46496 kB\nPss: 31337 kB\nPss_Anon: 20252 kB\n";
        assert_eq!(HostUsage::pss_kib(rollup), Some(31337));
        assert_eq!(HostUsage::pss_kib("Rss: 1 kB"), None);
    }

    #[test]
    fn this_process_has_figures() {
        let own = HostUsage::of_process(std::process::id()).expect("/proc/self");
        assert!(own.pss_kib > 0);
        assert_eq!(HostUsage::of_process(u32::MAX), None);
    }
}
