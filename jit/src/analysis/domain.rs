//! The abstract domain of the forward analysis: what a register may hold (a number in
//! `[lo, hi]`, a pointer at a bounded offset from a region's anchor, a pointer near a
//! region, anything), and how each instruction transforms it.
use vm::opcode::*;
use vm::Insn;

use super::{Hint, Sizes, OFF_LIMIT};

pub(super) mod seeds;

/// What is known of a register's value. Bounds are 32-bit: on the device 64-bit
/// arithmetic costs two to three times as much, and values past 2^32 only need to be
/// known as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Abs {
    /// A number in `[lo, hi]`, a multiple of `2^tz` (the bounds are too): a counter
    /// stepping by 4 towards 256 stays below 252, one counting down to 1 stays above 0.
    Scalar(u32, u32, u8),
    /// The region's anchor plus an offset in `[lo, hi]`.
    Ptr(Hint, i32, i32),
    /// Somewhere near the region: a hint, nothing proven.
    Near(Hint),
    /// Anything.
    Any,
}

pub(super) use Abs::*;

pub(super) const U32: u32 = u32::MAX;

pub(super) fn ptr(region: Hint, lo: i64, hi: i64) -> Abs {
    let r = -OFF_LIMIT..=OFF_LIMIT;
    if r.contains(&lo) && r.contains(&hi) && lo <= hi {
        Ptr(region, lo as i32, hi as i32)
    } else {
        Near(region)
    }
}

/// A scalar bound from a 64-bit one.
pub(super) fn scalar(v: Option<u64>) -> Abs {
    match v {
        Some(v) => range(0, v),
        _ => Any,
    }
}

/// A number in `[lo, hi]` (64-bit bounds; unbounded past 2^32).
pub(super) fn range(lo: u64, hi: u64) -> Abs {
    if hi <= U32 as u64 {
        Scalar(lo.min(hi) as u32, hi as u32, 0)
    } else {
        Any
    }
}

/// A number in `[lo, hi]`, a multiple of `2^tz` (so the bounds rounded inwards to one;
/// a range left empty, on an edge no run takes, keeps `hi`).
pub(super) fn num(lo: u32, hi: u32, tz: u32) -> Abs {
    let tz = tz.min(31);
    let mask = (1u32 << tz) - 1;
    let hi = hi & !mask;
    let lo = lo.checked_add(mask).map_or(hi, |l| (l & !mask).min(hi));
    Scalar(lo, hi, tz as u8)
}

/// The known trailing zero bits of a value.
fn tz_of(a: Abs) -> u32 {
    match a {
        Scalar(_, _, t) => t as u32,
        _ => 0,
    }
}

/// ... of a constant (0 is a multiple of everything: counted as 31).
fn tz_imm(c: u64) -> u32 {
    c.trailing_zeros().min(31)
}

/// All ones up to the top bit of `v`: a bound for OR and XOR of values up to `v`.
pub(super) fn ones_to(v: u32) -> u32 {
    if v == 0 {
        0
    } else {
        U32 >> v.leading_zeros()
    }
}

impl Abs {
    pub(super) fn hi_zero(self) -> bool {
        matches!(self, Scalar(..) | Ptr(..))
    }

    /// A pointer at a known offset into `.rodata` or `.data`, whose sizes are known.
    pub(super) fn in_sized_region(self) -> bool {
        matches!(self, Ptr(Hint::Rodata | Hint::Data, ..))
    }

    pub(super) fn hint(self) -> Hint {
        match self {
            Ptr(r, ..) | Near(r) => r,
            _ => Hint::Unknown,
        }
    }

    /// The bound of the low 32 bits.
    pub(super) fn max32(self) -> u32 {
        match self {
            Scalar(_, m, _) => m,
            _ => U32,
        }
    }

    /// The lower bound of the low 32 bits.
    pub(super) fn min32(self) -> u32 {
        match self {
            Scalar(l, ..) => l,
            _ => 0,
        }
    }

    pub(super) fn join(self, o: Abs) -> Abs {
        match (self, o) {
            (Scalar(l1, h1, s), Scalar(l2, h2, t)) => num(l1.min(l2), h1.max(h2), s.min(t) as u32),
            (Ptr(r, l1, h1), Ptr(s, l2, h2)) if r == s => Ptr(r, l1.min(l2), h1.max(h2)),
            (Ptr(r, ..) | Near(r), Ptr(s, ..) | Near(s)) if r == s => Near(r),
            _ => Any,
        }
    }

    /// `self` grown to `new` at a block head: bounds jump to the next threshold (lower
    /// bounds down to one), so that loops reach their fixpoint in a pass or two. A
    /// number stops only at the thresholds for some of `regs` (each threshold comes with
    /// the registers it is for), its own; a pointer at any.
    pub(super) fn widen(self, new: Abs, thresholds: &[(u32, u16)], regs: u16, sizes: Sizes) -> Abs {
        // A pointer into `.rodata` or `.data` may also stop where the last access of
        // some size fits, so that accesses through it can be proven.
        let (regs, size) = match new {
            Ptr(Hint::Rodata, ..) => (u16::MAX, sizes.rodata),
            Ptr(Hint::Data, ..) => (u16::MAX, sizes.data),
            Ptr(..) => (u16::MAX, 0),
            _ => (regs, 0),
        };
        self.widen_with(new, thresholds, regs, size)
    }

