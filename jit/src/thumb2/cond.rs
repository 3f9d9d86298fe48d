//! Condition codes (A7.3).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cond {
    Eq = 0,
    Ne = 1,
    /// Carry set / unsigned higher or same.
    Hs = 2,
    /// Carry clear / unsigned lower.
    Lo = 3,
    Mi = 4,
    Pl = 5,
    Vs = 6,
    Vc = 7,
    /// Unsigned higher.
    Hi = 8,
    /// Unsigned lower or same.
    Ls = 9,
    Ge = 10,
    Lt = 11,
    Gt = 12,
    Le = 13,
}

impl Cond {
    /// The opposite condition (the encodings pair up by their low bit).
    pub fn invert(self) -> Self {
        Self::from_bits(self as u8 ^ 1)
    }

    fn from_bits(b: u8) -> Self {
        use Cond::*;
        [Eq, Ne, Hs, Lo, Mi, Pl, Vs, Vc, Hi, Ls, Ge, Lt, Gt, Le][b as usize]
    }

    pub fn bits(self) -> u16 {
        self as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverting_twice_is_the_identity_and_pairs_are_opposites() {
        use Cond::*;
        for c in [Eq, Ne, Hs, Lo, Mi, Pl, Vs, Vc, Hi, Ls, Ge, Lt, Gt, Le] {
            assert_eq!(c.invert().invert(), c);
            assert_ne!(c.invert(), c);
        }
        assert_eq!(Hi.invert(), Ls);
        assert_eq!(Ge.invert(), Lt);
    }
}
