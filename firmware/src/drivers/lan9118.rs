//! SMSC LAN9118 Ethernet controller, 32-bit bus mode, as an `embassy-net` driver.
//!
//! Register offsets and bits are from the SMSC LAN9118 datasheet (rev. 1.5), section 5
//! ("Register Description"); MAC control registers are reached indirectly through
//! MAC_CSR_CMD/MAC_CSR_DATA (section 5.4).
//!
//! Design:
//! - Receive is interrupt-driven: the RX-status-FIFO-level interrupt (RSFL) wakes the
//!   network task; the handler masks RSFL until the task has drained the FIFO, so a
//!   burst of frames costs one interrupt.
//! - Frames are copied word by word out of the RX data FIFO. The RX "fast forward"
//!   register (RX_DP_CTRL) is never used: skipping a frame reads its words instead,
//!   which is what the FIFO accounting of emulators gets right.
//! - Only defined registers are ever read: QEMU aborts on an undefined one.
//! - The 4-byte FCS that the controller appends to every received frame is stripped.
use core::ptr::{read_volatile, write_volatile};
use core::task::Context;

use embassy_net_driver::{Capabilities, HardwareAddress, LinkState};
use embassy_sync::waitqueue::AtomicWaker;

// System control and status registers (datasheet table 5-1).
const RX_DATA_FIFO: usize = 0x00;
const TX_DATA_FIFO: usize = 0x20;
const RX_STATUS_FIFO: usize = 0x40;
const ID_REV: usize = 0x50;
const IRQ_CFG: usize = 0x54;
const INT_STS: usize = 0x58;
const INT_EN: usize = 0x5c;
const BYTE_TEST: usize = 0x64;
const FIFO_INT: usize = 0x68;
const RX_CFG: usize = 0x6c;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
const RX_FIFO_INF: usize = 0x7c;
const TX_FIFO_INF: usize = 0x80;
const PMT_CTRL: usize = 0x84;
const MAC_CSR_CMD: usize = 0xa4;
const MAC_CSR_DATA: usize = 0xa8;

/// Value of BYTE_TEST on a correctly wired 32-bit bus (datasheet 5.3.7).
const BYTE_TEST_MAGIC: u32 = 0x8765_4321;

/// IRQ_CFG: enable the IRQ pin, active-high, push-pull. Any other polarity/type
/// combination makes the line active-low, which the NVIC would see inverted.
const IRQ_CFG_ENABLE_HIGH_PUSH_PULL: u32 = (1 << 8) | (1 << 4) | (1 << 0);
/// INT_STS/INT_EN: RX status FIFO level reached.
const INT_RSFL: u32 = 1 << 3;
/// HW_CFG: soft reset.
const HW_CFG_SRST: u32 = 1 << 0;
/// PMT_CTRL: device ready.
const PMT_CTRL_READY: u32 = 1 << 0;
/// TX_CFG: transmitter on, and let the TX status FIFO overrun: we never read TX status.
const TX_CFG_ON_STATUS_OVERRUN: u32 = (1 << 1) | (1 << 2);
/// TX command A: first and last segment of a frame (one buffer per frame).
const TX_CMD_A_FIRST_LAST: u32 = (1 << 13) | (1 << 12);
/// RX status: error summary.
const RX_STS_ERROR: u32 = 1 << 15;

// MAC control registers, indirect (datasheet table 5-3).
const MAC_CR: u32 = 1;
const MAC_ADDRH: u32 = 2;
const MAC_ADDRL: u32 = 3;
const MAC_CSR_BUSY: u32 = 1 << 31;
const MAC_CSR_READ: u32 = 1 << 30;
const MAC_CR_RXEN: u32 = 1 << 2;
const MAC_CR_TXEN: u32 = 1 << 3;
const MAC_CR_FDPX: u32 = 1 << 20;
/// Pass all multicast frames: IPv6 neighbour discovery uses solicited-node multicast.
const MAC_CR_MCPAS: u32 = 1 << 19;

