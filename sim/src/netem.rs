//! An impaired path between the nodes and the host file server: a UDP relay that
//! drops, delays and reorders datagrams, both ways, with a seeded generator. Nodes
//! are given the relay's port instead of the file server's, so their pulls cross it.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::net::UdpSocket;
use tokio::sync::Mutex;

use crate::scenario::Network;

/// What the relay did, per direction.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PathStats {
    pub forwarded: u64,
    pub dropped: u64,
    pub reordered: u64,
}

#[derive(Default)]
struct Counters {
    forwarded: AtomicU64,
    dropped: AtomicU64,
    reordered: AtomicU64,
}

impl Counters {
    fn stats(&self) -> PathStats {
        PathStats {
            forwarded: self.forwarded.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            reordered: self.reordered.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct RelayStats {
    pub to_server: PathStats,
    pub to_nodes: PathStats,
}

impl RelayStats {
    /// The sum over several relays (one per node on tap networks).
    pub fn sum(all: impl IntoIterator<Item = RelayStats>) -> Self {
        let mut s = RelayStats::default();
        for r in all {
            for (a, b) in [(&mut s.to_server, r.to_server), (&mut s.to_nodes, r.to_nodes)] {
                a.forwarded += b.forwarded;
                a.dropped += b.dropped;
                a.reordered += b.reordered;
            }
        }
        s
    }
}

/// xorshift64*: small, seeded, good enough to decide which datagrams to drop.
struct Rng(u64);

impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545F4914F6CDD1D);
        ((x >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// One direction's impairments.
struct Impair {
    net: Network,
    rng: std::sync::Mutex<Rng>,
    /// A datagram held back to be sent after the next one.
    held: std::sync::Mutex<Option<(Vec<u8>, SocketAddr)>>,
    counters: Counters,
}

impl Impair {
    fn new(net: &Network, seed: u64) -> Self {
        Self {
            net: net.clone(),
            rng: std::sync::Mutex::new(Rng(seed | 1)),
            held: Default::default(),
            counters: Counters::default(),
        }
    }

    /// Sends `data` to `to` on `socket` as the path would: maybe never, maybe late,
    /// maybe after the next one.
    fn send(self: &Arc<Self>, socket: Arc<UdpSocket>, data: Vec<u8>, to: SocketAddr) {
        let (drop, reorder) = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            (rng.chance(self.net.loss), rng.chance(self.net.reorder))
        };
        if drop {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut batch = Vec::new();
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if reorder && held.is_none() {
                self.counters.reordered.fetch_add(1, Ordering::Relaxed);
                *held = Some((data, to));
                // Never hold one forever: it goes out after a while even if no
                // other datagram follows.
                let me = self.clone();
                let socket = socket.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let late = me.held.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if let Some((d, t)) = late {
                        me.emit(socket, vec![(d, t)]);
                    }
                });
                return;
            }
            batch.push((data, to));
            if let Some(h) = held.take() {
                batch.push(h);
            }
        }
        self.emit(socket, batch);
    }

    fn emit(self: &Arc<Self>, socket: Arc<UdpSocket>, batch: Vec<(Vec<u8>, SocketAddr)>) {
        let delay = Duration::from_millis(self.net.delay_ms);
        let me = self.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            for (d, t) in batch {
                if socket.send_to(&d, t).await.is_ok() {
                    me.counters.forwarded.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

pub struct Relay {
    port: u16,
    task: tokio::task::JoinHandle<()>,
    to_server: Arc<Impair>,
    to_nodes: Arc<Impair>,
}

/// Where a relay's sockets towards its target are opened.
#[derive(Clone)]
pub enum Upstream {
    /// The host's loopback.
    Loopback,
    /// Inside a node's network namespace.
    Netns(Arc<crate::netns::Netns>),
}

impl Upstream {
    fn socket(&self) -> anyhow::Result<UdpSocket> {
        let std = match self {
            Upstream::Loopback => {
                let s = std::net::UdpSocket::bind("127.0.0.1:0")?;
                s.set_nonblocking(true)?;
                s
            }
            Upstream::Netns(ns) => ns.bind_udp(SocketAddr::from((crate::netns::HOST_IP, 0)))?,
        };
        Ok(UdpSocket::from_std(std)?)
    }
}

impl Relay {
    /// Listens on a free loopback port and relays to `server`.
    pub async fn start(server: SocketAddr, net: &Network) -> anyhow::Result<Self> {
        let front = UdpSocket::bind("127.0.0.1:0").await?;
        Self::start_on(front, server, net, Upstream::Loopback)
    }

    /// Relays what arrives on `front` to `server`, from sockets opened by `upstream`.
    pub fn start_on(front: UdpSocket, server: SocketAddr, net: &Network, upstream: Upstream) -> anyhow::Result<Self> {
        let front = Arc::new(front);
        let port = front.local_addr()?.port();
        let to_server = Arc::new(Impair::new(net, net.seed));
        let to_nodes = Arc::new(Impair::new(net, net.seed.rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15));
        let (up, down) = (to_server.clone(), to_nodes.clone());
        let task = tokio::spawn(async move {
            // One upstream socket per node address, so answers find their way back.
            let peers: Arc<Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>> = Arc::default();
            let mut buf = vec![0u8; 2048];
            loop {
                let Ok((n, from)) = front.recv_from(&mut buf).await else {
                    return;
                };
                let upstream = {
                    let mut peers = peers.lock().await;
                    match peers.get(&from) {
                        Some(s) => s.clone(),
                        None => {
                            let Ok(s) = upstream.socket() else { continue };
                            let s = Arc::new(s);
                            peers.insert(from, s.clone());
                            let (s2, front2, down2) = (s.clone(), front.clone(), down.clone());
                            tokio::spawn(async move {
                                let mut buf = vec![0u8; 2048];
                                while let Ok((n, _)) = s2.recv_from(&mut buf).await {
                                    down2.send(front2.clone(), buf[..n].to_vec(), from);
                                }
                            });
                            s
                        }
                    }
                };
                up.send(upstream, buf[..n].to_vec(), server);
            }
        });
        Ok(Self { port, task, to_server, to_nodes })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stats(&self) -> RelayStats {
        RelayStats { to_server: self.to_server.counters.stats(), to_nodes: self.to_nodes.counters.stats() }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_relay_drops_about_the_configured_fraction_and_forwards_the_rest() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let net = Network { loss: 0.2, seed: 7, ..Network::default() };
        let relay = Relay::start(server_addr, &net).await.unwrap();
        // Count what reaches the server while the client sends.
        let receiver = tokio::spawn(async move {
            let mut got = 0u64;
            let mut buf = [0u8; 16];
            while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), server.recv_from(&mut buf)).await {
                got += 1;
            }
            got
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for i in 0..1000u32 {
            client.send_to(&i.to_le_bytes(), ("127.0.0.1", relay.port())).await.unwrap();
            // Paced, so that no socket buffer overflows: only the relay may drop.
            if i % 10 == 9 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let got = receiver.await.unwrap();
        let stats = relay.stats();
        assert_eq!(stats.to_server.dropped + stats.to_server.forwarded, 1000);
        assert_eq!(got, stats.to_server.forwarded);
        assert!((150..=250).contains(&stats.to_server.dropped), "{stats:?}");
    }

    #[tokio::test]
    async fn answers_reach_the_node_that_asked() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let relay = Relay::start(server_addr, &Network { delay_ms: 20, ..Network::default() }).await.unwrap();
        let (a, b) = (UdpSocket::bind("127.0.0.1:0").await.unwrap(), UdpSocket::bind("127.0.0.1:0").await.unwrap());
        a.send_to(b"a", ("127.0.0.1", relay.port())).await.unwrap();
        b.send_to(b"b", ("127.0.0.1", relay.port())).await.unwrap();
        let mut buf = [0u8; 8];
        for _ in 0..2 {
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            server.send_to(&[buf[0].to_ascii_uppercase()], from).await.unwrap();
            assert_eq!(n, 1);
        }
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), a.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"A");
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), b.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"B");
    }
}
