//! Marker functions around measured regions. They do nothing; an instruction-count
//! plugin watching for their addresses can measure exactly what lies between them.
//! `#[inline(never)]` and `#[no_mangle]` keep them as real, named functions.
//!
//! Each marker passes its own number through `black_box`: identical bodies would be
//! folded into one function by the linker, and the plugin could not tell them apart;
//! the compiler fence keeps calls to them from being removed as side-effect free.
use core::sync::atomic::{compiler_fence, Ordering};

macro_rules! markers {
    ($($name:ident => $sym:literal = $id:literal),* $(,)?) => {
        $(
            #[inline(never)]
            #[unsafe(export_name = $sym)]
            pub extern "C" fn $name() {
                core::hint::black_box($id as u32);
                compiler_fence(Ordering::SeqCst);
            }
        )*
    };
}

markers! {
    load_begin => "mbpf_marker_load_begin" = 1,
    load_end => "mbpf_marker_load_end" = 2,
    verify_begin => "mbpf_marker_verify_begin" = 3,
    verify_end => "mbpf_marker_verify_end" = 4,
    compile_begin => "mbpf_marker_compile_begin" = 5,
    compile_end => "mbpf_marker_compile_end" = 6,
    exec_begin => "mbpf_marker_exec_begin" = 7,
    exec_end => "mbpf_marker_exec_end" = 8,
    native_begin => "mbpf_marker_native_begin" = 9,
    native_end => "mbpf_marker_native_end" = 10,
}

/// The measured phases, named once for device and host (the symbols above are
/// `proto::markers::PREFIX`, the phase's name, and `_begin`/`_end`; the host checks
/// every phase's pair in the image).
pub use proto::markers::Phase;

/// Runs `f` between the markers of `phase` and returns its result with the SysTick
/// counts it took, and its core cycles where the cycle counter runs (read outside the
/// markers, so the plugin's counts are the region's alone).
///
/// Benchmark firmware (feature `bench`) runs the region with interrupts masked, so
/// that no interrupt handler's instructions land in it and the plugin's counts are
/// the same on every run; a pended SysTick wrap is still accounted for by
/// `systick_counts`, so regions up to two SysTick periods long keep exact time:
/// each starts a full period first (`time_driver::settle`), and the next timer is
/// programmed again after it.
pub fn measure<R>(phase: Phase, f: impl FnOnce() -> R) -> (R, device::Measured) {
    let (begin, end): (extern "C" fn(), extern "C" fn()) = match phase {
        Phase::Load => (load_begin, load_end),
        Phase::Verify => (verify_begin, verify_end),
        Phase::Compile => (compile_begin, compile_end),
        Phase::Exec => (exec_begin, exec_end),
        Phase::Native => (native_begin, native_end),
    };
    let run = || {
        let t0 = crate::time_driver::systick_counts();
        let c0 = crate::cycles::now();
        begin();
        let r = f();
        end();
        let cycles = crate::cycles::since(c0);
        (r, device::Measured { counts: crate::time_driver::systick_counts() - t0, cycles })
    };
    #[cfg(feature = "bench")]
    {
        crate::time_driver::settle();
        let measured = critical_section::with(|_| run());
        crate::time_driver::resume();
        measured
    }
    #[cfg(not(feature = "bench"))]
    {
        run()
    }
}
