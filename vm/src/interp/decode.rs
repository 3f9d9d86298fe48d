//! Pre-decoding: before a run, every instruction becomes an [`Op`] the loop can
//! dispatch on directly: a dense operation kind (a `match` on it is one jump table
//! with no range check), the registers as separate bytes, the immediate already
//! sign-extended (or the whole 64-bit LDDW value, or the absolute address of a
//! `.data`/`.rodata` reference), and jump targets as absolute indices. Op `i` stands
//! for instruction `i`, so program counters mean the same as in the bytecode.
use alloc::vec::Vec;

use crate::insn::Insn;
use crate::opcode::*;

/// What an [`Op`] does. ALU operations common in compiled code have their own kinds;
/// the rare ones (division, modulo, sign-extending moves, byte swaps) share a slow
/// kind that re-dispatches on the original opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Add64R,
    Add64I,
    Sub64R,
    Sub64I,
    Mul64R,
    Mul64I,
    Or64R,
    Or64I,
    And64R,
    And64I,
    Xor64R,
    Xor64I,
    Lsh64R,
    Lsh64I,
    Rsh64R,
    Rsh64I,
    Arsh64R,
    Arsh64I,
    Mov64R,
    Mov64I,
    Add32R,
    Add32I,
    Sub32R,
    Sub32I,
    Mul32R,
    Mul32I,
    Or32R,
    Or32I,
    And32R,
    And32I,
    Xor32R,
    Xor32I,
    Lsh32R,
    Lsh32I,
    Rsh32R,
    Rsh32I,
    Arsh32R,
    Arsh32I,
    Mov32R,
    Mov32I,
    Mod32I,
    /// Any other ALU64 operation: `aux` holds the opcode, `off` the offset field.
    Alu64Slow,
    /// Any other ALU operation.
    Alu32Slow,
    Ja,
    JeqR,
    JeqI,
    JgtR,
    JgtI,
    JgeR,
    JgeI,
    JltR,
    JltI,
    JleR,
    JleI,
    JsetR,
    JsetI,
    JneR,
    JneI,
    JsgtR,
    JsgtI,
    JsgeR,
    JsgeI,
    JsltR,
    JsltI,
    JsleR,
    JsleI,
    Jeq32R,
    Jeq32I,
    Jgt32R,
    Jgt32I,
    Jge32R,
    Jge32I,
    Jlt32R,
    Jlt32I,
    Jle32R,
    Jle32I,
    Jset32R,
    Jset32I,
    Jne32R,
    Jne32I,
    Jsgt32R,
    Jsgt32I,
    Jsge32R,
    Jsge32I,
    Jslt32R,
    Jslt32I,
    Jsle32R,
    Jsle32I,
    Ldxb,
    Ldxh,
    Ldxw,
    Ldxdw,
    Ldxsb,
    Ldxsh,
    Ldxsw,
    Stb,
    Sth,
    Stw,
    Stdw,
    Stxb,
    Stxh,
    Stxw,
    Stxdw,
    Atomic32,
    Atomic64,
    /// `dst = imm` (LDDW's 64-bit value, or a resolved `.data`/`.rodata` address).
    Lddw,
    CallLocal,
    CallHelper,
    CallReg,
    Exit,
    /// Not an instruction (`aux` holds the opcode): a fault when executed.
    Invalid,
    /// `jeq dst, imm, +1` followed by `ja back`, the latch of a loop rotated by clang,
    /// dispatched once: `off` is the `ja`'s target. The `ja` stays an op of its own
    /// (a jump to it runs it alone).
    LatchEqI,
    /// ... with `jeq32`.
    LatchEq32I,
    /// `mov32 d, s; add32 d, x` dispatched once: `aux` is `x`. The `add32` stays an op
    /// of its own (a jump to it runs it alone).
    MovAdd32R,
    /// `mov32 d, s; add32 d, imm` dispatched once.
    MovAdd32I,
    /// `mov d, s; rsh d, k` / `mov32 d, s; rsh32 d, k` / `mov32 d, s; lsh32 d, k` (a
    /// three-operand shift, as in rotations) dispatched once: `imm` is `k`.
    MovRsh64,
    MovRsh32,
    MovLsh32,
    /// `lsh32 d, k; or32 d, x` (a word put together from bytes) dispatched once:
    /// `imm` is `k`, `aux` is `x`.
    ShlOr32,
    /// ... and in 64 bits.
    ShlOr64,
    /// `lsh d, k; arsh d, k` with `k` ≥ 32 (sign extension of a 32-, 16- or 8-bit value
    /// before cpu v4's `movsx`) dispatched once: the value lies in the low word, so
    /// `imm & 31` (`k - 32`) does it in 32 bits.
    SignExtend64,
    /// `lddw d, K; add d, s` (an address in `.rodata`/`.data` plus an index)
    /// dispatched once: `src` is `s`.
    LddwAdd,
    /// `lddw d, K; add d, s; ldxb d, [d + off]` (an element of a global array, as in a
    /// table lookup) dispatched once: `src` is `s`, the wide value `K + off`. A fault
    /// names the `ldx` (three slots on); `d` then keeps its value from before.
    LddwAddLdxb,
    /// ... with `ldxh`, `ldxw`, `ldxdw`.
    LddwAddLdxh,
    LddwAddLdxw,
    LddwAddLdxdw,
    /// The same from `.rodata` (`lddwr`): the wide value is the offset into `.rodata`,
    /// which the loop checks against `.rodata` itself, wherever the region stands among
    /// the others; an offset outside it is an address like any other.
    RodataLdxb,
    RodataLdxh,
    RodataLdxw,
    RodataLdxdw,
    /// Put in place of an op for a while: the loop stops there (a budget or slice
    /// ending inside a run, see [`Op::run`]).
    Halt,
}

