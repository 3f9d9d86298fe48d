//! One eBPF instruction slot: `{opcode, dst:4, src:4, off:i16, imm:i32}`, 8 bytes,
//! little-endian (RFC 9669 §3.1).

/// A decoded instruction slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Insn {
    pub opc: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub const SIZE: usize = 8;

    pub const fn new(opc: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Self { opc, dst, src, off, imm }
    }

    /// Decodes one slot from exactly 8 bytes.
    pub fn decode(b: [u8; 8]) -> Self {
        Self {
            opc: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    pub fn encode(&self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [self.opc, (self.dst & 0x0f) | (self.src << 4), off[0], off[1], imm[0], imm[1], imm[2], imm[3]]
    }

    pub fn class(&self) -> u8 {
        self.opc & crate::opcode::CLS_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes_decode_and_round_trip() {
        // lddw r0, 0x55667788 (first slot), from the conformance suite's raw section.
        let raw = 0x5566778800000018u64.to_le_bytes();
        let insn = Insn::decode(raw);
        assert_eq!(insn, Insn::new(0x18, 0, 0, 0, 0x55667788));
        assert_eq!(insn.encode(), raw);
        // stxdw [r10-8], r1
        let insn = Insn::new(0x7b, 10, 1, -8, 0);
        assert_eq!(insn.encode(), [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]);
        assert_eq!(Insn::decode(insn.encode()), insn);
    }
}
