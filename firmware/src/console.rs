//! The console log: formatted lines to the board's console UART.
//!
//! Writes happen inside a critical section so lines from tasks and interrupt handlers
//! never interleave. The UART is polled; at the speeds involved this is simpler and
//! cheaper than a buffered, interrupt-driven console.
use core::cell::RefCell;
use core::fmt::{self, Write};
use critical_section::Mutex;

use crate::drivers::cmsdk_uart::CmsdkUart;

static CONSOLE: Mutex<RefCell<Option<CmsdkUart>>> = Mutex::new(RefCell::new(None));

pub fn init(uart: CmsdkUart) {
    critical_section::with(|cs| *CONSOLE.borrow_ref_mut(cs) = Some(uart));
}

pub fn write(args: fmt::Arguments) {
    critical_section::with(|cs| {
        if let Some(uart) = CONSOLE.borrow_ref_mut(cs).as_mut() {
            let _ = uart.write_fmt(args);
        }
    });
}

/// Writes from the panic handler, even if the console lock was held when the panic hit.
pub fn write_panic(args: fmt::Arguments) {
    // SAFETY of the approach: we are about to halt; a fresh UART handle on the same
    // registers may at worst interleave with a half-written line.
    let mut uart = crate::board::console_uart();
    let _ = uart.write_fmt(args);
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
