//! A thread-mode embassy executor that sleeps with WFI.
//!
//! embassy's Cortex-M executor sleeps with WFE; QEMU implements WFE as a yield, so an
//! idle guest would spin and burn a host core. WFI halts the emulated CPU until the
//! next interrupt. The race between "nothing to do" and "an interrupt just made work"
//! is closed by checking the flag with interrupts masked: WFI still wakes on a
//! pending interrupt while PRIMASK is set, and the handler runs after `cpsie`.
use core::sync::atomic::{AtomicBool, Ordering};

use embassy_executor::{raw, Spawner};
use static_cell::StaticCell;

static WORK_PENDING: AtomicBool = AtomicBool::new(true);

/// Called by the embassy executor whenever a task is woken (from any context).
#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    WORK_PENDING.store(true, Ordering::Release);
}

pub fn run(init: impl FnOnce(Spawner)) -> ! {
    static EXECUTOR: StaticCell<raw::Executor> = StaticCell::new();
    let executor: &'static raw::Executor = EXECUTOR.init(raw::Executor::new(core::ptr::null_mut()));
    init(executor.spawner());
    loop {
        // SAFETY: `poll` is called from this one thread-mode loop only.
        unsafe { executor.poll() };
        cortex_m::interrupt::disable();
        if !WORK_PENDING.swap(false, Ordering::AcqRel) {
            cortex_m::asm::wfi();
        }
        // SAFETY: we re-enable the interrupts we disabled just above.
        unsafe { cortex_m::interrupt::enable() };
    }
}
