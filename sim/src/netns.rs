//! Private network namespaces for `network: {mode: tap}`: one per node, holding the
//! node's tap device with the host side of its link (10.0.2.2/24, the address the
//! firmware's gateway and file-server URIs use). Nothing in a namespace can reach
//! any other network; sim relays the node's CoAP port and the file server across
//! the boundary through sockets it opens inside. Removed when dropped.
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::process::Command;

use anyhow::Context;

/// The host side of every node's link, as the firmware is built to expect it.
pub const HOST_IP: [u8; 4] = [10, 0, 2, 2];
/// The node's address (firmware default `MBPF_IPV4`).
pub const NODE_IP: [u8; 4] = [10, 0, 2, 15];
pub const TAP: &str = "tap0";

pub struct Netns {
    pub name: String,
}

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context("cannot run `ip` (Debian package iproute2, installed by ci/setup)")?;
    anyhow::ensure!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    Ok(())
}

impl Netns {
    /// Removes namespaces `mbpf-PID-N` left by a sim that was killed outright.
    pub fn remove_stale() {
        let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
            return;
        };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            let Some(pid) =
                name.strip_prefix("mbpf-").and_then(|r| r.split('-').next()).and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = ip(&["netns", "del", name]);
            }
        }
    }

    /// Creates `name` with a tap device up at 10.0.2.2/24 and loopback up.
    pub fn create(name: &str) -> anyhow::Result<Self> {
        ip(&["netns", "add", name]).context("creating a network namespace needs root (CAP_SYS_ADMIN)")?;
        let ns = Self { name: name.to_string() };
        let host = format!("{}.{}.{}.{}/24", HOST_IP[0], HOST_IP[1], HOST_IP[2], HOST_IP[3]);
        for args in [
            vec!["netns", "exec", name, "ip", "tuntap", "add", "dev", TAP, "mode", "tap"],
            vec!["netns", "exec", name, "ip", "addr", "add", &host, "dev", TAP],
            vec!["netns", "exec", name, "ip", "link", "set", TAP, "up"],
            vec!["netns", "exec", name, "ip", "link", "set", "lo", "up"],
        ] {
            ip(&args)?;
        }
        Ok(ns)
    }

    /// A UDP socket bound to `addr` inside the namespace. The binding thread enters
    /// the namespace and exits; the socket stays in it, usable from any thread.
    pub fn bind_udp(&self, addr: SocketAddr) -> anyhow::Result<std::net::UdpSocket> {
        let path = format!("/var/run/netns/{}", self.name);
        let file = std::fs::File::open(&path).with_context(|| format!("cannot open {path}"))?;
        std::thread::scope(|s| {
            s.spawn(|| -> anyhow::Result<std::net::UdpSocket> {
                // SAFETY: setns on this short-lived thread only; the fd is open.
                if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                    anyhow::bail!("setns {path}: {}", std::io::Error::last_os_error());
                }
                let socket =
                    std::net::UdpSocket::bind(addr).with_context(|| format!("bind {addr} in {}", self.name))?;
                socket.set_nonblocking(true)?;
                Ok(socket)
            })
            .join()
            .map_err(|_| anyhow::anyhow!("the namespace thread panicked"))?
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            tracing::warn!("{e:#}");
        }
    }
}
