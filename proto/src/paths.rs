//! The CoAP resource paths of the device API (see `docs/protocol.md`).

/// `GET`: board, build id, features and slot count, as [`crate::Info`].
pub const INFO: &str = "info";

/// `POST`: EDHOC messages (RFC 9528 Appendix A.2), `true` and message_1, then C_R and
/// message_3; the handshake authenticates a client the firmware was built to accept.
pub const EDHOC: &str = ".well-known/edhoc";

/// `GET`: the device's resources in CoRE Link Format (RFC 6690).
pub const WELL_KNOWN_CORE: &str = ".well-known/core";

/// The paths a client may use without OSCORE: what the device is, what it serves, and
/// the EDHOC handshake that makes a security context. Every other request, whatever
/// its method, must come OSCORE-protected in a context an EDHOC handshake made with a
/// client the firmware was built to accept; any other gets 4.01 and changes nothing.
pub const OPEN: &[&str] = &[INFO, WELL_KNOWN_CORE, EDHOC];

/// Whether `path` (without its leading `/`) is one of [`OPEN`].
pub fn is_open(path: &str) -> bool {
    OPEN.contains(&path)
}

/// `POST` a [`crate::RunRequest`]: run an unsigned image (testbed firmware only).
pub const RUN: &str = "run";

/// `POST` a [`crate::PullRequest`]: pull a signed image into a slot.
pub const PULL: &str = "pull";
/// `GET`: the slots, as a CBOR array of [`crate::SlotInfo`].
pub const SLOTS: &str = "slots";
/// `POST` an [`crate::ExecRequest`]: run a slot once; answers a [`crate::RunResponse`].
pub const EXEC: &str = "exec";
/// `POST` an [`crate::EraseRequest`]: empty a slot.
pub const ERASE: &str = "erase";
/// `POST` a [`crate::StartRequest`]: run a slot in the background.
pub const START: &str = "start";
/// `POST` a [`crate::StopRequest`]: stop a background program.
pub const STOP: &str = "stop";
/// `GET`: the background programs, as a CBOR array of [`crate::RunningInfo`].
pub const RUNNING: &str = "running";
/// `POST` a [`crate::SensorRequest`]: set an emulated sensor's reading.
pub const SENSOR: &str = "sensor";
/// `POST` (empty): reset the device once the answer is out; slots, sequence numbers
/// and the boot count survive it.
pub const RESET: &str = "reset";
/// `POST /native`: run a native benchmark kernel (firmware feature `bench`).
pub const NATIVE: &str = "native";

/// `/app/N` (any method): slot N answers the request itself on the interpreter;
/// `/app/N/jit` on the JIT.
pub const APP: &str = "app";

/// µBPF's endpoints, kept so that its host tools work against an mbpf device; their
/// payloads are µBPF's text encodings (`firmware/src/coap/microbpf.rs`).
pub mod microbpf {
    /// `POST` a config: run a slot once, answer `{"result": N}`.
    pub const SHORT_EXECUTION: &str = "short-execution";
    /// `POST` a config: run a slot in the background.
    pub const LONG_RUNNING: &str = "long-running";
    /// `POST IP6HEX|MANIFEST|...`: pull a signed manifest.
    pub const SUIT_PULL: &str = "suit/pull";
    /// `POST` a config and a request: the slot builds the CoAP answer.
    pub const WITH_COAP_PKT: &str = "with_coap_pkt";
    /// `GET`: one `true`/`false` per slot, whether a program runs there.
    pub const RUNNING_VM: &str = "running_vm";
}
