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

/// The native builds listed in `programs/bench/native.txt`: one line per kernel,
/// `kernel size...`, `#` comments. Read by the firmware's build script (which
/// compiles them) and by sim (which knows what it may ask `/native` for).
pub fn parse_native_list(text: &str) -> Result<alloc::vec::Vec<(String, alloc::vec::Vec<usize>)>, String> {
    let mut out = alloc::vec::Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let kernel = words.next().unwrap_or_default();
        let sizes = words
            .map(|w| w.parse().map_err(|_| alloc::format!("line {}: `{w}` is not a size", n + 1)))
            .collect::<Result<_, _>>()?;
        out.push((String::from(kernel), sizes));
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_native_list_reads_kernels_and_sizes_and_rejects_bad_sizes() {
        let list = parse_native_list("# comment\nfletcher16 80 160\n\ncrc32 640\n").unwrap();
        assert_eq!(
            list,
            [(String::from("fletcher16"), alloc::vec![80, 160]), (String::from("crc32"), alloc::vec![640])]
        );
        assert_eq!(parse_native_list("crc32 64x\n").unwrap_err(), "line 1: `64x` is not a size");
    }
}
