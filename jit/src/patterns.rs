//! Instruction patterns the lowering compiles specially, recognized in one place: pairs
//! it fuses into one ARM instruction (the register allocator relies on the fused form
//! reading every operand before it writes its result), values known to be
//! sign-extended where they are multiplied, and adds whose carry checks the address of
//! an access after them.
use vm::opcode::*;
use vm::Insn;

use crate::analysis::{Analysis, Facts};

/// `d = s; d op= x` at `pc` (op one of add, sub, and, or, xor, both of one width, or a
/// 32-bit shift by a constant; no jump into the second): `d = s op x` in one
/// instruction. A 64-bit pair only when d's high half is not read afterwards (the fused
/// form computes the low half only). Returns the op.
#[inline]
pub fn move_op(insns: &[Insn], an: &Analysis, pc: usize) -> Option<Insn> {
    // The move first: asked of every instruction, and most are none.
    let mov = *insns.get(pc)?;
    let cls = mov.class();
    if mov.opc != cls | OP_MOV | SRC_X || mov.off != 0 || !matches!(cls, CLS_ALU | CLS_ALU64) {
        return None;
    }
    let op = *insns.get(pc + 1)?;
    let (d, s) = (mov.dst(), mov.src());
    let shift32 = cls == CLS_ALU && op.opc & SRC_X == 0 && matches!(op.opc & OP_MASK, OP_LSH | OP_RSH | OP_ARSH);
    let is_op = shift32 || matches!(op.opc & OP_MASK, OP_ADD | OP_SUB | OP_AND | OP_OR | OP_XOR);
    if !is_op || d == s || op.class() != cls || op.dst() != d || op.off != 0 || an.facts.get(pc + 1)?.is_head() {
        return None;
    }
    if cls == CLS_ALU64 && (an.facts[pc + 1].need_out & (1 << d) != 0 || an.facts[pc + 1].carry_check != 0) {
        return None;
    }
    Some(op)
}

/// `d += s` (64-bit; a register, or an immediate >= 0) at `pc` with both high halves
/// zero, followed by an access through `d` the analysis could not prove, with only
/// ALU instructions that neither read nor write `d` between and no jump into them,
/// where the ranges do not bound the sum below 2^32: the access's slot. The sum's high
/// half is then the add's carry, and the lowering branches to the access's out-of-line
/// path when it is set (the address is 2^32 or more: a fault, which the instructions
/// between cannot prevent or observe), so the access need not test a high half. Asked
/// by the analysis once, after the ranges.
#[inline]
pub fn carry_checked_access(insns: &[Insn], facts: &[Facts], pc: usize) -> Option<usize> {
    let add = insns[pc];
    // Asked of every instruction: most are no 64-bit add.
    if !matches!(add.opc, ADD64_REG | ADD64_IMM) {
        return None;
    }
    let d = add.dst();
    let zero = facts[pc].zero_in;
    let operands_32_bit = match add.opc {
        ADD64_REG => zero & (1 << add.src()) != 0,
        ADD64_IMM => add.imm >= 0,
        _ => false,
    };
    if !operands_32_bit || d >= 10 || zero & (1 << d) == 0 || !facts[pc].reachable {
        return None;
    }
    for at in pc + 1..(pc + 1 + CARRY_CHECK_REACH).min(insns.len()) {
        let (i, f) = (insns[at], &facts[at]);
        if f.is_head() {
            return None;
        }
        let base = match i.class() {
            CLS_LDX => i.src(),
            CLS_ST | CLS_STX if i.opc & MODE_MASK != MODE_ATOMIC => i.dst(),
            CLS_ALU | CLS_ALU64 if i.dst() != d && (i.opc & SRC_X == 0 || i.src() != d) => continue,
            _ => return None,
        };
        // (Where the ranges already bound the sum below 2^32 there is nothing to test.)
        return (base == d && !f.safe && f.zero_in & (1 << d) == 0).then_some(at);
    }
    None
}

/// How many slots on from its add [`carry_checked_access`] looks for the access.
const CARRY_CHECK_REACH: usize = 3;