    /// As [`Self::widen`], straight to the widest bound: for heads that keep growing.
    pub(super) fn widen_fully(self, new: Abs) -> Abs {
        match (self, new) {
            (Ptr(..), Ptr(r, ..)) if new != self => Near(r),
            _ => self.widen_with(new, &[], 0, 0),
        }
    }

    /// The same value seen from a callee: its frame is the next one up the stack
    /// (`r10 + STACK_FRAME_SIZE`), so a pointer into the caller's frames is that much
    /// further below the callee's r10. (The callee's own r10 is set apart.)
    pub(super) fn callee_view(self) -> Abs {
        const FRAME: i64 = vm::STACK_FRAME_SIZE as i64;
        match self {
            Ptr(Hint::Stack, lo, hi) => ptr(Hint::Stack, lo as i64 - FRAME, hi as i64 - FRAME),
            v => v,
        }
    }

    /// Only the pointer's region, nothing proven: what is left when precision is given up.
    pub(super) fn hint_only(self) -> Abs {
        match self {
            Ptr(r, ..) | Near(r) => Near(r),
            _ => Any,
        }
    }

    /// `self` grown to `new`: bounds go to the thresholds for `regs` around them (to
    /// the widest without any), a pointer's upper one also to where the last access of
    /// 8, 4, 2 or 1 bytes fits in a region of `size` bytes (if not 0). (Built for size:
    /// values grow a few times a head.)
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    fn widen_with(self, new: Abs, thresholds: &[(u32, u16)], regs: u16, size: u32) -> Abs {
        let up = |v: u32| {
            let t = thresholds.iter().find(|&&(t, r)| r & regs != 0 && t >= v).map_or(U32, |&(t, _)| t);
            let fits =
                [8, 4, 2, 1].iter().map(|len| size.wrapping_sub(*len)).find(|&f| size != 0 && f >= v && f <= size);
            fits.map_or(t, |f| f.min(t))
        };
        let down = |v: u32| thresholds.iter().rev().find(|&&(t, r)| r & regs != 0 && t <= v).map_or(0, |&(t, _)| t);
        match (self, new) {
            (Scalar(l1, h1, _), Scalar(l2, h2, t)) if h2 > h1 || l2 < l1 => {
                let lo = if l2 < l1 { down(l2) } else { l2 };
                num(lo, if h2 > h1 { up(h2) } else { h2 }, t as u32)
            }
            (Ptr(_, l1, h1), Ptr(r, l2, h2)) if l2 < l1 || h2 > h1 => {
                if l2 < l1 || h2 < 0 {
                    Near(r)
                } else {
                    ptr(r, l2 as i64, up(h2 as u32) as i64)
                }
            }
            _ => new,
        }
    }
}

/// Stack slots whose contents a state tracks: where compilers spill 64-bit values
/// (counters, pointers) when registers run out. A few suffice for a loop's spills.
pub(super) const SLOTS: usize = 10;

/// "No register": the source of a store of an immediate.
pub(super) const NO_REG: u8 = u8::MAX;

/// Membership of an equality class: the registers and tracked slots with the same
/// `id` (not 0) hold values that differ by exactly their `d`s (64-bit): copies, spills
/// and reloads of one value, and constant steps of any of them since. A comparison
/// that bounds one bounds the others: a loop's counter, its copy one step behind, its
/// spill, a reload of the spill with an offset added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Same {
    id: u8,
    d: i16,
}

const NOT_SAME: Same = Same { id: 0, d: 0 };

/// Class ids in use are 1..=15 (a bit each in a `u16`); a value exactly known counts
/// in class `CONSTANT` (its value as `d`) when states are joined.
const CONSTANT: u8 = 16;

/// An 8-byte stack slot at `r10 + off` (`off` < 0) and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    pub off: i16,
    pub same: Same,
    /// At a block head: how often the value grew there (as `Facts::grown` for registers).
    pub grown: u8,
    pub val: Abs,
}

const NO_SLOT: Slot = Slot { off: 0, same: NOT_SAME, grown: 0, val: Any };

/// What is known at a point: the registers, some of the current frame's slots, and
/// relations between registers.
///
/// Slots and relations are walked with counts and masks, not over their whole arrays:
/// most states have none, and loops the compiler would unroll cost the device flash.
#[derive(Debug, Clone, Copy)]
pub(super) struct State {
    pub regs: [Abs; 11],
    /// `slots[..nslots]` are tracked.
    slots: [Slot; SLOTS],
    nslots: u8,
    /// The registers' equality classes.
    same: [Same; 11],
    /// Class ids that may be in use (a superset: bit n for id n).
    ids: u16,
    /// `lins[..nlins]`: pointers that step with a counter.
    lins: [Lin; LINS],
    nlins: u8,
    /// Registers some `Lin` involves, on either side.
    linked: u16,
}

/// `k = anchor + scale * base`, exactly (64-bit), the anchor at an offset in `[lo, hi]`
/// from `region`'s: a pointer stepping `scale` times as far as a counter, as `p = &a[i]`
/// does when both are kept. A comparison that bounds the counter bounds the pointer,
/// though the pointer's own range widened at the loop head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lin {
    k: u8,
    base: u8,
    scale: u8,
    region: Hint,
    lo: i32,
    hi: i32,
}

