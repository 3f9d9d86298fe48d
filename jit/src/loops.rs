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
//!
//! Loops entered at their body ([`BodyFirst`], clang's layout of `for (i = 1; i < n;
//! i++)` with a branchy body: bubble sort's inner loop) are paid for the same way, on
//! the jump in: every way through the body ends in a jump back to the head, which steps
//! the counter and tests it against a limit, a register the loop does not write or a
//! constant; each backward jump is then one pass through the head.
use vm::opcode::*;
use vm::Insn;

use crate::analysis::{Analysis, Hint};

/// `head: body...; latch: jeq counter, limit, +1; ja head` (or `jne counter, limit,
/// head`, or `jlt compared, limit, head`) with `counter += step` the body's only write
/// to `counter`; or, with `slot`, the counter kept in a frame slot between iterations
/// (clang's spill when registers run out: SHA-256's rounds), `counter = slot` the
/// register's last load from the frame in the body and `slot = counter` after the
/// step its only store there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepaid {
    pub head: usize,
    /// The `jeq` (the `ja` follows it), `jne` or `jlt`.
    pub latch: usize,
    pub counter: u8,
    /// The compared constant (as the low 32 bits it is compared with).
    pub limit: u32,
    pub until: Until,
    /// The counter's step is `1 << step_log2`.
    pub step_log2: u8,
    /// The frame slot (offset from r10) the counter is kept in at the head, if it is,
    /// and whether it is a doubleword (its high word must then be zero there).
    pub slot: Option<(i16, bool)>,
}

/// How the latch decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Back unless the counter equals the limit. With `enters_below`, the loop ends
    /// only if the counter enters below the limit (a 64-bit counter counted past it
    /// runs through 2^64, longer than any budget).
    Equal { enters_below: bool },
    /// Back while the compared register is below the limit (unsigned). It is the
    /// counter, or a copy the body makes of it, and holds the counter's value at the
    /// head plus `offset` (0, or the step when it is read after the increment). With
    /// `wide`, a 64-bit counter compared in 64 bits (below 2^32 at the head), else the
    /// low 32 bits count on. Either way it never steps over 2^32 below the limit.
    Below { offset: u32, wide: bool },
}

impl Prepaid {
    /// The body is compiled twice ([`MAX_UNROLLED_BODY`]).
    pub fn unrolled(&self) -> bool {
        self.latch - self.head <= MAX_UNROLLED_BODY
    }

    /// Backward jumps the loop takes for a counter entering at `v` (its low 32 bits).
    /// Up to the limit: the ones until `v + (n + 1) * step == limit` in 32 bits (with
    /// `enters_below`, `v < limit` is checked first); `None` when the counter steps past
    /// the limit (then it only stops after wrapping around, longer than any budget).
    /// Below the limit: one for each time the compared value is still below it.
    pub fn backward_jumps(&self, v: u32) -> Option<u32> {
        let step = 1u32 << self.step_log2;
        match self.until {
            Until::Equal { .. } => {
                let left = self.limit.wrapping_sub(step).wrapping_sub(v);
                (left & (step - 1) == 0).then_some(left >> self.step_log2)
            }
            Until::Below { offset, wide } => {
                let first = v.wrapping_add(offset);
                if (wide && v >= self.limit) || first >= self.limit {
                    return Some(0);
                }
                Some((self.limit - first + (step - 1)) >> self.step_log2)
            }
        }
    }
}

const ADD_K: u8 = OP_ADD; // class | OP_ADD | SRC_K

/// Loop bodies of at most this many slots are compiled twice, one latch for both:
/// half the compares and branches back, for the body's code once more (a program
/// whose copies outgrow `jit::code_bound` is compiled again without them): as long as
/// SHA-256's rounds, whose latch is then one of more than sixty instructions a pass.
pub const MAX_UNROLLED_BODY: usize = 96;

/// The largest step of a prepaid counter.
const MAX_STEP: i32 = 256;

/// At most this many loops are prepaid per program (the rest tick, from the last):
/// a fixed table, as an allocation would cost more than the search on the device.
pub const MAX_PREPAID: usize = 16;

