//! Core registers.

/// An ARM core register r0-r15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reg(u8);

impl Reg {
    pub const fn new(n: u8) -> Self {
        assert!(n < 16);
        Self(n)
    }

    pub const fn n(self) -> u16 {
        self.0 as u16
    }

    pub const fn is_low(self) -> bool {
        self.0 < 8
    }
}

pub const R0: Reg = Reg(0);
pub const R1: Reg = Reg(1);
pub const R2: Reg = Reg(2);
pub const R3: Reg = Reg(3);
pub const R4: Reg = Reg(4);
pub const R5: Reg = Reg(5);
pub const R6: Reg = Reg(6);
pub const R7: Reg = Reg(7);
pub const R8: Reg = Reg(8);
pub const R9: Reg = Reg(9);
pub const R10: Reg = Reg(10);
pub const R11: Reg = Reg(11);
pub const R12: Reg = Reg(12);
pub const SP: Reg = Reg(13);
pub const LR: Reg = Reg(14);
pub const PC: Reg = Reg(15);

/// A register list for PUSH/POP: bit n is rn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegList(pub u16);

impl RegList {
    pub fn of(regs: &[Reg]) -> Self {
        Self(regs.iter().fold(0, |m, r| m | 1 << r.n()))
    }
}
