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

/// Where a node runs: the backend and the board it emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub enum Target {
    /// QEMU's `mps2-an386` (Cortex-M4, LAN9118 Ethernet): CoAP over UDP.
    #[serde(rename = "qemu/mps2-an386")]
    QemuMps2An386,
    /// QEMU 10's `b-l475e-iot01a` (STM32L475VG): CoAP over slipmux on USART1.
    #[serde(rename = "qemu/b-l475e-iot01a")]
    QemuBL475eIot01a,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::QemuMps2An386, Target::QemuBL475eIot01a];

    /// The target's name in commands and scenarios.
    pub fn name(self) -> &'static str {
        match self {
            Target::QemuMps2An386 => "qemu/mps2-an386",
            Target::QemuBL475eIot01a => "qemu/b-l475e-iot01a",
        }
    }

    /// The board the target runs (and the firmware is built for).
    pub fn board(self) -> crate::firmware::Board {
        match self {
            Target::QemuMps2An386 => crate::firmware::Board::Mps2An386,
            Target::QemuBL475eIot01a => crate::firmware::Board::BL475eIot01a,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
            format!("unknown target `{s}` ({})", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::HostUsage;

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