/// `entry: ja body; head: ...; counter += step; ...; test: jlt counter, limit, body;
/// ja out; body: ...` where every way through the body ends in a jump back to the
/// head (the last slot, `end`, is one), and nothing else jumps into the loop or out of
/// it. The entry pays for the backward jumps: one per pass through the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyFirst {
    /// The `ja` into the body; the head follows it.
    pub entry: usize,
    pub head: usize,
    /// The last slot of the loop: a `ja` back to the head.
    pub end: usize,
    pub counter: u8,
    pub limit: Limit,
    /// The counter's step is `1 << step_log2`.
    pub step_log2: u8,
}

/// What a counter is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Reg(u8),
    Imm(u32),
}

impl BodyFirst {
    /// Backward jumps the loop takes when entered with the counter at `v` and the limit
    /// at `limit` (both below 2^32): one for each pass through the head, the last of
    /// which finds the counter not below the limit.
    pub fn backward_jumps(&self, v: u32, limit: u32) -> u32 {
        let step = 1u64 << self.step_log2;
        let first = v as u64 + step;
        let below = if first < limit as u64 { (limit as u64 - first).div_ceil(step) as u32 } else { 0 };
        below + 1
    }

    /// The jump at `pc` to `target` is one the entry paid for.
    pub fn pays_for(&self, pc: usize, target: usize) -> bool {
        target == self.head && (self.head..=self.end).contains(&pc)
    }
}

/// The prepaid loops of a program, by head (their bodies are straight lines, so they
/// do not nest: latches and heads come in the same order); and the loops entered at
/// their body, by entry (which do not overlap either: no jump enters one from outside
/// but its entry).
/// (Fixed vectors: no entry is made before it is found, every compile makes the tables.)
#[derive(Debug, Clone, Default)]
pub struct PrepaidLoops {
    loops: heapless::Vec<Prepaid, MAX_PREPAID>,
    body_first: heapless::Vec<BodyFirst, MAX_BODY_FIRST_LOOPS>,
}

impl PrepaidLoops {
    pub fn iter(&self) -> impl Iterator<Item = Prepaid> + '_ {
        self.loops.iter().copied()
    }

    /// The first loop whose head is at `pc` or after, from the `k`th on (`k` moves on
    /// past the heads before `pc`): the lowering's lookup, slot by slot in order.
    pub fn next_from(&self, k: &mut usize, pc: usize) -> Option<Prepaid> {
        let found = &self.loops;
        while found.get(*k).is_some_and(|p| p.head < pc) {
            *k += 1;
        }
        found.get(*k).copied()
    }

    /// The `k`th loop's head; `usize::MAX` past the last.
    pub fn head(&self, k: usize) -> usize {
        self.loops.get(k).map_or(usize::MAX, |p| p.head)
    }

    // Looked up by halves: the lowering asks at every jump, the allocator at every
    // backward one.
    pub fn with_head(&self, pc: usize) -> Option<Prepaid> {
        let found = &self.loops;
        found.binary_search_by_key(&pc, |p| p.head).ok().map(|k| found[k])
    }

    pub fn with_latch(&self, pc: usize) -> Option<Prepaid> {
        let found = &self.loops;
        found.binary_search_by_key(&pc, |p| p.latch).ok().map(|k| found[k])
    }

    pub fn body_first(&self) -> impl Iterator<Item = BodyFirst> + '_ {
        self.body_first.iter().copied()
    }

    pub fn with_entry(&self, pc: usize) -> Option<BodyFirst> {
        let found = &self.body_first;
        found.binary_search_by_key(&pc, |l| l.entry).ok().map(|k| found[k])
    }

    /// The backward jump at `pc` to `target` is one an entry paid for.
    pub fn pays_for(&self, pc: usize, target: usize) -> bool {
        let found = &self.body_first;
        // The last loop entered before `pc` is the one it may be in.
        let k = found.partition_point(|l| l.entry < pc);
        k > 0 && found[k - 1].pays_for(pc, target)
    }
}

