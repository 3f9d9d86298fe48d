//! The QEMU backend: `qemu-system-arm -M mps2-an386` or `-M b-l475e-iot01a`.
//!
//! An `mps2-an386` node is on a network: with user networking (the default) it gets
//! a free host UDP port forwarded to the guest's CoAP port; with [`Network::Tap`] it
//! runs on a tap device inside a network namespace the caller made. A
//! `b-l475e-iot01a` node's USART1 is a TCP server socket on the loopback, which a
//! [`Bridge`] owns: the node's CoAP address is the bridge's UDP port, its console the
//! diagnostic frames. Every node runs
//! with `-icount shift=0` so that guest time (and SysTick counts) is a deterministic
//! function of the instructions executed. The QEMU process is killed by PID when the
//! node is stopped or dropped, and the kernel kills it if sim itself dies
//! (PR_SET_PDEATHSIG), so no emulator outlives the run.
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::firmware::{self, Board, Variant};
use crate::node::ConsoleWatch;
use crate::node::{Fault, Node};
use crate::serial::{Bridge, Console, SerialAddr};

pub const QEMU: &str = "qemu-system-arm";

pub struct QemuNode {
    name: String,
    child: Option<Child>,
    addr: SocketAddr,
    /// The console log, watched for a panic.
    console: ConsoleWatch,
    graceful: bool,
    /// The host end of a serial node's line (dropped after QEMU is gone).
    bridge: Option<Bridge>,
}

/// A TCP port on the loopback that is free right now.
pub(crate) fn free_tcp_port() -> Result<u16> {
    let socket = |source| Error::Socket { what: "a loopback TCP port".into(), source };
    let s = std::net::TcpListener::bind("127.0.0.1:0").map_err(socket)?;
    Ok(s.local_addr().map_err(socket)?.port())
}

/// A UDP port on the loopback that is free right now.
fn free_udp_port() -> Result<u16> {
    let socket = |source| Error::Socket { what: "a loopback UDP port".into(), source };
    let s = UdpSocket::bind("127.0.0.1:0").map_err(socket)?;
    Ok(s.local_addr().map_err(socket)?.port())
}

/// How a node is started, beyond its firmware.
#[derive(Debug, Clone, Default)]
pub struct QemuOptions {
    pub board: Board,
    /// Load the instruction-count plugin, watching the firmware's markers.
    pub plugin: Option<crate::plugin::PluginSpec>,
    pub network: Network,
}

/// How a node's network reaches the host.
#[derive(Debug, Clone, Default)]
pub enum Network {
    /// QEMU's user networking: the host is 10.0.2.2, the node's CoAP port is forwarded
    /// to a free loopback port.
    #[default]
    User,
    /// A tap device in a network namespace; the caller relays `coap_addr` into it.
    Tap(Tap),
}

impl QemuOptions {
    /// QEMU must exit cleanly (SIGTERM) for the plugin to write its profile.
    fn graceful(&self) -> bool {
        self.plugin.as_ref().is_some_and(|p| p.profile.is_some())
    }
}

/// A node on a tap device inside a private network namespace.
#[derive(Debug, Clone)]
pub struct Tap {
    pub netns: String,
    pub device: String,
    /// The host address the caller relays to the node's CoAP port.
    pub coap_addr: SocketAddr,
}

/// Boots `firmware` as node `name`; its console goes to `<run_dir>/<name>.console.log`.
pub fn boot(name: &str, firmware: &Path, run_dir: &Path) -> Result<QemuNode> {
    boot_with(name, firmware, run_dir, &QemuOptions::default())
}

/// Builds (or takes from the cache) the firmware `variant` for `board`, boots it
/// (with user networking, or on its serial line) and waits until it answers
/// `GET /info`.
pub async fn boot_ready(
    name: &str,
    board: Board,
    variant: Variant,
    run_dir: &Path,
    timeout: Duration,
) -> Result<QemuNode> {
    let image = firmware::build(&crate::repo_root(), board, variant)?;
    let options = QemuOptions { board, ..QemuOptions::default() };
    let mut node = boot_with(name, &image, run_dir, &options)?;
    crate::node::wait_ready(&mut node, timeout).await?;
    Ok(node)
}

