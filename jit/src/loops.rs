//! Counted loops whose backward jumps the entry pays for at once.
//!
//! The budget counts backward jumps: a loop ticks it once per iteration. For a loop
//! that counts a register up by one to a constant, the number of backward jumps it
//! will take is known when it is entered, so the entry can subtract them all and the
//! latch can drop its tick (two instructions an iteration on a tight loop).
//!
//! That is exact only where stopping at the entry cannot be told apart from stopping
//! inside the loop: when the budget does not cover the loop, the interpreter-equivalent
//! run stops at some iteration with the budget failure; the prepaid one stops at the
//! entry with the same failure. So the body must have no effect anyone sees after a
//! failure and no other way out: straight-line code of ALU instructions, constant
//! loads and loads the analysis proved inside their region (no stores, no calls, no
//! faults, no other exits), entered only at its head.
use vm::opcode::*;
use vm::Insn;

use crate::analysis::Analysis;

/// `head: body...; latch: jeq counter, limit, +1; ja head` with `counter += 1` the
/// body's only write to `counter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepaid {
    pub head: usize,
    /// The `jeq`; the `ja` follows it.
    pub latch: usize,
    pub counter: u8,
    /// The compared constant (as the low 32 bits it is compared with).
    pub limit: u32,
    /// The loop ends only if the counter enters below the limit (a 64-bit counter
    /// counted past it runs through 2^64, longer than any budget).
    pub enters_below: bool,
}

impl Prepaid {
    /// Backward jumps the loop takes for a counter entering at `v`: the ones until
    /// `v + n + 1 == limit` in 32 bits (with `enters_below`, `v < limit` is checked
    /// first).
    pub fn backward_jumps(&self, v: u32) -> u32 {
        self.limit.wrapping_sub(1).wrapping_sub(v)
    }
}

const ADD_K: u8 = OP_ADD; // class | OP_ADD | SRC_K

/// At most this many loops are prepaid per program (the rest tick): a fixed table, as
/// an allocation would cost more than the search on the device.
pub const MAX_PREPAID: usize = 8;

/// The prepaid loops of a program, by head (their bodies are straight lines, so they
/// do not nest: latches and heads come in the same order).
#[derive(Debug, Clone, Copy, Default)]
pub struct PrepaidLoops {
    loops: [Option<Prepaid>; MAX_PREPAID],
}

impl PrepaidLoops {
    pub fn iter(&self) -> impl Iterator<Item = Prepaid> + '_ {
        self.loops.iter().map_while(|p| *p)
    }

    pub fn with_head(&self, pc: usize) -> Option<Prepaid> {
        self.iter().find(|p| p.head == pc)
    }

    pub fn with_latch(&self, pc: usize) -> Option<Prepaid> {
        self.iter().find(|p| p.latch == pc)
    }
}

pub fn prepaid_loops(insns: &[Insn], an: &Analysis) -> PrepaidLoops {
    let mut out = PrepaidLoops::default();
    let mut slots = out.loops.iter_mut();
    for latch in 0..insns.len().saturating_sub(1) {
        let (jeq, ja) = (insns[latch], insns[latch + 1]);
        // The cheap test first: this runs on the device, per compile.
        if ja.opc != JA64 || !matches!(jeq.opc, JEQ_IMM | JEQ32_IMM) || jeq.off != 1 {
            continue;
        }
        if let Some(p) = prepaid_at_latch(insns, an, latch) {
            match slots.next() {
                Some(slot) => *slot = Some(p),
                None => break,
            }
        }
    }
    out
}

