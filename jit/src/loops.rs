//! Counted loops whose backward jumps the entry pays for at once.
//!
//! The budget counts backward jumps: a loop ticks it once per iteration. For a loop
//! that counts a register up by a constant step (1 or another power of two) to a
//! constant, the number of backward jumps it will take is known when it is entered,
//! so the entry can subtract them all and the latch can drop its tick (two
//! instructions an iteration on a tight loop).
//!
//! That is exact only where stopping at the entry cannot be told apart from stopping
//! inside the loop: when the budget does not cover the loop, the interpreter-equivalent
//! run stops at some iteration with the budget failure; the prepaid one stops at the
//! entry with the same failure. So the body must have no effect anyone sees after a
//! failure and no other way out: straight-line code of ALU instructions, constant
//! loads, loads the analysis proved inside their region and stores it proved inside
//! the current frame (which no one sees once the program has stopped); no other
//! stores, no calls, no faults, no other exits; entered only at its head.
use vm::opcode::*;
use vm::Insn;

use crate::analysis::{Analysis, Hint};

/// `head: body...; latch: jeq counter, limit, +1; ja head` (or `jne counter, limit,
/// head`) with `counter += step` the body's only write to `counter`.
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
    /// The counter's step is `1 << step_log2`.
    pub step_log2: u8,
}

impl Prepaid {
    /// Backward jumps the loop takes for a counter entering at `v`: the ones until
    /// `v + (n + 1) * step == limit` in 32 bits (with `enters_below`, `v < limit` is
    /// checked first); `None` when the counter steps past the limit (then it only stops
    /// after wrapping around, longer than any budget).
    /// The body is compiled twice ([`MAX_UNROLLED_BODY`]).
    pub fn unrolled(&self) -> bool {
        self.latch - self.head <= MAX_UNROLLED_BODY
    }

    pub fn backward_jumps(&self, v: u32) -> Option<u32> {
        let left = self.limit.wrapping_sub(1 << self.step_log2).wrapping_sub(v);
        (left & ((1 << self.step_log2) - 1) == 0).then_some(left >> self.step_log2)
    }
}

const ADD_K: u8 = OP_ADD; // class | OP_ADD | SRC_K

/// Loop bodies of at most this many slots are compiled twice, one latch for both:
/// half the compares and branches back, for a small body's worth of code.
pub const MAX_UNROLLED_BODY: usize = 16;

/// The largest step of a prepaid counter.
const MAX_STEP: i32 = 256;

/// At most this many loops are prepaid per program (the rest tick, from the last):
/// a fixed table, as an allocation would cost more than the search on the device.
pub const MAX_PREPAID: usize = 16;

/// The prepaid loops of a program, by head (their bodies are straight lines, so they
/// do not nest: latches and heads come in the same order).
#[derive(Debug, Clone, Copy)]
pub struct PrepaidLoops {
    loops: [Prepaid; MAX_PREPAID],
    n: usize,
}

impl Default for PrepaidLoops {
    fn default() -> Self {
        let none = Prepaid { head: 0, latch: 0, counter: 0, limit: 0, enters_below: false, step_log2: 0 };
        Self { loops: [none; MAX_PREPAID], n: 0 }
    }
}

impl PrepaidLoops {
    pub fn iter(&self) -> impl Iterator<Item = Prepaid> + '_ {
        self.loops[..self.n].iter().copied()
    }

    // Looked up by halves: these run for every slot.
    pub fn with_head(&self, pc: usize) -> Option<Prepaid> {
        let found = &self.loops[..self.n];
        found.binary_search_by_key(&pc, |p| p.head).ok().map(|k| found[k])
    }

    pub fn with_latch(&self, pc: usize) -> Option<Prepaid> {
        let found = &self.loops[..self.n];
        found.binary_search_by_key(&pc, |p| p.latch).ok().map(|k| found[k])
    }
}

pub fn prepaid_loops(insns: &[Insn], an: &Analysis) -> PrepaidLoops {
    let mut out = PrepaidLoops::default();
    for latch in 0..insns.len().saturating_sub(1) {
        let (j, ja) = (insns[latch], insns[latch + 1]);
        // The cheap tests first: this runs on the device, per compile.
        let rotated = ja.opc == JA64 && matches!(j.opc, JEQ_IMM | JEQ32_IMM) && j.off == 1;
        let back = matches!(j.opc, JNE_IMM | JNE32_IMM) && j.off < 0;
        if !(rotated || back) {
            continue;
        }
        if let Some(p) = prepaid_at_latch(insns, an, latch) {
            if out.n == MAX_PREPAID {
                break;
            }
            out.loops[out.n] = p;
            out.n += 1;
        }
    }
    out
}

