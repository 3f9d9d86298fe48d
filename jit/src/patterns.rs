//! Instruction pairs the lowering compiles as one ARM instruction, recognized in one
//! place: the lowering fuses them, and the register allocator relies on the fused
//! form reading every operand before it writes its result.
use vm::opcode::*;
use vm::Insn;

use crate::analysis::Analysis;

/// `d = s; d op= x` at `pc` (op one of add, sub, and, or, xor, both of one width, no
/// jump into the second): `d = s op x` in one instruction. A 64-bit pair only when d's
/// high half is not read afterwards (the fused form computes the low half only).
/// Returns the op.
pub fn move_op(insns: &[Insn], an: &Analysis, pc: usize) -> Option<Insn> {
    let (mov, op) = (*insns.get(pc)?, *insns.get(pc + 1)?);
    if an.facts.get(pc + 1)?.is_head() {
        return None;
    }
    let cls = mov.class();
    let (d, s) = (mov.dst(), mov.src());
    let is_mov = mov.opc == cls | OP_MOV | SRC_X && mov.off == 0 && matches!(cls, CLS_ALU | CLS_ALU64);
    let is_op = matches!(op.opc & OP_MASK, OP_ADD | OP_SUB | OP_AND | OP_OR | OP_XOR);
    if !is_mov || !is_op || d == s || op.class() != cls || op.dst() != d || op.off != 0 {
        return None;
    }
    if cls == CLS_ALU64 && an.facts[pc + 1].need_out & (1 << d) != 0 {
        return None;
    }
    Some(op)
}
