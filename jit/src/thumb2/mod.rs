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

/// An encoded instruction: one halfword or two, as a word with the first halfword in
/// its low half. Which of the two it is, the first halfword says, as it does to the
/// processor: a 32-bit instruction's begins 0b11101, 0b11110 or 0b11111, a 16-bit
/// one's never does (A5.1). (A word, not an enum of the two: it goes in a register,
/// and the lowering passes one for every instruction it emits.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enc(u32);

/// The first halfwords of 32-bit instructions start here.
const WIDE: u16 = 0xe800;

#[allow(non_snake_case)]
impl Enc {
    /// A 16-bit instruction.
    pub const fn T16(h: u16) -> Enc {
        debug_assert!(h < WIDE, "a 16-bit encoding in the 32-bit space");
        Enc(h as u32)
    }

    /// A 32-bit instruction, `h1` first.
    pub const fn T32(h1: u16, h2: u16) -> Enc {
        debug_assert!(h1 >= WIDE, "a 32-bit encoding in the 16-bit space");
        Enc(h1 as u32 | (h2 as u32) << 16)
    }

    /// Two halfwords, not one.
    pub const fn is_wide(self) -> bool {
        self.0 as u16 >= WIDE
    }

    /// The bytes in memory order.
    pub fn bytes(self) -> ([u8; 4], usize) {
        (self.0.to_le_bytes(), self.len())
    }

    pub fn len(self) -> usize {
        if self.is_wide() {
            4
        } else {
            2
        }
    }

    pub fn is_empty(self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The length comes from the first halfword alone: the highest 16-bit one (a `b`)
    /// and the lowest 32-bit one, whatever the second halfword holds.
    #[test]
    fn the_first_halfword_tells_the_length() {
        assert_eq!(Enc::T16(0xe7ff).bytes(), ([0xff, 0xe7, 0, 0], 2));
        assert_eq!(Enc::T32(0xe800, 0x1234).bytes(), ([0x00, 0xe8, 0x34, 0x12], 4));
        assert_eq!(Enc::T32(0xf000, 0).len(), 4);
        assert_eq!(Enc::T16(0).len(), 2);
    }
}
