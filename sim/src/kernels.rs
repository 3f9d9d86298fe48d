//! The benchmark kernels sim knows: where each one's C source is, what it needs,
//! and its expected result, computed here independently of every engine (from
//! well-kept crates where one exists) and checked on every run.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    Fletcher16,
    Fletcher32,
    Crc32,
    BubbleSort,
    Matmul,
    Xxhash64,
    Sha256,
    MovingAverage,
    CoapFmt,
    PacketFilter,
}

#[cfg(test)]
pub const ALL: [Kernel; 10] = [
    Kernel::Fletcher16,
    Kernel::Fletcher32,
    Kernel::Crc32,
    Kernel::BubbleSort,
    Kernel::Matmul,
    Kernel::Xxhash64,
    Kernel::Sha256,
    Kernel::MovingAverage,
    Kernel::CoapFmt,
    Kernel::PacketFilter,
];

impl Kernel {
    /// The name used in file names, results and the firmware's native table.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Fletcher16 => "fletcher16",
            Kernel::Fletcher32 => "fletcher32",
            Kernel::Crc32 => "crc32",
            Kernel::BubbleSort => "bubble_sort",
            Kernel::Matmul => "matmul",
            Kernel::Xxhash64 => "xxhash64",
            Kernel::Sha256 => "sha256",
            Kernel::MovingAverage => "moving_average",
            Kernel::CoapFmt => "coap_fmt",
            Kernel::PacketFilter => "packet_filter",
        }
    }

    /// The C source, relative to the repository.
    pub fn source(self) -> String {
        format!("programs/bench/{}.c", self.name())
    }

    /// Helper ids the signed manifest must grant.
    pub fn helpers(self) -> &'static [u8] {
        match self {
            Kernel::MovingAverage => &[0x10, 0x12],
            Kernel::CoapFmt => &[0x50, 0x51],
            _ => &[],
        }
    }

    /// Whether the kernel makes bpf-to-bpf calls (a non-inlined function).
    pub fn has_local_calls(self) -> bool {
        matches!(self, Kernel::Sha256)
    }

    /// The data sizes the kernel's source accepts.
    pub fn sizes(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Kernel::BubbleSort => 8..=384,
            Kernel::Matmul => 288..=32 * 1024,
            Kernel::PacketFilter => 64..=32 * 1024,
            _ => 1..=32 * 1024,
        }
    }

    /// The result a correct engine returns over `data`.
    pub fn expected(self, data: &[u8]) -> u64 {
        match self {
            Kernel::Fletcher16 => fletcher16(data),
            Kernel::Fletcher32 => fletcher32(data),
            Kernel::Crc32 => crc32fast::hash(data) as u64,
            Kernel::BubbleSort => bubble_sort(data),
            Kernel::Matmul => matmul(data),
            Kernel::Xxhash64 => xxhash_rust::xxh64::xxh64(data, 0),
            Kernel::Sha256 => {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(data);
                u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
            }
            Kernel::MovingAverage => moving_average(data),
            Kernel::CoapFmt => coap_fmt(data),
            Kernel::PacketFilter => packet_filter(data),
        }
    }
}

fn words16(data: &[u8]) -> impl Iterator<Item = u16> + '_ {
    data.chunks_exact(2).map(|w| u16::from_le_bytes([w[0], w[1]]))
}

pub fn fletcher16(data: &[u8]) -> u64 {
    let (mut a, mut b) = (0u64, 0u64);
    for &x in data {
        a = (a + x as u64) % 255;
        b = (b + a) % 255;
    }
    (b << 8) | a
}

fn fletcher32(data: &[u8]) -> u64 {
    let (mut s1, mut s2) = (0xffffu64, 0xffffu64);
    for w in words16(data) {
        s1 = (s1 + w as u64) % 65535;
        s2 = (s2 + s1) % 65535;
    }
    (s2 << 16) | s1
}

fn bubble_sort(data: &[u8]) -> u64 {
    let mut words: Vec<u32> = data.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
    words.sort_unstable();
    words.iter().fold(0u64, |h, &w| h.wrapping_mul(31).wrapping_add(w as u64))
}

fn matmul(data: &[u8]) -> u64 {
    const N: usize = 12;
    let a = |i: usize, k: usize| data[i * N + k] as i8 as i32;
    let b = |k: usize, j: usize| data[N * N + k * N + j] as i8 as i32;
    let mut sum = 0i64;
    for i in 0..N {
        for j in 0..N {
            let c: i32 = (0..N).map(|k| a(i, k) * b(k, j)).sum();
            sum += c as i64 * (i * N + j + 1) as i64;
        }
    }
    sum as u64
}