impl Kind {
    /// An array load (`lddw[dr]; add; ldx` fused): `Some(true)` from `.rodata`.
    fn array_load(self) -> Option<bool> {
        use Kind::*;
        match self {
            LddwAddLdxb | LddwAddLdxh | LddwAddLdxw | LddwAddLdxdw => Some(false),
            RodataLdxb | RodataLdxh | RodataLdxw | RodataLdxdw => Some(true),
            _ => None,
        }
    }

    /// Instruction slots the op covers (a fused op runs through all of them).
    pub(crate) fn slots(self) -> usize {
        match self {
            Kind::Lddw | Kind::MovAdd32R | Kind::MovAdd32I | Kind::ShlOr32 | Kind::ShlOr64 | Kind::SignExtend64 => 2,
            Kind::MovRsh64 | Kind::MovRsh32 | Kind::MovLsh32 => 2,
            Kind::LddwAdd => 3,
            k if k.array_load().is_some() => 4,
            _ => 1,
        }
    }

    /// The kind of a fused op's first instruction alone (itself when not fused).
    pub(crate) fn unfused(self) -> Kind {
        match self {
            Kind::MovAdd32R | Kind::MovAdd32I | Kind::MovRsh32 | Kind::MovLsh32 => Kind::Mov32R,
            Kind::MovRsh64 => Kind::Mov64R,
            Kind::LddwAdd => Kind::Lddw,
            k if k.array_load().is_some() => Kind::Lddw,
            Kind::ShlOr32 => Kind::Lsh32I,
            Kind::ShlOr64 | Kind::SignExtend64 => Kind::Lsh64I,
            k => k,
        }
    }

    /// Control may go elsewhere than to the next op (or nowhere): a run ends here.
    pub(crate) fn ends_run(self) -> bool {
        use Kind::*;
        let jump = (Ja as u8..=Jsle32I as u8).contains(&(self as u8));
        jump || matches!(self, LatchEqI | LatchEq32I | CallLocal | CallHelper | CallReg | Exit | Invalid | Halt)
    }
}

/// A register number. As an enum of 16 values it tells the compiler that indexing
/// the 16-entry register file with it needs no bounds check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[rustfmt::skip]
pub(crate) enum Reg { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15 }