/// The largest Ethernet frame we exchange, without FCS.
pub const MTU: usize = 1514;
const FCS_LEN: usize = 4;
/// Free TX FIFO bytes needed for one frame: data plus the two command words.
const TX_SPACE_NEEDED: u32 = (MTU + 8) as u32;

static RX_WAKER: AtomicWaker = AtomicWaker::new();

#[derive(Debug)]
pub enum InitError {
    /// BYTE_TEST did not read back the magic value: no LAN9118 at that address,
    /// or the bus is not in 32-bit mode.
    NotFound { byte_test: u32 },
}

/// Register access to one LAN9118 at a fixed address.
#[derive(Clone, Copy)]
struct Regs {
    base: usize,
}

impl Regs {
    fn read(self, off: usize) -> u32 {
        // SAFETY: `base` is a LAN9118 (constructor contract) and `off` one of the
        // defined registers above.
        unsafe { read_volatile((self.base + off) as *const u32) }
    }

    fn write(self, off: usize, val: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile((self.base + off) as *mut u32, val) }
    }

    fn mac_wait(self) {
        while self.read(MAC_CSR_CMD) & MAC_CSR_BUSY != 0 {}
    }

    fn mac_read(self, reg: u32) -> u32 {
        self.mac_wait();
        self.write(MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | reg);
        self.mac_wait();
        self.read(MAC_CSR_DATA)
    }

    fn mac_write(self, reg: u32, val: u32) {
        self.mac_wait();
        self.write(MAC_CSR_DATA, val);
        self.write(MAC_CSR_CMD, MAC_CSR_BUSY | reg);
        self.mac_wait();
    }
}

pub struct Lan9118 {
    regs: Regs,
    mac: [u8; 6],
    rx_buf: [u8; MTU + FCS_LEN],
    tx_buf: [u8; MTU],
    /// Frames dropped because of receive errors or size.
    pub rx_dropped: u32,
}

impl Lan9118 {
    /// Resets the controller and brings up the MAC with the address it was given by
    /// its EEPROM (QEMU: `-nic ...,mac=`).
    ///
    /// # Safety
    /// `base` must be the address of a LAN9118 that nothing else drives, and its
    /// interrupt must call [`on_interrupt`].
    pub unsafe fn new(base: usize) -> Result<Self, InitError> {
        let regs = Regs { base };
        let byte_test = regs.read(BYTE_TEST);
        if byte_test != BYTE_TEST_MAGIC {
            return Err(InitError::NotFound { byte_test });
        }
        let _ = regs.read(ID_REV);
        regs.write(HW_CFG, HW_CFG_SRST);
        while regs.read(HW_CFG) & HW_CFG_SRST != 0 {}
        while regs.read(PMT_CTRL) & PMT_CTRL_READY == 0 {}

        let lo = regs.mac_read(MAC_ADDRL).to_le_bytes();
        let hi = regs.mac_read(MAC_ADDRH).to_le_bytes();
        let mac = [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]];

