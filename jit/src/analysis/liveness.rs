//! The backward analysis: after each instruction, which registers' high-half storage
//! may still be read, and which low halves are live.
use alloc::vec::Vec;

use vm::opcode::*;
use vm::Insn;

use super::{bit, Facts, RegSet, ALL};

/// The registers a callee hands back to its caller: r0-r5.
pub(super) const RETURNED: RegSet = 0b11_1111;

/// Registers whose high half the lowering may read at this instruction (before masking
/// with the known-zero set).
pub const fn hi_reads(i: Insn, has_local_calls: bool) -> RegSet {
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
            CALL => helper_reads(i),
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

/// What a helper call reads: its arguments, r1 up to their count
/// (`vm::helpers::helper_args`), and for `callx` the register holding the id (its
/// helper, not known here, may read all five).
pub(crate) const fn helper_reads(i: Insn) -> RegSet {
    if i.opc & SRC_X != 0 {
        0b11_1110 | bit(i.dst())
    } else {
        ((1 << (vm::helpers::helper_args(i.imm as u32) + 1)) - 2) as RegSet
    }
}

/// Registers whose low half the code (or the runtime it calls) may read.
const fn lo_reads(i: Insn, has_local_calls: bool) -> RegSet {
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
            CALL => helper_reads(i),
            _ => d | xs,
        },
        _ => 0,
    }
}

/// Registers whose whole value the instruction defines.
const fn defs(i: Insn) -> RegSet {
    match i.class() {
        CLS_ALU | CLS_ALU64 | CLS_LDX | CLS_LD => bit(i.dst()),
        CLS_JMP if i.opc & OP_MASK == CALL && !i.is_local_call() => bit(0),
        _ => 0,
    }
}

/// What an instruction reads and defines, by opcode, as flags over its register fields:
/// one load per slot instead of three matches. Opcodes whose sets depend on more than
/// that (calls, exits, 64-bit byte swaps, ...) are marked to take the matches.
mod shape {
    pub const LO_D: u8 = 1;
    pub const LO_S: u8 = 2;
    pub const HI_D: u8 = 4;
    pub const HI_S: u8 = 8;
    pub const DEF_D: u8 = 16;
    /// Reads r0's both halves (atomics).
    pub const R0: u8 = 32;
    pub const BY_MATCH: u8 = 128;
}

/// `(rd_lo, hi reads, defs)` of `i` from its opcode's flags.
const fn from_shape(flags: u8, i: Insn) -> (RegSet, RegSet, RegSet) {
    let (d, s) = (bit(i.dst()), bit(i.src()));
    (
        on(flags, shape::LO_D, d) | on(flags, shape::LO_S, s) | on(flags, shape::R0, 1),
        on(flags, shape::HI_D, d) | on(flags, shape::HI_S, s) | on(flags, shape::R0, 1),
        on(flags, shape::DEF_D, d),
    )
}

/// `r` if `flags` has `f`.
const fn on(flags: u8, f: u8, r: RegSet) -> RegSet {
    if flags & f != 0 {
        r
    } else {
        0
    }
}

/// `f` if `set` has any of `r`.
const fn flag(set: RegSet, r: RegSet, f: u8) -> u8 {
    if set & r != 0 {
        f
    } else {
        0
    }
}

const fn by_match(i: Insn, has_local_calls: bool) -> (RegSet, RegSet, RegSet) {
    let defs = if i.is_local_call() { 0 } else { defs(i) };
    (lo_reads(i, has_local_calls), hi_reads(i, has_local_calls), defs)
}

const fn same(a: (RegSet, RegSet, RegSet), b: (RegSet, RegSet, RegSet)) -> bool {
    a.0 == b.0 && a.1 == b.1 && a.2 == b.2
}

/// Each opcode's flags: read off one probe, kept only if they give what the matches
/// give on other register fields, offsets and immediates, with and without local calls.
const SHAPES: [u8; 256] = {
    let mut table = [shape::BY_MATCH; 256];
    let mut opc = 0;
    while opc < 256 {
        let probe = Insn::new(opc as u8, 1, 2, 0, 0);
        let (lo, hi, def) = by_match(probe, false);
        let flags = flag(lo, 2, shape::LO_D)
            | flag(lo, 4, shape::LO_S)
            | flag(hi, 2, shape::HI_D)
            | flag(hi, 4, shape::HI_S)
            | flag(def, 2, shape::DEF_D)
            | flag(lo & hi, 1, shape::R0);
        let others = [
            Insn::new(opc as u8, 1, 2, 0, 0),
            Insn::new(opc as u8, 3, 4, 8, 64),
            Insn::new(opc as u8, 5, 6, 1, 32),
            Insn::new(opc as u8, 7, 1, 16, 16),
            Insn::new(opc as u8, 0, 0, -1, -1),
            Insn::new(opc as u8, 10, 9, 32, 1),
        ];
        let mut fits = true;
        let mut k = 0;
        while k < others.len() {
            let i = others[k];
            fits &= same(from_shape(flags, i), by_match(i, false)) && same(from_shape(flags, i), by_match(i, true));
            k += 1;
        }
        if fits {
            table[opc] = flags;
        }
        opc += 1;
    }
    table
};

