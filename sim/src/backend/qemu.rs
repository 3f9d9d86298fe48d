//! The QEMU backend: nodes are `tools::qemu` emulators (`qemu-system-arm -M mps2-an386`
//! with `-icount shift=0` and user networking), killed by PID when stopped or dropped.
use std::net::SocketAddr;
use std::path::Path;

use super::{BootSpec, Node};
use crate::scenario::FaultKind;

pub struct QemuBackendNode(tools::qemu::QemuNode);

pub fn boot(spec: &BootSpec) -> anyhow::Result<QemuBackendNode> {
    let options = tools::qemu::BootOptions {
        plugin: spec.plugin.clone(),
        tap: spec.tap.clone(),
    };
    tools::qemu::boot_with(spec.name, spec.firmware, spec.run_dir, &options).map(QemuBackendNode)
}

impl Node for QemuBackendNode {
    fn coap_addr(&self) -> SocketAddr {
        self.0.coap_addr()
    }

    fn console_log(&self) -> &Path {
        self.0.console_log()
    }

    fn crashed(&mut self) -> Option<String> {
        self.0.crashed()
    }

    fn inject(&mut self, fault: FaultKind) -> anyhow::Result<()> {
        let pid = self
            .0
            .pid()
            .ok_or_else(|| anyhow::anyhow!("node {} is not running", self.0.name()))?;
        let signal = match fault {
            FaultKind::Kill => libc::SIGKILL,
            FaultKind::Freeze => libc::SIGSTOP,
        };
        // SAFETY: kill(2) on the PID of our own child process.
        if unsafe { libc::kill(pid as libc::pid_t, signal) } != 0 {
            anyhow::bail!(
                "cannot signal qemu {pid}: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(())
    }

    fn stop(&mut self) {
        self.0.stop()
    }
}
