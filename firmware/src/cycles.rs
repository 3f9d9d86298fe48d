//! The core's cycle counter (DWT CYCCNT): exact core cycles of every measured region
//! on a chip. QEMU models no DWT (the counter stays 0), so there no cycles are
//! reported and the instruction-count plugin measures instead.
use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m::peripheral::{DCB, DWT};

static RUNNING: AtomicBool = AtomicBool::new(false);

/// Starts the counter and checks that it counts.
pub fn enable(dcb: &mut DCB, dwt: &mut DWT) {
    dcb.enable_trace();
    dwt.enable_cycle_counter();
    let before = DWT::cycle_count();
    cortex_m::asm::delay(64);
    RUNNING.store(DWT::cycle_count() != before, Ordering::Relaxed);
}

/// The counter's value, where it runs.
pub fn now() -> Option<u32> {
    RUNNING.load(Ordering::Relaxed).then(DWT::cycle_count)
}

/// Cycles from `start` (a [`now`]) to now; the counter wraps after 2^32 cycles, far
/// longer than any measured region (25 s at 168 MHz).
pub fn since(start: Option<u32>) -> Option<u64> {
    Some(u64::from(now()?.wrapping_sub(start?)))
}
