//! A booted node as a run sees it: the steps that use it and the monitor that watches
//! its health share it. The monitor declares a node down when its emulator exits, its
//! firmware panics, or it stops answering probes.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::future::Future;

use testbed::coap_client::{CoapClient, Retransmit};
use testbed::firmware::Variant;
use testbed::plugin::{Mark, MarkLog};
use testbed::{Fault, Node};
use tokio::sync::watch;

/// A node's health, as the monitor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Up,
    Down(String),
}

/// Quick probes: while waiting for a node to boot, and to notice one that hangs.
const PROBE: Retransmit = Retransmit { ack_timeout: Duration::from_millis(400), max_retransmit: 0 };
/// An idle node that answers no probe for this long is declared hung.
const HANG_AFTER: Duration = Duration::from_secs(3);

/// One booted node, shared by the steps that use it and the health monitor.
pub struct NodeRt {
    pub name: String,
    pub firmware: Variant,
    pub addr: SocketAddr,
    /// The node's client: one EDHOC handshake, then every request OSCORE-protected in
    /// that context (a new handshake if the node loses it, e.g. after a reset).
    pub(crate) client: tokio::sync::Mutex<CoapClient>,
    pub(crate) backend: Mutex<Box<dyn Node>>,
    pub(crate) marks: Option<Mutex<MarkLog>>,
    pub(crate) health: watch::Sender<Health>,
    /// Operations on one node run one at a time; the monitor probes only when none runs.
    pub(crate) op: tokio::sync::Mutex<()>,
    pub(crate) last_answer: Mutex<Instant>,
    pub(crate) fault_at: Mutex<Option<Instant>>,
    pub(crate) detected_after: Mutex<Option<Duration>>,
}

impl NodeRt {
    pub fn is_up(&self) -> bool {
        *self.health.borrow() == Health::Up
    }

    pub fn down_reason(&self) -> Option<String> {
        match &*self.health.borrow() {
            Health::Up => None,
            Health::Down(r) => Some(r.clone()),
        }
    }

    /// Runs one operation on the node, alone; fails at once if the node goes down
    /// meanwhile.
    pub async fn op<T>(&self, fut: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        let _guard = self.op.lock().await;
        let mut rx = self.health.subscribe();
        if let Some(why) = self.down_reason() {
            anyhow::bail!("node {} is down: {why}", self.name);
        }
        let result = tokio::select! {
            r = fut => r,
            _ = rx.wait_for(|h| *h != Health::Up) => Err(anyhow::anyhow!("node {} went down: {}", self.name, self.down_reason().unwrap_or_default())),
        };
        if result.is_ok() {
            *self.last_answer.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        }
        result
    }

    /// The node's protected client, while no other step uses it.
    pub async fn client(&self) -> tokio::sync::MutexGuard<'_, CoapClient> {
        self.client.lock().await
    }

    /// Marks the plugin wrote since the last call (none without the plugin).
    pub fn new_marks(&self) -> Vec<Mark> {
        match &self.marks {
            Some(m) => m.lock().unwrap_or_else(|e| e.into_inner()).read_new().unwrap_or_default(),
            None => Vec::new(),
        }
    }

    pub fn inject(&self, fault: Fault) -> anyhow::Result<()> {
        *self.fault_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        Ok(self.backend.lock().unwrap_or_else(|e| e.into_inner()).inject(fault)?)
    }

    pub(crate) fn mark_down(&self, why: String) {
        if self.is_up() {
            let log = self.backend.lock().unwrap_or_else(|e| e.into_inner()).console_log().display().to_string();
            tracing::warn!(node = %self.name, console = %log, "{why}");
            if let Some(t) = *self.fault_at.lock().unwrap_or_else(|e| e.into_inner()) {
                *self.detected_after.lock().unwrap_or_else(|e| e.into_inner()) = Some(t.elapsed());
            }
            self.health.send_replace(Health::Down(why));
            // A hung emulator is stopped too: it would hold a core for nothing.
            self.backend.lock().unwrap_or_else(|e| e.into_inner()).stop();
        }
    }

    pub(crate) fn stop(&self) {
        self.backend.lock().unwrap_or_else(|e| e.into_inner()).stop();
    }
}

/// Pings the node until it answers, goes down, or the timeout passes.
pub(crate) async fn wait_ready(node: &NodeRt, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut client = CoapClient::new(node.addr).with_retransmit(PROBE);
    loop {
        if let Some(why) = node.backend.lock().unwrap_or_else(|e| e.into_inner()).crashed() {
            anyhow::bail!("node {} crashed while booting: {why}", node.name);
        }
        // A ping, not GET /info: its answer proves the server runs, and it leaves the
        // device's heap as it was, so that the counts of what follows repeat exactly.
        if client.ping().await.is_ok() {
            tracing::info!(node = %node.name, "ready");
            *node.last_answer.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            return Ok(());
        }
        if Instant::now() >= deadline {
            anyhow::bail!("node {} did not answer a CoAP ping within {timeout:?}", node.name);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Watches every node: a node whose emulator exits or whose firmware panics is down
/// at once (checked every 250 ms); an idle node that answers no probe (a CoAP ping,
/// which costs the device next to nothing) for [`HANG_AFTER`] is down as hung. Either way the other nodes carry on.
pub(crate) async fn monitor(nodes: Vec<Arc<NodeRt>>) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut n = 0u64;
    // One probe client (one socket) per node for the whole run.
    let mut probes: Vec<CoapClient> =
        nodes.iter().map(|node| CoapClient::new(node.addr).with_retransmit(PROBE)).collect();
    loop {
        tick.tick().await;
        n += 1;
        for (node, client) in nodes.iter().zip(probes.iter_mut()) {
            if !node.is_up() {
                continue;
            }
            let crash = node.backend.lock().unwrap_or_else(|e| e.into_inner()).crashed();
            if let Some(why) = crash {
                node.mark_down(format!("crashed: {why}"));
                continue;
            }
            // Probe idle nodes about once a second.
            if n % 4 != 0 {
                continue;
            }
            let Ok(_guard) = node.op.try_lock() else {
                continue;
            };
            if client.ping().await.is_ok() {
                *node.last_answer.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            } else {
                let silent = node.last_answer.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
                if silent >= HANG_AFTER {
                    node.mark_down(format!("stopped answering: no answer for {} ms", silent.as_millis()));
                }
            }
        }
    }
}
