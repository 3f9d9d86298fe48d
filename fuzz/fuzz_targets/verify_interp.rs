//! See [`mbpf_fuzz::targets::verify_interp`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::verify_interp(data));
