//! One eBPF instruction slot: `{opcode, dst:4, src:4, off:i16, imm:i32}`, 8 bytes,
//! little-endian (RFC 9669 §3.1).

use crate::opcode::{CALL, CALL_IMM, CALL_LOCAL, CLS_JMP, CLS_JMP32, CLS_MASK, EXIT, JA, LDDW, LDDWD, LDDWR, OP_MASK};

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

/// Each opcode's slots: every pass over a program steps by it, and one load is
/// cheaper than the three compares (instructions counted on the device's compiles).
static SLOTS: [u8; 256] = {
    let mut table = [1; 256];
    table[LDDW as usize] = 2;
    table[LDDWD as usize] = 2;
    table[LDDWR as usize] = 2;
    table
};

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

    /// LDDW and the Femto-Containers LDDWD/LDDWR take two slots.
    #[inline(always)]
    pub const fn is_wide(&self) -> bool {
        SLOTS[self.opc as usize] == 2
    }

    /// The slot after this instruction: past both slots of a wide one.
    #[inline(always)]
    pub const fn next_pc(&self, pc: usize) -> usize {
        pc + SLOTS[self.opc as usize] as usize
    }

    /// A call of a local (bpf-to-bpf) function, not of a helper.
    #[inline(always)]
    pub const fn is_local_call(&self) -> bool {
        self.opc == CALL_IMM && self.src() == CALL_LOCAL
    }

    /// The offset from the next slot of a jump's or a local call's target; `None` for
    /// every other instruction (`exit`, helper calls, non-jumps). `ja32` and local
    /// calls carry it in `imm`, the other jumps in `off`.
    #[inline(always)]
    pub const fn jump_offset(&self) -> Option<i64> {
        match (self.opc & CLS_MASK, self.opc & OP_MASK) {
            (CLS_JMP, EXIT) => None,
            (CLS_JMP, CALL) if self.is_local_call() => Some(self.imm as i64),
            (CLS_JMP, CALL) => None,
            (CLS_JMP32, JA) => Some(self.imm as i64),
            (CLS_JMP | CLS_JMP32, _) => Some(self.off as i64),
            _ => None,
        }
    }

    /// The slot a jump or a local call at `pc` goes to; `None` for other instructions
    /// and for a target before the program (the verifier refuses both that and one
    /// past its end).
    #[inline(always)]
    pub fn jump_target(&self, pc: usize) -> Option<usize> {
        self.jump_offset().and_then(|o| usize::try_from(pc as i64 + 1 + o).ok())
    }

    /// Whether control may go on to the next slot: everything but `ja` and `exit`.
    #[inline(always)]
    pub const fn falls_through(&self) -> bool {
        !matches!((self.opc & CLS_MASK, self.opc & OP_MASK), (CLS_JMP | CLS_JMP32, JA) | (CLS_JMP, EXIT))
    }

    /// Where control goes after the instruction at `pc`, inside its function: the
    /// next slot unless it is `ja` or `exit`, and the target of a jump (a local call's
    /// target is another function's entry, and its return comes back to the next slot).
    #[inline(always)]
    pub fn successors(&self, pc: usize) -> [Option<usize>; 2] {
        let next = self.falls_through().then(|| self.next_pc(pc));
        let target = if self.is_local_call() { None } else { self.jump_target(pc) };
        [next, target]
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

    pub const fn class(&self) -> u8 {
        self.opc & crate::opcode::CLS_MASK
    }
}

#[cfg(test)]
mod tests {
    use crate::asm::assemble;

    /// The table of slots says two for the three wide opcodes and one for every other.
    #[test]
    fn every_opcode_takes_the_slots_the_table_says() {
        use crate::opcode::{LDDW, LDDWD, LDDWR};
        for opc in 0..=255u8 {
            let i = super::Insn::new(opc, 1, 2, 3, 4);
            let wide = matches!(opc, LDDW | LDDWD | LDDWR);
            assert_eq!(i.is_wide(), wide, "{opc:#04x}");
            assert_eq!(i.next_pc(7), if wide { 9 } else { 8 }, "{opc:#04x}");
        }
    }

    /// Successors, targets and widths of each kind of control flow.
    #[test]
    fn control_flow_of_every_kind() {
        let p = assemble("lddw %r1, 0x100000000\nja +1\njeq %r1, 0, -3\nja32 -2\ncall local f\ncall 1\nexit\nf:\nexit")
            .unwrap();
        // Slots: 0-1 lddw, 2 ja, 3 jeq, 4 ja32, 5 call local, 6 call 1, 7 exit, 8 exit.
        assert!(p[0].is_wide() && !p[2].is_wide());
        assert_eq!(p[0].next_pc(0), 2);
        assert_eq!(p[0].successors(0), [Some(2), None]);
        assert_eq!(p[2].successors(2), [None, Some(4)]);
        assert_eq!(p[3].successors(3), [Some(4), Some(1)]);
        assert_eq!(p[4].successors(4), [None, Some(3)]);
        // A local call returns to the next slot; its target is another function's.
        assert_eq!((p[5].jump_target(5), p[5].successors(5)), (Some(8), [Some(6), None]));
        assert!(p[5].is_local_call() && !p[6].is_local_call());
        assert_eq!((p[6].jump_offset(), p[6].successors(6)), (None, [Some(7), None]));
        assert_eq!((p[7].jump_offset(), p[7].successors(7), p[7].falls_through()), (None, [None, None], false));
        // A target before the program is none.
        let back = assemble("ja -5\nexit").unwrap();
        assert_eq!((back[0].jump_offset(), back[0].jump_target(0)), (Some(-5), None));
    }

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