/// [`boot`], with options.
pub fn boot_with(name: &str, firmware: &Path, run_dir: &Path, options: &QemuOptions) -> Result<QemuNode> {
    let console = run_dir.join(format!("{name}.console.log"));
    let qemu_log = run_dir.join(format!("{name}.qemu.log"));
    let stderr = std::fs::File::create(&qemu_log).map_err(Error::file("create", &qemu_log))?;
    let mut line = None;
    let (mut cmd, link, addr) = match &options.network {
        Network::Tap(_) if options.board.serial() => {
            return Err(Error::Unsupported { what: format!("tap networking on {} (a serial node)", options.board) })
        }
        Network::User if options.board.serial() => {
            let port = free_tcp_port()?;
            line = Some(SerialAddr::Tcp(format!("127.0.0.1:{port}")));
            // `wait=on`: the guest starts once the bridge is connected, so no
            // console line is lost. `nodelay=on`: QEMU writes the guest's bytes one at a
            // time, and Nagle's algorithm against delayed ACKs would hold each frame
            // for 40 ms.
            let chardev = format!("socket,id=link,host=127.0.0.1,port={port},server=on,wait=on,nodelay=on");
            let link = vec!["-chardev".to_string(), chardev, "-serial".into(), "chardev:link".into()];
            (Command::new(QEMU), link, SocketAddr::from(([127, 0, 0, 1], 0)))
        }
        // `ip netns exec` enters the namespace and execs QEMU: same PID, so it is
        // still killed by PID.
        Network::Tap(tap) => {
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", &tap.netns, QEMU]);
            let nic = format!("tap,ifname={},script=no,downscript=no,model=lan9118", tap.device);
            let console = format!("file:{}", console.display());
            (cmd, vec!["-serial".into(), console, "-nic".into(), nic], tap.coap_addr)
        }
        Network::User => {
            let port = free_udp_port()?;
            let nic = format!("user,model=lan9118,hostfwd=udp:127.0.0.1:{port}-10.0.2.15:{}", proto::COAP_PORT);
            let console = format!("file:{}", console.display());
            (
                Command::new(QEMU),
                vec!["-serial".into(), console, "-nic".into(), nic],
                SocketAddr::from(([127, 0, 0, 1], port)),
            )
        }
    };
    cmd.args(["-M", options.board.name(), "-display", "none", "-monitor", "none", "-icount", "shift=0"])
        .args(&link)
        .arg("-kernel")
        .arg(firmware)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    if let Some(plugin) = &options.plugin {
        cmd.arg("-plugin").arg(plugin.qemu_arg());
    }
    // SAFETY: prctl is async-signal-safe; it only sets flags of the child process.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // No transparent huge pages: QEMU asks for them on guest RAM, and a 2 MiB
            // page for every region the firmware touches a few KiB of took a third of
            // each node's memory. Best effort: old kernels lack the flag.
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| Error::Spawn {
        program: QEMU.into(),
        hint: "run ci/setup (Debian package qemu-system-arm)",
        source,
    })?;
    let mut node = QemuNode {
        name: name.to_string(),
        child: Some(child),
        addr,
        console: ConsoleWatch::new(console.clone()),
        graceful: options.graceful(),
        bridge: None,
    };
    if let Some(line) = line {
        // Created empty first, so that the node has a console log even before a line.
        std::fs::File::create(&console).map_err(Error::file("create", &console))?;
        let bridge = Bridge::start(&line, Console::File(console), Duration::from_secs(10))?;
        node.addr = bridge.coap_addr();
        node.bridge = Some(bridge);
    }
    tracing::info!(node = name, pid = node.pid(), addr = %node.addr, "qemu started");
    Ok(node)
}

impl QemuNode {
    /// The QEMU process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Kills QEMU by PID (after SIGTERM when the plugin must write its profile) and
    /// waits until it is gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id();
            if self.graceful {
                // SIGTERM lets QEMU run its plugins' exit hooks; SIGKILL if it lingers.
                // SAFETY: kill(2) on our own child's PID, which is not yet reaped.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                let deadline = Instant::now() + Duration::from_secs(3);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        tracing::info!(node = %self.name, pid, "qemu exited");
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            tracing::info!(node = %self.name, pid, "qemu stopped");
        }
        self.bridge = None;
    }
}

impl Node for QemuNode {
    fn name(&self) -> &str {
        &self.name
    }

    /// The host address forwarded to the guest's CoAP port (or its serial bridge's).
    fn coap_addr(&self) -> SocketAddr {
        self.addr
    }

    fn console_log(&self) -> &Path {
        self.console.path()
    }

    /// QEMU exited, or the firmware printed a panic.
    fn crashed(&mut self) -> Option<String> {
        crate::node::exited(&mut self.child, "qemu").or_else(|| self.console.panic())
    }

    fn inject(&mut self, fault: Fault) -> Result<()> {
        let pid = self.pid().ok_or_else(|| Error::NotRunning { node: self.name.clone() })?;
        let signal = match fault {
            Fault::Kill => libc::SIGKILL,
            Fault::Freeze => libc::SIGSTOP,
        };
        // SAFETY: kill(2) on the PID of our own child process, which is not yet reaped.
        if unsafe { libc::kill(pid as libc::pid_t, signal) } != 0 {
            let source = std::io::Error::last_os_error();
            return Err(Error::Spawn {
                program: format!("kill {pid}"),
                hint: "the emulator could not be signalled",
                source,
            });
        }
        Ok(())
    }

    fn stop(&mut self) {
        self.kill();
    }

    fn host_usage(&self) -> Option<crate::node::HostUsage> {
        crate::node::HostUsage::of_process(self.pid()?)
    }
}

impl Drop for QemuNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `qemu-system-arm --version`'s first line.
pub fn version() -> String {
    Command::new(QEMU)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_the_console_is_found_once_its_line_is_complete() {
        let dir = tempfile::tempdir().unwrap();
        let console = dir.path().join("n.console.log");
        std::fs::write(&console, "boot\ncoap: listening on udp port 5683\n").unwrap();
        let mut node = QemuNode {
            name: "n".into(),
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 1)),
            console: ConsoleWatch::new(console.clone()),
            graceful: false,
            bridge: None,
        };
        assert_eq!(node.crashed(), None);
        let append = |s: &str| {
            use std::io::Write;
            std::fs::OpenOptions::new().append(true).open(&console).unwrap().write_all(s.as_bytes()).unwrap();
        };
        append("PANIC: index out of");
        assert_eq!(node.crashed(), None, "half a line is not yet a panic");
        append(" bounds\nmore\n");
        assert_eq!(node.crashed().as_deref(), Some("firmware PANIC: index out of bounds"));
        assert_eq!(node.crashed().as_deref(), Some("firmware PANIC: index out of bounds"), "it stays crashed");
    }
}
