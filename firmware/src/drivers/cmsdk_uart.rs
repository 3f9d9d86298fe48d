//! ARM CMSDK APB UART (transmit side), as on the MPS2 boards.
//!
//! Register map from the Cortex-M System Design Kit TRM (ARM DDI 0479), section 4.3.
use core::fmt;
use core::ptr::{read_volatile, write_volatile};

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_EN: u32 = 1 << 0;

pub struct CmsdkUart {
    base: usize,
}

impl CmsdkUart {
    /// # Safety
    /// `base` must be the address of a CMSDK UART that nothing else drives.
    pub unsafe fn new(base: usize, clock_hz: u32, baud: u32) -> Self {
        let uart = Self { base };
        // The divider must be at least 16 (TRM 4.3); QEMU ignores the rate itself.
        uart.write_reg(BAUDDIV, (clock_hz / baud).max(16));
        uart.write_reg(CTRL, CTRL_TX_EN);
        uart
    }

    /// # Safety
    /// As [`Self::new`], for an already initialised UART (used by the panic path).
    pub unsafe fn attach(base: usize) -> Self {
        Self { base }
    }

    fn write_reg(&self, off: usize, val: u32) {
        // SAFETY: `base` is a valid UART block (constructor contract), `off` a register of it.
        unsafe { write_volatile((self.base + off) as *mut u32, val) }
    }

    fn read_reg(&self, off: usize) -> u32 {
        // SAFETY: as in `write_reg`.
        unsafe { read_volatile((self.base + off) as *const u32) }
    }

    pub fn write_byte(&mut self, b: u8) {
        while self.read_reg(STATE) & STATE_TX_FULL != 0 {}
        self.write_reg(DATA, b as u32);
    }
}

impl fmt::Write for CmsdkUart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(|b| self.write_byte(b));
        Ok(())
    }
}
