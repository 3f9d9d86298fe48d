//! See [`mbpf_fuzz::targets::suit_envelope`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::suit_envelope(data));
