//! SUIT manifests (draft-ietf-suit-manifest-34) as mbpf uses them, `no_std` + `alloc`.
//!
//! - [`Envelope::decode`] reads any SUIT envelope (CBOR tag 107): the authentication
//!   wrapper (a SHA-256 [`Digest`] of the manifest and detached COSE_Sign1 objects)
//!   and the manifest bytes.
//! - [`Envelope::check_digest`] recomputes the digest over the manifest byte string
//!   including its CBOR header; [`Envelope::verify_ed25519`] (and, with feature
//!   `es256`, [`Envelope::verify_es256`]) checks a signature over the encoded digest.
//! - [`Manifest::decode`] reads the manifest: version, sequence number, components,
//!   and its command sequences with their parameters.
//! - [`profile`] is the device's profile: one component per slot, vendor and class
//!   ids, image digest, size and URI, and mbpf's image layout and helper allow-list.
//! - [`build`] (feature `sign`) writes and signs such manifests on the host.
//!
//! Every decoder reads untrusted bytes: malformed input is a [`SuitError`], never a
//! panic.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

#[cfg(feature = "sign")]
pub mod build;
pub mod cose;
pub mod envelope;
pub mod manifest;
pub mod profile;

pub use envelope::{Digest, Envelope};
pub use manifest::{Command, Manifest, Param};

/// COSE algorithm ids (RFC 9053 / RFC 9864).
pub mod alg {
    pub const SHA256: i64 = -16;
    pub const ES256: i64 = -7;
    /// EdDSA, the older generic id.
    pub const EDDSA: i64 = -8;
    /// Ed25519, the current fully specified id.
    pub const ED25519: i64 = -19;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuitError {
    #[error("malformed CBOR: {0}")]
    Cbor(&'static str),
    #[error("not a SUIT envelope: {0}")]
    NotEnvelope(&'static str),
    #[error("unsupported digest algorithm {0}")]
    DigestAlgorithm(i64),
    #[error("manifest digest does not match")]
    DigestMismatch,
    #[error("no signature")]
    Unsigned,
    #[error("unsupported signature algorithm {0}")]
    SignatureAlgorithm(i64),
    #[error("bad signature")]
    BadSignature,
    #[error("bad public key")]
    BadKey,
    #[error("manifest: {0}")]
    Manifest(&'static str),
}

impl From<minicbor::decode::Error> for SuitError {
    fn from(_: minicbor::decode::Error) -> Self {
        SuitError::Cbor("decode error")
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}