/// Needed high halves and live low halves, to a fixpoint; returns those of the entry.
/// With `seeds` ([`seeds`]: each loop head's sets, as the producer found them), one
/// sweep suffices where they hold; where one does not, the sweep is done as without.
#[inline(never)]
pub(super) fn needs(insns: &[Insn], facts: &mut [Facts], has_local_calls: bool, seeds: &[u8]) -> (RegSet, RegSet) {
    let n = insns.len();
    let mut loop_heads = 0;
    // Backward: which high halves' storage may be read later, which low halves are
    // live. The per-slot sets are computed once; the sweep below is bit operations.
    for pc in 0..n {
        let i = insns[pc];
        super::carry_check(insns, facts, pc);
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
        loop_heads += usize::from(f.back_target);
        f.succ = if i.falls_through() { [slot(Some(i.next_pc(pc))), target] } else { [target, u32::MAX] };
        // After an exit that may return from a call, the caller reads r0-r5's high
        // halves from storage, as the callee's state leaves them: a known-zero half is
        // stored there too.
        let returns = has_local_calls && i.opc == EXIT_OP;
        let flags = SHAPES[i.opc as usize];
        let (lo, hi, def) =
            if flags & shape::BY_MATCH != 0 { by_match(i, has_local_calls) } else { from_shape(flags, i) };
        f.rd_hi = hi & if returns { ALL } else { !f.zero_in };
        f.rd_lo = lo;
        f.defs = def;
        // What nothing after it needs: the sweep below changes a slot's sets only
        // where what comes after it does.
        (f.need_out, f.need_in, f.live_out, f.live_in) = (0, f.rd_hi, 0, lo);
    }

    // A 64-bit multiply of two sign copies is one `smull` of the low halves: the sign
    // extensions before it need not make high halves for it.
    for pc in 0..n {
        if insns[pc].opc & !SRC_X == CLS_ALU64 | OP_MUL && crate::patterns::smull_operands(insns, facts, pc) {
            (facts[pc].rd_hi, facts[pc].need_in) = (0, 0);
        }
    }
    let seeded = loop_heads > 0 && seeds.len() == SEED_BYTES * loop_heads;
    if seeded {
        let mut next = seeds.chunks_exact(SEED_BYTES);
        for f in facts.iter_mut().filter(|f| f.back_target) {
            if let Some(&[a, b, c, d]) = next.next() {
                (f.need_in, f.live_in) = (u16::from_le_bytes([a, b]), u16::from_le_bytes([c, d]));
            }
        }
    }
    if !(seeded && sweep(insns, facts, has_local_calls, true)) {
        if seeded {
            // A seed that does not hold: the starting sets again.
            for f in facts.iter_mut() {
                (f.need_out, f.need_in, f.live_out, f.live_in) = (0, f.rd_hi, 0, f.rd_lo);
            }
        }
        sweep(insns, facts, has_local_calls, false);
    }
    let (entry_lo, entry_hi) = facts.first().map(|f| (f.live_in, f.need_in)).unwrap_or((0, 0));
    (entry_lo, entry_hi)
}

/// Bytes per loop head in [`seeds`]: the needed high halves, the live low halves.
const SEED_BYTES: usize = 4;

/// Each loop head's (a backward jump's target's) sets, in slot order, as bytes to send
/// with the program ([`crate::hints`]).
pub(super) fn seeds(facts: &[Facts]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in facts.iter().filter(|f| f.back_target) {
        out.extend_from_slice(&f.need_in.to_le_bytes());
        out.extend_from_slice(&f.live_in.to_le_bytes());
    }
    out
}

/// Backward in one sweep. Unseeded, each loop is swept again from its last latch when
/// its head changed (what its latches see of it is older), until it does not: inside
/// out, and the code outside loops once. Seeded (the loop heads' sets in place), once:
/// false as soon as a head's sets are not what its seed says (every slot's sets then
/// solve the equations where all hold: a solution, as the sweep without seeds finds,
/// and the same one for the producer's own seeds).
fn sweep(insns: &[Insn], facts: &mut [Facts], has_local_calls: bool, seeded: bool) -> bool {
    let n = insns.len();
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
        if seeded || out != f.need_out || live_out != f.live_out {
            let (inn, live) = (f.rd_hi | (out & !f.defs), f.rd_lo | (live_out & !f.defs));
            let head_changed = f.back_target && (inn != f.need_in || live != f.live_in);
            if seeded && head_changed {
                return false;
            }
            (f.need_out, f.need_in, f.live_out, f.live_in) = (out, inn, live_out, live);
            if head_changed {
                pc = (f.grown as usize).min(n - 1) + 1;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives what the matches give, for every opcode, register fields,
    /// offset and immediate tried; and it covers the common opcodes.
    #[test]
    fn shapes_agree_with_the_matches() {
        let mut covered = 0;
        for opc in 0..=255u8 {
            let flags = SHAPES[opc as usize];
            covered += u32::from(flags & shape::BY_MATCH == 0);
            if flags & shape::BY_MATCH != 0 {
                continue;
            }
            for (d, s) in (0..16).flat_map(|d| (0..16).map(move |s| (d, s))) {
                for (off, imm) in [(0, 0), (1, 1), (8, 16), (16, 32), (32, 64), (-1, -1), (0, i32::MIN)] {
                    let i = Insn::new(opc, d, s, off, imm);
                    for calls in [false, true] {
                        assert_eq!(from_shape(flags, i), by_match(i, calls), "{i:?} with local calls {calls}");
                    }
                }
            }
        }
        // (Atomics: `STX | ATOMIC | W` and `| DW`, which read r0 too.)
        for opc in [ADD64_IMM, ADD64_REG, MOV32_REG, LDXW, STXDW, JEQ_IMM, JLT_REG, LDDW, MUL64_REG, 0xc3, 0xdb] {
            assert_eq!(SHAPES[opc as usize] & shape::BY_MATCH, 0, "{opc:#04x} takes the matches");
        }
        // (Calls, exits and byte swaps: `END` reads a high half only at 64 bits.)
        for opc in [CALL_IMM, EXIT_OP, 0xd4, 0xdc] {
            assert_ne!(SHAPES[opc as usize] & shape::BY_MATCH, 0, "{opc:#04x} is not by opcode");
        }
        assert!(covered > 150, "{covered} opcodes by the table");
    }
}
