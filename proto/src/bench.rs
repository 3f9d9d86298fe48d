//! The benchmark suite's shared facts: the data every kernel runs over, the header
//! that puts it in a C program's `.rodata`, and the `/native` request of benchmark
//! firmware. The host (sim) and the firmware's build script both use these, so the
//! eBPF builds and the native builds see the same bytes.
use alloc::string::String;
use core::fmt::Write as _;

use minicbor::{Decode, Encode};

/// Byte `i` of a kernel's input: a fixed pattern, the same for every engine and run.
pub fn data_byte(i: usize) -> u8 {
    (i.wrapping_mul(7).wrapping_add(3)) as u8
}

/// The input of a kernel built for `size` bytes.
pub fn data(size: usize) -> alloc::vec::Vec<u8> {
    (0..size).map(data_byte).collect()
}

/// `bench_data.h` for `size` bytes: `DATA_SIZE` and the bytes as a `volatile`
/// array, so that the compiler loads every byte instead of folding the result.
pub fn data_header(size: usize) -> String {
    let mut h = String::new();
    let _ = write!(h, "#define DATA_SIZE {size}\nstatic const volatile uint8_t bench_data[DATA_SIZE] = {{");
    for i in 0..size {
        if i % 16 == 0 {
            h.push_str("\n   ");
        }
        let _ = write!(h, " {},", data_byte(i));
    }
    h.push_str("\n};\n");
    h
}

/// The symbol a native build of `kernel` at `size` bytes has in benchmark firmware.
pub fn native_symbol(kernel: &str, size: usize) -> String {
    let mut s = String::new();
    let _ = write!(s, "mbpf_native_{kernel}_{size}");
    s
}

/// `POST /native` (firmware built with the `bench` feature): run the native
/// Cortex-M4 build of a benchmark kernel, measured like a program run. The answer
/// is a [`crate::RunResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct NativeRequest {
    #[n(0)]
    pub kernel: String,
    #[n(1)]
    pub data_size: u32,
}
