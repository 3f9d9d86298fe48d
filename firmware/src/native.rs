//! Native Cortex-M4 builds of the benchmark kernels (feature `bench`): the baseline
//! the engines are measured against, run through the same measuring path (SysTick
//! and the marker functions) as a program run.
use crate::markers::{measure, Phase};
use alloc::format;
use alloc::vec::Vec;

use proto::{Failure, FailureKind, NativeRequest, RunResponse};

/// One native kernel: its name, the data size it was built for, and its entry.
pub struct NativeKernel {
    pub name: &'static str,
    pub data_size: u32,
    pub entry: unsafe extern "C" fn(*mut u8) -> u64,
}

include!(concat!(env!("OUT_DIR"), "/native_kernels.rs"));

/// `POST /native`: runs the kernel built for the requested size.
pub fn run(req: &NativeRequest) -> RunResponse {
    let mut costs = device::run::costs::<crate::platform::Board>();
    let Some(kernel) = NATIVE_KERNELS.iter().find(|k| k.name == req.kernel && k.data_size == req.data_size) else {
        let built: Vec<_> = NATIVE_KERNELS.iter().map(|k| format!("{}@{}", k.name, k.data_size)).collect();
        let message = format!(
            "no native build of {} at {} bytes (this firmware has: {})",
            req.kernel,
            req.data_size,
            built.join(" ")
        );
        return RunResponse {
            result: None,
            failure: Some(Failure { kind: FailureKind::Unsupported, pc: None, message }),
            costs,
            input: Vec::new(),
        };
    };
    // SAFETY: the entry is a C function compiled from `programs/bench/<name>.c` by
    // build.rs; it reads only its own `.rodata` and stack and ignores its argument.
    let (result, cost) = measure(Phase::Native, || unsafe { (kernel.entry)(core::ptr::null_mut()) });
    cost.record(Phase::Native, &mut costs);
    RunResponse { result: Some(result), failure: None, costs, input: Vec::new() }
}

/// The helpers native kernels call (`programs/include/mbpf_helpers.h` maps
/// `bpf_store_local` and friends to these when built with `MBPF_NATIVE`), and rbpf
/// runs (`runtime::rbpf_exec`): the same key-value store and formatting as the eBPF
/// helpers, without pointer checks, as neither native code nor rbpf has any.
pub mod helpers {
    use crate::runtime::helpers::{format_s16_dfp, format_u32_dec, kv_fetch, kv_store, Namespace};

    #[unsafe(no_mangle)]
    pub extern "C" fn mbpf_native_store_local(key: u32, value: u32) -> i32 {
        if kv_store(Namespace::Peer, key, value).is_ok() {
            0
        } else {
            -1
        }
    }

    /// # Safety
    /// `value` must be valid for a 4-byte write.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn mbpf_native_fetch_local(key: u32, value: *mut u32) -> i32 {
        // SAFETY: the caller passes a pointer to its own u32.
        unsafe { value.write_unaligned(kv_fetch(Namespace::Peer, key).unwrap_or(0)) };
        0
    }

    /// # Safety
    /// `out` must be valid for writing the formatted text (at most 24 bytes).
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn mbpf_native_fmt_s16_dfp(out: *mut u8, value: i16, digits: i32) -> usize {
        let Some(text) = format_s16_dfp(value, digits) else { return 0 };
        // SAFETY: the caller's buffer holds the text (RIOT's contract for fmt_*).
        unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), out, text.len()) };
        text.len()
    }

    /// # Safety
    /// `out` must be valid for writing the formatted text (at most 10 bytes).
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn mbpf_native_fmt_u32_dec(out: *mut u8, value: u32) -> usize {
        let text = format_u32_dec(value);
        // SAFETY: as above.
        unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), out, text.len()) };
        text.len()
    }
}

/// rbpf's helper ABI: five u64 arguments, no context, no memory model. The
/// benchmark kernels' helpers, mapped onto the firmware's own (unchecked: rbpf
/// hands helpers raw pointers into its stack).
pub mod rbpf_helpers {
    use super::helpers as h;

    pub fn store_local(key: u64, value: u64, _: u64, _: u64, _: u64) -> u64 {
        h::mbpf_native_store_local(key as u32, value as u32) as u64
    }

    pub fn fetch_local(key: u64, out: u64, _: u64, _: u64, _: u64) -> u64 {
        // SAFETY: rbpf passes the program's pointer into its own stack unchecked, as
        // every rbpf helper gets it; the benchmark kernels pass a u32 there.
        unsafe { h::mbpf_native_fetch_local(key as u32, out as usize as *mut u32) as u64 }
    }

    pub fn fmt_s16_dfp(out: u64, value: u64, digits: u64, _: u64, _: u64) -> u64 {
        // SAFETY: as above; the kernel's buffer holds the text.
        unsafe { h::mbpf_native_fmt_s16_dfp(out as usize as *mut u8, value as u16 as i16, digits as i32) as u64 }
    }

    pub fn fmt_u32_dec(out: u64, value: u64, _: u64, _: u64, _: u64) -> u64 {
        // SAFETY: as above.
        unsafe { h::mbpf_native_fmt_u32_dec(out as usize as *mut u8, value as u32) as u64 }
    }
}
