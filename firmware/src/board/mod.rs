//! Board support: the only place that knows addresses, interrupt numbers and clocks.
//!
//! A board module provides `NAME`, `init() -> Resources`, `console()` (a writer on the
//! console UART), LEDs and buttons, its clock figures and the application's memory
//! `settings` (heap, image size); one cargo feature selects it (`build.rs` refuses
//! none or two), and with it the host link (`crate::link`).

#[cfg(feature = "board-mps2-an386")]
mod mps2_an386;
#[cfg(feature = "board-mps2-an386")]
pub use mps2_an386::{
    buttons, console, init, set_leds, settings, Nic, Resources, INSNS_PER_COUNT, LED_COUNT, NAME, SYSTICK_HZ,
};

#[cfg(feature = "board-b-l475e-iot01a")]
mod b_l475e_iot01a;
#[cfg(feature = "board-b-l475e-iot01a")]
pub use b_l475e_iot01a::{
    buttons, console, init, link_write, set_leds, settings, Resources, INSNS_PER_COUNT, LED_COUNT, NAME, SYSTICK_HZ,
};

#[cfg(feature = "board-nucleo-f439zi")]
mod nucleo_f439zi;
#[cfg(feature = "board-nucleo-f439zi")]
pub use nucleo_f439zi::{
    buttons, console, init, set_leds, settings, Nic, Resources, INSNS_PER_COUNT, LED_COUNT, NAME, SYSTICK_HZ,
};

#[cfg(feature = "board-nrf52840-dk")]
mod nrf52840_dk;
#[cfg(feature = "board-nrf52840-dk")]
pub use nrf52840_dk::{
    buttons, console, init, link_write, set_leds, settings, Resources, INSNS_PER_COUNT, LED_COUNT, NAME, SYSTICK_HZ,
};
