//! `embassy-time` driver on SysTick, tickless: the counter is programmed to wrap at
//! the next thing that needs the core (the earliest timer, a fast tick while a serial
//! frame arrives, or SysTick's longest period), so an idle node takes one interrupt
//! per 2^24 SysTick counts instead of a periodic tick.
//!
//! Time is counted in SysTick counts (the board's `SYSTICK_HZ`: its core clock, or the
//! external reference where a board picks that): the base of the current period plus
//! the part of it counted down, read with the pending wrap accounted for
//! ([`systick_counts`], the cost measure). embassy's ticks are that count in
//! microseconds.
//!
//! A period ends at its natural wrap (exact), or is cut short by restarting the
//! counter (SysTick's reload takes effect only at a wrap). A cut folds the counts so
//! far into the base; the few counts between reading the counter and restarting it
//! are lost from wall time, never from a measured region, which no cut interrupts
//! (benchmark firmware masks interrupts in them, and [`settle`] cuts before).
//!
//! [`hurry`] ticks every 100 µs for a while: QEMU's STM32 USART model offers the next
//! byte only when QEMU's main loop wakes, and with the guest asleep that is at the
//! next timer deadline. A serial link calls it when a byte arrives; on a chip the fast
//! tick costs a few hundred cycles per 100 µs while a frame arrives.
use core::cell::RefCell;
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// SysTick's longest period: its reload register has 24 bits.
const MAX_PERIOD: u32 = 1 << 24;
/// Fast ticks per second while hurrying, and how many quiet ones end a hurry.
const FAST_HZ: u32 = 10_000;
const FAST_LINGER: u64 = 100;
/// The shortest period a cut programs (10 µs): an earlier deadline fires a little late
/// rather than racing the handler that programs it.
const MIN_PERIOD_HZ: u32 = 100_000;

// Embassy ticks are whole SysTick counts (a board's SysTick rate is a multiple of 1 MHz),
// and the shortest cut is more than one count.
const _: () = assert!(
    crate::board::SYSTICK_HZ as u64 % embassy_time_driver::TICK_HZ == 0
        && crate::board::SYSTICK_HZ / MIN_PERIOD_HZ >= 2
);

struct Clock {
    /// Core clock counts at the start of the current SysTick period, and its length
    /// (what the reload register holds, plus one).
    base: u64,
    period: u32,
    /// Core clock counts per embassy tick (µs), per fast tick, and the shortest cut.
    per_tick: u32,
    fast_period: u32,
    min_period: u32,
    /// The earliest timer, in SysTick counts (`u64::MAX`: none).
    alarm: u64,
    /// Fast ticks go on until this count.
    hurry_until: u64,
}

impl Clock {
    const fn new() -> Self {
        Self {
            base: 0,
            period: MAX_PERIOD,
            per_tick: 1,
            fast_period: 1,
            min_period: 1,
            alarm: u64::MAX,
            hurry_until: 0,
        }
    }

    /// Core clock counts since the counter started.
    ///
    /// A period starts when the counter reaches 0 (the moment the wrap interrupt is
    /// pended, one count before the reload) or is cleared by a cut, so the part of it
    /// elapsed is `(period - current) % period`. A wrap pended and not yet accounted
    /// for adds a period; the counter is then read again, inside the new period.
    fn counts(&self) -> u64 {
        let period = u64::from(self.period);
        let before = u64::from(SYST::get_current());
        if SCB::is_pendst_pending() {
            let current = u64::from(SYST::get_current());
            self.base + period + (period - current) % period
        } else {
            self.base + (period - before) % period
        }
    }

    fn ticks(&self) -> u64 {
        self.counts() / u64::from(self.per_tick)
    }

    /// When the next interrupt is needed, given that the core is at `from`: the
    /// alarm, the next fast tick while hurrying, SysTick's longest period.
    fn wanted(&self, from: u64) -> u64 {
        let mut at = self.alarm.min(from + u64::from(MAX_PERIOD));
        if from < self.hurry_until {
            at = at.min(from + u64::from(self.fast_period));
        }
        at
    }