pub fn prepaid_loops(insns: &[Insn], an: &Analysis) -> PrepaidLoops {
    let mut out = PrepaidLoops::default();
    find_prepaid_loops(insns, an, &mut out);
    out
}

/// [`prepaid_loops`] into `out`, empty (the compile's own: tables moved are copied).
// Out of line: inlined, it takes the lowering's main loop past LLVM's inlining budget.
#[inline(never)]
pub fn find_prepaid_loops(insns: &[Insn], an: &Analysis, out: &mut PrepaidLoops) {
    // One walk, the cheap tests first: this runs on the device, per compile.
    for pc in 0..insns.len().saturating_sub(1) {
        let (j, next) = (insns[pc], insns[pc + 1]);
        // (The class first: most slots are no jump.)
        if !matches!(j.class(), CLS_JMP | CLS_JMP32) {
            continue;
        }
        let latch = match j.opc {
            JEQ_IMM | JEQ32_IMM => next.opc == JA64 && j.off == 1,
            JNE_IMM | JNE32_IMM | JLT_IMM | JLT32_IMM => j.off < 0,
            JA64 if j.off > 0 && !out.body_first.is_full() && an.facts[pc + 1].is_head() => {
                if let Some(l) = body_first_at(insns, an, pc) {
                    let _ = out.body_first.push(l);
                }
                false
            }
            _ => false,
        };
        if latch && !out.loops.is_full() {
            if let Some(p) = prepaid_at_latch(insns, an, pc) {
                let _ = out.loops.push(p);
            }
        }
    }
}

/// At most this many loops entered at their body are paid for per program (the table
/// is copied with the lowering's state: kept small).
pub const MAX_BODY_FIRST_LOOPS: usize = 8;

/// The longest loop entered at its body that is looked for (slots).
const MAX_BODY_FIRST: usize = 64;

/// The loop entered at its body by the `ja` at `entry`, if it is one ([`BodyFirst`]).
fn body_first_at(insns: &[Insn], an: &Analysis, entry: usize) -> Option<BodyFirst> {
    let head = entry + 1;
    let body = insns[entry].jump_target(entry)?;
    if !an.facts[entry].reachable || body <= head + 1 {
        return None;
    }
    // The head: straight-line code up to the test, which goes to the body, and the
    // `ja` out after it.
    let test = body - 2;
    let (t, out) = (insns[test], insns[test + 1]);
    if t.opc & !SRC_X != JLT_IMM || t.jump_target(test) != Some(body) || out.opc != JA64 {
        return None;
    }
    let counter = t.dst();
    let limit = if t.opc & SRC_X != 0 { Limit::Reg(t.src()) } else { Limit::Imm(u32::try_from(t.imm).ok()?) };
    // The end: the last jump back to the head (past it, nothing may come back).
    let end =
        (body..insns.len().min(head + MAX_BODY_FIRST)).rev().find(|&pc| insns[pc].jump_target(pc) == Some(head))?;
    if insns[end].opc != JA64 {
        return None;
    }
    // Jumps in: the entry's to the body, the test's too, and the loop's own; none to
    // the `ja` out, nothing into the head's straight line but its backward jumps.
    let mut into = [0u8; MAX_BODY_FIRST + 1];
    let mut step = None;
    let mut pc = head;
    while pc <= end {
        let i = insns[pc];
        let f = &an.facts[pc];
        if !f.reachable {
            return None;
        }
        match i.class() {
            CLS_ALU | CLS_ALU64 | CLS_LD | CLS_LDX if unseen_after_a_stop(i, f) => {
                if i.dst() == counter {
                    let log2 = (i.opc == ADD64_IMM).then(|| step_log2(i)).flatten();
                    // The one step, in the head.
                    if pc >= test || log2.is_none_or(|log2| step.replace(log2).is_some()) {
                        return None;
                    }
                }
                if limit == Limit::Reg(i.dst()) {
                    return None;
                }
            }
            CLS_ST | CLS_STX if unseen_after_a_stop(i, f) => {}
            CLS_JMP | CLS_JMP32 if pc == test + 1 => {}
            CLS_JMP | CLS_JMP32 if !matches!(i.opc & OP_MASK, CALL | EXIT) => {
                // Forward inside the body, or back to the head; the head's own slots
                // only fall through.
                let to = i.jump_target(pc)?;
                if (pc < test) || !(to == head || (to > pc && to <= end && to >= body)) {
                    return None;
                }
                into[to - head] = into[to - head].saturating_add(1);
            }
            _ => return None,
        }
        pc = i.next_pc(pc);
    }
    let step_log2 = step?;
    // Every jump into the loop comes from inside it, but the entry's (to the body).
    // (A count that saturated tells nothing.)
    let from_outside = |pc: usize| an.facts[pc].jumps_in.saturating_sub(into[pc - head]);
    let saturated = (head..=end).any(|pc| an.facts[pc].jumps_in == u8::MAX);
    if saturated || (head..=end).any(|pc| from_outside(pc) != u8::from(pc == body)) || an.facts[test + 1].jumps_in != 0
    {
        return None;
    }
    // Below 2^32 at the entry, where a 64-bit step cannot pass 2^32 under the limit.
    let zero = an.facts[entry].zero_in;
    if zero & 1 << counter == 0 || matches!(limit, Limit::Reg(r) if zero & 1 << r == 0) {
        return None;
    }
    Some(BodyFirst { entry, head, end, counter, limit, step_log2 })
}

