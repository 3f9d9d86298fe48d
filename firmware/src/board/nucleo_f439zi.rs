//! ST Nucleo-F439ZI (STM32F439ZI: Cortex-M4F, 2 MiB flash, 192 KiB SRAM + 64 KiB CCM),
//! µBPF's board. CoAP over UDP on the on-chip Ethernet MAC with the board's LAN8742A
//! PHY (RMII), through embassy-stm32's ETH driver; the console is plain text on USART3
//! (PD8 TX), which the board wires to the ST-LINK's virtual COM port.
//!
//! Clocks: the ST-LINK's 8 MHz MCO drives HSE in bypass; the PLL makes 168 MHz for the
//! core (APB1 42 MHz, APB2 84 MHz, 48 MHz for USB/RNG). QEMU has no model of this chip
//! (its STM32F405 machines have neither clock ready bits nor Ethernet), so this image
//! is built and sized in CI and runs on the board only.
use core::fmt;

use embassy_stm32::eth::{self, Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::gpio::{Input, Level, Output, Pull, Speed};
use embassy_stm32::pac;
use embassy_stm32::peripherals::{ETH, ETH_SMA};
use embassy_stm32::time::Hertz;
use embassy_stm32::usart::{self, UartTx};
use embassy_stm32::{bind_interrupts, Config};
use static_cell::StaticCell;

pub const NAME: &str = "nucleo-f439zi";
/// SysTick counts the core clock.
pub const SYSTICK_HZ: u32 = 168_000_000;
/// Nominal: a count is a core cycle here, and no emulator runs this image.
pub const INSNS_PER_COUNT: u32 = 1;
const BAUD: u32 = 115_200;

/// The application's memory: statics, heap and stack share the 192 KiB of SRAM (the
/// Ethernet DMA cannot reach the CCM, which holds the state kept across resets).
pub mod settings {
    /// Heap bytes: images, their loaded forms, JIT code, requests and answers.
    #[cfg(not(feature = "bench"))]
    pub const HEAP_SIZE: usize = 112 * 1024;
    #[cfg(feature = "bench")]
    pub const HEAP_SIZE: usize = 128 * 1024;
    /// The largest image a slot holds.
    pub const MAX_IMAGE: usize = 16 * 1024;
    /// Heap that must stay free after a pull, for requests, answers and runs.
    pub const HEAP_RESERVE: usize = 16 * 1024;
}

/// The user LEDs: LD1 (PB0, green), LD2 (PB7, blue), LD3 (PB14, red).
pub const LED_COUNT: u32 = 3;
const LED_PINS: [usize; 3] = [0, 7, 14];

/// The Ethernet driver, as the UDP link's stack runs it.
pub type Nic = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// What the board hands to the application.
pub struct Resources {
    pub nic: Nic,
    pub mac: [u8; 6],
}

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
});

fn clocks() -> Config {
    use embassy_stm32::rcc::{
        AHBPrescaler, APBPrescaler, Hse, HseMode, Pll, PllMul, PllPDiv, PllPreDiv, PllQDiv, PllSource, Sysclk,
    };
    let mut config = Config::default();
    config.rcc.hse = Some(Hse { freq: Hertz(8_000_000), mode: HseMode::Bypass });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL168,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV7),
        divr: None,
    });
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.sys = Sysclk::PLL1_P;
    config
}

/// A locally administered unicast MAC from the chip's 96-bit unique ID, so that every
/// board on one network has its own.
fn mac_from_uid() -> [u8; 6] {
    let uid = embassy_stm32::uid::uid();
    let mut mac = [0x02, 0, 0, 0, 0, 0];
    for (i, b) in uid.iter().enumerate() {
        mac[1 + i % 5] ^= b.rotate_left(i as u32 / 5);
    }
    mac
}

pub fn init() -> Resources {
    let mut core = cortex_m::Peripherals::take().expect("init runs once");
    let p = embassy_stm32::init(clocks());
    let mut console_config = usart::Config::default();
    console_config.baudrate = BAUD;
    // The console UART is driven through its registers from here on (see `console`).
    match UartTx::new_blocking(p.USART3, p.PD8, console_config) {
        Ok(uart) => core::mem::forget(uart),
        Err(_) => panic!("USART3 cannot run at {BAUD} baud"),
    }
    crate::console::init();
    crate::time_driver::init(&mut core.SYST, cortex_m::peripheral::syst::SystClkSource::Core, SYSTICK_HZ);
    crate::cycles::enable(&mut core.DCB, &mut core.DWT);
    // The pins stay configured while the firmware runs; `set_leds`/`buttons` use the
    // registers.
    core::mem::forget(Output::new(p.PB0, Level::Low, Speed::Low));
    core::mem::forget(Output::new(p.PB7, Level::Low, Speed::Low));
    core::mem::forget(Output::new(p.PB14, Level::Low, Speed::Low));
    core::mem::forget(Input::new(p.PC13, Pull::Down));

    let mac = mac_from_uid();
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let nic = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        mac,
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );
    Resources { nic, mac }
}

/// The console: plain text on USART3 (set up by `init`).
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let uart = pac::USART3;
        for b in s.bytes() {
            while !uart.sr().read().txe() {}
            uart.dr().write(|w| w.set_dr(u16::from(b)));
        }
        Ok(())
    }
}

pub fn console() -> Console {
    Console
}

/// Sets the user LEDs (bit n = LED n).
pub fn set_leds(mask: u32) {
    pac::GPIOB.bsrr().write(|w| {
        for (n, &pin) in LED_PINS.iter().enumerate() {
            if mask >> n & 1 != 0 {
                w.set_bs(pin, true);
            } else {
                w.set_br(pin, true);
            }
        }
    });
}

/// The user buttons (bit n = button n pressed): B1 on PC13, high when pressed.
pub fn buttons() -> u32 {
    u32::from(pac::GPIOC.idr().read().idr(13) == pac::gpio::vals::Idr::HIGH)
}
