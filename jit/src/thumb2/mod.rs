//! Thumb-2 (ARMv7-M) machine code: registers, conditions, immediates, encoders and a
//! code buffer. Section numbers refer to the ARMv7-M Architecture Reference Manual
//! (ARM DDI 0403E).
//!
//! A 32-bit Thumb instruction is two halfwords, the first (`hw1`) at the lower
//! address, each stored little-endian. Encoders return [`Enc`].
pub mod buffer;
pub mod cond;
pub mod encode;
pub mod imm;
pub mod regs;

/// An encoded instruction: one halfword or two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    T16(u16),
    T32(u16, u16),
}

impl Enc {
    /// The bytes in memory order.
    pub fn bytes(self) -> ([u8; 4], usize) {
        match self {
            Enc::T16(h) => {
                let b = h.to_le_bytes();
                ([b[0], b[1], 0, 0], 2)
            }
            Enc::T32(h1, h2) => {
                let (a, b) = (h1.to_le_bytes(), h2.to_le_bytes());
                ([a[0], a[1], b[0], b[1]], 4)
            }
        }
    }

    pub fn len(self) -> usize {
        self.bytes().1
    }

    pub fn is_empty(self) -> bool {
        false
    }
}
