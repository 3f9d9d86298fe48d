//! See [`mbpf_fuzz::targets::oscore_unprotect`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::oscore_unprotect(data));
