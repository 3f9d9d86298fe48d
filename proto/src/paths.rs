//! The CoAP resource paths of the device API (see `docs/protocol.md`).

/// `GET`: board, build id, features and slot count, as [`crate::Info`].
pub const INFO: &str = "info";

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
/// `POST /native`: run a native benchmark kernel (firmware feature `bench`).
pub const NATIVE: &str = "native";
