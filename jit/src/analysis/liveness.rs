//! The backward analysis: after each instruction, which registers' high-half storage
//! may still be read, and which low halves are live.
use vm::opcode::*;
use vm::Insn;

use super::{bit, Facts, RegSet, ALL};

/// Registers whose high half the lowering may read at this instruction (before masking
/// with the known-zero set).
pub fn hi_reads(i: Insn, has_local_calls: bool) -> RegSet {
    let (d, s) = (bit(i.dst()), bit(i.src()));
    let x = i.opc & SRC_X != 0;
    let op = i.opc & OP_MASK;
    match i.class() {
        CLS_ALU64 => match op {
            OP_MOV => {
                if x {
                    s
                } else {
                    0
                }
            }
            _ => d | if x { s } else { 0 },
        },
        CLS_ALU if op == OP_END && i.imm == 64 => d,
        CLS_ALU => 0,
        CLS_JMP => match op {
            JA => 0,
            EXIT => {
                if has_local_calls {
                    ALL
                } else {
                    bit(0)
                }
            }
            CALL if i.is_local_call() => ALL,
            CALL => 0b11_1110 | if x { d } else { 0 },
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

/// Registers whose low half the code (or the runtime it calls) may read.
fn lo_reads(i: Insn, has_local_calls: bool) -> RegSet {
    let (d, s) = (bit(i.dst()), bit(i.src()));
    let xs = if i.opc & SRC_X != 0 { s } else { 0 };
    let op = i.opc & OP_MASK;
    match i.class() {
        CLS_ALU | CLS_ALU64 if op == OP_MOV => xs,
        CLS_ALU | CLS_ALU64 => d | xs,
        CLS_LDX => s,
        CLS_ST => d,
        CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => d | s | bit(0),
        CLS_STX => d | s,
        CLS_JMP | CLS_JMP32 => match op {
            JA => 0,
            EXIT => {
                if has_local_calls {
                    ALL
                } else {
                    bit(0)
                }
            }
            CALL if i.is_local_call() => ALL,
            CALL => 0b11_1110 | if i.opc & SRC_X != 0 { d } else { 0 },
            _ => d | xs,
        },
        _ => 0,
    }
}

/// Registers whose whole value the instruction defines.
fn defs(i: Insn) -> RegSet {
    match i.class() {
        CLS_ALU | CLS_ALU64 | CLS_LDX | CLS_LD => bit(i.dst()),
        CLS_JMP if i.opc & OP_MASK == CALL && !i.is_local_call() => bit(0),
        _ => 0,
    }
}

/// Needed high halves and live low halves, to a fixpoint; returns those of the entry.
#[inline(always)]
pub(super) fn needs(insns: &[Insn], facts: &mut [Facts], has_local_calls: bool) -> (RegSet, RegSet) {
    let n = insns.len();
    // Backward: which high halves' storage may be read later, which low halves are
    // live. The per-slot sets are computed once; the passes are bit operations.
    for (pc, f) in facts.iter_mut().enumerate() {
        let i = insns[pc];
        // Successors first, `u32::MAX` for none (or one past the program).
        let slot = |t: Option<usize>| t.filter(|&t| t < n).map_or(u32::MAX, |t| t as u32);
        f.succ = match i.successors(pc) {
            [Some(next), target] => [slot(Some(next)), slot(target)],
            [None, target] => [slot(target), u32::MAX],
        };
        // A local call's callee and, after an exit that may return from one, its caller
        // read the high halves from storage: no known-zero half is left unstored there.
        let leaves_frame = i.is_local_call() || (has_local_calls && i.opc == EXIT_OP);
        f.rd_hi = if leaves_frame { ALL } else { hi_reads(i, has_local_calls) & !f.zero_in };
        f.rd_lo = lo_reads(i, has_local_calls);
        f.defs = if i.is_local_call() { 0 } else { defs(i) };
    }
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            let [t0, t1] = facts[pc].succ;
            let (mut out, mut live_out) = (0, 0);
            for t in [t0, t1] {
                if let Some(f) = facts.get(t as usize) {
                    out |= f.need_in;
                    live_out |= f.live_in;
                }
            }
            let f = &mut facts[pc];
            let inn = f.rd_hi | (out & !f.defs);
            let live = f.rd_lo | (live_out & !f.defs);
            if out != f.need_out || inn != f.need_in || live != f.live_in {
                f.need_out = out;
                f.need_in = inn;
                f.live_in = live;
                // Slots before this one see the change later in this pass; a jump
                // back to it only in the next.
                changed |= f.back_target;
            }
        }
    }

    let (entry_lo, entry_hi) = facts.first().map(|f| (f.live_in, f.need_in)).unwrap_or((0, 0));
    (entry_lo, entry_hi)
}