    /// Ends the current period now and starts one that wraps at `at` (or as close as
    /// SysTick allows).
    fn cut(&mut self, at: u64) {
        let now = self.counts();
        let len = at.saturating_sub(now).clamp(u64::from(self.min_period), u64::from(MAX_PERIOD)) as u32;
        // SAFETY: SYST is owned by this driver after `init`. Writing the current value
        // clears it; the counter reloads from RVR at the next count.
        unsafe {
            (*SYST::PTR).rvr.write(len - 1);
            (*SYST::PTR).cvr.write(0);
        }
        // Any wrap pending now is part of the counts folded into the base.
        SCB::clear_pendst();
        self.base = now;
        self.period = len;
    }

    /// Cuts the current period if it would end after `at`. A pending wrap is left to
    /// the interrupt handler, which programs the next period itself.
    fn wrap_by(&mut self, at: u64) {
        if !SCB::is_pendst_pending() && at < self.base + u64::from(self.period) {
            self.cut(at);
        }
    }
}

static CLOCK: Mutex<RefCell<Clock>> = Mutex::new(RefCell::new(Clock::new()));

struct SysTickDriver {
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    queue: Mutex::new(RefCell::new(Queue::new())),
});

/// Starts SysTick counting `source` at `hz`.
pub fn init(syst: &mut SYST, source: SystClkSource, hz: u32) {
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        c.per_tick = hz / embassy_time_driver::TICK_HZ as u32;
        c.fast_period = hz / FAST_HZ;
        c.min_period = hz / MIN_PERIOD_HZ;
        c.period = MAX_PERIOD;
    });
    syst.set_clock_source(source);
    syst.set_reload(MAX_PERIOD - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// SysTick counts since the counter started, at the board's `SYSTICK_HZ`. Used for
/// cost measurement.
pub fn systick_counts() -> u64 {
    critical_section::with(|cs| CLOCK.borrow_ref(cs).counts())
}

/// Ticks fast for a while (see the module documentation); callable from interrupts.
#[cfg_attr(not(feature = "link-serial"), allow(dead_code))]
pub fn hurry() {
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        let now = c.counts();
        c.hurry_until = now + FAST_LINGER * u64::from(c.fast_period);
        let at = c.wanted(now);
        c.wrap_by(at);
    });
}

/// Starts a period of SysTick's full length and ends any hurry: a region measured
/// with interrupts masked can account for one wrap only. [`resume`] after it.
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub fn settle() {
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        c.hurry_until = 0;
        let now = c.counts();
        c.cut(now + u64::from(MAX_PERIOD));
    });
}

/// Programs the next timer again after a measured region (see [`settle`]).
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub fn resume() {
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        let now = c.counts();
        let at = c.wanted(now);
        c.wrap_by(at);
    });
}

/// Wakes the timers that are due and takes the next one as the alarm.
fn expire(cs: CriticalSection, c: &mut Clock) {
    let now = c.ticks();
    let next = DRIVER.queue.borrow_ref_mut(cs).next_expiration(now);
    c.alarm = next.saturating_mul(u64::from(c.per_tick));
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| CLOCK.borrow_ref(cs).ticks())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            if self.queue.borrow_ref_mut(cs).schedule_wake(at, waker) {
                let mut c = CLOCK.borrow_ref_mut(cs);
                expire(cs, &mut c);
                let now = c.counts();
                let at = c.wanted(now);
                c.wrap_by(at);
            }
        });
    }
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let mut c = CLOCK.borrow_ref_mut(cs);
        // The wrap that raised this interrupt; the counter goes on with the same period.
        c.base += u64::from(c.period);
        expire(cs, &mut c);
        // The next period as wanted from its start: a steady fast tick or an idle
        // node's longest period needs no cut; anything else is programmed now.
        let start = c.base;
        let at = c.wanted(start);
        if at != start + u64::from(c.period) {
            c.cut(at);
        }
    });
}
