//! `embassy-time` driver on SysTick: a 100 Hz tick and a timer queue checked on each tick.
//!
//! A periodic tick keeps the driver small and obviously correct; the cost is one short
//! interrupt per 10 ms (about 1% of a host core for an idle emulated node, against
//! 10% at 1 kHz), and between ticks the core sleeps in WFI. Cost measurement does not
//! depend on the tick: [`core_clock_counts`] reads SysTick at the full core clock.
use core::cell::RefCell;
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// Ticks since boot, high and low word (the low word is bumped by the SysTick
/// handler only; readers retry on a torn read).
static TICKS_LO: AtomicU32 = AtomicU32::new(0);
static TICKS_HI: AtomicU32 = AtomicU32::new(0);
/// SysTick reload value (counts per tick minus one), for sub-tick readings.
static RELOAD: AtomicU32 = AtomicU32::new(0);

struct SysTickDriver {
    queue: Mutex<RefCell<Queue>>,
    next_wake: Mutex<RefCell<u64>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    queue: Mutex::new(RefCell::new(Queue::new())),
    next_wake: Mutex::new(RefCell::new(u64::MAX)),
});

pub fn init(syst: &mut SYST, core_hz: u32) {
    let reload = core_hz / embassy_time_driver::TICK_HZ as u32 - 1;
    RELOAD.store(reload, Ordering::Relaxed);
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(reload);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

fn ticks() -> u64 {
    loop {
        let hi = TICKS_HI.load(Ordering::Acquire);
        let lo = TICKS_LO.load(Ordering::Acquire);
        if TICKS_HI.load(Ordering::Acquire) == hi {
            return ((hi as u64) << 32) | lo as u64;
        }
    }
}

/// SysTick counts since boot at the full core clock: ticks × (reload + 1) plus the
/// part of the current tick already counted down. Used for cost measurement.
pub fn core_clock_counts() -> u64 {
    let reload = RELOAD.load(Ordering::Relaxed) as u64;
    critical_section::with(|_| {
        let t = ticks();
        let cur = SYST::get_current() as u64;
        // A wrap that happened after we disabled interrupts is not in `t` yet.
        let pending = cortex_m::peripheral::SCB::is_pendst_pending();
        let cur_after = SYST::get_current() as u64;
        let t = if pending || cur_after > cur { t + 1 } else { t };
        let cur = if cur_after > cur { cur_after } else { cur };
        t * (reload + 1) + (reload - cur)
    })
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        ticks()
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                *self.next_wake.borrow_ref_mut(cs) = queue.next_expiration(ticks());
            }
        });
    }
}

#[exception]
fn SysTick() {
    let lo = TICKS_LO.load(Ordering::Relaxed).wrapping_add(1);
    if lo == 0 {
        TICKS_HI.fetch_add(1, Ordering::Release);
    }
    TICKS_LO.store(lo, Ordering::Release);
    let now = ticks();
    critical_section::with(|cs| {
        let mut next = DRIVER.next_wake.borrow_ref_mut(cs);
        if now >= *next {
            *next = DRIVER.queue.borrow_ref_mut(cs).next_expiration(now);
        }
    });
}
