//! The device's CoAP on this board: the receive loop over the link ([`server`];
//! the request handling itself is the `device` crate's) and the client that pulls
//! signed programs ([`client`]). Messages, matching, retransmission and Block2 are
//! the sans-I/O core in `proto::coap`.
pub mod client;
pub mod server;