/// Linear relations a state tracks: one per loop level suffices for the shapes above.
const LINS: usize = 2;

/// The (pointer, counter, scale) pairs linear relations are tried for: registers the
/// program steps by constants `c_k = scale * c_base` (found before the analysis, so
/// that a relation is only looked for where it may pay).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pairs {
    list: [(u8, u8, u8); 8],
    n: u8,
    /// Registers of some pair, on the pointer's side / the counter's.
    ptrs: u16,
    counters: u16,
}

impl Pairs {
    /// The pairs for these constant steps, `(register, step)`, of a register used as
    /// an address and one a jump tests.
    pub(super) fn of(steps: &[(u8, i32)], addresses: u16, tested: u16) -> Pairs {
        let mut p = Pairs::default();
        for &(k, ck) in steps.iter().filter(|(k, _)| addresses & 1 << k != 0) {
            for &(b, cb) in steps.iter().filter(|(b, _)| tested & 1 << b != 0) {
                let scale = if k != b && cb != 0 && ck % cb == 0 { ck / cb } else { 0 };
                if (1..=64).contains(&scale) && (p.n as usize) < p.list.len() {
                    p.list[p.n as usize] = (k, b, scale as u8);
                    p.n += 1;
                    p.ptrs |= 1 << k;
                    p.counters |= 1 << b;
                }
            }
        }
        p
    }
}

impl core::ops::Index<usize> for State {
    type Output = Abs;
    fn index(&self, k: usize) -> &Abs {
        &self.regs[k]
    }
}

impl core::ops::IndexMut<usize> for State {
    fn index_mut(&mut self, k: usize) -> &mut Abs {
        &mut self.regs[k]
    }
}

/// A state with nothing known: no slots, classes or relations, every register anything.
/// (A constant: a state is hundreds of bytes, one block copy to make.)
const NOTHING: State = State {
    regs: [Any; 11],
    slots: [NO_SLOT; SLOTS],
    nslots: 0,
    same: [NOT_SAME; 11],
    ids: 0,
    lins: [Lin { k: 0, base: 0, scale: 0, region: Hint::Unknown, lo: 0, hi: 0 }; LINS],
    nlins: 0,
    linked: 0,
};

impl State {
    fn new(regs: [Abs; 11]) -> Self {
        State { regs, ..NOTHING }
    }

    /// The tracked slots.
    pub(super) fn slots(&self) -> &[Slot] {
        &self.slots[..self.nslots as usize]
    }

    /// Register `k` gets a new value: it leaves its class and its linear relations.
    pub(super) fn redefined(&mut self, k: usize) {
        self.same[k] = NOT_SAME;
        if self.linked & 1 << k != 0 {
            self.unlink(k, None);
        }
    }

    /// A class id not in use (0 if none is left: then no class).
    fn fresh_id(&mut self) -> u8 {
        let id = (!(self.ids | 1)).trailing_zeros();
        if id > 15 {
            return 0;
        }
        self.ids |= 1 << id;
        id as u8
    }

    /// Register `k`'s class, a new one if it has none. Pointers get none: no comparison
    /// narrows them (and r10 is copied often).
    fn class_of(&mut self, k: usize) -> Same {
        if matches!(self.regs[k], Ptr(..) | Near(..)) {
            return NOT_SAME;
        }
        if self.same[k].id == 0 {
            self.same[k] = Same { id: self.fresh_id(), d: 0 };
        }
        self.same[k]
    }

    /// `k = j` (64-bit).
    fn copied_from(&mut self, k: usize, j: usize) {
        if k != j {
            self.same[k] = self.class_of(j);
        }
    }

    /// `k += c` (64-bit, `c` a constant).
    fn stepped(&mut self, k: usize, c: i64) {
        if self.linked & 1 << k != 0 {
            self.unlink(k, Some(c));
        }
        if self.same[k].id != 0 {
            match i16::try_from(self.same[k].d as i64 + c) {
                Ok(d) => self.same[k].d = d,
                Err(_) => self.same[k] = NOT_SAME,
            }
        }
    }

    /// Register `k` is narrowed to `v` on a jump's edge, and with it the registers and
    /// slots of its class and the pointers related to it. Returns the registers narrowed
    /// to a bounded value.
    #[inline(never)]
    pub(super) fn narrow(&mut self, k: usize, v: Abs) -> u16 {
        self.regs[k] = v;
        let mut bounded = if v.hi_zero() { 1 << k } else { 0 };
        let Same { id, d: dk } = self.same[k];
        if id != 0 {
            // x = k + (dx - dk): the same value at an offset.
            for x in (0..11).filter(|&x| x != k && self.same[x].id == id) {
                self.regs[x] = at_offset(self.regs[x], v, self.same[x].d as i64 - dk as i64);
                if self.regs[x].hi_zero() {
                    bounded |= 1 << x;
                }
            }
            for slot in self.slots[..self.nslots as usize].iter_mut().filter(|s| s.same.id == id) {
                slot.val = at_offset(slot.val, v, slot.same.d as i64 - dk as i64);
            }
        }
        if self.linked & 1 << k != 0 {
            bounded |= self.follow_lins(Some(k));
        }
        bounded
    }

