//! Whole-program facts the lowering uses to keep 64-bit semantics cheap on a 32-bit core.
//!
//! - **Known-zero high halves** (forward): before each instruction, the eBPF registers whose
//!   upper 32 bits are certainly 0 (ALU32 results, narrow loads, addresses, small
//!   constants...). Code reading such a half uses the constant 0 and never touches storage.
//! - **Needed high halves** (backward): after each instruction, the registers whose high
//!   half *storage* may still be read (by code at a point where the half is not known
//!   zero, or by the runtime). A write whose high half is known zero, or dead, stores
//!   nothing when the half is not needed afterwards.
//! - **Region hints** (forward): which memory region a register probably points into, so
//!   that an access checks the likely region first. Hints never affect correctness.
//! - **Loop weights**: how hot each instruction is, for the register allocator.
//!
//! Soundness rule shared with the lowering: the lowering reads the high-half storage of
//! register `k` at `pc` only if `k` is in [`hi_reads`] of the instruction and not in
//! `zero_in[pc]`; it skips writing a high half only if `k` is not in `need_out[pc]`.
use alloc::vec;
use alloc::vec::Vec;

use vm::opcode::*;
use vm::Insn;

/// A set of eBPF registers r0-r10, bit n for rn.
pub type RegSet = u16;
pub const ALL: RegSet = (1 << 11) - 1;
const ARGS: RegSet = 0b11_1110; // r1-r5
const CALLEE_SAVED: RegSet = 0b111_1100_0000; // r6-r10

fn bit(r: u8) -> RegSet {
    1 << (r & 15)
}

/// The memory region a register is expected to point into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Hint {
    Unknown = 0,
    Input = 1,
    Rodata = 2,
    Data = 3,
    Stack = 4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fwd {
    zero: RegSet,
    hint: [Hint; 11],
}

impl Fwd {
    fn meet(&mut self, o: &Fwd) -> bool {
        let before = *self;
        self.zero &= o.zero;
        for (a, b) in self.hint.iter_mut().zip(o.hint.iter()) {
            if a != b {
                *a = Hint::Unknown;
            }
        }
        *self != before
    }
}

/// The results, one entry per instruction slot.
pub struct Analysis {
    pub zero_in: Vec<RegSet>,
    pub need_out: Vec<RegSet>,
    /// The hint of the base register of a memory access (Unknown elsewhere).
    pub access_hint: Vec<Hint>,
    /// 8^loop depth (capped), for allocation weights.
    pub weight: Vec<u32>,
    /// Instructions reachable from the entry or a call target.
    pub reachable: Vec<bool>,
    pub has_local_calls: bool,
}

/// Where control goes after `pc` (not counting the callee of a local call).
pub fn successors(insns: &[Insn], pc: usize) -> ([usize; 2], usize) {
    let i = insns[pc];
    let next = pc + if vm::verifier::is_wide(i.opc) { 2 } else { 1 };
    let cls = i.class();
    if cls != CLS_JMP && cls != CLS_JMP32 {
        return ([next, 0], 1);
    }
    let op = i.opc & OP_MASK;
    match op {
        EXIT => ([0, 0], 0),
        CALL => ([next, 0], 1),
        JA => match jump_target(pc, i) {
            Some(t) => ([t, 0], 1),
            None => ([0, 0], 0),
        },
        _ => match jump_target(pc, i) {
            Some(t) => ([next, t], 2),
            None => ([next, 0], 1),
        },
    }
}

/// The target of a jump or local call at `pc`.
pub fn jump_target(pc: usize, i: Insn) -> Option<usize> {
    let op = i.opc & OP_MASK;
    let is32 = i.class() == CLS_JMP32;
    // ja32 and local calls carry their offset in imm; the rest in off.
    let rel = if (is32 && op == JA) || (op == CALL && !is32) { i.imm as i64 } else { i.off as i64 };
    usize::try_from(pc as i64 + 1 + rel).ok()
}

pub fn is_local_call(i: Insn) -> bool {
    i.opc == CALL_IMM && i.src() == CALL_LOCAL
}

/// Registers whose high half the lowering may read at this instruction (before masking
/// with the known-zero set).
pub fn hi_reads(i: Insn, has_local_calls: bool) -> RegSet {
    let (d, s) = (bit(i.dst()), bit(i.src()));
    let x = i.opc & SRC_X != 0;
    let op = i.opc & OP_MASK;
    match i.class() {
        CLS_ALU64 => match op {
            OP_MOV => if x { s } else { 0 },
            _ => d | if x { s } else { 0 },
        },
        CLS_ALU => if op == OP_END && i.imm == 64 { d } else { 0 },
        CLS_JMP => match op {
            JA => 0,
            EXIT => if has_local_calls { ALL } else { bit(0) },
            CALL if is_local_call(i) => ALL,
            CALL => ARGS | if x { d } else { 0 },
            _ => d | if x { s } else { 0 },
        },
        CLS_JMP32 => 0,
        CLS_LDX => s,
        CLS_ST => d,
        CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => d | s | bit(0),
        CLS_STX => d | if i.opc & SZ_MASK == SZ_DW { s } else { 0 },
        _ => 0,
    }
}

