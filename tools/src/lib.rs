//! Host-side library behind the `mbpf` CLI, shared with `sim`: a CoAP client for the
//! device API, the conformance-suite runner, firmware builds and QEMU nodes.
pub mod coap_client;
pub mod compile;
pub mod config;
pub mod conformance;
pub mod file_server;
pub mod firmware;
pub mod measure;
pub mod publish;
pub mod qemu;
