//! See [`mbpf_fuzz::targets::jit_compile`]; this binary counts and limits its heap.
#![no_main]
#[global_allocator]
static ALLOC: mbpf_fuzz::counting::Counting = mbpf_fuzz::counting::Counting;

libfuzzer_sys::fuzz_target!(|data: &[u8]| mbpf_fuzz::targets::jit_compile(data));
