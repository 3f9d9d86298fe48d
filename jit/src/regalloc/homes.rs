//! An allocation as bytes, made where the image is built and checked on the device in
//! one walk, in place of allocating there: split register allocation (the producer
//! colours, the consumer checks), as the JVM's split verifier does for types. Colouring
//! is most of the allocator's cost ([`super::allocate`]: two walks, the interference
//! rows of up to 128 candidates, Chaitin-Briggs); checking a colouring needs neither the
//! webs nor the rows, only each register's home as the walk goes.
//!
//! Checked, never trusted. [`check`] walks the slots as the allocator's two walks do
//! and holds the homes to what the allocator guarantees and the lowering relies on:
//! - a value keeps its home: where the allocator joins one register's values into one
//!   web (an instruction that reads its destination continues it; control falling or
//!   jumping into a point; a callee's exits into every landing), their homes are equal;
//! - a written half's home holds no other value the write meets (live after it, read by
//!   it, written with it; a copy's low half and its source's low half excepted, as they
//!   hold one value), a fused `mov; op` pair's write meets what is live after the pair,
//!   a value's two halves differ, the values live at the entry differ, and the halves a
//!   landing reloads differ from the others live there;
//! - nothing a call meets (read by it, live across it, written by it) is in lr;
//! - the registers r10 and the constants hold everywhere are distinct, none of them lr
//!   and none a value's home.
//!
//! An allocation that passes is one the lowering compiles as correctly as the
//! allocator's own; one that fails costs the allocator's time, never correctness. The
//! allocator's choices of cost (which halves compete, lr only for values used more than
//! the budget's steps cost) are not checked: a worse colouring is slower code, not
//! wrong code.
//!
//! The format (after [`crate::hints`]' header; a home is an index into
//! [`super::POOL`], 15 none):
//!
//! ```text
//! u8 r10's home
//! u8 mask of the constants held (of 4), each: u8 kind (0 an immediate, 1 `.rodata`
//!    plus an offset, 2 `.data` plus an offset), u32 value, u8 home
//! per point (block heads and landings, in slot order): u16 mask of r0-r9 with a home
//!    there, each in order: u8 low half's home | high's << 4
//! per instruction that defines a register, in order: u8 low half's home | high's << 4
//! ```
//!
//! (By hand: a few nibbles, and the device must not carry a serialization framework.)
use alloc::vec::Vec;
use vm::opcode::*;
use vm::Insn;

use super::{
    bits, calls_out, def_of, is_mov_reg, live_before, pool_regs, Allocation, Const, KEPT, LANDING, MAX_CONSTS, NO,
    POOL, VALUE_REGS,
};
use crate::analysis::{Analysis, OutOfMemory, RegSet, ALL};
use crate::thumb2::regs::Reg;

/// A register's homes, low half and high half (indices into [`POOL`], or [`NO`]).
type Pair = [u8; 2];

fn index(r: Option<Reg>) -> u8 {
    r.and_then(|r| POOL.iter().position(|&p| p == r)).map_or(NO, |k| k as u8)
}

fn byte([lo, hi]: [Option<Reg>; 2]) -> u8 {
    index(lo) | index(hi) << 4
}

/// Appends `alloc`, the allocation of `insns` with analysis `a`, in the format above.
pub fn encode(insns: &[Insn], a: &Analysis, alloc: &Allocation, out: &mut Vec<u8>) {
    out.push(index(alloc.r10));
    let held = alloc.consts.iter().enumerate().filter(|(_, c)| c.is_some()).fold(0u8, |m, (k, _)| m | 1 << k);
    out.push(held);
    for &(c, r) in alloc.consts.iter().flatten() {
        let (kind, v) = match c {
            Const::Imm(v) => (0, v),
            Const::Rodata(o) => (1, o as u32),
            Const::Data(o) => (2, o as u32),
        };
        out.push(kind);
        out.extend_from_slice(&v.to_le_bytes());
        out.push(index(Some(r)));
    }
    for (_, regs) in &alloc.points {
        let homed = (0..VALUE_REGS).filter(|&r| regs[r] != [NO; 2]).fold(0u16, |m, r| m | 1 << r);
        out.extend_from_slice(&homed.to_le_bytes());
        for r in bits(homed) {
            out.push(regs[r][0] | regs[r][1] << 4);
        }
    }
    let mut pc = 0;
    while pc < insns.len() {
        if def_of(a, pc).is_some() {
            out.push(byte(alloc.defs[pc]));
        }
        pc = insns[pc].next_pc(pc);
    }
}

