//! ST B-L475E-IOT01A Discovery kit (STM32L475VG: Cortex-M4F, 1 MiB flash, 96 KiB
//! SRAM1 + 32 KiB SRAM2), on the desk or as QEMU's `-M b-l475e-iot01a`.
//!
//! The host link and the console share USART1 (PB6 TX, PB7 RX, alternate function 7),
//! which the board wires to the ST-LINK's virtual COM port: slipmux frames at 115200
//! baud, 8N1. The core runs on its reset clock, MSI at 4 MHz: nothing to set up or
//! wait for, so the same image runs on the chip and in QEMU (whose model lacks the
//! flash controller and power registers a faster clock set-up polls). Registers are
//! reached through stm32-metapac; see `drivers::stm32_usart` for why not embassy-stm32.
use cortex_m::peripheral::NVIC;
use stm32_metapac::gpio::vals::{Idr, Moder, Ospeedr};
use stm32_metapac::{interrupt, Interrupt, GPIOA, GPIOB, GPIOC, RCC, USART1};

use crate::drivers::stm32_usart::Usart1Pipe;

pub const NAME: &str = "b-l475e-iot01a";
/// SysTick counts the core clock: MSI at its reset range, 4 MHz.
pub const SYSTICK_HZ: u32 = 4_000_000;
/// Guest instructions per SysTick count under QEMU `-icount shift=0` (1 ns each).
pub const INSNS_PER_COUNT: u32 = 1_000_000_000 / SYSTICK_HZ;
const BAUD: u32 = 115_200;

/// The application's memory, sized so that everything (statics, heap, stack) fits
/// SRAM1's 96 KiB; `memory/b-l475e-iot01a.x` keeps the stack's share. The testbed
/// firmware (feature `bench`) has its stack in SRAM2 and a larger heap.
pub mod settings {
    /// Heap bytes: images, their loaded forms, JIT code, requests and answers.
    #[cfg(not(feature = "bench"))]
    pub const HEAP_SIZE: usize = 64 * 1024;
    #[cfg(feature = "bench")]
    pub const HEAP_SIZE: usize = 84 * 1024;
    /// The largest image a slot holds.
    pub const MAX_IMAGE: usize = 8 * 1024;
    /// Heap that must stay free after a pull, for requests, answers and runs.
    pub const HEAP_RESERVE: usize = 12 * 1024;
}

/// The user LEDs: LD1 (PA5) and LD2 (PB14), both green.
pub const LED_COUNT: u32 = 2;

/// What the board hands to the application.
pub struct Resources {
    /// The host link's UART (already receiving into the link's pipe).
    pub _uart: Usart1Pipe,
}

pub fn init() -> Resources {
    let mut core = cortex_m::Peripherals::take().expect("init runs once");
    RCC.ahb2enr().modify(|w| {
        w.set_gpioaen(true);
        w.set_gpioben(true);
        w.set_gpiocen(true);
    });
    RCC.apb2enr().modify(|w| w.set_usart1en(true));
    // The enable takes effect after a bus cycle (RM0351 §6.2.17); read it back.
    let _ = RCC.apb2enr().read();
    for pin in [6, 7] {
        GPIOB.afr(pin / 8).modify(|w| w.set_afr(pin % 8, 7));
        GPIOB.ospeedr().modify(|w| w.set_ospeedr(pin, Ospeedr::HIGH_SPEED));
        GPIOB.moder().modify(|w| w.set_moder(pin, Moder::ALTERNATE));
    }
    GPIOA.moder().modify(|w| w.set_moder(5, Moder::OUTPUT));
    GPIOB.moder().modify(|w| w.set_moder(14, Moder::OUTPUT));
    // PC13 (the blue user button B1) stays an input, as after reset.
    // SAFETY: USART1 is clocked and on its pins; the link and console are its only users.
    let uart = unsafe { Usart1Pipe::new(USART1, SYSTICK_HZ, BAUD) };
    crate::console::init();
    crate::time_driver::init(&mut core.SYST, SYSTICK_HZ);
    crate::cycles::enable(&mut core.DCB, &mut core.DWT);
    // SAFETY: the handler below is ready before the interrupt is unmasked.
    unsafe { NVIC::unmask(Interrupt::USART1) };
    Resources { _uart: uart }
}

/// The console: diagnostic frames on the link's USART.
pub fn console() -> crate::link::serial::DiagnosticFrame<Usart1Pipe> {
    // SAFETY: initialised by `init`; the console lock or the panic path serialises users.
    crate::link::serial::DiagnosticFrame::open(unsafe { Usart1Pipe::attach(USART1) })
}

/// Writes bytes on the link's USART (the caller holds the console lock).
pub fn link_write(bytes: &[u8]) {
    // SAFETY: as in `console`.
    unsafe { Usart1Pipe::attach(USART1) }.write_all(bytes);
}

#[interrupt]
fn USART1() {
    Usart1Pipe::on_interrupt(USART1);
}

/// Sets the user LEDs (bit n = LED n).
pub fn set_leds(mask: u32) {
    GPIOA.bsrr().write(|w| if mask & 1 != 0 { w.set_bs(5, true) } else { w.set_br(5, true) });
    GPIOB.bsrr().write(|w| if mask & 2 != 0 { w.set_bs(14, true) } else { w.set_br(14, true) });
}

/// The user buttons (bit n = button n pressed): B1 on PC13, low when pressed.
pub fn buttons() -> u32 {
    u32::from(GPIOC.idr().read().idr(13) == Idr::LOW)
}
