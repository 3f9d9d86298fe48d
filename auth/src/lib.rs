//! Who may manage a device: an EDHOC handshake (RFC 9528, method 3 with static
//! Diffie-Hellman keys, cipher suite 2: P-256, AES-CCM, SHA-256) between a client and
//! the device, carried over CoAP as RFC 9528 Appendix A.2 describes, yields the keying
//! material of an OSCORE security context (Appendix A.1). The device accepts only the
//! clients whose credentials (CCS, RFC 9528 §3.5.3) it was built with, as it accepts
//! only manifests signed by its trusted SUIT keys.
//!
//! Both ends use this crate: [`edhoc::Responder`] on the device, [`edhoc::Initiator`]
//! on the host. EDHOC itself is `lakers` with its RustCrypto backend; this crate holds
//! what the device and the host must agree on: the CoAP framing, connection
//! identifiers, the authorization rule and the OSCORE derivation.
#![no_std]
// One `unsafe impl` (oscore::SecurityContext is Send), allowed where it stands.
#![deny(unsafe_code)]

extern crate alloc;

pub mod ccs;
pub mod edhoc;
pub mod oscore;

pub use edhoc::{Confirming, Initiator, OscoreMaterial, Refusal, Responder};
pub use lakers::Credential;

/// The resource EDHOC messages go to (RFC 9528 Appendix A.2).
pub const EDHOC_PATH: &str = ".well-known/edhoc";
/// The content formats of EDHOC messages (RFC 9528 §10.9): `application/edhoc+cbor-seq`
/// for message_2, `application/cid-edhoc+cbor-seq` for requests, which start with a
/// connection identifier or `true`.
pub const CONTENT_FORMAT_EDHOC: u16 = 64;
pub const CONTENT_FORMAT_CID_EDHOC: u16 = 65;