fn prepaid_at_latch(insns: &[Insn], an: &Analysis, latch: usize) -> Option<Prepaid> {
    let (jeq, ja) = (insns[latch], insns[latch + 1]);
    let is32 = jeq.class() == CLS_JMP32;
    if !an.facts[latch].reachable {
        return None;
    }
    let head = ja.jump_target(latch + 1).filter(|&h| h < latch)?;
    // Entered only at the head, and the head only from the slot before and the latch.
    if (head + 1..=latch + 1).any(|pc| an.facts[pc].is_head()) {
        return None;
    }
    if head > 0 && !reaches_next(insns, head - 1) {
        return None;
    }
    // The latch's `ja` is the one jump in.
    if an.facts[head].jumps_in != 1 {
        return None;
    }
    let counter = jeq.dst();
    let mut increment = None;
    let mut pc = head;
    while pc < latch {
        let i = insns[pc];
        let cls = i.class();
        let ok = match cls {
            CLS_ALU | CLS_ALU64 => true,
            CLS_LD => matches!(i.opc, LDDW | LDDWD | LDDWR),
            CLS_LDX => an.facts[pc].safe,
            _ => false,
        };
        if !ok {
            return None;
        }
        if i.dst() == counter {
            let is_increment = matches!(cls, CLS_ALU | CLS_ALU64) && i.opc & !0x07 == ADD_K && i.imm == 1;
            if !is_increment || increment.replace(cls).is_some() {
                return None;
            }
        }
        pc = i.next_pc(pc);
    }
    let increment = increment?;
    let limit = jeq.imm;
    let enters_below = match (is32, increment) {
        // The low 32 bits count on, whatever the increment's width.
        (true, _) => false,
        // A zero-extended counter never equals a negative limit.
        (false, CLS_ALU) if limit < 0 => return None,
        (false, CLS_ALU) => false,
        // A 64-bit counter below 2^32 at the head reaches a non-negative limit.
        (false, _) if limit < 0 || an.facts[head].zero_in & (1 << counter) == 0 => return None,
        (false, _) => true,
    };
    Some(Prepaid { head, latch, counter, limit: limit as u32, enters_below })
}

/// Control may go on from `pc` to the next slot.
fn reaches_next(insns: &[Insn], pc: usize) -> bool {
    // The second slot of an LDDW: the LDDW falls through.
    (pc > 0 && insns[pc - 1].is_wide()) || insns[pc].falls_through()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, Sizes};
    use alloc::format;
    use vm::Program;

    fn loops_of(src: &str) -> alloc::vec::Vec<Prepaid> {
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        prepaid_loops(p.insns(), &analyse(p.insns(), Sizes::default()).unwrap()).iter().collect()
    }

    /// Fletcher-16's shape: a 64-bit counter from 0, a proven stack load, ALU work.
    const COUNTED: &str = "mov %r2, 0\nmov %r0, 0\nstxdw [%r10-8], %r0\n\
                           l: ldxb %r3, [%r10-8]\nadd32 %r0, %r3\nmod32 %r0, 255\nadd %r2, 1\njeq %r2, 2560, +1\nja l\nexit";

    #[test]
    fn a_counted_loop_with_no_visible_effects_is_prepaid() {
        let found = loops_of(COUNTED);
        assert_eq!(found, [Prepaid { head: 3, latch: 7, counter: 2, limit: 2560, enters_below: true }]);
        assert_eq!(found[0].backward_jumps(0), 2559);
        // 32-bit counters wrap: from 0xffff_fff0 to 5 takes 20 increments.
        let wrap = loops_of("mov32 %r2, -16\nl: add32 %r2, 1\njeq32 %r2, 5, +1\nja l\nexit");
        assert_eq!(wrap.len(), 1);
        assert!(!wrap[0].enters_below);
        assert_eq!(wrap[0].backward_jumps(0xffff_fff0), 20);
    }

    #[test]
    fn loops_whose_early_stop_could_be_seen_are_not_prepaid() {
        let cases = [
            ("a store", "l: ldxb %r3, [%r10-8]\nstxb [%r10-8], %r3"),
            ("a helper call", "l: call 1"),
            ("a local call", "l: call local f"),
            ("an exit", "l: jeq %r3, 7, +1\nexit"),
            ("a load that may fault", "l: ldxb %r3, [%r1+0]"),
            ("a second write to the counter", "l: mov %r2, %r3"),
            ("a step other than +1", "l: add %r2, 2"),
        ];
        for (what, body) in cases {
            let src =
                format!("mov %r2, 0\nstdw [%r10-8], 0\n{body}\nadd %r2, 1\njeq %r2, 100, +1\nja l\nexit\nf: exit");
            assert_eq!(loops_of(&src), [], "{what}");
        }
        // A second way into the head, or into the body.
        assert_eq!(loops_of("mov %r2, 0\njeq %r1, 0, l\nl: add %r2, 1\njeq %r2, 9, +1\nja l\nexit"), []);
        assert_eq!(loops_of("mov %r2, 0\njeq %r1, 0, m\nl: add %r0, 1\nm: add %r2, 1\njeq %r2, 9, +1\nja l\nexit"), []);
        // A 64-bit counter compared with a negative limit, or not known below 2^32.
        assert_eq!(loops_of("mov %r2, 0\nl: add %r2, 1\njeq %r2, -1, +1\nja l\nexit"), []);
        assert_eq!(loops_of("ldxdw %r2, [%r1+0]\nl: add %r2, 1\njeq %r2, 9, +1\nja l\nexit"), []);
    }
}