    /// Whether some register or slot may be in a class (a superset).
    pub(super) fn has_classes(&self) -> bool {
        self.ids != 0
    }

    /// Whether some linear relation is kept.
    pub(super) fn has_lins(&self) -> bool {
        self.nlins != 0
    }

    /// Whether narrowing `k` may narrow anything else (a register or a slot).
    pub(super) fn related(&self, k: usize) -> bool {
        self.same[k].id != 0 || self.linked & 1 << k != 0
    }

    /// Forgets every relation.
    pub(super) fn forget_rels(&mut self) {
        self.same = [NOT_SAME; 11];
        for slot in self.slots.iter_mut() {
            slot.same = NOT_SAME;
        }
        self.ids = 0;
        self.nlins = 0;
        self.linked = 0;
    }

    /// Register `k` steps by `c` (`None`: changes otherwise): the linear relations it
    /// is in follow it or end.
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    fn unlink(&mut self, k: usize, c: Option<i64>) {
        let mut j = 0;
        while j < self.nlins as usize {
            let l = &mut self.lins[j];
            // k = a + s * b: stepping k moves the anchor by c, stepping b by -s * c.
            let by = match c {
                Some(c) if l.k as usize == k => Some(c),
                Some(c) if l.base as usize == k => Some(-(l.scale as i64) * c),
                _ if l.k as usize != k && l.base as usize != k => Some(0),
                _ => None,
            };
            match by.map(|by| ptr(l.region, l.lo as i64 + by, l.hi as i64 + by)) {
                Some(Ptr(_, lo, hi)) => {
                    (l.lo, l.hi) = (lo, hi);
                    j += 1;
                }
                _ => self.drop_lin(j),
            }
        }
    }

    fn drop_lin(&mut self, j: usize) {
        self.nlins -= 1;
        self.lins[j] = self.lins[self.nlins as usize];
        self.linked = self.lins[..self.nlins as usize].iter().fold(0, |m, l| m | 1 << l.k | 1 << l.base);
    }

    /// Register `d` got a new value: relations of the pairs it is in, where the
    /// pointer and the counter are both known now.
    #[inline(never)]
    fn link(&mut self, d: usize, pairs: &Pairs) {
        for &(k, b, scale) in &pairs.list[..pairs.n as usize] {
            if k as usize != d && b as usize != d {
                continue;
            }
            let (Ptr(region, lk, hk), Scalar(lb, hb, _)) = (self.regs[k as usize], self.regs[b as usize]) else {
                continue;
            };
            let s = scale as i64;
            let Ptr(_, lo, hi) = ptr(region, lk as i64 - s * hb as i64, hk as i64 - s * lb as i64) else { continue };
            let j = self.lins[..self.nlins as usize].iter().position(|l| l.k == k).unwrap_or(self.nlins as usize);
            if j < LINS {
                self.lins[j] = Lin { k, base: b, scale, region, lo, hi };
                self.nlins = self.nlins.max(j as u8 + 1);
                self.linked |= 1 << k | 1 << b;
            }
        }
    }

    /// Pointers related to counter `b` (any counter if `None`) narrowed to what the
    /// counter's range allows; returns those now bounded.
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    pub(super) fn follow_lins(&mut self, b: Option<usize>) -> u16 {
        let mut bounded = 0;
        for l in &self.lins[..self.nlins as usize] {
            let Scalar(lb, hb, _) = self.regs[l.base as usize] else { continue };
            if b.is_some_and(|b| b != l.base as usize) {
                continue;
            }
            let s = l.scale as i64;
            let derived = ptr(l.region, l.lo as i64 + s * lb as i64, l.hi as i64 + s * hb as i64);
            let k = l.k as usize;
            self.regs[k] = match (self.regs[k], derived) {
                (Ptr(r, l1, h1), Ptr(q, l2, h2)) if r == q && l1.max(l2) <= h1.min(h2) => {
                    Ptr(r, l1.max(l2), h1.min(h2))
                }
                (_, Ptr(..)) => derived,
                (v, _) => v,
            };
            if self.regs[k].hi_zero() {
                bounded |= 1 << k;
            }
        }
        bounded
    }

    /// Keeps the linear relations `other` has too; true if any ended.
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    pub(super) fn join_lins(&mut self, other: &State) -> bool {
        let mut ended = false;
        let mut j = 0;
        while j < self.nlins as usize {
            if other.lins[..other.nlins as usize].contains(&self.lins[j]) {
                j += 1;
            } else {
                self.drop_lin(j);
                ended = true;
            }
        }
        ended
    }