/// Why a sent allocation is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// It breaks a rule above, or its bytes are not the format's.
    Wrong,
    OutOfMemory,
}

impl From<OutOfMemory> for Refused {
    fn from(_: OutOfMemory) -> Self {
        Refused::OutOfMemory
    }
}

struct Bytes<'a> {
    rest: &'a [u8],
    /// Every home read so far, bit n for pool index n (and for none): is one of them lr?
    seen: u16,
}

impl Bytes<'_> {
    fn u8(&mut self) -> Result<u8, Refused> {
        let (&b, rest) = self.rest.split_first().ok_or(Refused::Wrong)?;
        self.rest = rest;
        Ok(b)
    }

    /// A register's two homes: each one of `allowed` (a mask of pool indices and
    /// none: the pool but the registers r10 and the constants hold everywhere), the
    /// two apart.
    #[inline(always)]
    fn pair(&mut self, allowed: u16) -> Result<Pair, Refused> {
        let b = self.u8()?;
        let h = [b & 15, b >> 4];
        let both = 1 << h[0] | 1 << h[1];
        if both & !allowed != 0 || (h[0] == h[1] && h[0] != NO) {
            return Err(Refused::Wrong);
        }
        self.seen |= both;
        Ok(h)
    }
}

/// Halves as bits: bit `r` for r's low half, bit `10 + r` for its high half.
type Halves = u32;

fn halves(lo: RegSet, hi: RegSet) -> Halves {
    lo as Halves | (hi as Halves) << VALUE_REGS
}

/// Each register's homes as the walk goes, and which halves each register of the pool
/// is the home of (more than one where copies share it): a write's check is then a
/// mask, not a walk over what it meets.
struct Homes {
    cur: [Pair; VALUE_REGS],
    held: [Halves; POOL.len()],
}

impl Homes {
    #[inline(always)]
    fn set(&mut self, r: usize, pair: Pair) {
        for (h, &new) in pair.iter().enumerate() {
            let (old, bit) = (self.cur[r][h], 1 << (r + VALUE_REGS * h));
            if let Some(w) = self.held.get_mut(old as usize) {
                *w &= !bit;
            }
            if let Some(w) = self.held.get_mut(new as usize) {
                *w |= bit;
            }
        }
        self.cur[r] = pair;
    }

    fn enter(&mut self, at: &[Pair; VALUE_REGS]) {
        self.held = [0; POOL.len()];
        for (r, pair) in at.iter().enumerate() {
            for (h, &home) in pair.iter().enumerate() {
                if let Some(w) = self.held.get_mut(home as usize) {
                    *w |= 1 << (r + VALUE_REGS * h);
                }
            }
            // (In the loop: a copy of the whole array is a byte-wise `memcpy` call.)
            self.cur[r] = *pair;
        }
    }

    /// Fails unless half `h` of `r` is somewhere no other half of `met` is (but those
    /// of `except`).
    fn meets(&self, met: Halves, r: usize, h: usize, except: Halves) -> Result<(), Refused> {
        let own = 1 << (r + VALUE_REGS * h);
        match self.held.get(self.cur[r][h] as usize) {
            Some(&w) if w & met & !own & !except != 0 => Err(Refused::Wrong),
            _ => Ok(()),
        }
    }

