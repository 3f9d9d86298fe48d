//! ARM MPS2 with the AN386 FPGA image (Cortex-M4), as emulated by QEMU `-M mps2-an386`.
//!
//! Memory map from ARM Application Note 386 (and QEMU's `hw/arm/mps2.c`):
//! UART0 (CMSDK APB UART) at 0x4000_4000, LAN9118 Ethernet at 0x4020_0000 on IRQ 13,
//! system clock 25 MHz.
use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::exception;

use crate::drivers::cmsdk_uart::CmsdkUart;
use crate::drivers::lan9118::{self, Lan9118};

pub const NAME: &str = "mps2-an386";
/// SysTick counts the 25 MHz system clock (with QEMU `-icount shift=0`: one count
/// per 40 guest instructions).
pub const SYSTICK_HZ: u32 = 25_000_000;
/// Guest instructions per SysTick count under QEMU `-icount shift=0` (1 ns each).
pub const INSNS_PER_COUNT: u32 = 40;

/// The application's memory, sized for this board's 4 MiB of RAM.
pub mod settings {
    /// Heap bytes: room for every slot full (4 × 64 KiB images, their loaded forms and
    /// JIT code) with margin.
    pub const HEAP_SIZE: usize = 1024 * 1024;
    /// The largest image a slot holds.
    pub const MAX_IMAGE: usize = 64 * 1024;
    /// Heap that must stay free after a pull, for requests, answers and runs.
    pub const HEAP_RESERVE: usize = 64 * 1024;
}

/// What the board hands to the application.
pub struct Resources {
    pub nic: Lan9118,
    pub mac: [u8; 6],
}

/// The Ethernet driver, as the UDP link's stack runs it.
pub type Nic = Lan9118;

const UART0_BASE: usize = 0x4000_4000;
/// FPGA I/O block (AN386 §3.3): LEDs at +0x0, buttons at +0x8.
const FPGAIO_BASE: usize = 0x4002_8000;
/// The user LEDs of the MPS2 board.
pub const LED_COUNT: u32 = 2;
const LAN9118_BASE: usize = 0x4020_0000;
const LAN9118_IRQ: u16 = 13;

#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: 13 is a valid external interrupt number of this board.
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

pub fn init() -> Resources {
    let mut core = cortex_m::Peripherals::take().expect("init runs once");
    // SAFETY: UART0 is used only through the console from here on.
    let _ = unsafe { CmsdkUart::new(UART0_BASE, SYSTICK_HZ, 115_200) };
    crate::console::init();
    crate::time_driver::init(&mut core.SYST, cortex_m::peripheral::syst::SystClkSource::Core, SYSTICK_HZ);
    crate::cycles::enable(&mut core.DCB, &mut core.DWT);

    // SAFETY: the LAN9118 is driven by this one instance; its IRQ calls on_interrupt.
    let nic = match unsafe { Lan9118::new(LAN9118_BASE) } {
        Ok(nic) => nic,
        Err(lan9118::InitError::NotFound { byte_test }) => {
            panic!("no LAN9118 at {LAN9118_BASE:#x}: BYTE_TEST reads {byte_test:#010x}")
        }
    };
    // SAFETY: the handler below is ready before the interrupt is unmasked.
    unsafe { NVIC::unmask(Irq(LAN9118_IRQ)) };
    let mac = nic.mac_address();
    Resources { nic, mac }
}

/// The console: plain text on UART0 (already initialised by `init`).
pub fn console() -> CmsdkUart {
    // SAFETY: the registers are valid; the console lock or the panic path serialises users.
    unsafe { CmsdkUart::attach(UART0_BASE) }
}

/// cortex-m-rt routes every device interrupt without a handler of its own here.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == LAN9118_IRQ as i16 {
        lan9118::on_interrupt(LAN9118_BASE);
    }
}

/// Sets the user LEDs (bit n = LED n).
pub fn set_leds(mask: u32) {
    // SAFETY: FPGAIO_BASE + 0 is the LED register of this board; writes have no other effect.
    unsafe { core::ptr::write_volatile(FPGAIO_BASE as *mut u32, mask & ((1 << LED_COUNT) - 1)) }
}

/// The user buttons (bit n = button n pressed).
pub fn buttons() -> u32 {
    // SAFETY: FPGAIO_BASE + 8 is the button register of this board; reads have no side effect.
    unsafe { core::ptr::read_volatile((FPGAIO_BASE + 8) as *const u32) & 0x3 }
}
