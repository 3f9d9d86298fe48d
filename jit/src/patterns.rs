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

// ---- values assembled from narrow loads ----

/// Byte lanes of a 64-bit value, one byte each, lowest first: 0 (a zero byte), [`ANY`]
/// or `1 + BACK + k` for the loaded byte at offset `k` from the run's first load
/// (loads reach `|k| <= BACK - 8`, so that a word's lanes stay codes). One machine word: shifts by bytes are shifts, moves are copies.
type Lanes = u64;
const ANY: u8 = 0xff;
const BACK: i32 = 120;
/// A value nothing is known of.
const UNKNOWN: Lanes = u64::MAX;

/// At most this many slots are followed from a run's first load.
const MAX_RUN: usize = 64;

/// What a register holds after a run: `len` bytes from `off` (from the first load's
/// offset), in order or reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole {
    pub off: i32,
    pub len: u8,
    pub reversed: bool,
}

/// A run's prefix that can be taken: its last slot, the registers read after it, their
/// values and their last definitions (where each value is loaded).
#[derive(Debug, Clone)]
pub struct Assembled {
    pub end: usize,
    pub outputs: u16,
    pub values: [Option<Whole>; 11],
    pub last_def: [usize; 11],
}

fn whole(v: Lanes) -> Option<Whole> {
    let lane = |k: usize| (v >> (8 * k)) as u8;
    let len = (0..8).find(|&k| lane(k) == 0).unwrap_or(8);
    if !matches!(len, 1 | 2 | 4 | 8) || (len < 8 && v >> (8 * len) != 0) || (0..len).any(|k| lane(k) == ANY) {
        return None;
    }
    let run = |step: i32| (0..len).all(|k| lane(k) as i32 == lane(0) as i32 + step * k as i32);
    let off = |k: usize| lane(k) as i32 - 1 - BACK;
    if run(1) {
        Some(Whole { off: off(0), len: len as u8, reversed: false })
    } else if run(-1) {
        Some(Whole { off: off(len - 1), len: len as u8, reversed: true })
    } else {
        None
    }
}

/// Lanes 4-7 cleared for a 32-bit operation.
fn narrowed(v: Lanes, alu32: bool) -> Lanes {
    if alu32 {
        v & 0xffff_ffff
    } else {
        v
    }
}

/// `a | b`: unknown wherever one byte meets another.
fn or(a: Lanes, b: Lanes) -> Lanes {
    if (0..8).any(|k| (a >> (8 * k)) as u8 != 0 && (b >> (8 * k)) as u8 != 0) {
        UNKNOWN
    } else {
        a | b
    }
}

/// The run of narrow loads, byte shifts, ORs and moves starting at the load at `at`
/// whose longest prefix assembles whole values ([`crate::lower`]'s `combine`: one load
/// each), or where to look for the next run (`Err`). The lowering compiles it; the
/// register allocator gives the values the run passes through on the way no register.
pub fn assembled_loads(insns: &[Insn], an: &Analysis, at: usize) -> Result<Assembled, usize> {
    let first = insns[at];
    let base = first.src();
    // First the run's extent, cheaply: most loads start none worth following.
    let (mut len, mut loads, mut ors) = (0, 0, 0);
    while let Some(&i) = insns.get(at + len).filter(|_| len < MAX_RUN) {
        if len > 0 && an.facts[at + len].is_head() {
            break;
        }
        match i.opc {
            LDXB | LDXH | LDXW => loads += (i.src() == base) as u32,
            OR64_REG | OR32_REG => ors += 1,
            LSH64_IMM | LSH32_IMM | MOV64_REG | MOV32_REG => {}
            _ => break,
        }
        len += 1;
    }
    if loads < 2 || ors == 0 {
        return Err(at + len);
    }
    let mut regs = [UNKNOWN; 11];
    let (mut written, mut last_def, mut ors) = (0u16, [0usize; 11], 0);
    // The longest prefix so far that can be taken.
    let mut take: Option<Assembled> = None;
    let mut pc = at;
    while pc < at + len {
        let i = insns[pc];
        let (d, s) = (i.dst() as usize % 11, i.src() as usize % 11);
        let alu32 = i.class() == CLS_ALU;
        let v = match i.opc {
            LDXB | LDXH | LDXW => {
                let k = i.off as i32 - first.off as i32;
                if i.src() != base || written & 1 << base != 0 || !an.facts[pc].safe || k.abs() > BACK - 8 {
                    break;
                }
                let bytes = match i.opc {
                    LDXB => 1,
                    LDXH => 2,
                    _ => 4,
                };
                (0..bytes).fold(0, |v, j| v | ((1 + BACK + k + j) as u64) << (8 * j))
            }
            LSH64_IMM | LSH32_IMM if i.imm % 8 == 0 && (0..64).contains(&i.imm) => narrowed(regs[d] << i.imm, alu32),
            OR64_REG | OR32_REG => {
                ors += 1;
                narrowed(or(regs[d], regs[s]), alu32)
            }
            MOV64_REG | MOV32_REG if i.off == 0 => narrowed(regs[s], alu32),
            _ => break,
        };
        regs[d] = v;
        written |= 1 << d;
        last_def[d] = pc;
        pc += 1;
        // Taken if something was assembled (loads and moves alone are left to the
        // other patterns), and every register written that is read on holds a
        // whole value, one of them wider than a load.
        if ors == 0 {
            continue;
        }
        let read_on = (an.live_lo_out(pc - 1) | an.facts[pc - 1].need_out) & written;
        let mut values = [None; 11];
        let mut wide = false;
        // (Up to the first register that holds no whole value: the prefix is not taken.)
        let all = crate::analysis::bits(read_on).all(|r| {
            values[r] = whole(regs[r]);
            wide |= values[r].is_some_and(|w| w.len > 1);
            values[r].is_some()
        });
        if all && wide {
            take = Some(Assembled { end: pc - 1, outputs: read_on, values, last_def });
        }
    }
    take.ok_or(pc)
}