impl Reg {
    /// The register a 4-bit field names (higher bits ignored). A `match` rather than a
    /// table, so that it compiles to a mask: no load on the paths that use it.
    #[inline(always)]
    pub(crate) fn of(field: u8) -> Self {
        use Reg::*;
        match field & 15 {
            0 => R0,
            1 => R1,
            2 => R2,
            3 => R3,
            4 => R4,
            5 => R5,
            6 => R6,
            7 => R7,
            8 => R8,
            9 => R9,
            10 => R10,
            11 => R11,
            12 => R12,
            13 => R13,
            14 => R14,
            _ => R15,
        }
    }
}

/// One pre-decoded instruction (16 bytes; `repr(C)` keeps the kind first).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(crate) struct Op {
    pub kind: Kind,
    pub dst: Reg,
    pub src: Reg,
    /// The original opcode, for the slow and invalid kinds.
    pub aux: u8,
    /// Jumps and local calls: the target, as an offset from this op (the padding op
    /// when outside the program). Memory accesses: the sign-extended offset. Slow ALU:
    /// the offset field.
    /// LDDW: the high half of its value.
    pub off: i32,
    /// The immediate (64-bit operations sign-extend it, which Thumb-2's shifted
    /// operands do for free); LDDW: the low half of its value.
    pub imm: i32,
    /// The length of the run starting here: the instructions from this one up to and
    /// including the next that ends a run ([`Kind::ends_run`]), counted as unfused. The
    /// loop charges the budget a run at a time, as control enters it, instead of once
    /// per op.
    pub run: u32,
}

impl Op {
    /// The immediate as a 64-bit operand.
    #[inline(always)]
    pub fn imm64(&self) -> u64 {
        self.imm as i64 as u64
    }

    /// LDDW's 64-bit value.
    #[inline(always)]
    pub fn wide(&self) -> u64 {
        (self.off as u32 as u64) << 32 | self.imm as u32 as u64
    }

    /// The op of a fused op's first instruction alone (for a budget that ends inside
    /// it); `rodata_base` is where `.rodata` is, for the `.rodata` array loads.
    pub(crate) fn first_alone(&self, rodata_base: u64) -> Op {
        let mut op = Op { kind: self.kind.unfused(), ..*self };
        // The array loads folded the load's offset (in `aux`) into their constant, and
        // the `.rodata` ones keep an offset into it: the `lddw`'s own value again.
        let Some(rodata) = self.kind.array_load() else { return op };
        let unfolded = self.wide().wrapping_sub(self.aux as i8 as i64 as u64);
        let value = if rodata { rodata_base.wrapping_add(unfolded) } else { unfolded };
        op.imm = value as u32 as i32;
        op.off = (value >> 32) as u32 as i32;
        op
    }
}

/// Where a jump at `from` (an op index) with this `delta` lands, as an offset from
/// the op at `at` that holds it: the loop moves its op pointer by it without the ops'
/// base. A target outside the program is `len` (the padding op, which faults).
fn target(from: usize, delta: i64, len: usize, at: usize) -> i32 {
    let t = from as i64 + 1 + delta;
    let t = if (0..len as i64).contains(&t) { t } else { len as i64 };
    (t - at as i64) as i32
}

