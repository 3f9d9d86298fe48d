//! Native Cortex-M4 builds of the benchmark kernels (feature `bench`): the baseline
//! the engines are measured against, run through the same measuring path (SysTick
//! and the marker functions) as a program run.
use crate::markers::{measure, Region};
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
    let mut costs = crate::runtime::run::costs();
    let Some(kernel) = NATIVE_KERNELS.iter().find(|k| k.name == req.kernel && k.data_size == req.data_size) else {
        let built: Vec<_> = NATIVE_KERNELS.iter().map(|k| format!("{}@{}", k.name, k.data_size)).collect();
        let message = format!("no native build of {} at {} bytes (this firmware has: {})", req.kernel, req.data_size, built.join(" "));
        return RunResponse { result: None, failure: Some(Failure { kind: FailureKind::Unsupported, pc: None, message }), costs, input: Vec::new() };
    };
    // SAFETY: the entry is a C function compiled from `programs/bench/<name>.c` by
    // build.rs; it reads only its own `.rodata` and stack and ignores its argument.
    let (result, counts) = measure(Region::Native, || unsafe { (kernel.entry)(core::ptr::null_mut()) });
    costs.exec_counts = counts;
    RunResponse { result: Some(result), failure: None, costs, input: Vec::new() }
}
