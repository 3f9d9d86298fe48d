//! The firmware's tests: each boots real firmware in QEMU (`mps2-an386`) through the
//! testbed and talks to it over CoAP. One test binary, one module per subject.
/// Counts what a host compile holds at once (`compile_cost` compares it with the
/// device's).
#[global_allocator]
static LIVE_PEAK: testbed::live_peak::LivePeak = testbed::live_peak::LivePeak;

mod firmware {
    pub mod common;

    mod aiocoap;
    mod background;
    mod coap_app;
    mod compile_cost;
    mod dedup;
    mod differential;
    mod edhoc;
    mod footprint;
    mod helpers;
    mod interop;
    mod mem;
    mod microbpf;
    mod oscore;
    mod persist;
    mod pull;
    mod robustness;
}