/// Whether register `r` holds, on entering `pc`, a 64-bit value that is its low half
/// sign-extended, as the straight run of code before `pc` shows (no jump enters it):
/// the last write to `r` there is a sign-extending load or move, an arithmetic shift
/// right by 32 or more, or a 64-bit move of an immediate or of such a register. A
/// 64-bit multiply of two such values is one `smull`, which reads no high half
/// ([`crate::analysis`] knows: the sign extensions need not make them). Asked at
/// multiplies only.
pub fn sign_copy(insns: &[Insn], facts: &[Facts], pc: usize, r: u8) -> bool {
    let (mut at, mut r) = (pc, r);
    // A short look back: sign extensions stand just before their multiplies, and long
    // straight runs (a hash's unrolled rounds) must not make compiling quadratic.
    for _ in 0..SIGN_COPY_LOOKBACK {
        // A jump may enter here from where the run says nothing of.
        if at == 0 || facts.get(at).is_none_or(|f| f.is_head()) {
            return false;
        }
        at -= 1;
        // The second slot of an LDDW belongs to its first.
        if at > 0 && insns[at - 1].is_wide() && insns[at].opc == 0 {
            at -= 1;
        }
        let i = insns[at];
        match i.class() {
            CLS_ST | CLS_STX if i.opc & MODE_MASK != MODE_ATOMIC => continue,
            CLS_JMP | CLS_JMP32 if !matches!(i.opc & OP_MASK, CALL | EXIT) => continue,
            CLS_ALU | CLS_ALU64 | CLS_LD | CLS_LDX if i.dst() != r => continue,
            // Calls, exits and atomics may write anything; or `r` was written here.
            _ => {}
        }
        return match i.opc {
            MOV64_IMM => true,
            MOV64_REG if i.off == 0 => {
                r = i.src();
                continue;
            }
            MOV64_REG => true,
            ARSH64_IMM => (32..64).contains(&(i.imm & 63)),
            _ => i.class() == CLS_LDX && i.opc & MODE_MASK == MODE_MEMSX && i.opc & SZ_MASK != SZ_DW,
        };
    }
    false
}

/// Whether the 64-bit multiply at `pc` takes two sign copies ([`sign_copy`]; an
/// immediate is one): one `smull` of the low halves, reading no high half. The
/// lowering and the liveness analysis both ask this, so they agree on what it reads.
pub fn smull_operands(insns: &[Insn], facts: &[Facts], pc: usize) -> bool {
    let i = insns[pc];
    // (The source first: most often a constant just loaded, so the look-back stops at once.)
    (i.opc & SRC_X == 0 || sign_copy(insns, facts, pc, i.src())) && sign_copy(insns, facts, pc, i.dst())
}

/// How many instructions [`sign_copy`] looks back.
const SIGN_COPY_LOOKBACK: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, Sizes};

    /// `sign_copy` for `r` at the first `mul` of `src`.
    fn at_mul(src: &str, r: u8) -> bool {
        let insns = vm::asm::assemble(src).unwrap();
        let pc = insns.iter().position(|i| i.opc & !SRC_X == CLS_ALU64 | OP_MUL).unwrap();
        sign_copy(&insns, &analyse(&insns, Sizes::default()).unwrap().facts, pc, r)
    }

    #[test]
    fn sign_copies_are_recognized_where_the_run_shows_them() {
        // Made by a move of an immediate, an arithmetic shift by 32 or more, movsx, a
        // sign-extending load; passed on by 64-bit copies; kept across stores and jumps out.
        assert!(at_mul("mov %r1, -5\nmul %r1, 3\nexit", 1));
        assert!(at_mul("lddw %r1, 0x123456789\nlsh %r1, 40\narsh %r1, 40\nmul %r1, 3\nexit", 1));
        assert!(at_mul("arsh %r1, 32\nmov %r2, %r1\nstxdw [%r10-8], %r2\njeq %r3, 0, +1\nmul %r2, 3\nexit", 2));
        assert!(at_mul("movsx1664 %r1, %r2\nmul %r1, 3\nexit", 1));
        assert!(at_mul("ldxsw %r1, [%r10-8]\nmul %r1, 3\nexit", 1));
    }

    #[test]
    fn anything_else_is_no_sign_copy() {
        // Too short a shift, a plain load, a 32-bit result, an LDDW, a write since.
        assert!(!at_mul("arsh %r1, 31\nmul %r1, 3\nexit", 1));
        assert!(!at_mul("ldxw %r1, [%r10-8]\nmul %r1, 3\nexit", 1));
        assert!(!at_mul("mov32 %r1, -5\nmul %r1, 3\nexit", 1));
        assert!(!at_mul("lddw %r1, -5\nmul %r1, 3\nexit", 1));
        assert!(!at_mul("mov %r1, -5\nadd %r1, 1\nmul %r1, 3\nexit", 1));
        // Nothing known at the entry, after a call, or where a jump may come in.
        assert!(!at_mul("mul %r1, 3\nexit", 1));
        assert!(!at_mul("mov %r1, -5\ncall 1\nmul %r1, 3\nexit", 1));
        assert!(!at_mul("mov %r1, -5\njeq %r2, 0, +1\nmov %r1, -6\nmul %r1, 3\nexit", 1));
        assert!(!at_mul("mov %r1, -5\nmov %r2, %r3\nmul %r2, 3\nexit", 2));
    }
}
