//! The QEMU backend: nodes are `tools::qemu` emulators (`qemu-system-arm -M mps2-an386`
//! with `-icount shift=0` and user networking), killed by PID when stopped or dropped.
use std::net::SocketAddr;
use std::path::Path;

use super::{BootSpec, Node};


pub struct QemuBackendNode(tools::qemu::QemuNode);

pub fn boot(spec: &BootSpec) -> anyhow::Result<QemuBackendNode> {
    tools::qemu::boot(spec.name, spec.firmware, spec.run_dir).map(QemuBackendNode)
}

impl Node for QemuBackendNode {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn coap_addr(&self) -> SocketAddr {
        self.0.coap_addr()
    }

    fn console_log(&self) -> &Path {
        self.0.console_log()
    }

    fn crashed(&mut self) -> Option<String> {
        self.0.crashed()
    }

    fn stop(&mut self) {
        self.0.stop()
    }
}