        regs.write(IRQ_CFG, IRQ_CFG_ENABLE_HIGH_PUSH_PULL);
        regs.write(INT_EN, 0);
        regs.write(INT_STS, u32::MAX);
        // RX status level 0: interrupt as soon as one frame is waiting. Keep the
        // reset values of the TX levels.
        regs.write(FIFO_INT, regs.read(FIFO_INT) & !0xff);
        regs.write(RX_CFG, 0);
        regs.write(TX_CFG, TX_CFG_ON_STATUS_OVERRUN);
        regs.mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX | MAC_CR_MCPAS);
        regs.write(INT_EN, INT_RSFL);

        Ok(Self { regs, mac, rx_buf: [0; MTU + FCS_LEN], tx_buf: [0; MTU], rx_dropped: 0 })
    }

    pub fn mac_address(&self) -> [u8; 6] {
        self.mac
    }

    fn rx_frames_waiting(&self) -> u32 {
        (self.regs.read(RX_FIFO_INF) >> 16) & 0xff
    }

    /// Pops one frame from the RX FIFOs into `rx_buf`; returns its length without FCS,
    /// or `None` for a frame that was dropped (error or too long).
    fn pop_frame(&mut self) -> Option<usize> {
        let status = self.regs.read(RX_STATUS_FIFO);
        let len = ((status >> 16) & 0x3fff) as usize;
        let words = len.div_ceil(4);
        let fits = len <= self.rx_buf.len() && len > FCS_LEN;
        for i in 0..words {
            let word = self.regs.read(RX_DATA_FIFO).to_le_bytes();
            if fits {
                let at = i * 4;
                let n = (len - at).min(4);
                self.rx_buf[at..at + n].copy_from_slice(&word[..n]);
            }
        }
        if !fits || status & RX_STS_ERROR != 0 {
            self.rx_dropped = self.rx_dropped.wrapping_add(1);
            return None;
        }
        Some(len - FCS_LEN)
    }

    fn push_frame(regs: Regs, frame: &[u8]) {
        let len = frame.len() as u32;
        regs.write(TX_DATA_FIFO, TX_CMD_A_FIRST_LAST | len);
        regs.write(TX_DATA_FIFO, len);
        for chunk in frame.chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            regs.write(TX_DATA_FIFO, u32::from_le_bytes(word));
        }
    }

    fn tx_space(&self) -> u32 {
        self.regs.read(TX_FIFO_INF) & 0xffff
    }
}

/// The LAN9118 interrupt handler: masks RSFL and wakes the network task, which
/// drains the FIFO and unmasks it again when the FIFO is empty.
pub fn on_interrupt(base: usize) {
    let regs = Regs { base };
    let pending = regs.read(INT_STS) & regs.read(INT_EN);
    if pending & INT_RSFL != 0 {
        regs.write(INT_EN, regs.read(INT_EN) & !INT_RSFL);
        regs.write(INT_STS, INT_RSFL);
        RX_WAKER.wake();
    }
}

pub struct RxToken<'a> {
    frame: &'a mut [u8],
}

pub struct TxToken<'a> {
    regs: Regs,
    buf: &'a mut [u8; MTU],
}

impl embassy_net_driver::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl embassy_net_driver::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MTU);
        let r = f(&mut self.buf[..len]);
        Lan9118::push_frame(self.regs, &self.buf[..len]);
        r
    }
}

impl embassy_net_driver::Driver for Lan9118 {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, cx: &mut Context) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        loop {
            if self.rx_frames_waiting() == 0 {
                // Arm the interrupt, then look again: a frame that arrived in between
                // is seen here rather than lost until the next one.
                RX_WAKER.register(cx.waker());
                self.regs.write(INT_STS, INT_RSFL);
                self.regs.write(INT_EN, self.regs.read(INT_EN) | INT_RSFL);
                if self.rx_frames_waiting() == 0 {
                    return None;
                }
            }
            if let Some(len) = self.pop_frame() {
                let regs = self.regs;
                return Some((RxToken { frame: &mut self.rx_buf[..len] }, TxToken { regs, buf: &mut self.tx_buf }));
            }
        }
    }

    fn transmit(&mut self, cx: &mut Context) -> Option<Self::TxToken<'_>> {
        if self.tx_space() < TX_SPACE_NEEDED {
            // The emulated controller sends synchronously, so the FIFO is never full
            // for long; poll again rather than wiring the TX-space interrupt.
            cx.waker().wake_by_ref();
            return None;
        }
        Some(TxToken { regs: self.regs, buf: &mut self.tx_buf })
    }

    fn link_state(&mut self, _cx: &mut Context) -> LinkState {
        LinkState::Up
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = MTU;
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.mac)
    }
}
