//! The nRF52840's UART0 in its non-DMA mode (the `UART` register set beside `UARTE`)
//! as a byte pipe: polled transmit, interrupt-driven receive into
//! [`crate::link::serial::RX`], the same shape as `stm32_usart`.
//!
//! Hand-written over the chip's register definitions (nrf-pac, which embassy-nrf is
//! built on) rather than through embassy-nrf's `BufferedUarte`: the console writes
//! from any context, the panic handler included, byte by byte and without a RAM
//! buffer to hand to EasyDMA, and the link's decoder wants each received byte as it
//! arrives; the non-DMA UART does both without a timer and PPI channels.
use embassy_nrf::pac::uart::{vals, Uart};

pub struct NrfUartPipe {
    regs: Uart,
}

impl NrfUartPipe {
    /// Connects TXD/RXD to port-0 pins `tx`/`rx` and enables transmit, receive and the
    /// receive interrupt at 115200 baud, 8N1, no flow control.
    ///
    /// # Safety
    /// `regs` must be a UART that nothing else drives, its pins configured (TX an
    /// output driven high, RX an input).
    pub unsafe fn new(regs: Uart, tx: u8, rx: u8) -> Self {
        regs.enable().write(|w| w.set_enable(vals::Enable::Disabled));
        regs.psel().txd().write(|w| {
            w.set_pin(tx);
            w.set_port(false);
            w.set_connect(embassy_nrf::pac::shared::vals::Connect::Connected);
        });
        regs.psel().rxd().write(|w| {
            w.set_pin(rx);
            w.set_port(false);
            w.set_connect(embassy_nrf::pac::shared::vals::Connect::Connected);
        });
        regs.baudrate().write(|w| w.set_baudrate(vals::Baudrate::Baud115200));
        regs.config().write(|_| {});
        regs.enable().write(|w| w.set_enable(vals::Enable::Enabled));
        regs.events_rxdrdy().write_value(0);
        regs.intenset().write(|w| w.set_rxdrdy(true));
        regs.tasks_startrx().write_value(1);
        regs.tasks_starttx().write_value(1);
        // The first byte has nothing to wait for: TXDRDY reads as "ready".
        regs.events_txdrdy().write_value(1);
        Self { regs }
    }

    /// # Safety
    /// As [`Self::new`], for an already initialised UART (used by the panic path).
    pub unsafe fn attach(regs: Uart) -> Self {
        Self { regs }
    }

    pub fn write_byte(&mut self, b: u8) {
        while self.regs.events_txdrdy().read() == 0 {}
        self.regs.events_txdrdy().write_value(0);
        self.regs.txd().write(|w| w.set_txd(b));
    }

    pub fn write_all(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_byte(b));
    }

    /// The receive interrupt: moves the received byte into the link's pipe. An error
    /// (an overrun while interrupts were masked) is cleared; the slipmux decoder
    /// resynchronises on the next frame end.
    pub fn on_interrupt(regs: Uart) {
        if regs.events_error().read() != 0 {
            regs.events_error().write_value(0);
            let source = regs.errorsrc().read();
            regs.errorsrc().write_value(source);
        }
        if regs.events_rxdrdy().read() != 0 {
            regs.events_rxdrdy().write_value(0);
            let byte = regs.rxd().read().rxd();
            crate::time_driver::hurry();
            let _ = crate::link::serial::RX.try_write(&[byte]);
        }
    }
}

impl crate::link::serial::ByteSink for NrfUartPipe {
    fn put(&mut self, byte: u8) {
        self.write_byte(byte);
    }
}