/// The loop whose latch is at `latch`: `jeq counter, limit, +1; ja head` (clang's
/// rotated form) or `jne counter, limit, head`.
fn prepaid_at_latch(insns: &[Insn], an: &Analysis, latch: usize) -> Option<Prepaid> {
    let jeq = insns[latch];
    let is32 = jeq.class() == CLS_JMP32;
    if !an.facts[latch].reachable {
        return None;
    }
    // The slot that jumps back: the `ja`, or the `jne` itself.
    let back = if jeq.opc & OP_MASK == JEQ { latch + 1 } else { latch };
    let head = insns[back].jump_target(back).filter(|&h| h < latch)?;
    // Entered only at the head, and the head only from the slot before and the latch.
    if (head + 1..=back).any(|pc| an.facts[pc].is_head()) {
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
        let f = &an.facts[pc];
        let ok = match cls {
            CLS_ALU | CLS_ALU64 => true,
            CLS_LD => matches!(i.opc, LDDW | LDDWD | LDDWR),
            CLS_LDX => f.safe,
            // In the current frame: gone with the program (no atomics: they are
            // compiled as runtime calls).
            CLS_ST | CLS_STX => f.safe && f.hint == Hint::Stack && i.opc & MODE_MASK == MODE_MEM,
            _ => false,
        };
        if !ok {
            return None;
        }
        if matches!(cls, CLS_ALU | CLS_ALU64) && i.dst() == counter {
            let is_step = i.opc & !0x07 == ADD_K && (1..=MAX_STEP).contains(&i.imm) && i.imm.count_ones() == 1;
            if !is_step || increment.replace((cls, i.imm.trailing_zeros() as u8)).is_some() {
                return None;
            }
        } else if matches!(cls, CLS_LD | CLS_LDX) && i.dst() == counter {
            return None;
        }
        pc = i.next_pc(pc);
    }
    let (increment, step_log2) = increment?;
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
    Some(Prepaid { head, latch, counter, limit: limit as u32, enters_below, step_log2 })
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
        assert_eq!(found, [Prepaid { head: 3, latch: 7, counter: 2, limit: 2560, enters_below: true, step_log2: 0 }]);
        assert_eq!(found[0].backward_jumps(0), Some(2559));
        assert!(found[0].unrolled());
        // 32-bit counters wrap: from 0xffff_fff0 to 5 takes 20 increments.
        let wrap = loops_of("mov32 %r2, -16\nl: add32 %r2, 1\njeq32 %r2, 5, +1\nja l\nexit");
        assert_eq!(wrap.len(), 1);
        assert!(!wrap[0].enters_below);
        assert_eq!(wrap[0].backward_jumps(0xffff_fff0), Some(20));
    }

    /// SHA-256's rounds: a word index stepping by 4, the body storing into the frame.
    #[test]
    fn a_loop_stepping_by_a_power_of_two_and_storing_into_its_frame_is_prepaid() {
        let found = loops_of(
            "mov %r2, 0\nl: mov %r3, %r10\nadd %r3, -256\nadd %r3, %r2\nstxw [%r3+0], %r2\n\
             stxdw [%r10-264], %r2\nadd %r2, 4\njeq %r2, 256, +1\nja l\nexit",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].step_log2, 2);
        assert_eq!(found[0].backward_jumps(0), Some(63));
        assert_eq!(found[0].backward_jumps(252), Some(0));
        // Entering off the step's grid, it steps past the limit.
        assert_eq!(found[0].backward_jumps(2), None);
        // The latch as one backward `jne` (clang's other loop form).
        let jne = loops_of("mov %r1, 0\nl: stxb [%r10-8], %r1\nadd %r1, 1\njne %r1, 64, l\nexit");
        assert_eq!(jne.len(), 1);
        assert_eq!((jne[0].head, jne[0].latch, jne[0].backward_jumps(0)), (1, 3, Some(63)));
        // A body longer than MAX_UNROLLED_BODY slots is compiled once.
        let long =
            format!("mov %r1, 0\nl: {}add %r1, 1\njne %r1, 64, l\nexit", "add %r0, 3\n".repeat(MAX_UNROLLED_BODY));
        assert_eq!(loops_of(&long).iter().map(Prepaid::unrolled).collect::<alloc::vec::Vec<_>>(), [false]);
        // A step that is no power of two is not taken.
        assert_eq!(loops_of("mov %r2, 0\nl: add %r2, 3\njeq %r2, 300, +1\nja l\nexit"), []);
    }

    #[test]
    fn loops_whose_early_stop_could_be_seen_are_not_prepaid() {
        let cases = [
            ("a store that may fault", "l: ldxb %r3, [%r10-8]\nstxb [%r1+0], %r3"),
            ("a store above the frame", "l: ldxb %r3, [%r10-8]\nstxb [%r10+8], %r3"),
            ("an atomic", "l: lock add [%r10-8], %r3"),
            ("a helper call", "l: call 1"),
            ("a local call", "l: call local f"),
            ("an exit", "l: jeq %r3, 7, +1\nexit"),
            ("a load that may fault", "l: ldxb %r3, [%r1+0]"),
            ("a second write to the counter", "l: mov %r2, %r3"),
            ("a second step", "l: add %r2, 2"),
            ("a load into the counter", "l: ldxb %r2, [%r10-8]"),
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
