//! The backward analysis: after each instruction, which registers' high-half storage
//! may still be read, and which low halves are live.
use vm::opcode::*;
use vm::Insn;

use super::{bit, Facts, RegSet, ALL};

/// The registers a callee hands back to its caller: r0-r5.
const RETURNED: RegSet = 0b11_1111;

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
            // A callee's exit returns r0-r5 to its caller as they are (r6-r9 come back
            // from the frame the runtime saved at the call).
            EXIT => {
                if has_local_calls {
                    RETURNED
                } else {
                    bit(0)
                }
            }
            // What the callee reads flows back along the call's edge into it.
            CALL if i.is_local_call() => 0,
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
#[inline(never)]
pub(super) fn needs(insns: &[Insn], facts: &mut [Facts], has_local_calls: bool) -> (RegSet, RegSet) {
    let n = insns.len();
    // Backward: which high halves' storage may be read later, which low halves are
    // live. The per-slot sets are computed once; the sweep below is bit operations.
    for pc in 0..n {
        let i = insns[pc];
        // Successors first, `u32::MAX` for none (or one past the program). A local
        // call's are the slot after it and its callee.
        let slot = |t: Option<usize>| t.filter(|&t| t < n).map_or(u32::MAX, |t| t as u32);
        let target = slot(i.jump_target(pc));
        // A slot jumped or called to from here or later keeps the last such slot (the
        // slots come in order) in `grown`, the range analysis' and done with.
        if target as usize <= pc {
            facts[target as usize].grown = pc as u32;
        }
        let f = &mut facts[pc];
        f.succ = if i.falls_through() { [slot(Some(i.next_pc(pc))), target] } else { [target, u32::MAX] };
        // After an exit that may return from a call, the caller reads r0-r5's high
        // halves from storage, as the callee's state leaves them: a known-zero half is
        // stored there too.
        let returns = has_local_calls && i.opc == EXIT_OP;
        f.rd_hi = hi_reads(i, has_local_calls) & if returns { ALL } else { !f.zero_in };
        f.rd_lo = lo_reads(i, has_local_calls);
        f.defs = if i.is_local_call() { 0 } else { defs(i) };
    }

    // A 64-bit multiply of two sign copies is one `smull` of the low halves: the sign
    // extensions before it need not make high halves for it.
    for pc in 0..n {
        if insns[pc].opc & !SRC_X == CLS_ALU64 | OP_MUL && crate::patterns::smull_operands(insns, facts, pc) {
            facts[pc].rd_hi = 0;
        }
    }
    // Backward in one sweep, each loop swept again from its last latch when its head
    // changed (what its latches see of it is older), until it does not: inside out,
    // and the code outside loops once.
    let mut pc = n;
    while pc > 0 {
        pc -= 1;
        let [t0, t1] = facts[pc].succ;
        // After a local call r0-r5 are what the callee left: their needs there are
        // the callee's exits' (RETURNED), not the call's.
        let returned = if has_local_calls && insns[pc].is_local_call() { RETURNED } else { 0 };
        let (mut out, mut live_out) = (0, 0);
        for (t, kill) in [(t0, returned), (t1, 0)] {
            if let Some(f) = facts.get(t as usize) {
                out |= f.need_in & !kill;
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
            if f.back_target {
                pc = (f.grown as usize).min(n - 1) + 1;
            }
        }
    }

    let (entry_lo, entry_hi) = facts.first().map(|f| (f.live_in, f.need_in)).unwrap_or((0, 0));
    (entry_lo, entry_hi)
}
