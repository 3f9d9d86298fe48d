//! See [`mbpf_fuzz::targets::image_load`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::image_load(data));