/// The loop whose latch is at `latch`: `jeq counter, limit, +1; ja head` (clang's
/// rotated form), `jne counter, limit, head` or `jlt compared, limit, head`.
fn prepaid_at_latch(insns: &[Insn], an: &Analysis, latch: usize) -> Option<Prepaid> {
    let jeq = insns[latch];
    let is32 = jeq.class() == CLS_JMP32;
    let below = jeq.opc & OP_MASK == JLT;
    if !an.facts[latch].reachable {
        return None;
    }
    // The slot that jumps back: the `ja`, or the `jne`/`jlt` itself.
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
    let compared = jeq.dst();
    // `jlt` may compare a copy of the counter: the source of the body's first write
    // to the compared register, a move.
    let counter = if below { copied_into(insns, head, latch, compared).unwrap_or(compared) } else { compared };
    let mut increment = None;
    // Below: the step already added when the copy is made.
    let mut offset = None;
    // A counter kept in a frame slot is loaded from it (the last load of the register
    // from the frame): before that the register holds other values, and the body may
    // do anything with them that it may do at all.
    let loaded = (!below).then(|| slot_load(insns, head, latch, counter)).flatten();
    let (mut slot, mut stepped) = (None, latch);
    let mut pc = head;
    while pc < latch {
        let i = insns[pc];
        let cls = i.class();
        let f = &an.facts[pc];
        if compared != counter && i.dst() == compared && matches!(cls, CLS_ALU | CLS_ALU64 | CLS_LD | CLS_LDX) {
            // The copy is the one write to the compared register.
            let is_copy = matches!(i.opc, MOV64_REG | MOV32_REG) && i.src() == counter && i.off == 0;
            let added = increment.map_or(0, |(_, log2): (u8, u8)| 1u32 << log2);
            if !is_copy || offset.replace(added).is_some() {
                return None;
            }
        }
        if !unseen_after_a_stop(i, f) {
            return None;
        }
        if loaded.is_some_and(|at| pc < at) {
            pc = i.next_pc(pc);
            continue;
        }
        if loaded == Some(pc) {
            slot = Some((i.off, i.opc == LDXDW));
        } else if matches!(cls, CLS_ALU | CLS_ALU64) && i.dst() == counter {
            let step = (i.opc & !0x07 == ADD_K).then(|| step_log2(i)).flatten();
            if step.is_none_or(|log2| increment.replace((cls, log2)).is_some()) {
                return None;
            }
            stepped = pc;
        } else if matches!(cls, CLS_LD | CLS_LDX) && i.dst() == counter {
            return None;
        }
        pc = i.next_pc(pc);
    }
    if let Some((off, wide)) = slot {
        if !slot_keeps_counter(insns, head, latch, counter, off, wide, stepped) {
            return None;
        }
    }
    let (increment, step_log2) = increment?;
    let limit = jeq.imm;
    if below {
        let step = 1u64 << step_log2;
        let offset = if compared == counter { step as u32 } else { offset? };
        // A 64-bit increment from below 2^32 meets a non-negative limit before 2^32;
        // 32 bits (an increment or a compare) count on in the low word, which must
        // not step over 2^32 below the limit.
        let wide = !is32 && increment == CLS_ALU64;
        let fits = if is32 { limit as u32 as u64 + step <= 1 << 32 } else { limit >= 0 };
        if !fits || (!is32 && an.facts[head].zero_in & (1 << counter) == 0) {
            return None;
        }
        // (No slot: a `jlt` loop's counter is not looked for in one.)
        let until = Until::Below { offset, wide };
        return Some(Prepaid { head, latch, counter, limit: limit as u32, until, step_log2, slot });
    }
    let enters_below = match (is32, increment) {
        // The low 32 bits count on, whatever the increment's width.
        (true, _) => false,
        // A zero-extended counter never equals a negative limit.
        (false, CLS_ALU) if limit < 0 => return None,
        (false, CLS_ALU) => false,
        // A 64-bit counter below 2^32 at the head reaches a non-negative limit (one
        // kept in a slot is checked at the entry).
        (false, _) if limit < 0 || (slot.is_none() && an.facts[head].zero_in & (1 << counter) == 0) => return None,
        (false, _) => true,
    };
    let until = Until::Equal { enters_below };
    Some(Prepaid { head, latch, counter, limit: limit as u32, until, step_log2, slot })
}