    /// Keeps the equalities that hold in `other` too (slots are matched by offset: call
    /// it once `self` keeps only slots `other` has); true if any ended. Values known
    /// exactly count as equal to each other at their differences, so that a counter set
    /// to 31 and a slot set to 31 before a loop are equal at its head if the loop's way
    /// back keeps them so.
    #[inline(never)]
    pub(super) fn join_classes(&mut self, other: &State) -> bool {
        const HOLDERS: usize = 11 + SLOTS;
        // Each holder (registers, then slots) with a class on both sides, by the pair of
        // classes and the change of its offset: holders with equal keys stay equal.
        // (Only holders with a key are listed: most have none.)
        let n = 11 + self.nslots as usize;
        // (Vectors of fixed capacity: made empty in a word, where arrays of keys were
        // hundreds of bytes to clear at every join. A holder adds at most one key to each.)
        let (mut keys, mut old) = (heapless::Vec::<Key, HOLDERS>::new(), heapless::Vec::<Key, HOLDERS>::new());
        for h in 0..n {
            let (mine, theirs) = if h < 11 {
                ((self.same[h], self.regs[h]), (other.same[h], other.regs[h]))
            } else {
                let slot = self.slots[h - 11];
                let o = other.slots().iter().find(|o| o.off == slot.off).map_or((NOT_SAME, Any), |o| (o.same, o.val));
                ((slot.same, slot.val), o)
            };
            if mine.0.id != 0 {
                let _ = old.push(Key { holder: h as u8, a: mine.0.id, b: 0, c: 0, d: mine.0.d as i64 });
            }
            match (class_key(mine), class_key(theirs)) {
                // The same constant on both sides stays known exactly: no class needed.
                (Some(a), Some(b)) if a == b && a.0 == CONSTANT => {}
                (Some(a), Some(b)) => {
                    let _ = keys.push(Key { holder: h as u8, a: a.0, b: b.0, c: b.1 - a.1, d: a.1 });
                }
                _ => {}
            }
        }
        // (Each of the `n` holders only: the rest of the arrays is never read.)
        let (mut joined, mut before) = ([NOT_SAME; HOLDERS], [NOT_SAME; HOLDERS]);
        let (joined, before) = (&mut joined[..n], &mut before[..n]);
        classes(&keys, joined);
        classes(&old, before);
        self.same.copy_from_slice(&joined[..11]);
        for (slot, s) in self.slots.iter_mut().zip(&joined[11..]) {
            slot.same = *s;
        }
        self.ids = joined.iter().fold(0, |m, s| m | 1 << s.id) & !1;
        joined != before
    }

    /// Memory may have changed anywhere (helpers, callees, unproven stores).
    pub(super) fn forget_slots(&mut self) {
        self.nslots = 0;
    }

    /// Stops tracking slot `j` (the last one takes its place).
    pub(super) fn drop_slot(&mut self, j: usize) {
        let last = self.nslots as usize - 1;
        self.slots[j] = self.slots[last];
        self.nslots -= 1;
    }

    /// Slot `j`, to change at a merge.
    pub(super) fn slot_mut(&mut self, j: usize) -> &mut Slot {
        &mut self.slots[j]
    }

    /// The registers in slot `j`'s class.
    pub(super) fn slot_class_regs(&self, j: usize) -> u16 {
        let id = self.slots[j].same.id;
        if id == 0 {
            return 0;
        }
        (0..11).filter(|&k| self.same[k].id == id).fold(0, |m, k| m | 1 << k)
    }

    /// The value a callee starts with: the caller's registers seen from its frame, none
    /// of the caller's slots or relations.
    pub(super) fn callee_view(&self) -> State {
        let mut callee = State::new(self.regs.map(|v| v.callee_view()));
        callee.regs[10] = Ptr(Hint::Stack, 0, 0);
        callee
    }

    /// The slot an access of `len` bytes at `base + off` is exactly, if the base is a
    /// known offset from r10.
    fn slot_at(base: Abs, off: i16) -> Option<i64> {
        match base {
            Ptr(Hint::Stack, lo, hi) if lo == hi => Some(lo as i64 + off as i64),
            _ => None,
        }
    }

    /// A store of `len` bytes at `base + off`, `proven` inside its region: slots it may
    /// overlap are forgotten; an 8-byte store to an exact slot records `val`.
    #[inline(never)]
    fn store(&mut self, base: Abs, off: i16, len: i64, proven: bool, val: Option<(Abs, u8)>) {
        match base {
            Ptr(Hint::Stack, lo, hi) => {
                let (from, to) = (lo as i64 + off as i64, hi as i64 + off as i64 + len);
                let mut j = 0;
                while j < self.nslots as usize {
                    let at = self.slots[j].off as i64;
                    if at < to && from < at + 8 {
                        self.drop_slot(j);
                    } else {
                        j += 1;
                    }
                }
            }
            // Proven inside `.data` (or the input): not the stack.
            Ptr(..) if proven => {}
            _ => self.forget_slots(),
        }
        let (Some(at), Some((val, copy_of)), 8) = (Self::slot_at(base, off), val, len) else { return };
        let Ok(at) = i16::try_from(at) else { return };
        let j = self.nslots as usize;
        if at >= 0 || at % 8 != 0 || j == SLOTS {
            return;
        }
        let same = if copy_of < 11 { self.class_of(copy_of as usize) } else { NOT_SAME };
        self.slots[j] = Slot { off: at, same, grown: 0, val };
        self.nslots += 1;
    }

    /// What the tracked slot at `base + off` holds, if it is one.
    pub(super) fn slot_value(&self, base: Abs, off: i16) -> Option<Abs> {
        let at = Self::slot_at(base, off)?;
        self.slots().iter().find(|s| s.off as i64 == at).map(|s| s.val)
    }

