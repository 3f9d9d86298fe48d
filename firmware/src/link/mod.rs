//! The link to the host: how CoAP messages reach the device and leave it.
//!
//! - [`udp`] (boards with Ethernet): embassy-net's UDP sockets. Peers are UDP
//!   endpoints; a pull goes straight to the file server.
//! - [`serial`] (boards with only a UART): slipmux on one serial line, shared with the
//!   console. The one peer is the host's end of the line, which also forwards the
//!   device's pulls to the file server (Proxy-Uri).
//!
//! The CoAP server ([`crate::coap::server`]) and the pull client
//! ([`crate::coap::client`]) are written against the two traits here; the board's
//! feature picks the module, which provides `Net` (a handle the API keeps),
//! `start`, `addresses` and `get` (a pull's fetch).
#[cfg(feature = "link-serial")]
pub mod serial;
#[cfg(feature = "link-udp")]
pub mod udp;

#[cfg(feature = "link-serial")]
pub use serial::{addresses, get, server, start, Net, DESCRIPTION};
#[cfg(feature = "link-udp")]
pub use udp::{addresses, get, server, start, Net, DESCRIPTION};

use crate::coap::client::FetchError;

/// Where the CoAP server's requests come from and its answers go.
// One thread-mode executor runs every future here: no `Send` bounds are wanted.
#[allow(async_fn_in_trait)]
pub trait Link {
    /// How the link names a sender.
    type Peer: Copy + PartialEq;
    /// The next message (truncated ones are dropped) and its sender.
    async fn recv(&mut self, buf: &mut [u8]) -> (usize, Self::Peer);
    async fn send(&mut self, bytes: &[u8], to: Self::Peer);
}

/// A pull's way to the file server.
#[allow(async_fn_in_trait)]
pub trait Uplink {
    /// Whether requests go to the host's end of the link with their target in
    /// Proxy-Uri, rather than to the target itself.
    const FORWARDED: bool;
    async fn send(&mut self, bytes: &[u8]) -> Result<(), FetchError>;
    /// The next message from the file server's side.
    async fn recv(&mut self, buf: &mut [u8]) -> usize;
}
