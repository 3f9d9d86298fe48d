//! Running and measuring mbpf nodes, for the `mbpf` CLI and the `sim` scenario runner.
//!
//! - [`node`]: the [`Node`] trait every backend implements, and booting a node until it
//!   answers.
//! - [`qemu`]: the QEMU backend (`mps2-an386` on user or tap networking,
//!   `b-l475e-iot01a` on a serial line).
//! - [`probe`] and [`hardware_map`]: boards on the desk through probe-rs, and the map
//!   of which board is on which probe and port.
//! - [`renode`] and [`iotlab`]: Renode's emulated nodes, and FIT IoT-LAB's real ones.
//! - [`firmware`]: building firmware variants on demand and caching the images.
//! - [`footprint`]: a firmware image's flash and RAM, per crate, and a crate's code per source file.
//! - [`plugin`]: the instruction-count TCG plugin, its marks and profiles.
//! - [`coap_client`]: the host's CoAP client of the device API.
//! - [`serial`]: the host's end of a device's serial line (slipmux), bridged to UDP.
//! - [`file_server`]: the CoAP file server devices pull from.
//! - [`compile`]: clang and rustc for eBPF.
//! - [`program`]: one pipeline from a source file to a verified image.
//! - [`keys`] and [`publish`]: signing keys, and signed SUIT manifests beside their
//!   images in a server root.
//! - [`conformance`]: the bpf_conformance suite's cases, run on this host's interpreter.
//! - [`live_peak`]: the most heap a piece of work (a JIT compile) holds at once here.
//!
//! Errors are typed ([`Error`]); the CLI adds context at its edge.
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod coap_client;
pub mod compile;
pub mod conformance;
pub mod error;
pub mod file_server;
pub mod firmware;
pub mod footprint;
pub mod hardware_map;
pub mod iotlab;
pub mod keys;
pub mod live_peak;
pub mod node;
pub mod plugin;
pub mod probe;
pub mod program;
pub mod publish;
pub mod qemu;
pub mod renode;
pub mod serial;
pub mod symbols;

pub use error::{Error, Result};
pub use node::{Fault, HostUsage, Node, Target};

/// The repository this library was built from: firmware sources, programs and keys
/// are found from here.
pub fn repo_root() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::canonicalize(&root).unwrap_or(root)
}
