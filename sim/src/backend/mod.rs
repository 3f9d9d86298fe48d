//! Where nodes run. Every backend boots a node, tells its CoAP address and console
//! log, detects a crash, injects faults, and stops it; dropping a node stops it too.
use std::net::SocketAddr;
use std::path::Path;

use crate::scenario::FaultKind;

pub mod qemu;

/// A running node.
pub trait Node: Send {
    /// The address its CoAP server is reachable at from the host.
    fn coap_addr(&self) -> SocketAddr;
    fn console_log(&self) -> &Path;
    /// `Some(reason)` once the node has crashed (its process exited, or its console
    /// reported a panic).
    fn crashed(&mut self) -> Option<String>;
    /// Makes the node fail on purpose, to test that failures are detected.
    fn inject(&mut self, fault: FaultKind) -> anyhow::Result<()>;
    /// Stops the node and waits until it is gone.
    fn stop(&mut self);
}

/// What a backend needs to boot a node.
pub struct BootSpec<'a> {
    pub name: &'a str,
    pub firmware: &'a Path,
    pub run_dir: &'a Path,
    pub plugin: Option<tools::measure::PluginSpec>,
    /// Boot on a tap device in a network namespace instead of user networking.
    pub tap: Option<tools::qemu::Tap>,
}