    /// What an 8-byte load at `base + off` reads, if it is a tracked slot.
    #[inline(never)]
    fn load(&mut self, base: Abs, off: i16, into: usize) -> Option<Abs> {
        let at = Self::slot_at(base, off)?;
        let j = self.slots().iter().position(|s| s.off as i64 == at)?;
        if self.slots[j].same.id == 0 && !matches!(self.slots[j].val, Ptr(..) | Near(..)) {
            self.slots[j].same = Same { id: self.fresh_id(), d: 0 };
        }
        self.same[into] = self.slots[j].same;
        Some(self.slots[j].val)
    }
}

/// A holder's key at a join: holders with equal `(a, b, c)` are in one class, at offsets
/// their `d` give.
#[derive(Clone, Copy, Default)]
struct Key {
    holder: u8,
    a: u8,
    b: u8,
    c: i64,
    d: i64,
}

/// Holders (registers, then slots; those with a key, in order) grouped by equal keys,
/// classes numbered in the order of their first holder, each holder's offset its `d`
/// less the first one's; a group of one is no class. The same partition always comes
/// out the same, whatever the ids it came from.
#[inline(never)]
fn classes(keys: &[Key], out: &mut [Same]) {
    let mut next = 1;
    for (x, k) in keys.iter().enumerate() {
        if out[k.holder as usize].id != 0 || next > 15 {
            continue;
        }
        let mut members = 0;
        for g in &keys[x + 1..] {
            if (g.a, g.b, g.c) == (k.a, k.b, k.c) {
                if let Ok(rel) = i16::try_from(g.d - k.d) {
                    out[g.holder as usize] = Same { id: next, d: rel };
                    members += 1;
                }
            }
        }
        if members > 0 {
            out[k.holder as usize] = Same { id: next, d: 0 };
            next += 1;
        }
    }
}

/// A holder's class for a join: its own, or for a value known exactly, `CONSTANT` at
/// the value.
fn class_key((same, val): (Same, Abs)) -> Option<(u8, i64)> {
    match (same, val) {
        (_, Scalar(l, h, _)) if l == h => Some((CONSTANT, l as i64)),
        (Same { id: 0, .. }, _) => None,
        (s, _) => Some((s.id, s.d as i64)),
    }
}

/// `x`, known to be `k + off` (64-bit), once `k` is narrowed to `v`.
fn at_offset(x: Abs, v: Abs, off: i64) -> Abs {
    if off == 0 {
        return v;
    }
    let (Scalar(l, m, _), Scalar(..) | Any) = (v, x) else { return x };
    let derived = match (l as i64).checked_add(off) {
        // No wrap: the whole range stays at or above zero.
        Some(lo) if lo >= 0 => range(lo as u64, (m as i64 + off) as u64),
        _ => return x,
    };
    match (x, derived) {
        (Scalar(l1, h1, t), Scalar(l2, h2, _)) => num(l1.max(l2), h1.min(h2), t as u32),
        (Any, d) => d,
        (x, _) => x,
    }
}

/// The state at the entry, made where it is kept.
pub(super) fn enter(state: &mut Option<State>) {
    let s = state.insert(NOTHING);
    s.regs = [Scalar(0, 0, 31); 11];
    s.regs[1] = Ptr(Hint::Input, 0, 0);
    s.regs[2] = Scalar(0, U32, 0);
    s.regs[10] = Ptr(Hint::Stack, 0, 0);
}

pub(super) fn alu32(i: Insn, a: Abs, b: Abs) -> Abs {
    let (la, ma, lb, mb) = (a.min32(), a.max32(), b.min32(), b.max32());
    let k = i.imm as u32;
    let x = i.opc & SRC_X != 0;
    let (lo, hi) = match i.opc & OP_MASK {
        OP_MOV if i.off == 0 => (lb, mb),
        OP_ADD => {
            // Exact while no value wraps, or every value does (a constant below zero
            // added to a value at least its size).
            let (lo, hi) = (la as u64 + lb as u64, ma as u64 + mb as u64);
            match (lo >> 32, hi >> 32) {
                (0, 0) | (1, 1) => (lo as u32, hi as u32),
                _ => (0, U32),
            }
        }
        OP_SUB if !x && la >= k => (la - k, ma - k),
        OP_MUL => ma.checked_mul(mb).map_or((0, U32), |hi| (la * lb, hi)),
        OP_AND => (0, ma.min(mb)),
        OP_OR | OP_XOR => (0, ones_to(ma.max(mb))),
        OP_RSH if x => (0, ma),
        OP_RSH => (la >> (k & 31), ma >> (k & 31)),
        OP_DIV if i.off == 0 => (0, ma),
        OP_MOD if i.off == 0 && !x && k > 0 => (0, ma.min(k - 1)),
        OP_MOD if i.off == 0 => (0, ma),
        OP_END if i.imm == 64 => return Any,
        _ => (0, U32),
    };
    num(lo, hi, 0)
}

