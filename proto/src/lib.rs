//! Wire types shared by the device (`firmware/`) and the host (`tools/`, `sim/`).
//!
//! Every CoAP payload the device sends or accepts is defined here exactly once, as a
//! CBOR map encoded with `minicbor`. Keys are small integers (`#[n(..)]`) so the
//! encoding stays compact on the wire; new optional fields get new keys, so old
//! hosts and devices keep decoding what they know.
//!
//! The crate is `no_std` + `alloc`: the firmware links it as is.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod bench;
pub mod coap;
pub mod exec;
pub mod info;
pub mod markers;
pub mod paths;
pub mod slots;

pub use bench::NativeRequest;
pub use exec::{Costs, Engine, Failure, FailureKind, RunRequest, RunResponse};
pub use info::{Info, Memory};
pub use slots::{
    EraseRequest, ExecRequest, PullRequest, PullResponse, RunState, RunningInfo, SensorRequest, SlotInfo, StartRequest,
    StopRequest,
};

/// The CoAP content-format number for `application/cbor` (RFC 7049 / RFC 8949).
pub const CONTENT_FORMAT_CBOR: u16 = 60;

/// The UDP port the device's CoAP server listens on (the CoAP default, RFC 7252).
pub const COAP_PORT: u16 = 5683;

/// Encodes any wire type to CBOR.
pub fn encode<T: minicbor::Encode<()>>(value: &T) -> alloc::vec::Vec<u8> {
    // Encoding into a Vec cannot fail: the only error source is the writer, and
    // `Vec`'s writer is infallible.
    minicbor::to_vec(value).unwrap_or_default()
}

/// Decodes a wire type from CBOR, with a typed error for malformed input.
pub fn decode<'b, T: minicbor::Decode<'b, ()>>(bytes: &'b [u8]) -> Result<T, minicbor::decode::Error> {
    minicbor::decode(bytes)
}