/// The last slot of the body that loads `counter` from the frame (a word or a
/// doubleword at a constant offset from r10), if one does.
fn slot_load(insns: &[Insn], head: usize, latch: usize, counter: u8) -> Option<usize> {
    let mut found = None;
    let mut pc = head;
    while pc < latch {
        let i = insns[pc];
        if matches!(i.opc, LDXDW | LDXW) && i.dst() == counter && i.src() == 10 {
            found = Some(pc);
        }
        pc = i.next_pc(pc);
    }
    found
}

/// The slot at `off` from r10 holds the counter at each pass through the head: the
/// body's one store that reaches it (every store is through r10 at a constant offset,
/// so none other may) is `counter`, whole, after its step.
fn slot_keeps_counter(
    insns: &[Insn],
    head: usize,
    latch: usize,
    counter: u8,
    off: i16,
    wide: bool,
    stepped: usize,
) -> bool {
    let size = if wide { 8 } else { 4 };
    let mut kept = false;
    let mut pc = head;
    while pc < latch {
        let i = insns[pc];
        if matches!(i.class(), CLS_ST | CLS_STX) {
            let width = crate::analysis::access_len(i);
            let apart = i.off as i64 + width <= off as i64 || off as i64 + size <= i.off as i64;
            if i.dst() != 10 {
                return false;
            }
            if !apart {
                let store = if wide { STXDW } else { STXW };
                if kept || i.opc != store || i.off != off || i.src() != counter || pc < stepped {
                    return false;
                }
                kept = true;
            }
        }
        pc = i.next_pc(pc);
    }
    kept
}

/// The register the body's first write to `reg` copies, if it is a register move.
fn copied_into(insns: &[Insn], head: usize, latch: usize, reg: u8) -> Option<u8> {
    let mut pc = head;
    while pc < latch {
        let i = insns[pc];
        if matches!(i.class(), CLS_ALU | CLS_ALU64 | CLS_LD | CLS_LDX) && i.dst() == reg {
            return (matches!(i.opc, MOV64_REG | MOV32_REG) && i.off == 0).then_some(i.src());
        }
        pc = i.next_pc(pc);
    }
    None
}