pub(super) fn alu64(i: Insn, a: Abs, b: Abs) -> Abs {
    let x = i.opc & SRC_X != 0;
    let k = i.imm as i64;
    let (ka, kb) = (matches!(a, Scalar(..)), matches!(b, Scalar(..)));
    let (la, ma, lb, mb) = (a.min32() as u64, a.max32() as u64, b.min32() as u64, b.max32() as u64);
    // A bounded `a` plus a constant: exact while nothing goes below zero.
    let plus = |c: i64| match (la as i64).checked_add(c) {
        Some(lo) if ka && lo >= 0 => range(lo as u64, (ma as i64 + c) as u64),
        _ => Any,
    };
    match i.opc & OP_MASK {
        OP_MOV if i.off == 0 => {
            if x {
                b
            } else {
                u64::try_from(k).map_or(Any, |k| range(k, k))
            }
        }
        OP_ADD => match (a, b, x) {
            (Scalar(..), Scalar(..), true) => range(la + lb, ma + mb),
            (Scalar(..), _, false) => plus(k),
            (Ptr(r, l, h), Scalar(lq, q, _), true) | (Scalar(lq, q, _), Ptr(r, l, h), true) => {
                ptr(r, l as i64 + lq as i64, h as i64 + q as i64)
            }
            (Ptr(r, l, h), _, false) => ptr(r, l as i64 + k, h as i64 + k),
            (Near(r), Scalar(..), _) | (Scalar(..), Near(r), true) | (Ptr(r, ..), _, true) | (_, Ptr(r, ..), true) => {
                Near(r)
            }
            _ => Any,
        },
        OP_SUB => match (a, x) {
            (Ptr(r, l, h), false) => ptr(r, l as i64 - k, h as i64 - k),
            (Scalar(..), false) => plus(-k),
            (Ptr(r, ..) | Near(r), _) => Near(r),
            _ => Any,
        },
        OP_AND if x && kb => scalar(Some(ma.min(mb))),
        OP_AND if (x || k < 0) && ka => scalar(Some(ma)),
        OP_AND if !x && k >= 0 => scalar(Some(ma.min(k as u64))),
        OP_OR | OP_XOR if ka && (if x { kb } else { k >= 0 }) => {
            let other = if x { mb } else { k as u64 };
            scalar(Some(ones_to(ma.max(other) as u32) as u64).filter(|_| other <= U32 as u64))
        }
        OP_LSH if !x && ka => scalar(Some(ma).filter(|m| m.leading_zeros() >= (k & 63) as u32).map(|m| m << (k & 63))),
        OP_RSH if ka => scalar(Some(if x { ma } else { ma >> (k & 63) })),
        OP_RSH if !x && (k & 63) >= 32 => scalar(Some(u64::MAX >> (k & 63))),
        OP_ARSH if !x && ka => scalar(Some(ma >> (k & 63))),
        OP_MUL if ka && (if x { kb } else { k >= 0 }) => scalar(ma.checked_mul(if x { mb } else { k as u64 })),
        OP_DIV if i.off == 0 && ka => scalar(Some(ma)),
        OP_MOD if i.off == 0 && !x && k > 0 => scalar(Some(if ka { ma.min(k as u64 - 1) } else { k as u64 - 1 })),
        OP_MOD if i.off == 0 && ka => scalar(Some(ma)),
        _ => Any,
    }
}

/// An ALU result `v` of `a <op> b` with the trailing zero bits it keeps (the same in
/// the low 32 bits of a 64-bit operation: ALU32 results are those).
#[inline(always)]
fn aligned(i: Insn, v: Abs, a: Abs, b: Abs) -> Abs {
    let Scalar(l, m, _) = v else { return v };
    let x = i.opc & SRC_X != 0;
    let (ta, tb) = (tz_of(a), if x { tz_of(b) } else { tz_imm(i.imm as i64 as u64) });
    // The shift amount as the operation masks it.
    let k = i.imm as u32 & if i.class() == CLS_ALU { 31 } else { 63 };
    let tz = match i.opc & OP_MASK {
        OP_MOV if i.off == 0 => tb,
        OP_ADD | OP_SUB | OP_OR | OP_XOR => ta.min(tb),
        OP_MUL => ta + tb,
        OP_AND => ta.max(tb),
        OP_LSH if !x => ta + k,
        OP_RSH | OP_ARSH if !x => ta.saturating_sub(k),
        _ => 0,
    };
    num(l, m, tz)
}

/// The bytes a memory access moves.
pub(crate) fn access_len(i: Insn) -> i64 {
    match i.opc & SZ_MASK {
        SZ_B => 1,
        SZ_H => 2,
        SZ_W => 4,
        _ => 8,
    }
}

