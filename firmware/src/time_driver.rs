//! `embassy-time` driver on SysTick: a 100 Hz tick, faster for a while on request, and
//! a timer queue checked on each tick.
//!
//! A periodic tick keeps the driver small and obviously correct; the cost is one short
//! interrupt per 10 ms (about 1% of a host core for an idle emulated node, against
//! 10% at 1 kHz), and between ticks the core sleeps in WFI.
//!
//! [`hurry`] switches to a 10 kHz tick until nothing has asked for 10 ms. A serial
//! link calls it when a byte arrives: QEMU's STM32 USART model offers the next byte
//! only when QEMU's main loop wakes, and with the guest asleep that is at the next
//! timer deadline, so a 100 Hz tick would let a frame in at 100 bytes a second. On a
//! chip the faster tick costs a few hundred cycles per 100 µs while a frame arrives.
//!
//! Time is counted in core clock counts, whatever the tick: the base of the current
//! SysTick period plus the part of it counted down. The period changes only at a
//! wrap (the reload register is read then), so the count stays exact; `now()` is that
//! count in 100 Hz ticks, and [`core_clock_counts`] is the cost measure.
use core::cell::RefCell;
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// Fast ticks per slow tick, and how many quiet fast ticks end a hurry.
const FAST_FACTOR: u32 = 100;
const FAST_LINGER: u32 = 100;

struct Clock {
    /// Core clock counts at the start of the current SysTick period, and its length.
    base: u64,
    period: u32,
    /// What the reload register holds now (the next period's length minus one).
    reload: u32,
    /// The reload a wrap took before `reload` was changed, while that wrap's
    /// interrupt was still pending.
    loaded_at_pending_wrap: Option<u32>,
    /// The slow period: core clock counts per embassy tick.
    slow_period: u32,
    /// Fast ticks since the last `hurry`, while fast.
    quiet: u32,
}

impl Clock {
    const fn new() -> Self {
        Self { base: 0, period: 1, reload: 0, loaded_at_pending_wrap: None, slow_period: 1, quiet: 0 }
    }

    fn fast_period(&self) -> u32 {
        self.slow_period / FAST_FACTOR
    }

    fn set_reload(&mut self, period: u32) {
        if SCB::is_pendst_pending() && self.loaded_at_pending_wrap.is_none() {
            self.loaded_at_pending_wrap = Some(self.reload);
        }
        self.reload = period - 1;
        // SAFETY: SYST is owned by this driver after `init`; RVR takes effect at the next wrap.
        unsafe { (*SYST::PTR).rvr.write(self.reload) };
    }

    /// Embassy ticks (slow periods' worth of counts) since the counter started.
    fn ticks(&self) -> u64 {
        self.counts() / u64::from(self.slow_period)
    }

    fn counts(&self) -> u64 {
        let first = SYST::get_current();
        let pending = SCB::is_pendst_pending();
        let current = SYST::get_current();
        // A wrap not yet accounted for: pending, or between the two reads.
        if pending || current > first {
            let next = self.loaded_at_pending_wrap.unwrap_or(self.reload);
            self.base + u64::from(self.period) + u64::from(next - current)
        } else {
            self.base + u64::from(self.period - 1 - current)
        }
    }
}

static CLOCK: Mutex<RefCell<Clock>> = Mutex::new(RefCell::new(Clock::new()));

struct SysTickDriver {
    queue: Mutex<RefCell<Queue>>,
    next_wake: Mutex<RefCell<u64>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    queue: Mutex::new(RefCell::new(Queue::new())),
    next_wake: Mutex::new(RefCell::new(u64::MAX)),
});

pub fn init(syst: &mut SYST, core_hz: u32) {
    let per_tick = core_hz / embassy_time_driver::TICK_HZ as u32;
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        c.slow_period = per_tick;
        c.period = per_tick;
        c.reload = per_tick - 1;
    });
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(per_tick - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// SysTick counts since the counter started, at the full core clock. Used for cost
/// measurement.
pub fn core_clock_counts() -> u64 {
    critical_section::with(|cs| CLOCK.borrow_ref(cs).counts())
}

fn ticks() -> u64 {
    critical_section::with(|cs| CLOCK.borrow_ref(cs).ticks())
}

/// Ticks fast for a while (see the module documentation); callable from interrupts.
#[cfg_attr(not(feature = "link-serial"), allow(dead_code))]
pub fn hurry() {
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        c.quiet = 0;
        let fast = c.fast_period();
        if c.reload != fast - 1 {
            c.set_reload(fast);
        }
    });
}

/// Returns once the tick is slow again (see [`hurry`]). A region measured with
/// interrupts masked can account for one SysTick wrap only, which a fast tick would
/// exceed after 100 µs.
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub fn settle() {
    loop {
        let fast = critical_section::with(|cs| {
            let mut c = CLOCK.borrow_ref_mut(cs);
            let slow = c.slow_period;
            if c.reload != slow - 1 {
                c.set_reload(slow);
            }
            c.period != slow
        });
        if !fast {
            return;
        }
        // The wrap that loads the slow period wakes us.
        cortex_m::asm::wfi();
    }
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
    critical_section::with(|cs| {
        let now = {
            let mut c = CLOCK.borrow_ref_mut(cs);
            // The wrap that raised this interrupt loaded the reload register as it was then.
            let loaded = c.loaded_at_pending_wrap.take().unwrap_or(c.reload);
            c.base += u64::from(c.period);
            c.period = loaded + 1;
            let slow = c.slow_period;
            if c.reload != slow - 1 {
                c.quiet += 1;
                if c.quiet >= FAST_LINGER {
                    c.set_reload(slow);
                }
            }
            c.ticks()
        };
        let mut next = DRIVER.next_wake.borrow_ref_mut(cs);
        if now >= *next {
            *next = DRIVER.queue.borrow_ref_mut(cs).next_expiration(now);
        }
    });
}
