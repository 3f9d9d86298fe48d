//! The device's CoAP: the server that answers the host ([`server`]: receive loop and
//! caches), the mbpf API it serves ([`api`]: one function per resource, routes and
//! methods in one table), µBPF's endpoints ([`microbpf`]), and the client that pulls
//! signed programs ([`client`]). Messages, matching, retransmission and Block2 are
//! the sans-I/O core in `proto::coap`.
pub mod api;
pub mod client;
pub mod edhoc;
#[cfg(feature = "microbpf-api")]
pub mod microbpf;
pub mod server;

use alloc::vec::Vec;

use coap_lite::ResponseType;

/// A content-format number (RFC 7252 §12.3) and a payload.
pub type Body = Option<(u16, Vec<u8>)>;

/// A resource's answer: its code and body.
pub type Answer = (ResponseType, Body);

pub fn cbor(value: &impl minicbor::Encode<()>) -> Body {
    Some((proto::CONTENT_FORMAT_CBOR, proto::encode(value)))
}

pub fn text(s: &str) -> Body {
    Some((0, s.as_bytes().to_vec()))
}

/// What the resources act on.
pub struct Ctx<'a> {
    /// The link, for pulls.
    pub net: crate::link::Net,
    pub spawner: embassy_executor::Spawner,
    pub slots: &'a mut crate::runtime::slots::Slots,
    /// EDHOC handshakes in progress and the security contexts they made.
    pub security: &'a mut edhoc::Security,
    /// The buffers of `POST /run` (only the testbed firmware has that resource).
    #[cfg_attr(not(feature = "unsigned-run"), allow(dead_code))]
    pub arena: &'a mut Arena,
}

#[cfg(feature = "unsigned-run")]
pub type Arena = crate::runtime::interp_exec::Arena;
#[cfg(not(feature = "unsigned-run"))]
pub type Arena = ();
