//! ST B-L475E-IOT01A Discovery kit (STM32L475VG: Cortex-M4F, 1 MiB flash, 96 KiB
//! SRAM1 + 32 KiB SRAM2), on the desk or as QEMU's `-M b-l475e-iot01a`.
//!
//! The host link and the console share USART1 (PB6 TX, PB7 RX, alternate function 7),
//! which the board wires to the ST-LINK's virtual COM port: slipmux frames at 115200
//! baud, 8N1. The core runs at 80 MHz, the chip's most: the PLL from MSI's 4 MHz
//! (no oscillator to wait for), after the flash wait states it needs ([`clock_up`]).
//! The same image runs on the chip and in QEMU, whose RCC model switches the clock
//! (SysTick follows) and which models no flash interface. Registers are reached
//! through stm32-metapac; see `drivers::stm32_usart` for why not embassy-stm32.
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::NVIC;
use stm32_metapac::gpio::vals::{Idr, Moder, Ospeedr};
use stm32_metapac::rcc::vals::{Pllm, Plln, Pllr, Pllsrc, Sw};
use stm32_metapac::{interrupt, Interrupt, FLASH, GPIOA, GPIOB, GPIOC, RCC, USART1};

use crate::drivers::stm32_usart::Usart1Pipe;

pub const NAME: &str = "b-l475e-iot01a";
/// The core clock (HCLK), and the APB2 clock USART1 runs on (no prescaler).
const CORE_HZ: u32 = 80_000_000;
/// SysTick counts its external reference, HCLK / 8 on STM32 parts (RM0351 §6.2):
/// QEMU's model wires it so too, and at 10 MHz a count is a whole number of QEMU's
/// nanosecond instructions where the core clock's 12.5 ns would not be.
pub const SYSTICK_HZ: u32 = CORE_HZ / 8;
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

/// Runs the core at [`CORE_HZ`] from MSI at its reset range (4 MHz × 40 / 2): first
/// the flash's four wait states for 80 MHz in voltage range 1 (the reset range), with
/// prefetch and both caches, read back before the clock goes up (RM0351 §3.3.3); then
/// the PLL, locked, as the system clock. The AHB and APB prescalers stay 1.
fn clock_up() {
    const LATENCY: u8 = 4;
    FLASH.acr().modify(|w| {
        w.set_latency(LATENCY);
        w.set_prften(true);
        w.set_icen(true);
        w.set_dcen(true);
    });
    // On the chip the first read shows the new latency; QEMU models no flash
    // interface (it reads 0), so the wait is bounded rather than endless there.
    for _ in 0..16 {
        if FLASH.acr().read().latency() == LATENCY {
            break;
        }
    }
    RCC.pllcfgr().write(|w| {
        w.set_pllsrc(Pllsrc::MSI);
        w.set_pllm(Pllm::DIV1);
        w.set_plln(Plln::MUL40);
        w.set_pllr(Pllr::DIV2);
        w.set_pllren(true);
    });
    RCC.cr().modify(|w| w.set_pllon(true));
    while !RCC.cr().read().pllrdy() {}
    RCC.cfgr().modify(|w| w.set_sw(Sw::PLL1_R));
    while RCC.cfgr().read().sws() != Sw::PLL1_R {}
}

pub fn init() -> Resources {
    let mut core = cortex_m::Peripherals::take().expect("init runs once");
    clock_up();
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
    let uart = unsafe { Usart1Pipe::new(USART1, CORE_HZ, BAUD) };
    crate::console::init();
    crate::time_driver::init(&mut core.SYST, SystClkSource::External, SYSTICK_HZ);
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