/// The kind each opcode decodes to when its other fields do not matter (`Invalid` for
/// the opcodes that are none, and for LDDW, which `decode` makes).
const KIND_OF: [Kind; 256] = {
    use Kind::*;
    let pairs = [
        (ADD64_REG, Add64R),
        (ADD64_IMM, Add64I),
        (SUB64_REG, Sub64R),
        (SUB64_IMM, Sub64I),
        (MUL64_REG, Mul64R),
        (MUL64_IMM, Mul64I),
        (OR64_REG, Or64R),
        (OR64_IMM, Or64I),
        (AND64_REG, And64R),
        (AND64_IMM, And64I),
        (XOR64_REG, Xor64R),
        (XOR64_IMM, Xor64I),
        (LSH64_REG, Lsh64R),
        (LSH64_IMM, Lsh64I),
        (RSH64_REG, Rsh64R),
        (RSH64_IMM, Rsh64I),
        (ARSH64_REG, Arsh64R),
        (ARSH64_IMM, Arsh64I),
        (ADD32_REG, Add32R),
        (ADD32_IMM, Add32I),
        (SUB32_REG, Sub32R),
        (SUB32_IMM, Sub32I),
        (MUL32_REG, Mul32R),
        (MUL32_IMM, Mul32I),
        (OR32_REG, Or32R),
        (OR32_IMM, Or32I),
        (AND32_REG, And32R),
        (AND32_IMM, And32I),
        (XOR32_REG, Xor32R),
        (XOR32_IMM, Xor32I),
        (LSH32_REG, Lsh32R),
        (LSH32_IMM, Lsh32I),
        (RSH32_REG, Rsh32R),
        (RSH32_IMM, Rsh32I),
        (ARSH32_REG, Arsh32R),
        (ARSH32_IMM, Arsh32I),
        (LDXB, Ldxb),
        (LDXH, Ldxh),
        (LDXW, Ldxw),
        (LDXDW, Ldxdw),
        (LDXSB, Ldxsb),
        (LDXSH, Ldxsh),
        (LDXSW, Ldxsw),
        (STB, Stb),
        (STH, Sth),
        (STW, Stw),
        (STDW, Stdw),
        (STXB, Stxb),
        (STXH, Stxh),
        (STXW, Stxw),
        (STXDW, Stxdw),
        (ATOMIC32, Atomic32),
        (ATOMIC64, Atomic64),
        (JA64, Ja),
        (JEQ_REG, JeqR),
        (JEQ_IMM, JeqI),
        (JGT_REG, JgtR),
        (JGT_IMM, JgtI),
        (JGE_REG, JgeR),
        (JGE_IMM, JgeI),
        (JLT_REG, JltR),
        (JLT_IMM, JltI),
        (JLE_REG, JleR),
        (JLE_IMM, JleI),
        (JSET_REG, JsetR),
        (JSET_IMM, JsetI),
        (JNE_REG, JneR),
        (JNE_IMM, JneI),
        (JSGT_REG, JsgtR),
        (JSGT_IMM, JsgtI),
        (JSGE_REG, JsgeR),
        (JSGE_IMM, JsgeI),
        (JSLT_REG, JsltR),
        (JSLT_IMM, JsltI),
        (JSLE_REG, JsleR),
        (JSLE_IMM, JsleI),
        (JEQ32_REG, Jeq32R),
        (JEQ32_IMM, Jeq32I),
        (JGT32_REG, Jgt32R),
        (JGT32_IMM, Jgt32I),
        (JGE32_REG, Jge32R),
        (JGE32_IMM, Jge32I),
        (JLT32_REG, Jlt32R),
        (JLT32_IMM, Jlt32I),
        (JLE32_REG, Jle32R),
        (JLE32_IMM, Jle32I),
        (JSET32_REG, Jset32R),
        (JSET32_IMM, Jset32I),
        (JNE32_REG, Jne32R),
        (JNE32_IMM, Jne32I),
        (JSGT32_REG, Jsgt32R),
        (JSGT32_IMM, Jsgt32I),
        (JSGE32_REG, Jsge32R),
        (JSGE32_IMM, Jsge32I),
        (JSLT32_REG, Jslt32R),
        (JSLT32_IMM, Jslt32I),
        (JSLE32_REG, Jsle32R),
        (JSLE32_IMM, Jsle32I),
        (JA32, Ja),
        (MOV64_REG, Mov64R),
        (MOV64_IMM, Mov64I),
        (MOV32_REG, Mov32R),
        (MOV32_IMM, Mov32I),
        (MOD32_IMM, Mod32I),
        (DIV64_REG, Alu64Slow),
        (DIV64_IMM, Alu64Slow),
        (MOD64_REG, Alu64Slow),
        (MOD64_IMM, Alu64Slow),
        (NEG64, Alu64Slow),
        (BSWAP, Alu64Slow),
        (DIV32_REG, Alu32Slow),
        (DIV32_IMM, Alu32Slow),
        (MOD32_REG, Alu32Slow),
        (NEG32, Alu32Slow),
        (LE, Alu32Slow),
        (BE, Alu32Slow),
        (CALL_IMM, CallHelper),
        (CALL_REG, CallReg),
        (EXIT_OP, Exit),
    ];
    let mut table = [Invalid; 256];
    let mut n = 0;
    while n < pairs.len() {
        table[pairs[n].0 as usize] = pairs[n].1;
        n += 1;
    }
    table
};

