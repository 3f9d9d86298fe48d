//! Typed immediates: a value that does not fit has no constructor result, so it never
//! reaches an encoder.

/// A modified immediate (ThumbExpandImm, A5.3.2): the 12-bit `i:imm3:imm8` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModImm(u16);

impl ModImm {
    /// The encoding of `v`, if `v` is a Thumb modified immediate.
    pub fn maybe_from(v: u32) -> Option<Self> {
        let b = v & 0xff;
        if v >> 8 == 0 {
            return Some(Self(b as u16));
        }
        if v == (b << 16) | b {
            return Some(Self(0x100 | b as u16));
        }
        let c = (v >> 8) & 0xff;
        if v == (c << 24) | (c << 8) && c != 0 {
            return Some(Self(0x200 | c as u16));
        }
        if v == b * 0x0101_0101 {
            return Some(Self(0x300 | b as u16));
        }
        // An 8-bit value with its top bit set, rotated right by 8..=31: that top bit
        // is v's highest set bit, so the rotation is 8 + leading zeros (one check, not
        // a search: this runs on the device for every constant).
        let rot = 8 + v.leading_zeros();
        let unrot = v.rotate_left(rot);
        (rot < 32 && unrot <= 0xff && unrot & 0x80 != 0).then_some(Self(((rot as u16) << 7) | (unrot as u16 & 0x7f)))
    }

    /// The value it encodes (ThumbExpandImm).
    pub fn value(self) -> u32 {
        let imm12 = self.0 as u32;
        let b = imm12 & 0xff;
        if imm12 >> 10 == 0 {
            match (imm12 >> 8) & 3 {
                0 => b,
                1 => (b << 16) | b,
                2 => (b << 24) | (b << 8),
                _ => b * 0x0101_0101,
            }
        } else {
            (0x80 | (imm12 & 0x7f)).rotate_right(imm12 >> 7)
        }
    }

    /// (i, imm3, imm8) fields.
    pub fn fields(self) -> (u16, u16, u16) {
        (self.0 >> 11, (self.0 >> 8) & 7, self.0 & 0xff)
    }
}

/// A 12-bit unsigned offset (loads and stores, T3 encodings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Off12(u16);

impl Off12 {
    pub fn maybe_from(v: i32) -> Option<Self> {
        (0..4096).contains(&v).then_some(Self(v as u16))
    }

    pub fn bits(self) -> u16 {
        self.0
    }
}

/// An 8-bit negative offset (loads and stores, T4 encodings): -255..=-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegOff8(u16);

impl NegOff8 {
    pub fn maybe_from(v: i32) -> Option<Self> {
        (-255..0).contains(&v).then_some(Self((-v) as u16))
    }

    pub fn bits(self) -> u16 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_immediates_encode_exactly_what_they_expand_to() {
        let fits = [0u32, 0xff, 0x00ab00ab, 0xab00ab00, 0xabababab, 0x80000000, 0x3fc, 0xff000000, 0x1fe00, 0x7f800000];
        for v in fits {
            let m = ModImm::maybe_from(v).unwrap_or_else(|| panic!("{v:#x}"));
            assert_eq!(m.value(), v, "{v:#x}");
        }
        for v in [0x101u32, 0x12345678, 0xffff, 0x1ff, 0xab00ab] {
            assert!(ModImm::maybe_from(v).is_none_or(|m| m.value() == v), "{v:#x}");
        }
        assert!(ModImm::maybe_from(0x101).is_none());
        assert!(ModImm::maybe_from(0x12345678).is_none());
        // Exhaustively: every 12-bit field that expands to v is found again for v.
        for imm12 in 0..4096u16 {
            let m = ModImm(imm12);
            if imm12 >> 10 == 0 && (imm12 >> 8) & 3 != 0 && imm12 & 0xff == 0 {
                continue; // UNPREDICTABLE patterns with a zero byte
            }
            let v = m.value();
            assert_eq!(ModImm::maybe_from(v).unwrap().value(), v, "{imm12:#x}");
        }
    }

    #[test]
    fn offsets_have_their_ranges() {
        assert!(
            Off12::maybe_from(4095).is_some() && Off12::maybe_from(4096).is_none() && Off12::maybe_from(-1).is_none()
        );
        assert!(
            NegOff8::maybe_from(-255).is_some()
                && NegOff8::maybe_from(-256).is_none()
                && NegOff8::maybe_from(0).is_none()
        );
    }
}