fn moving_average(data: &[u8]) -> u64 {
    const WINDOW: usize = 8;
    let mut window = [0u32; WINDOW];
    let mut sum = 0u32;
    for (i, s) in words16(data).enumerate() {
        sum = sum.wrapping_sub(window[i % WINDOW]).wrapping_add(s as u32);
        window[i % WINDOW] = s as u32;
    }
    (sum / WINDOW as u32) as u64
}

fn coap_fmt(data: &[u8]) -> u64 {
    let mut hash = 0xcbf29ce484222325u64;
    for (i, w) in words16(data).enumerate() {
        let v = w as i16 as i32;
        let sign = if v < 0 { "-" } else { "" };
        let text = format!("t={sign}{}.{:02};n={i}", v.unsigned_abs() / 100, v.unsigned_abs() % 100);
        for b in text.bytes() {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x100000001b3);
        }
    }
    hash
}

fn packet_filter(data: &[u8]) -> u64 {
    // (offset, mask, value, action): action 2 drops on mismatch, 1 accepts on match,
    // 0 drops on match; no decision drops.
    const RULES: [(usize, u8, u8, u8); 5] =
        [(0, 0xf0, 0x40, 2), (9, 0xff, 0x06, 0), (9, 0x01, 0x01, 1), (22, 0xfc, 0x14, 1), (23, 0x0f, 0x03, 1)];
    let (mut accepted, mut dropped, mut ports) = (0u64, 0u64, 0u32);
    for frame in data.chunks_exact(64) {
        let mut verdict = 0;
        for &(offset, mask, value, action) in &RULES {
            let b = frame[offset] & mask;
            if action == 2 {
                if b != value {
                    verdict = -1;
                }
            } else if b == value {
                verdict = if action == 1 { 1 } else { -1 };
            }
            if verdict != 0 {
                break;
            }
        }
        if verdict > 0 {
            accepted += 1;
            ports = ports.wrapping_mul(33).wrapping_add(((frame[22] as u32) << 8) | frame[23] as u32);
        } else {
            dropped += 1;
        }
    }
    (accepted << 48) | (dropped << 32) | ports as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_match_known_answers() {
        // Published check values: CRC-32 and XXH64 of "123456789", Fletcher-16 of "abcde".
        assert_eq!(Kernel::Crc32.expected(b"123456789"), 0xCBF43926);
        assert_eq!(Kernel::Fletcher16.expected(b"abcde"), 0xC8F0);
        assert_eq!(Kernel::Fletcher32.expected(b"abcde\0"), 0xF04FC729);
        assert_eq!(Kernel::Sha256.expected(b"abc"), 0xba7816bf8f01cfea);
        assert_eq!(Kernel::MovingAverage.expected(&[8, 0, 16, 0]), 3);
        assert_eq!(Kernel::BubbleSort.expected(&[2, 0, 0, 0, 1, 0, 0, 0]), 31 + 2);
    }

    /// Every helper-free kernel, compiled by clang from its source, gives the
    /// reference's result on the host interpreter (the device runs are checked by
    /// the scenarios).
    #[test]
    fn kernels_compute_their_reference_results_on_the_host_interpreter() {
        let repo = testbed::repo_root();
        let work = tempfile::tempdir().unwrap();
        for kernel in ALL.into_iter().filter(|k| k.helpers().is_empty()) {
            for size in [*kernel.sizes().start(), 288.min(*kernel.sizes().end()), 640.min(*kernel.sizes().end())] {
                let dir = work.path().join(format!("{}-{size}", kernel.name()));
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("bench_data.h"), proto::bench::data_header(size)).unwrap();
                let obj = testbed::compile::compile_c(
                    &repo.join(kernel.source()),
                    &dir,
                    "v3",
                    &[],
                    std::slice::from_ref(&dir),
                )
                .unwrap();
                let image = vm::image::Image::load(vm::image::Layout::Elf, &obj).unwrap();
                vm::verify(&image.program, &vm::HelperSet::empty()).unwrap();
                let mut stack = vec![0u8; vm::interp::stack_size_for(&image.program)];
                let mut data = image.data.clone();
                let mut memory =
                    vm::Memory::new().with(vm::memory::Region::read_write(vm::RegionKind::Stack, &mut stack));
                if !data.is_empty() {
                    memory.add(vm::memory::Region::read_write(vm::RegionKind::Data, &mut data));
                }
                if !image.rodata.is_empty() {
                    memory.add(vm::memory::Region::read_only(vm::RegionKind::Rodata, &image.rodata));
                }
                let mut helpers = vm::helpers::NoHelpers;
                let mut machine =
                    vm::Vm::new(&image.program, memory, &mut helpers, vm::HelperSet::empty()).with_budget(50_000_000);
                let got = machine.run().unwrap_or_else(|e| panic!("{} at {size} bytes: {e:?}", kernel.name()));
                assert_eq!(got, kernel.expected(&proto::bench::data(size)), "{} at {size} bytes", kernel.name());
            }
        }
    }
}
