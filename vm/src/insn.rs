//! One eBPF instruction slot: `{opcode, dst:4, src:4, off:i16, imm:i32}`, 8 bytes,
//! little-endian (RFC 9669 §3.1).

/// A decoded instruction slot, laid out as on the wire (8 bytes, registers packed in
/// one byte) so that the interpreter fetches it with a single 64-bit load.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(C, align(8))]
pub struct Insn {
    pub opc: u8,
    /// dst in the low nibble, src in the high one.
    regs: u8,
    pub off: i16,
    pub imm: i32,
}

impl core::fmt::Debug for Insn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Insn {{ opc: {:#04x}, dst: {}, src: {}, off: {}, imm: {:#x} }}",
            self.opc,
            self.dst(),
            self.src(),
            self.off,
            self.imm
        )
    }
}

impl Insn {
    pub const SIZE: usize = 8;

    /// A slot; register numbers above 15 are truncated to their low four bits.
    pub const fn new(opc: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Self { opc, regs: (dst & 0x0f) | (src << 4), off, imm }
    }

    /// The destination register field.
    #[inline(always)]
    pub const fn dst(&self) -> u8 {
        self.regs & 0x0f
    }

    /// The source register field.
    #[inline(always)]
    pub const fn src(&self) -> u8 {
        self.regs >> 4
    }

    pub fn set_dst(&mut self, dst: u8) {
        self.regs = (self.regs & 0xf0) | (dst & 0x0f);
    }

    pub fn set_src(&mut self, src: u8) {
        self.regs = (self.regs & 0x0f) | (src << 4);
    }

    /// Decodes one slot from exactly 8 bytes.
    pub fn decode(b: [u8; 8]) -> Self {
        Self {
            opc: b[0],
            regs: b[1],
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    pub fn encode(&self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [self.opc, self.regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3]]
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