/// Registers whose whole value the instruction defines (both halves, in storage or as a
/// known constant).
fn defs(i: Insn) -> RegSet {
    match i.class() {
        CLS_ALU | CLS_ALU64 | CLS_LDX | CLS_LD => bit(i.dst()),
        CLS_JMP if i.opc & OP_MASK == CALL && !is_local_call(i) => bit(0),
        _ => 0,
    }
}

/// The known-zero and hint effect of a non-control instruction.
fn transfer(i: Insn, hi_imm: i32, s: &mut Fwd) {
    let d = i.dst() as usize;
    let db = bit(i.dst());
    let src_zero = s.zero & bit(i.src()) != 0;
    let dst_zero = s.zero & db != 0;
    let x = i.opc & SRC_X != 0;
    let op = i.opc & OP_MASK;
    let (zero, hint) = match i.class() {
        CLS_ALU => (!(op == OP_END && i.imm == 64), Hint::Unknown),
        CLS_ALU64 => {
            let imm_pos = i.imm >= 0;
            let z = match op {
                OP_MOV if i.off == 0 => if x { src_zero } else { imm_pos },
                OP_AND => if x { src_zero || dst_zero } else { imm_pos || dst_zero },
                OP_OR | OP_XOR => dst_zero && if x { src_zero } else { imm_pos },
                OP_RSH => if x { dst_zero } else { dst_zero || (i.imm & 63) >= 32 },
                OP_ARSH => dst_zero && !x,
                // Unsigned: the result is at most the dividend, or below a positive
                // divisor constant.
                OP_DIV if i.off == 0 => dst_zero,
                OP_MOD if i.off == 0 => dst_zero || (!x && i.imm > 0),
                _ => false,
            };
            let h = match op {
                OP_MOV if x && i.off == 0 => s.hint[i.src() as usize % 11],
                OP_ADD | OP_SUB if s.hint[d % 11] != Hint::Unknown => s.hint[d % 11],
                OP_ADD if x => s.hint[i.src() as usize % 11],
                _ => Hint::Unknown,
            };
            (z, h)
        }
        CLS_LDX => (i.opc & MODE_MASK == MODE_MEM && i.opc & SZ_MASK != SZ_DW, Hint::Unknown),
        CLS_LD => match i.opc {
            LDDWD => (true, Hint::Data),
            LDDWR => (true, Hint::Rodata),
            _ => (hi_imm == 0, Hint::Unknown),
        },
        CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => {
            // Fetching atomics write src (or r0 for cmpxchg).
            s.zero &= !(bit(i.src()) | bit(0));
            s.hint[i.src() as usize % 11] = Hint::Unknown;
            s.hint[0] = Hint::Unknown;
            return;
        }
        _ => return,
    };
    if d < 11 {
        s.zero = if zero { s.zero | db } else { s.zero & !db };
        s.hint[d] = hint;
    }
}