/// The effect of a non-control instruction; `proven`: a memory access proven inside
/// its region.
pub(super) fn transfer(i: Insn, hi_imm: i32, s: &mut State, proven: bool, pairs: &Pairs) {
    let d = i.dst() as usize % 11;
    let src = i.src() as usize % 11;
    let b = if i.opc & SRC_X != 0 { s[src] } else { Scalar(i.imm as u32, i.imm as u32, 0) };
    let mem = i.opc & MODE_MASK == MODE_MEM;
    let v = match i.class() {
        CLS_ALU => aligned(i, alu32(i, s[d], b), s[d], b),
        CLS_ALU64 => aligned(i, alu64(i, s[d], s[src]), s[d], b),
        CLS_LDX if mem => match i.opc & SZ_MASK {
            SZ_B => Scalar(0, 0xff, 0),
            SZ_H => Scalar(0, 0xffff, 0),
            SZ_W => Scalar(0, U32, 0),
            _ => {
                let base = s[src];
                s.redefined(d);
                if let Some(v) = s.load(base, i.off, d) {
                    s[d] = v;
                    return;
                }
                Any
            }
        },
        CLS_LDX => Any,
        CLS_LD => match i.opc {
            LDDWD => ptr(Hint::Data, i.imm as i64, i.imm as i64),
            LDDWR => ptr(Hint::Rodata, i.imm as i64, i.imm as i64),
            _ if hi_imm == 0 => num(i.imm as u32, i.imm as u32, tz_imm(i.imm as u32 as u64)),
            _ => Any,
        },
        CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => {
            // Fetching atomics write src (or r0 for cmpxchg), and memory.
            s.store(s[d], i.off, access_len(i), false, None);
            for k in [src, 0] {
                s[k] = Any;
                s.redefined(k);
            }
            return;
        }
        CLS_STX if mem => return s.store(s[d], i.off, access_len(i), proven, Some((s[src], src as u8))),
        CLS_ST if mem => {
            let imm = u64::try_from(i.imm as i64).map_or(Any, |k| range(k, k));
            return s.store(s[d], i.off, access_len(i), proven, Some((imm, NO_REG)));
        }
        CLS_ST | CLS_STX => return s.forget_slots(),
        _ => return,
    };
    s[d] = v;
    // Copies and constant steps keep relations; anything else ends them.
    match i.opc {
        MOV64_REG if i.off == 0 => {
            s.redefined(d);
            s.copied_from(d, src);
        }
        ADD64_IMM => s.stepped(d, i.imm as i64),
        SUB64_IMM => s.stepped(d, -(i.imm as i64)),
        _ => s.redefined(d),
    }
    // A pointer or a counter of some pair got a value that may start a relation.
    if (pairs.ptrs | pairs.counters) & 1 << d != 0 && !matches!(i.opc, ADD64_IMM | SUB64_IMM) {
        let starts = match s[d] {
            Ptr(..) => pairs.ptrs & 1 << d != 0,
            Scalar(..) => pairs.counters & 1 << d != 0,
            _ => false,
        };
        if starts {
            s.link(d, pairs);
        }
    }
}

/// The compared register's bound on one edge of a conditional jump, if it narrows.
pub(super) fn refine(i: Insn, taken: bool, s: &State) -> Option<Abs> {
    let old = s[i.dst() as usize % 11];
    let Scalar(l, m, tz) = old else { return None };
    let op = i.opc & OP_MASK;
    let is32 = i.class() == CLS_JMP32;
    // The values compare as unsigned 32-bit numbers (bounded scalars are below 2^32):
    // signed comparisons only when both are non-negative.
    let signed = matches!(op, JSGT | JSGE | JSLT | JSLE);
    let limit = if signed && is32 { i32::MAX as u32 } else { U32 };
    // `[kl, kh]`: the constant, or the range of a register operand.
    let (kl, kh) = if i.opc & SRC_X != 0 {
        match s[i.src() as usize % 11] {
            Scalar(kl, kh, _) => (kl, kh),
            _ => return None,
        }
    } else if is32 || i.imm >= 0 {
        (i.imm as u32, i.imm as u32)
    } else {
        return None; // a negative 64-bit constant is above every bounded scalar
    };
    if m > limit || kh > limit {
        return None;
    }
    let (lo, hi) = match (op, taken) {
        (JEQ, true) | (JNE, false) => (l.max(kl), m.min(kh)),
        // Unequal to the one value `k`: not `k` at either end.
        (JEQ, false) | (JNE, true) if kl == kh && (l == kl || m == kl) && l < m => {
            (l + u32::from(l == kl), m - u32::from(m == kl))
        }
        (JLT | JSLT, true) | (JGE | JSGE, false) if kh > 0 => (l, m.min(kh - 1)),
        (JLE | JSLE, true) | (JGT | JSGT, false) => (l, m.min(kh)),
        (JGT | JSGT, true) | (JLE | JSLE, false) if kl < U32 => (l.max(kl + 1), m),
        (JGE | JSGE, true) | (JLT | JSLT, false) => (l.max(kl), m),
        _ => return None,
    };
    // Unchanged bounds still narrow the registers related to this one.
    let new = num(lo, hi, tz as u32);
    (new != old || s.related(i.dst() as usize % 11)).then_some(new)
}

/// Whether an access of `len` bytes at `base + off` is proven inside a region. In a
/// callee (`in_callee`) the stack holds the caller's frame below the current one: the
/// runtime gives every frame of a run `STACK_FRAME_SIZE` bytes, one above the other.
pub(super) fn proven(base: Abs, off: i16, len: u32, write: bool, sizes: Sizes, in_callee: bool) -> bool {
    let Ptr(region, lo, hi) = base else { return false };
    let (lo, hi) = (lo as i64 + off as i64, hi as i64 + off as i64 + len as i64);
    let frames = if in_callee { 2 } else { 1 };
    let (min, max) = match region {
        Hint::Rodata if !write => (0, sizes.rodata as i64),
        Hint::Data => (0, sizes.data as i64),
        Hint::Stack => (-(frames * vm::STACK_FRAME_SIZE as i64), 0),
        _ => return false,
    };
    lo >= min && hi <= max
}
