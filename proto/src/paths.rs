//! The CoAP resource paths of the device API (see `docs/protocol.md`).

/// `GET`: board, build id, features and slot count, as [`crate::Info`].
pub const INFO: &str = "info";

/// `POST` a [`crate::RunRequest`]: run an unsigned image (testbed firmware only).
pub const RUN: &str = "run";