pub fn analyse(insns: &[Insn]) -> Analysis {
    let n = insns.len();
    let has_local_calls = insns.iter().any(|&i| is_local_call(i));
    let wide_hi = |pc: usize| insns.get(pc + 1).map(|i| i.imm).unwrap_or(0);

    // Forward: known-zero high halves and hints.
    let entry = Fwd {
        // The runtime starts every register below 2^32: 0, the input address and
        // length, the stack top.
        zero: ALL,
        hint: {
            let mut h = [Hint::Unknown; 11];
            h[1] = Hint::Input;
            h[10] = Hint::Stack;
            h
        },
    };
    let mut state: Vec<Option<Fwd>> = vec![None; n];
    let mut work: Vec<usize> = Vec::new();
    let flow = |state: &mut Vec<Option<Fwd>>, work: &mut Vec<usize>, to: usize, s: &Fwd| {
        if to >= n {
            return;
        }
        let changed = match &mut state[to] {
            Some(cur) => cur.meet(s),
            slot @ None => {
                *slot = Some(*s);
                true
            }
        };
        if changed {
            work.push(to);
        }
    };
    if n > 0 {
        flow(&mut state, &mut work, 0, &entry);
    }
    while let Some(pc) = work.pop() {
        let Some(mut s) = state[pc] else { continue };
        let i = insns[pc];
        if is_local_call(i) {
            if let Some(t) = jump_target(pc, i) {
                // The callee sees the caller's pointers (hints), but nothing is assumed of
                // its high halves but r10's.
                let callee = Fwd { zero: bit(10), hint: s.hint };
                flow(&mut state, &mut work, t, &callee);
            }
            // After the return r0-r5 are whatever the callee left; r6-r10 are restored.
            s.zero &= CALLEE_SAVED;
            for h in &mut s.hint[..6] {
                *h = Hint::Unknown;
            }
        } else if i.class() == CLS_JMP && i.opc & OP_MASK == CALL {
            s.zero &= !bit(0);
            s.hint[0] = Hint::Unknown;
        } else {
            transfer(i, wide_hi(pc), &mut s);
        }
        s.zero |= bit(10); // r10 is read-only and always a 32-bit address
        let (succ, k) = successors(insns, pc);
        for &t in &succ[..k] {
            flow(&mut state, &mut work, t, &s);
        }
    }
    let reachable: Vec<bool> = state.iter().map(|s| s.is_some()).collect();
    let zero_in: Vec<RegSet> = state.iter().map(|s| s.map(|s| s.zero).unwrap_or(ALL)).collect();
    let access_hint: Vec<Hint> = (0..n)
        .map(|pc| {
            let i = insns[pc];
            let base = match i.class() {
                CLS_LDX => i.src(),
                CLS_ST | CLS_STX => i.dst(),
                _ => return Hint::Unknown,
            };
            state[pc].map(|s| s.hint[base as usize % 11]).unwrap_or(Hint::Unknown)
        })
        .collect();

    // Backward: which high halves' storage may be read later.
    let mut need_in = vec![0 as RegSet; n];
    let mut need_out = vec![0 as RegSet; n];
    let reads: Vec<RegSet> = (0..n).map(|pc| hi_reads(insns[pc], has_local_calls) & !zero_in[pc]).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            let (succ, k) = successors(insns, pc);
            let out = succ[..k].iter().filter(|&&t| t < n).fold(0, |m, &t| m | need_in[t]);
            let i = insns[pc];
            let inn = if is_local_call(i) { ALL } else { reads[pc] | (out & !defs(i)) };
            if out != need_out[pc] || inn != need_in[pc] {
                need_out[pc] = out;
                need_in[pc] = inn;
                changed = true;
            }
        }
    }

    // Loop depth from backward jumps: every slot between a target and its jump.
    let mut delta = vec![0i32; n + 1];
    for (pc, &i) in insns.iter().enumerate() {
        let cls = i.class();
        if (cls == CLS_JMP || cls == CLS_JMP32) && !matches!(i.opc & OP_MASK, CALL | EXIT) {
            if let Some(t) = jump_target(pc, i).filter(|&t| t <= pc) {
                delta[t] += 1;
                delta[pc + 1] -= 1;
            }
        }
    }
    let mut depth = 0;
    let weight = (0..n)
        .map(|pc| {
            depth += delta[pc];
            8u32.pow(depth.clamp(0, 3) as u32)
        })
        .collect();

    Analysis { zero_in, need_out, access_hint, weight, reachable, has_local_calls }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm::Program;

    fn analyse_src(src: &str) -> (Vec<Insn>, Analysis) {
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let a = analyse(p.insns());
        (p.insns().to_vec(), a)
    }

    #[test]
    fn alu32_results_and_narrow_loads_have_zero_high_halves() {
        let (_, a) = analyse_src("mov %r3, -1\nadd32 %r3, 1\nldxb %r4, [%r1+0]\nldxdw %r5, [%r1+0]\nexit");
        assert_eq!(a.zero_in[1] & bit(3), 0, "mov -1 sets the high half");
        assert_ne!(a.zero_in[2] & bit(3), 0, "add32 zero-extends");
        assert_ne!(a.zero_in[3] & bit(4), 0, "ldxb zero-extends");
        assert_eq!(a.zero_in[4] & bit(5), 0, "ldxdw may set the high half");
    }

    #[test]
    fn joins_keep_only_what_every_path_agrees_on() {
        // r2 is a 64-bit counter: known zero on entry, unknown around the loop.
        let (_, a) = analyse_src("mov %r2, 0\nl: add %r2, 1\njne %r2, 10, l\nmov %r0, %r2\nexit");
        assert_eq!(a.zero_in[1] & bit(2), 0);
        assert_eq!(a.weight[1], 8);
        assert_eq!(a.weight[3], 1);
        // The loop reads r2's high half (64-bit compare), so its writes must store it.
        assert_ne!(a.need_out[1] & bit(2), 0);
    }

    #[test]
    fn dead_high_halves_are_not_needed() {
        // r3's high half is never read as 64 bits: a 32-bit use only.
        let (_, a) = analyse_src("mov %r3, %r1\nadd %r3, 7\nmov32 %r0, %r3\nexit");
        assert_eq!(a.need_out[1] & bit(3), 0);
        // Exit reads r0, which is known zero there: not needed either.
        assert_eq!(a.need_out[2] & bit(0), 0);
    }

    #[test]
    fn calls_need_every_high_half_and_hints_follow_pointers() {
        let (_, a) = analyse_src("lddw %r1, 0\nmov %r2, %r10\nadd %r2, -8\nstxdw [%r2+0], %r1\ncall local f\nexit\nf: mov %r0, 1\nexit");
        assert_eq!(a.access_hint[4], Hint::Stack);
        assert_eq!(a.need_out[3], ALL, "before a local call");
        assert_eq!(a.zero_in[7] & bit(1), 0, "nothing is assumed in a callee");
    }
}