/// Decodes `insns`; `.data`/`.rodata` references resolve against the given bases.
///
/// The interpreter walks a raw pointer through the result and relies on this: from
/// any op, wherever control goes next is inside the ops. Jump and call targets (kept
/// relative to their op) land at most at `len` (see [`target`]), and so does every
/// return address; an op's successor (past both slots of an LDDW or a fused op) is at
/// most `len`, since a fused op is only formed, and an LDDW only decoded, when its last
/// slot exists; and `len` itself is a padding op that faults.
pub(crate) fn decode(insns: &[Insn], data_base: u64, rodata_base: u64) -> Vec<Op> {
    let len = insns.len();
    let mut ops = Vec::with_capacity(len);
    for (cur, i) in insns.iter().enumerate() {
        let mut op = Op {
            kind: Kind::Invalid,
            dst: Reg::of(i.dst()),
            src: Reg::of(i.src()),
            aux: i.opc,
            off: i.off as i32,
            imm: i.imm,
            run: 1,
        };
        use Kind::*;
        // Most opcodes name their kind alone (a table: far less code than a `match`);
        // the rest depend on other fields too.
        op.kind = match KIND_OF[usize::from(i.opc)] {
            Mov64R | Mov64I if i.off != 0 => Alu64Slow,
            Mov32R | Mov32I if i.off != 0 => Alu32Slow,
            // Unsigned modulo by a non-zero constant (the common `% N` of C) only.
            Mod32I if i.off != 0 || i.imm == 0 => Alu32Slow,
            kind => kind,
        };
        if (Ja as u8..=Jsle32I as u8).contains(&(op.kind as u8)) {
            let delta = if i.opc == JA32 { i.imm } else { i32::from(i.off) };
            op.off = target(cur, delta as i64, len, cur);
        }
        match i.opc {
            JEQ_IMM | JEQ32_IMM if i.off == 1 && insns.get(cur + 1).is_some_and(|j| j.opc == JA64) => {
                op.kind = if i.opc == JEQ_IMM { LatchEqI } else { LatchEq32I };
                op.off = target(cur + 1, insns[cur + 1].off as i64, len, cur);
            }
            // An LDDW without its second slot stays invalid (see above).
            LDDW | LDDWD | LDDWR if cur + 1 < len => {
                op.kind = Lddw;
                let lo = i.imm as u32 as u64;
                let hi = insns[cur + 1].imm as u32 as u64;
                let value = match i.opc {
                    LDDW => lo | (hi << 32),
                    LDDWD => data_base.wrapping_add(lo),
                    _ => rodata_base.wrapping_add(lo),
                };
                op.imm = value as u32 as i32;
                op.off = (value >> 32) as u32 as i32;
            }
            CALL_IMM if i.src() == CALL_LOCAL => {
                op.kind = CallLocal;
                op.off = target(cur, i.imm as i64, len, cur);
            }
            _ => {}
        }
        ops.push(op);
    }
    // One invalid op after the program: control past it (at most `len`) faults there.
    ops.push(Op { kind: Kind::Invalid, dst: Reg::R0, src: Reg::R0, aux: 0, off: 0, imm: 0, run: 1 });
    // Each op's run, from the end (an LDDW's run goes on after its second slot).
    for i in (0..ops.len()).rev() {
        let kind = ops[i].kind;
        if !kind.ends_run() {
            let next = i + if kind == Kind::Lddw { 2 } else { 1 };
            ops[i].run = ops.get(next).map_or(1, |n| n.run.saturating_add(1));
        }
    }
    fuse(insns, &mut ops);
    debug_assert!(control_stays_inside(&ops, len), "decode broke the interpreter's bounds guarantee");
    ops
}

