//! Board support: the only place that knows addresses, interrupt numbers and clocks.
//!
//! A board module provides `NAME`, `init() -> Resources`, `console_uart()` and the
//! application's memory `settings` (heap, slots, image size); one cargo feature selects
//! it.
#[cfg(not(any(feature = "board-mps2-an386")))]
compile_error!("select a board with a `board-*` feature, e.g. `board-mps2-an386`");

#[cfg(feature = "board-mps2-an386")]
mod mps2_an386;
#[cfg(feature = "board-mps2-an386")]
pub use mps2_an386::{buttons, console_uart, init, set_leds, settings, INSNS_PER_COUNT, LED_COUNT, NAME, SYSTICK_HZ};

/// What the board hands to the application, named by role.
pub struct Resources {
    pub nic: crate::drivers::lan9118::Lan9118,
}
