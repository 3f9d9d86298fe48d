//! The interpreter's register file, kept as two arrays of 32-bit halves.
//!
//! On a 32-bit core a 64-bit register is two words either way. Split, each half is one
//! load or store at `base + 4 × register` from its own array's base, with no address
//! computed for the high word; 32-bit operations (most of compiled C) never touch the
//! high words except to clear them.
use super::decode::Reg;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Regs {
    lo: [u32; 16],
    hi: [u32; 16],
}

impl Regs {
    #[inline(always)]
    pub fn get(&self, r: Reg) -> u64 {
        (self.hi[r as usize] as u64) << 32 | self.lo[r as usize] as u64
    }

    #[inline(always)]
    pub fn set(&mut self, r: Reg, value: u64) {
        self.lo[r as usize] = value as u32;
        self.hi[r as usize] = (value >> 32) as u32;
    }
}

/// What the shared instruction semantics ([`super::atomic`]) need of a register file:
/// the interpreter's split one or the JIT's plain `[u64; 16]`.
pub(crate) trait RegisterFile {
    fn read(&self, r: usize) -> u64;
    fn write(&mut self, r: usize, value: u64);
}

impl RegisterFile for Regs {
    fn read(&self, r: usize) -> u64 {
        self.get(Reg::of(r as u8))
    }

    fn write(&mut self, r: usize, value: u64) {
        self.set(Reg::of(r as u8), value)
    }
}

impl RegisterFile for [u64; 16] {
    fn read(&self, r: usize) -> u64 {
        self[r & 15]
    }

    fn write(&mut self, r: usize, value: u64) {
        self[r & 15] = value
    }
}
