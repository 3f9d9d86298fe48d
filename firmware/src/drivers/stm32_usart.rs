//! STM32 USART (the "v3" register layout of the L4, F7, G4 ... families) as a byte
//! pipe: polled transmit, interrupt-driven receive into [`crate::link::serial::RX`].
//!
//! Hand-written over the chip's register definitions (stm32-metapac) rather than
//! through embassy-stm32, because the HAL's USART reads and writes TDR/RDR as bytes
//! and clears flags by writing back the whole ISR value; both are wrong for QEMU's
//! model (32-bit accesses only; it clears TXE too), and 32-bit accesses and clearing
//! only the error flags are equally correct on the chip.
use stm32_metapac::usart::Usart;

pub struct Usart1Pipe {
    regs: Usart,
}

impl Usart1Pipe {
    /// Enables transmitter, receiver and the receive interrupt at `baud` for a kernel
    /// clock of `clock_hz` (oversampling by 16).
    ///
    /// # Safety
    /// `regs` must be a USART whose clock and pins are on, driven by nothing else.
    pub unsafe fn new(regs: Usart, clock_hz: u32, baud: u32) -> Self {
        regs.cr1().write(|w| w.set_ue(false));
        regs.brr().write_value(stm32_metapac::usart::regs::Brr((clock_hz + baud / 2) / baud));
        regs.cr1().write(|w| {
            w.set_te(true);
            w.set_re(true);
            w.set_rxneie(true);
            w.set_ue(true);
        });
        Self { regs }
    }

    /// # Safety
    /// As [`Self::new`], for an already initialised USART (used by the panic path).
    pub unsafe fn attach(regs: Usart) -> Self {
        Self { regs }
    }

    pub fn write_byte(&mut self, b: u8) {
        while !self.regs.isr().read().txe() {}
        self.regs.tdr().write(|w| w.set_dr(u16::from(b)));
    }

    pub fn write_all(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_byte(b));
    }

    /// The receive interrupt: moves the received byte into the link's pipe. Error
    /// flags (an overrun: a byte lost while interrupts were masked) are cleared by
    /// their own bits only; the slipmux decoder resynchronises on the next frame end.
    pub fn on_interrupt(regs: Usart) {
        let isr = regs.isr().read();
        if isr.ore() || isr.fe() || isr.ne() || isr.pe() {
            regs.icr().write(|w| {
                w.set_ore(true);
                w.set_fe(true);
                w.set_ne(true);
                w.set_pe(true);
            });
        }
        if isr.rxne() {
            let byte = regs.rdr().read().dr() as u8;
            // More bytes of a frame are likely to follow: see `time_driver::hurry`.
            crate::time_driver::hurry();
            // A full pipe drops the byte, as a UART without room would.
            let _ = crate::link::serial::RX.try_write(&[byte]);
        }
    }
}

impl crate::link::serial::ByteSink for Usart1Pipe {
    fn put(&mut self, byte: u8) {
        self.write_byte(byte);
    }
}
