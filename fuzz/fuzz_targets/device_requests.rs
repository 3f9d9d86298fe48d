//! See [`mbpf_fuzz::targets::device_requests`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::device_requests(data));
