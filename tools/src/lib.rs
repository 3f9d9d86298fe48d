//! Host-side library behind the `mbpf` CLI, shared with `sim`: a CoAP client for the
//! device API and the conformance-suite runner.
pub mod coap_client;
pub mod conformance;