/// What a prepaid loop's body may hold, as nothing of it is seen once the program
/// stops early: ALU instructions, constant loads, loads the analysis proved and stores
/// it proved into the stack (the run's frames go with it; atomics are runtime calls).
// Inlined into both walks: out of line it costs flash, which is scarce.
#[inline(always)]
fn unseen_after_a_stop(i: Insn, f: &crate::analysis::Facts) -> bool {
    match i.class() {
        CLS_ALU | CLS_ALU64 => true,
        CLS_LD => matches!(i.opc, LDDW | LDDWD | LDDWR),
        CLS_LDX => f.safe,
        CLS_ST | CLS_STX => f.safe && f.hint == Hint::Stack && i.opc & MODE_MASK == MODE_MEM,
        _ => false,
    }
}

/// For an add of an immediate: the log2 of its step, a power of two up to `MAX_STEP`.
#[inline(always)]
fn step_log2(i: Insn) -> Option<u8> {
    ((1..=MAX_STEP).contains(&i.imm) && i.imm.count_ones() == 1).then(|| i.imm.trailing_zeros() as u8)
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
        let until = Until::Equal { enters_below: true };
        assert_eq!(found, [Prepaid { head: 3, latch: 7, counter: 2, limit: 2560, until, step_log2: 0, slot: None }]);
        assert_eq!(found[0].backward_jumps(0), Some(2559));
        assert!(found[0].unrolled());
        // 32-bit counters wrap: from 0xffff_fff0 to 5 takes 20 increments.
        let wrap = loops_of("mov32 %r2, -16\nl: add32 %r2, 1\njeq32 %r2, 5, +1\nja l\nexit");
        assert_eq!(wrap.len(), 1);
        assert_eq!(wrap[0].until, Until::Equal { enters_below: false });
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

    /// `jlt` latches: the counter compared after its increment, or a copy of it made
    /// before (Fletcher-32's shape) or after.
    #[test]
    fn loops_counting_below_a_limit_are_prepaid() {
        let below = |src: &str| {
            let found = loops_of(src);
            assert_eq!(found.len(), 1, "{src}");
            found[0]
        };
        // The counter itself: 0, 2, .., 2558 enter; 2, .., 2558 jump back.
        let after = below("mov %r1, 0\nl: add %r0, %r1\nadd %r1, 2\njlt %r1, 2560, l\nexit");
        assert_eq!(after.until, Until::Below { offset: 2, wide: true });
        assert_eq!(after.backward_jumps(0), Some(1279));
        // At or past the limit, or one step short of it: the body runs once.
        assert_eq!([2558, 2560, 5000, u32::MAX].map(|v| after.backward_jumps(v)), [Some(0); 4]);
        // Off the step's grid: 1, 3, .., 2559 below.
        assert_eq!(after.backward_jumps(1), Some(1279));
        // A copy made before the increment: compared at 0, 2, .., 2558 (all below).
        let copy = below("mov %r1, 0\nl: mov %r4, %r1\nadd %r1, 2\nadd %r0, %r4\njlt %r4, 2558, l\nexit");
        assert_eq!((copy.counter, copy.until), (1, Until::Below { offset: 0, wide: true }));
        assert_eq!(copy.backward_jumps(0), Some(1279));
        assert_eq!(copy.backward_jumps(2558), Some(0));
        // ... or after it.
        let later = below("mov %r1, 0\nl: add %r1, 4\nmov %r4, %r1\njlt %r4, 100, l\nexit");
        assert_eq!(later.until, Until::Below { offset: 4, wide: true });
        assert_eq!(later.backward_jumps(0), Some(24));
        // 32 bits: the low word counts on from wherever it enters: the first increment
        // takes 2^32 - 1 to 0, below the limit.
        let low = below("mov32 %r1, -1\nl: add32 %r1, 1\njlt32 %r1, 10, l\nexit");
        assert_eq!(low.until, Until::Below { offset: 1, wide: false });
        assert_eq!(low.backward_jumps(u32::MAX), Some(10));
        assert_eq!(low.backward_jumps(u32::MAX - 1), Some(0));
        assert_eq!(low.backward_jumps(9), Some(0));
        // Refused: a 32-bit limit the counter could step over 2^32 below, a negative
        // 64-bit one, a counter not known below 2^32, a second write to the copy, a
        // copy of a register that is no counter.
        for src in [
            "mov32 %r1, 0\nl: add32 %r1, 4\njlt32 %r1, -2, l\nexit",
            "mov %r1, 0\nl: add %r1, 1\njlt %r1, -2, l\nexit",
            "ldxdw %r1, [%r1+0]\nl: add %r1, 1\njlt %r1, 9, l\nexit",
            "mov %r1, 0\nl: mov %r4, %r1\nadd %r1, 1\nadd %r4, 1\njlt %r4, 9, l\nexit",
            "mov %r1, 0\nl: mov %r4, %r2\nadd %r1, 1\njlt %r4, 9, l\nexit",
        ] {
            assert_eq!(loops_of(src), [], "{src}");
        }
    }

    fn body_first_of(src: &str) -> alloc::vec::Vec<BodyFirst> {
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        prepaid_loops(p.insns(), &analyse(p.insns(), Sizes::default()).unwrap()).body_first().collect()
    }

    /// Bubble sort's inner loop: entered at its body, which swaps in the frame or not
    /// and jumps back either way; the head steps `i` and tests it against `n`.
    const BUBBLE: &str = "mov %r1, 9\nmov %r2, %r10\nadd %r2, -64\nmov %r3, 1\nmov %r4, %r2\nja b\n\
                          h: add %r4, 4\n{head}add %r3, 1\njlt %r3, %r1, b\nja out\n\
                          b: ldxw %r5, [%r4+0]\nldxw %r0, [%r4-4]\njle32 %r0, %r5, h\n\
                          {body}stxw [%r4+0], %r0\nstxw [%r4-4], %r5\nja h\nout: exit";

    fn bubble(head: &str, body: &str) -> alloc::string::String {
        BUBBLE.replace("{head}", head).replace("{body}", body)
    }

    #[test]
    fn a_loop_entered_at_its_body_is_paid_for_on_the_way_in() {
        let found = body_first_of(&bubble("", ""));
        let l = BodyFirst { entry: 5, head: 6, end: 15, counter: 3, limit: Limit::Reg(1), step_log2: 0 };
        assert_eq!(found, [l]);
        assert!(l.pays_for(12, 6) && l.pays_for(15, 6) && !l.pays_for(12, 10) && !l.pays_for(16, 6));
        // i = 1 to 9: passes through the head at i = 2..9, the last one leaving.
        assert_eq!(l.backward_jumps(1, 9), 8);
        // At or past the limit, or a step short of it: one pass, one jump back.
        assert_eq!([(8, 9), (9, 9), (50, 9), (u32::MAX, 9)].map(|(v, n)| l.backward_jumps(v, n)), [1; 4]);
        let stepped = BodyFirst { step_log2: 2, ..l };
        // 0, 4, .., 96 below 100 after the first step: 24 values, and the last pass.
        assert_eq!(stepped.backward_jumps(0, 100), 25);
        assert_eq!(stepped.backward_jumps(0, 101), 26);
        // A constant limit, a step of 4.
        let k = body_first_of(&bubble("", "").replace("add %r3, 1\njlt %r3, %r1, b", "add %r3, 4\njlt %r3, 40, b"));
        assert_eq!(k.iter().map(|l| (l.limit, l.step_log2)).collect::<alloc::vec::Vec<_>>(), [(Limit::Imm(40), 2)]);
    }

    #[test]
    fn loops_entered_at_their_body_that_could_be_seen_stopping_early_are_not_paid_for() {
        let cases = [
            ("a jump into the head", "ja +0\n", ""),
            ("a write to the limit", "add %r1, 0\n", ""),
            ("a second step", "add %r3, 1\n", ""),
            ("a counter written in the body", "", "mov %r3, 2\n"),
            ("a store past the frame", "", "stxw [%r4+200], %r0\n"),
            ("an exit from the body", "", "jeq %r0, 7, out\n"),
            ("a helper call", "", "call 1\n"),
            ("a jump to the way out", "", "jeq %r0, 7, -10\n"),
        ];
        for (what, head, body) in cases {
            assert_eq!(body_first_of(&bubble(head, body)), [], "{what}");
        }
        // A second way into the body, from before the loop.
        let plain = bubble("", "");
        assert_eq!(body_first_of(&plain.replace("mov %r3, 1\n", "mov %r3, 1\njeq %r1, 0, b\n")), []);
        // A limit not known below 2^32.
        assert_eq!(body_first_of(&plain.replace("mov %r1, 9", "ldxdw %r1, [%r1+0]")), []);
        // The test not a `jlt`.
        assert_eq!(body_first_of(&plain.replace("jlt %r3, %r1, b", "jle %r3, %r1, b")), []);
    }

    /// SHA-256's rounds: the counter's register holds another value first, then the
    /// counter from its slot, stepped, stored back and compared.
    fn in_slot(before: &str, load: &str, after: &str) -> alloc::string::String {
        format!(
            "mov %r2, 0\nstxdw [%r10-16], %r2\nl: mov32 %r2, %r4\nstxw [%r10-24], %r2\n{before}{load}\n\
             add %r4, %r2\nadd %r2, 4\n{after}jeq %r2, 256, +1\nja l\nexit"
        )
    }

    #[test]
    fn a_counter_kept_in_a_frame_slot_is_prepaid() {
        let found = loops_of(&in_slot("", "ldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r2\n"));
        let until = Until::Equal { enters_below: true };
        let slot = Some((-16, true));
        assert_eq!(found, [Prepaid { head: 2, latch: 8, counter: 2, limit: 256, until, step_log2: 2, slot }]);
        // A word slot, its store anywhere after the step, stores beside it.
        let word =
            in_slot("stxw [%r10-12], %r4\n", "ldxw %r2, [%r10-16]", "stxw [%r10-20], %r4\nstxw [%r10-16], %r2\n");
        assert_eq!(loops_of(&word).iter().map(|p| p.slot).collect::<alloc::vec::Vec<_>>(), [Some((-16, false))]);
        // The last load is the counter's: what the register held before is another value.
        let twice = in_slot("", "ldxdw %r2, [%r10-16]\nadd %r2, 4\nldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r2\n");
        assert_eq!(loops_of(&twice).len(), 1);
    }

    #[test]
    fn a_slot_that_may_not_hold_the_counter_at_the_head_is_refused() {
        let cases = [
            ("not stored", in_slot("", "ldxdw %r2, [%r10-16]", "")),
            ("stored before the step", in_slot("", "ldxdw %r2, [%r10-16]\nstxdw [%r10-16], %r2", "")),
            ("stored twice", in_slot("", "ldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r2\nstxdw [%r10-16], %r2\n")),
            ("another value stored", in_slot("", "ldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r4\n")),
            (
                "a byte of it overwritten",
                in_slot("stb [%r10-9], 1\n", "ldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r2\n"),
            ),
            ("half of it stored", in_slot("", "ldxdw %r2, [%r10-16]", "stxw [%r10-16], %r2\n")),
            ("a store through another pointer", {
                let s = in_slot("", "ldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r2\nstxw [%r3+0], %r4\n");
                s.replacen("mov %r2, 0\n", "mov %r2, 0\nmov %r3, %r10\nadd %r3, -32\n", 1)
            }),
            (
                "a load after the step",
                in_slot("", "ldxdw %r2, [%r10-16]", "ldxdw %r2, [%r10-16]\nstxdw [%r10-16], %r2\n"),
            ),
            (
                "a load off the frame",
                in_slot("", "ldxdw %r2, [%r10-16]", "stxdw [%r10-16], %r2\nldxw %r2, [%r10-16]\n"),
            ),
        ];
        for (what, src) in cases {
            assert_eq!(loops_of(&src), [], "{what}");
        }
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
