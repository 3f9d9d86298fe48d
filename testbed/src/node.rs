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
