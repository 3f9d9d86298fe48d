//! See [`mbpf_fuzz::targets::edhoc_responder`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::edhoc_responder(data));
