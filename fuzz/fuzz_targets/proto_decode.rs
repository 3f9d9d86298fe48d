//! See [`mbpf_fuzz::targets::proto_decode`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::proto_decode(data));
