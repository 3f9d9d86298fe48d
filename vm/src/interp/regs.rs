//! The interpreter's register file: on a 32-bit core, two arrays of 32-bit halves.
//!
//! There a 64-bit register is two words either way. Split, each half is one load or
//! store at `base + 4 × register` from its own array's base, with no address computed
//! for the high word; 32-bit operations (most of compiled C) never touch the high words
//! except to clear them. A 64-bit host keeps whole registers.
use super::decode::Reg;

/// Split in halves where words are 32 bits (the device).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) type Regs = SplitRegs;
/// Whole where words are 64 bits (a host), where halves would only cost.
#[cfg(target_pointer_width = "64")]
pub(crate) type Regs = WholeRegs;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SplitRegs {
    lo: [u32; 16],
    hi: [u32; 16],
}

#[allow(dead_code)] // on 64-bit hosts, outside tests
impl SplitRegs {
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WholeRegs([u64; 16]);

#[allow(dead_code)] // on 32-bit devices
impl WholeRegs {
    #[inline(always)]
    pub fn get(&self, r: Reg) -> u64 {
        self.0[r as usize]
    }

    #[inline(always)]
    pub fn set(&mut self, r: Reg, value: u64) {
        self.0[r as usize] = value;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_register_files_give_back_what_was_set() {
        // The device's split file is not the one host tests run the interpreter on.
        let (mut split, mut whole) = (SplitRegs::default(), WholeRegs::default());
        for (i, r) in (0..16u8).map(|i| (i, Reg::of(i))) {
            let v = 0x8000_0001_0000_0000u64.rotate_left(u32::from(i) * 5) ^ u64::from(i);
            split.set(r, v);
            whole.set(r, v);
        }
        for r in (0..16u8).map(Reg::of) {
            assert_eq!(split.get(r), whole.get(r));
        }
        split.set(Reg::R3, 0xffff_ffff);
        assert_eq!(split.get(Reg::R3), 0xffff_ffff, "a 32-bit value clears the high word");
        assert_eq!(split.get(Reg::R4), whole.get(Reg::R4), "neighbours untouched");
    }
}