    /// Fails unless every half of `met` is somewhere no other is.
    fn apart(&self, met: Halves) -> Result<(), Refused> {
        match self.held.iter().all(|&w| (w & met).count_ones() <= 1) {
            true => Ok(()),
            false => Err(Refused::Wrong),
        }
    }
}

/// The allocation `bytes` give `insns` (with analysis `a`), if it passes every rule
/// of the module doc: the same [`Allocation`] the allocator would give where the bytes
/// are its own.
pub fn check(insns: &[Insn], a: &Analysis, bytes: &[u8]) -> Result<Allocation, Refused> {
    let mut alloc = Allocation::default();
    check_into(insns, a, bytes, &mut alloc)?;
    Ok(alloc)
}

/// [`check`] into `alloc`, a default one (the compile's own, where the lowering takes
/// it: an allocation moved is copied, on the device); left as it was made so far when
/// refused. (Out of line, as the allocator is.)
#[inline(never)]
pub fn check_into(insns: &[Insn], a: &Analysis, bytes: &[u8], alloc: &mut Allocation) -> Result<(), Refused> {
    let n = insns.len();
    let vals: RegSet = (1 << VALUE_REGS) - 1;
    let mut b = Bytes { rest: bytes, seen: 0 };
    // The registers held everywhere.
    let mut everywhere = 0u8;
    let mut global = |h: u8| {
        // (Never lr: every call loses it.)
        if h as usize >= KEPT || everywhere & 1 << h != 0 {
            return Err(Refused::Wrong);
        }
        everywhere |= 1 << h;
        Ok(POOL[h as usize])
    };
    let r10 = b.u8()?;
    if r10 != NO {
        alloc.r10 = Some(global(r10)?);
    }
    let held = b.u8()?;
    if held >> MAX_CONSTS != 0 {
        return Err(Refused::Wrong);
    }
    for k in (0..MAX_CONSTS).filter(|k| held & 1 << k != 0) {
        let kind = b.u8()?;
        let v = u32::from_le_bytes([b.u8()?, b.u8()?, b.u8()?, b.u8()?]);
        let c = match kind {
            0 => Const::Imm(v),
            1 => Const::Rodata(v as i32),
            2 => Const::Data(v as i32),
            _ => return Err(Refused::Wrong),
        };
        alloc.consts[k] = Some((c, global(b.u8()?)?));
    }
    // The homes a value may have: a register of the pool not held everywhere, or none.
    let allowed = ((1 << POOL.len()) - 1) & !(everywhere as u16) | 1 << NO;
    // (In the form the allocation keeps them: the lowering converts a point's homes
    // where it enters it.)
    let points = &mut alloc.points;
    // (A point at every head, and at the landings of programs with local calls.)
    points.try_reserve_exact(a.heads as usize).map_err(|_| OutOfMemory)?;
    let landing = |pc: usize| a.has_local_calls && pc > 0 && insns[pc - 1].is_local_call();
    for (pc, f) in a.facts.iter().enumerate() {
        if f.is_head() || landing(pc) {
            let mut regs = [[NO; 2]; VALUE_REGS];
            let homed = u16::from_le_bytes([b.u8()?, b.u8()?]);
            if homed >> VALUE_REGS != 0 {
                return Err(Refused::Wrong);
            }
            for r in bits(homed) {
                regs[r] = b.pair(allowed)?;
            }
            points.try_reserve(1).map_err(|_| OutOfMemory)?;
            points.push((pc as u32, regs));
        }
    }
    if points.first().is_some_and(|p| p.0 != 0) {
        return Err(Refused::Wrong);
    }
    alloc.defs.try_reserve_exact(n).map_err(|_| OutOfMemory)?;
    // (Filled at once, each def's homes set in the walk: most slots have none.)
    alloc.defs.resize(n, [None; 2]);
    let point = |pc: usize| points.binary_search_by_key(&(pc as u32), |p| p.0).ok();
    // The walk: each register's homes as the slot reads them.
    let mut homes = Homes { cur: [[NO; 2]; VALUE_REGS], held: [0; POOL.len()] };
    let mut next = 0;
    // The slot walked before this one (`n` at the first), read only at a point: does
    // control fall in from it?
    let mut before = n;
    let mut exits: Vec<[Pair; 6]> = Vec::new();
    let mut scanned = 0;
    // The op of a fused `mov; op` pair: its write was met at the move.
    let mut fused = usize::MAX;
    let mut pc = 0;
    while pc < n {
        let i = insns[pc];
        let f = &a.facts[pc];
        if points.get(next).is_some_and(|p| p.0 as usize == pc) {
            let at = &points[next].1;
            let landing = pc > 0 && insns[pc - 1].is_local_call();
            if insns.get(before).is_some_and(|b| a.facts[before].reachable && b.falls_through()) {
                // What falls in is where the point says (r0-r5 come to a landing from
                // the callee's exits, checked below).
                for r in bits(live_before(a, pc)) {
                    if (!landing || r >= 6) && homes.cur[r] != at[r] {
                        return Err(Refused::Wrong);
                    }
                }
            }
            homes.enter(at);
            next += 1;
            if landing {
                // The landing reloads r6-r9 (where live) into their homes here: each
                // meets what else is live here.
                let (lo, hi) = (a.live_lo_in(pc) & vals, a.hi_needed_in(pc) & vals);
                for (set, h) in [(lo & LANDING, 0), (hi & LANDING, 1)] {
                    for r in bits(set) {
                        homes.meets(halves(lo, hi), r, h, 0)?;
                    }
                }
            }
        }
        if pc == 0 {
            homes.apart(halves(a.entry_lo & vals, a.entry_hi & vals))?;
        }
        if pc >= scanned && matches!(i.opc, LDXB | LDXH | LDXW) {
            match crate::patterns::assembled_loads(insns, a, pc) {
                Ok(r) => {
                    scanned = r.end + 1;
                    alloc.assembled.try_reserve(1).map_err(|_| OutOfMemory)?;
                    alloc.assembled.push((pc, r));
                }
                Err(at) => scanned = at,
            }
        }
        let def = def_of(a, pc);
        if let Some(d) = def {
            // The defs' homes come in the walk's order.
            let home = b.pair(allowed)?;
            // An instruction that reads its destination continues its value.
            if home != homes.cur[d] {
                if (f.rd_lo | f.rd_hi) & 1 << d != 0 {
                    return Err(Refused::Wrong);
                }
                homes.set(d, home);
            }
            alloc.defs[pc] = pool_regs(home);
        }
        let pair = if is_mov_reg(i) { crate::patterns::move_op(insns, a, pc) } else { None };
        if let Some(op) = pair {
            // `d = s op x` in one instruction at the op's slot: it reads before it
            // writes, so the write meets only what is live after the pair.
            let d = op.dst() as usize;
            if d >= VALUE_REGS {
                return Err(Refused::Wrong);
            }
            let after = !(1 << d) & vals;
            let met = halves(a.live_lo_out(pc + 1) & after, a.facts[pc + 1].need_out & after);
            for h in 0..2 {
                homes.meets(met, d, h, 0)?;
            }
            fused = pc + 1;
        } else if pc != fused {
            let mut writes = f.defs & vals;
            if i.class() == CLS_STX && i.opc & MODE_MASK == MODE_ATOMIC {
                writes |= (1 << i.src() | 1) & vals;
            }
            // (Most slots that write nothing meet nothing: stores, jumps.)
            if writes != 0 || homes.held[KEPT] != 0 {
                // (An exit hands on r0-r5 only: r6-r9 come back from the caller's frame.)
                let handed = if i.opc == EXIT_OP { 0b11_1111 } else { ALL };
                // What the write meets: live after it, read by it (the same value as
                // before the write, where it is read: it continues), written with it.
                let lo = a.live_lo_out(pc) | f.rd_lo & handed | writes;
                let hi = f.need_out | f.rd_hi & handed | writes;
                let met = halves(lo & vals, hi & vals);
                let s = i.src() as usize;
                let copy = is_mov_reg(i) && s < VALUE_REGS;
                for w in bits(writes) {
                    // A copy's low half and its source's hold one value.
                    let except = if copy && def == Some(w) && writes == 1 << w { 1 << s } else { 0 };
                    homes.meets(met, w, 0, except)?;
                    homes.meets(met, w, 1, 0)?;
                }
                // Nothing a call meets is in lr.
                // (The mask first: few programs have a value in lr.)
                if homes.held[KEPT] & met != 0 && calls_out(i, f) {
                    return Err(Refused::Wrong);
                }
            }
        }
        // (The class first: most slots are no jump.)
        let jumps = matches!(i.class(), CLS_JMP | CLS_JMP32)
            && !matches!(i.opc & OP_MASK, EXIT)
            && (i.opc & OP_MASK != CALL || i.is_local_call());
        let target = if jumps { i.jump_target(pc) } else { None };
        if let Some(k) = target.filter(|&t| t < n).and_then(point) {
            let (t, at) = (points[k].0 as usize, &points[k].1);
            for r in bits(live_before(a, t)) {
                if homes.cur[r] != at[r] {
                    return Err(Refused::Wrong);
                }
            }
        }
        if i.opc == EXIT_OP && a.has_local_calls {
            exits.try_reserve(1).map_err(|_| OutOfMemory)?;
            exits.push(core::array::from_fn(|r| homes.cur[r]));
        }
        before = pc;
        pc = i.next_pc(pc);
    }
    // A callee's exits hand r0-r5 to every landing where they are live.
    for pc in 1..if a.has_local_calls { n } else { 0 } {
        if !insns[pc - 1].is_local_call() {
            continue;
        }
        let at = &points[point(pc).ok_or(Refused::Wrong)?].1;
        for r in bits(live_before(a, pc) & 0b11_1111) {
            if exits.iter().any(|e| e[r] != at[r]) {
                return Err(Refused::Wrong);
            }
        }
    }
    if !b.rest.is_empty() {
        return Err(Refused::Wrong);
    }
    alloc.lr_home = b.seen & 1 << KEPT != 0;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use crate::thumb2::regs::*;
    use vm::Program;

    /// A program, its analysis and the allocator's allocation.
    fn allocated(src: &str) -> (Vec<Insn>, Analysis, Allocation) {
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let a = analyse(p.insns(), crate::analysis::Sizes::default()).unwrap();
        let alloc = super::super::allocate(p.insns(), &a, &crate::loops::prepaid_loops(p.insns(), &a)).unwrap();
        (p.insns().to_vec(), a, alloc)
    }

    fn passes(insns: &[Insn], a: &Analysis, alloc: &Allocation) -> bool {
        let mut bytes = Vec::new();
        encode(insns, a, alloc, &mut bytes);
        check(insns, a, &bytes).is_ok()
    }

    /// A counter (r6) and a sum (r7) in a loop with a helper call; r0 the result.
    const LOOP: &str = "mov %r6, 0\nmov %r7, 0\nl: add %r7, %r6\nadd %r6, 1\njlt %r6, 10, l\nmov %r0, %r7\nexit";

    #[test]
    fn a_value_in_the_home_of_another_it_meets_is_refused() {
        let (insns, a, mut alloc) = allocated(LOOP);
        assert!(passes(&insns, &a, &alloc));
        let (c, s) = (alloc.defs[0][0], alloc.defs[1][0]);
        assert!(c.is_some() && s.is_some() && c != s, "{alloc:?}");
        // The sum's first value where the counter lives (both live into the loop).
        alloc.defs[1][0] = c;
        assert!(!passes(&insns, &a, &alloc));
    }

    #[test]
    fn a_point_that_says_another_home_than_the_way_in_is_refused() {
        let (insns, a, mut alloc) = allocated(LOOP);
        let head = alloc.points.iter().position(|p| p.0 == 2).unwrap();
        let free = POOL.iter().copied().find(|&r| {
            alloc.points[head].1.iter().all(|h| !h.contains(&index(Some(r)))) && alloc.r10 != Some(r) && r != LR
        });
        alloc.points[head].1[6][0] = index(free);
        assert!(!passes(&insns, &a, &alloc));
    }

    #[test]
    fn a_consistent_renaming_of_registers_passes() {
        // The check holds homes to rules, not to the allocator's choices: every home
        // of one register moved to a register no other value has passes.
        let (insns, a, mut alloc) = allocated(LOOP);
        let used: Vec<Reg> = alloc
            .defs
            .iter()
            .flatten()
            .flatten()
            .copied()
            .chain(alloc.points.iter().flat_map(|p| p.1.iter().flat_map(|&h| pool_regs(h))).flatten())
            .collect();
        let from = alloc.defs[0][0].unwrap();
        let to = POOL[..KEPT].iter().copied().find(|r| !used.contains(r) && alloc.r10 != Some(*r)).unwrap();
        let rename = |h: &mut Option<Reg>| {
            if *h == Some(from) {
                *h = Some(to);
            }
        };
        alloc.defs.iter_mut().flatten().for_each(rename);
        let (from, to) = (index(Some(from)), index(Some(to)));
        alloc.points.iter_mut().flat_map(|p| p.1.iter_mut()).flatten().filter(|h| **h == from).for_each(|h| *h = to);
        assert!(passes(&insns, &a, &alloc));
    }

    #[test]
    fn a_value_a_helper_call_meets_is_refused_in_lr() {
        let (insns, a, mut alloc) =
            allocated("mov %r6, 0\nl: mov %r1, %r6\ncall 1\nadd %r6, 1\njlt %r6, 10, l\nmov %r0, %r6\nexit");
        assert!(passes(&insns, &a, &alloc));
        let counter = alloc.defs[0][0];
        let to_lr = |h: &mut Option<Reg>| {
            if *h == counter {
                *h = Some(LR);
            }
        };
        alloc.defs.iter_mut().flatten().for_each(to_lr);
        let (counter, lr) = (index(counter), index(Some(LR)));
        alloc.points.iter_mut().flat_map(|p| p.1.iter_mut()).flatten().filter(|h| **h == counter).for_each(|h| *h = lr);
        assert!(!passes(&insns, &a, &alloc));
    }

    #[test]
    fn a_register_held_everywhere_is_no_value_s_home() {
        // r10 is used in the loop: it holds a register everywhere.
        let (insns, a, mut alloc) =
            allocated("mov %r6, 0\nl: stxw [%r10-4], %r6\nldxw %r7, [%r10-4]\nadd %r6, %r7\nadd %r6, 1\njlt %r6, 10, l\nmov %r0, %r6\nexit");
        assert!(alloc.r10.is_some() && passes(&insns, &a, &alloc), "{alloc:?}");
        let mut taken = alloc.clone();
        taken.defs[0][0] = alloc.r10;
        assert!(!passes(&insns, &a, &taken));
        // Nor lr (every call loses it).
        alloc.r10 = Some(LR);
        assert!(!passes(&insns, &a, &alloc));
    }

    #[test]
    fn bytes_that_are_not_the_format_are_refused() {
        let (insns, a, alloc) = allocated(LOOP);
        let mut bytes = Vec::new();
        encode(&insns, &a, &alloc, &mut bytes);
        for cut in 0..bytes.len() {
            assert!(check(&insns, &a, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = bytes.clone();
        long.push(NO | NO << 4);
        assert!(check(&insns, &a, &long).is_err());
        // A home past the pool (8-14).
        let last = bytes.len() - 1;
        for nibble in 8..15 {
            let mut wrong = bytes.clone();
            wrong[last] = nibble | NO << 4;
            assert!(check(&insns, &a, &wrong).is_err());
        }
    }
}
