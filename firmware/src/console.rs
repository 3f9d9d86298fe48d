//! The console log: formatted lines to the board's console (`board::console()`:
//! plain text on a UART of its own, or slipmux diagnostic frames beside the host link).
//!
//! One line at a time holds the console lock. A line started while another is being
//! written (from an interrupt handler) is dropped rather than interleaved, and the
//! lock is not a critical section: a UART without a receive FIFO loses bytes while
//! interrupts are masked, and a line takes milliseconds at 115200 baud.
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

/// Whether the board has set up the console UART.
static READY: AtomicBool = AtomicBool::new(false);
static BUSY: AtomicBool = AtomicBool::new(false);

/// Called by the board once its console UART works.
pub fn init() {
    READY.store(true, Ordering::Release);
}

/// Runs `f` holding the console UART (a serial link writes its frames through this);
/// `None` when it is busy or not set up yet.
pub fn with_uart<R>(f: impl FnOnce() -> R) -> Option<R> {
    if !READY.load(Ordering::Acquire) || BUSY.swap(true, Ordering::Acquire) {
        return None;
    }
    let r = f();
    BUSY.store(false, Ordering::Release);
    Some(r)
}

pub fn write(args: fmt::Arguments) {
    with_uart(|| {
        let _ = crate::board::console().write_fmt(args);
    });
}

/// Writes from the panic handler, even if the console lock was held when the panic hit.
pub fn write_panic(args: fmt::Arguments) {
    // We are about to halt; a line cut by this one is the lesser evil.
    if READY.load(Ordering::Acquire) {
        let _ = crate::board::console().write_fmt(args);
    }
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
