//! Nordic nRF52840-DK (nRF52840: Cortex-M4F at 64 MHz, 1 MiB flash, 256 KiB RAM).
//!
//! The host link and the console share UART0 on P0.06 (TX) and P0.08 (RX), which the
//! board wires to its interface MCU's virtual COM port: slipmux frames at 115200 baud,
//! 8N1. embassy-nrf starts the clocks (the 32 MHz crystal, for an exact baud rate) and
//! configures the pins; the UART is driven through its registers (`drivers::nrf_uart`
//! says why). Renode's `nrf52840` platform runs this image too.
use cortex_m::peripheral::NVIC;
use embassy_nrf::gpio::{Input, Level, Output, OutputDrive, Pull};
use embassy_nrf::pac::{self, interrupt, Interrupt};

use crate::drivers::nrf_uart::NrfUartPipe;

pub const NAME: &str = "nrf52840-dk";
/// SysTick counts the core clock.
pub const SYSTICK_HZ: u32 = 64_000_000;
/// Nominal: a count is a core cycle on the chip (Renode counts instructions itself).
pub const INSNS_PER_COUNT: u32 = 1;
const UART_TX_PIN: u8 = 6;
const UART_RX_PIN: u8 = 8;

/// The application's memory: statics, heap and stack in the first 240 KiB of RAM; the
/// top 16 KiB keep state across resets (`memory/nrf52840-dk.x`).
pub mod settings {
    /// Heap bytes: images, their loaded forms, JIT code, requests and answers.
    #[cfg(not(feature = "bench"))]
    pub const HEAP_SIZE: usize = 160 * 1024;
    #[cfg(feature = "bench")]
    pub const HEAP_SIZE: usize = 176 * 1024;
    /// The largest image a slot holds.
    pub const MAX_IMAGE: usize = 16 * 1024;
    /// Heap that must stay free after a pull, for requests, answers and runs.
    pub const HEAP_RESERVE: usize = 16 * 1024;
}

/// The user LEDs LED1..LED4 (P0.13..P0.16, on when low).
pub const LED_COUNT: u32 = 4;
const LED_PINS: [usize; 4] = [13, 14, 15, 16];
/// The user buttons 1..4 (P0.11, P0.12, P0.24, P0.25, low when pressed).
const BUTTON_PINS: [usize; 4] = [11, 12, 24, 25];

/// What the board hands to the application.
pub struct Resources {
    /// The host link's UART (already receiving into the link's pipe).
    pub _uart: NrfUartPipe,
}

pub fn init() -> Resources {
    let mut core = cortex_m::Peripherals::take().expect("init runs once");
    let mut config = embassy_nrf::config::Config::default();
    config.hfclk_source = embassy_nrf::config::HfclkSource::ExternalXtal;
    let p = embassy_nrf::init(config);
    // Pins stay configured while the firmware runs; the drivers below use registers.
    core::mem::forget(Output::new(p.P0_06, Level::High, OutputDrive::Standard));
    core::mem::forget(Input::new(p.P0_08, Pull::Up));
    core::mem::forget(Output::new(p.P0_13, Level::High, OutputDrive::Standard));
    core::mem::forget(Output::new(p.P0_14, Level::High, OutputDrive::Standard));
    core::mem::forget(Output::new(p.P0_15, Level::High, OutputDrive::Standard));
    core::mem::forget(Output::new(p.P0_16, Level::High, OutputDrive::Standard));
    core::mem::forget(Input::new(p.P0_11, Pull::Up));
    core::mem::forget(Input::new(p.P0_12, Pull::Up));
    core::mem::forget(Input::new(p.P0_24, Pull::Up));
    core::mem::forget(Input::new(p.P0_25, Pull::Up));
    // SAFETY: UART0's pins are set up above; the link and console are its only users.
    let uart = unsafe { NrfUartPipe::new(pac::UART0, UART_TX_PIN, UART_RX_PIN) };
    crate::console::init();
    crate::time_driver::init(&mut core.SYST, cortex_m::peripheral::syst::SystClkSource::Core, SYSTICK_HZ);
    crate::cycles::enable(&mut core.DCB, &mut core.DWT);
    // SAFETY: the handler below is ready before the interrupt is unmasked.
    unsafe { NVIC::unmask(Interrupt::UARTE0) };
    Resources { _uart: uart }
}

/// The console: diagnostic frames on the link's UART.
pub fn console() -> crate::link::serial::DiagnosticFrame<NrfUartPipe> {
    // SAFETY: initialised by `init`; the console lock or the panic path serialises users.
    crate::link::serial::DiagnosticFrame::open(unsafe { NrfUartPipe::attach(pac::UART0) })
}

/// Writes bytes on the link's UART (the caller holds the console lock).
pub fn link_write(bytes: &[u8]) {
    // SAFETY: as in `console`.
    unsafe { NrfUartPipe::attach(pac::UART0) }.write_all(bytes);
}

#[interrupt]
fn UARTE0() {
    NrfUartPipe::on_interrupt(pac::UART0);
}

/// Sets the user LEDs (bit n = LED n; the LEDs light when their pin is low).
pub fn set_leds(mask: u32) {
    let (mut on, mut off) = (0u32, 0u32);
    for (n, &pin) in LED_PINS.iter().enumerate() {
        if mask >> n & 1 != 0 {
            on |= 1 << pin;
        } else {
            off |= 1 << pin;
        }
    }
    pac::P0.outclr().write_value(pac::gpio::regs::Outclr(on));
    pac::P0.outset().write_value(pac::gpio::regs::Outset(off));
}

/// The user buttons (bit n = button n pressed).
pub fn buttons() -> u32 {
    let levels = pac::P0.in_().read().0;
    BUTTON_PINS.iter().enumerate().fold(0, |acc, (n, &pin)| acc | u32::from(levels >> pin & 1 == 0) << n)
}
