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
use std::path::{Path, PathBuf};
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
    /// QEMU's own messages: why it exited, when it did.
    qemu_log: PathBuf,
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

/// How often a boot is tried when QEMU finds its host port taken.
const BOOT_ATTEMPTS: usize = 5;
/// How long QEMU may take to bind its host port before the boot goes on unchecked.
const PORT_BIND_TIMEOUT: Duration = Duration::from_secs(10);
/// What QEMU prints when the host port it was given is no longer free.
const PORT_TAKEN: [&str; 2] = ["Could not set up host forwarding rule", "Address already in use"];

/// [`boot`], with options.
///
/// A free port is chosen here but bound by QEMU, moments later; another socket on the
/// host can take it in between, and QEMU then exits at once. Such a boot is tried
/// again on a new port, so that a busy host does not fail a node.
pub fn boot_with(name: &str, firmware: &Path, run_dir: &Path, options: &QemuOptions) -> Result<QemuNode> {
    let qemu_log = run_dir.join(format!("{name}.qemu.log"));
    let mut attempt = 1;
    loop {
        match spawn(name, firmware, run_dir, options, &qemu_log)? {
            Spawned::Running(node) => return Ok(*node),
            Spawned::PortTaken(port) if attempt < BOOT_ATTEMPTS => {
                tracing::warn!(node = name, port, attempt, "qemu found its host port taken; trying another");
                attempt += 1;
            }
            Spawned::PortTaken(port) => {
                return Err(Error::Crashed {
                    node: name.into(),
                    reason: format!("qemu found its host port taken {attempt} times (last {port})"),
                })
            }
        }
    }
}

enum Spawned {
    Running(Box<QemuNode>),
    /// QEMU exited because the host port it was given had been taken.
    PortTaken(u16),
}

/// One try of [`boot_with`].
fn spawn(name: &str, firmware: &Path, run_dir: &Path, options: &QemuOptions, qemu_log: &Path) -> Result<Spawned> {
    let console = run_dir.join(format!("{name}.console.log"));
    let stderr = std::fs::File::create(qemu_log).map_err(Error::file("create", qemu_log))?;
    let mut line = None;
    // The host port QEMU must bind, and the /proc table that lists it.
    let mut host_port = None;
    let (mut cmd, link, addr) = match &options.network {
        Network::Tap(_) if options.board.serial() => {
            return Err(Error::Unsupported { what: format!("tap networking on {} (a serial node)", options.board) })
        }
        Network::User if options.board.serial() => {
            let port = free_tcp_port()?;
            host_port = Some(("tcp", port));
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
            host_port = Some(("udp", port));
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
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        program: QEMU.into(),
        hint: "run ci/setup (Debian package qemu-system-arm)",
        source,
    })?;
    if let Some((table, port)) = host_port {
        if !holds_port(&mut child, table, port, qemu_log) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Spawned::PortTaken(port));
        }
    }
    let mut node = QemuNode {
        name: name.to_string(),
        child: Some(child),
        addr,
        console: ConsoleWatch::new(console.clone(), Some(firmware)),
        qemu_log: qemu_log.to_path_buf(),
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
    Ok(Spawned::Running(Box::new(node)))
}

/// Waits until QEMU holds its host `port` (listed in `/proc/<pid>/net/<table>`):
/// `false` if it exited saying the port was taken. Any other exit, or a QEMU still
/// starting after [`PORT_BIND_TIMEOUT`], is left for the boot's own checks to report.
fn holds_port(child: &mut Child, table: &str, port: u16, qemu_log: &Path) -> bool {
    let deadline = Instant::now() + PORT_BIND_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            let said = std::fs::read_to_string(qemu_log).unwrap_or_default();
            return !PORT_TAKEN.iter().any(|m| said.contains(m));
        }
        if socket_of(child.id(), table, port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Whether process `pid` has a socket bound to `port` in its `/proc/<pid>/net/<table>`.
fn socket_of(pid: u32, table: &str, port: u16) -> bool {
    let Ok(listing) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else { return false };
    let inodes: Vec<String> = listing
        .lines()
        .skip(1)
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            let inode = fields.get(9)?;
            (u16::from_str_radix(local_port, 16).ok()? == port).then(|| format!("socket:[{inode}]"))
        })
        .collect();
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
    })
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

    /// QEMU exited (with its last message), or the firmware printed a panic.
    fn crashed(&mut self) -> Option<String> {
        let Some(exit) = crate::node::exited(&mut self.child, "qemu") else { return self.console.panic() };
        let said = std::fs::read_to_string(&self.qemu_log).unwrap_or_default();
        Some(match said.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) => format!("{exit}: {}", last.trim()),
            None => exit,
        })
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

    /// A paused QEMU (`-S`) with `port` forwarded, killed by PID when dropped.
    struct PausedQemu(Child);

    impl PausedQemu {
        fn start(port: u16, log: &Path) -> Self {
            let nic = format!("user,model=lan9118,hostfwd=udp:127.0.0.1:{port}-10.0.2.15:{}", proto::COAP_PORT);
            let child = Command::new(QEMU)
                .args(["-M", "mps2-an386", "-S", "-display", "none", "-monitor", "none", "-nic", &nic])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(log).unwrap())
                .spawn()
                .expect("qemu-system-arm (run ci/setup)");
            PausedQemu(child)
        }
    }

    impl Drop for PausedQemu {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn qemu_finding_its_host_port_taken_is_told_from_qemu_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("q.log");
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut qemu = PausedQemu::start(port, &log);
        assert!(!holds_port(&mut qemu.0, "udp", port, &log), "the port was ours, not QEMU's");
        drop(qemu);
        drop(taken);
        let mut qemu = PausedQemu::start(port, &log);
        assert!(holds_port(&mut qemu.0, "udp", port, &log));
        assert!(socket_of(qemu.0.id(), "udp", port));
        assert!(!socket_of(qemu.0.id(), "udp", port.wrapping_add(1)), "only the forwarded port is QEMU's");
    }

    #[test]
    // (A function of its own in the executable, which the test looks itself up by.)
    #[inline(never)]
    fn a_panic_on_the_console_is_found_once_its_line_is_complete() {
        let dir = tempfile::tempdir().unwrap();
        let console = dir.path().join("n.console.log");
        std::fs::write(&console, "boot\ncoap: listening on udp port 5683\n").unwrap();
        let mut node = QemuNode {
            name: "n".into(),
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 1)),
            console: ConsoleWatch::new(console.clone(), None),
            qemu_log: dir.path().join("n.qemu.log"),
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

        // A fault's pc is named from the node's image (here this test's executable).
        let exe = std::env::current_exe().unwrap();
        let name = "a_panic_on_the_console_is_found_once_its_line_is_complete";
        let pc = crate::symbols::inside_function(&exe, name).unwrap();
        let line = format!("PANIC: hard fault at pc={pc:#010x} lr=0x00000000");
        std::fs::write(&console, format!("boot\n{line}\n")).unwrap();
        node.console = ConsoleWatch::new(console.clone(), Some(&exe));
        let crash = node.crashed().unwrap();
        assert!(crash.starts_with(&format!("firmware {line} at ")), "{crash}");
        assert!(crash.contains(name) && crash.contains("testbed/src/qemu.rs:"), "{crash}");
    }
}