/// The guarantee [`decode`] gives the interpreter, checked op by op: every place control
/// can go next from an op of the program is at most `len`, and `len` is a padding op
/// that stops the loop.
pub(crate) fn control_stays_inside(ops: &[Op], len: usize) -> bool {
    use Kind::*;
    let targets_inside = |i: usize, op: &Op| match op.kind {
        k if k.ends_run() && !matches!(k, CallHelper | CallReg | Exit | Invalid | Halt) => {
            usize::try_from(i as i64 + i64::from(op.off)).is_ok_and(|t| t <= len)
        }
        _ => true,
    };
    ops.get(len).is_some_and(|pad| pad.kind == Invalid)
        && ops[..len].iter().enumerate().all(|(i, op)| {
            // A latch also skips its `ja`.
            let next = i + if matches!(op.kind, LatchEqI | LatchEq32I) { 2 } else { op.kind.slots() };
            next <= len && targets_inside(i, op)
        })
}

/// Pairs clang writes become one op at their first slot (runs count instructions, so
/// the budget still counts both): `lddw d, K; add d, s` (an indexed address, and with
/// the load from it that follows, a triple),
/// `mov d, s; add|rsh|lsh d, ...` (three-operand operations), `lsh d, k; or d, x`
/// (bytes put together) and `lsh d, k; arsh d, k` (a sign extension). The second
/// instruction writes the first's destination and, where it reads a register, not
/// that one (the fused op reads its operands before it writes).
fn fuse(insns: &[Insn], ops: &mut [Op]) {
    for (i, &first) in insns.iter().enumerate() {
        let wide = first.is_wide();
        let Some(&second) = insns.get(i + if wide { 2 } else { 1 }) else { continue };
        let d = first.dst();
        let copy = first.off == 0 && first.src() != d; // a plain `mov`, not onto itself
        let other = second.src() != d;
        if second.dst() != d {
            continue;
        }
        let op = &mut ops[i];
        match (first.opc, second.opc) {
            (LDDW | LDDWD | LDDWR, ADD64_REG) if other => {
                op.src = Reg::of(second.src());
                // (The load's offset is folded into the constant and kept in `aux`, for
                // `Op::first_alone`: an offset that fits there.)
                let load = insns.get(i + 3).filter(|l| l.dst() == d && l.src() == d && i8::try_from(l.off).is_ok());
                match load.map(|l| (l.opc, l.off)) {
                    Some((opc @ (LDXB | LDXH | LDXW | LDXDW), off)) => {
                        let rodata = first.opc == LDDWR;
                        op.kind = match (opc, rodata) {
                            (LDXB, false) => Kind::LddwAddLdxb,
                            (LDXH, false) => Kind::LddwAddLdxh,
                            (LDXW, false) => Kind::LddwAddLdxw,
                            (_, false) => Kind::LddwAddLdxdw,
                            (LDXB, true) => Kind::RodataLdxb,
                            (LDXH, true) => Kind::RodataLdxh,
                            (LDXW, true) => Kind::RodataLdxw,
                            (_, true) => Kind::RodataLdxdw,
                        };
                        // `.rodata` loads keep the offset into it (the `lddwr`'s own).
                        let start = if rodata { first.imm as u32 as u64 } else { op.wide() };
                        let address = start.wrapping_add(off as i64 as u64);
                        op.imm = address as u32 as i32;
                        op.off = (address >> 32) as u32 as i32;
                        op.aux = off as i8 as u8;
                    }
                    _ => op.kind = Kind::LddwAdd,
                }
            }
            (MOV32_REG, ADD32_REG) if copy && other => {
                op.kind = Kind::MovAdd32R;
                op.aux = second.src();
            }
            (LSH32_IMM, OR32_REG) if other => {
                op.kind = Kind::ShlOr32;
                op.aux = second.src();
            }
            (LSH64_IMM, OR64_REG) if other => {
                op.kind = Kind::ShlOr64;
                op.aux = second.src();
            }
            (MOV32_REG, ADD32_IMM | RSH32_IMM | LSH32_IMM) | (MOV64_REG, RSH64_IMM) if copy => {
                op.kind = match second.opc {
                    ADD32_IMM => Kind::MovAdd32I,
                    RSH32_IMM => Kind::MovRsh32,
                    LSH32_IMM => Kind::MovLsh32,
                    _ => Kind::MovRsh64,
                };
                op.imm = second.imm;
            }
            (LSH64_IMM, ARSH64_IMM) if second.imm == first.imm && (32..64).contains(&first.imm) => {
                op.kind = Kind::SignExtend64
            }
            _ => {}
        }
    }
}
