//! Fletcher-16 over the input, in `no_std` Rust for the eBPF target.
//!
//! Build (mbpf does this for `.rs` files):
//! `rustc --target bpfel-unknown-none --crate-type lib --emit obj -C opt-level=2
//!  -C panic=abort -C target-cpu=v3 fletcher16.rs -o fletcher16.o`
//! Debian's `libstd-rust-web-dev-bpf` provides `core` for the target.
#![no_std]

/// The entry point: r1 = input address, r2 = input length (the device's convention).
#[no_mangle]
pub extern "C" fn entry(data: *const u8, len: u64) -> u64 {
    let (mut sum1, mut sum2) = (0u32, 0u32);
    let mut i = 0u64;
    while i < len {
        // SAFETY: the device guarantees `len` readable bytes at `data`, and checks every
        // access again anyway.
        let byte = unsafe { *data.add(i as usize) } as u32;
        sum1 = (sum1 + byte) % 255;
        sum2 = (sum2 + sum1) % 255;
        i += 1;
    }
    ((sum2 << 8) | sum1) as u64
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
