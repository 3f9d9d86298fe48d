//! The abstract domain of the forward analysis: what a register may hold (a number in
//! `[0, max]`, a pointer at a bounded offset from a region's anchor, a pointer near a
//! region, anything), and how each instruction transforms it.
use vm::opcode::*;
use vm::Insn;

use super::{Hint, Sizes, OFF_LIMIT};

/// What is known of a register's value. Bounds are 32-bit: on the device 64-bit
/// arithmetic costs two to three times as much, and values past 2^32 only need to be
/// known as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Abs {
    /// A number in `[0, max]`, a multiple of `2^tz` (`max` is one too): a counter
    /// stepping by 4 towards 256 stays below 252.
    Scalar(u32, u8),
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
        Some(v) if v <= U32 as u64 => Scalar(v as u32, 0),
        _ => Any,
    }
}

/// A number up to `max`, a multiple of `2^tz` (so up to `max` rounded down to one).
pub(super) fn num(max: u32, tz: u32) -> Abs {
    let tz = tz.min(31);
    Scalar(max & !((1u32 << tz) - 1), tz as u8)
}

/// The known trailing zero bits of a value.
fn tz_of(a: Abs) -> u32 {
    match a {
        Scalar(_, t) => t as u32,
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
            Scalar(m, _) => m,
            _ => U32,
        }
    }

    pub(super) fn join(self, o: Abs) -> Abs {
        match (self, o) {
            (Scalar(a, s), Scalar(b, t)) => num(a.max(b), s.min(t) as u32),
            (Ptr(r, l1, h1), Ptr(s, l2, h2)) if r == s => Ptr(r, l1.min(l2), h1.max(h2)),
            (Ptr(r, ..) | Near(r), Ptr(s, ..) | Near(s)) if r == s => Near(r),
            _ => Any,
        }
    }

    /// `self` grown to `new` at a block head: bounds jump to the next threshold, so
    /// that loops reach their fixpoint in a pass or two.
    pub(super) fn widen(self, new: Abs, thresholds: &[u32], sizes: Sizes) -> Abs {
        let up = |v: u32| thresholds.iter().copied().find(|&t| t >= v).unwrap_or(U32);
        // A pointer into `.rodata` or `.data` may also stop where the last access of
        // some size fits, so that accesses through it can be proven.
        let size = match new {
            Ptr(Hint::Rodata, ..) => sizes.rodata,
            Ptr(Hint::Data, ..) => sizes.data,
            _ => return self.widen_with(new, up),
        };
        self.widen_with(new, |v| {
            let fits = [8, 4, 2, 1].into_iter().map(|len| size.saturating_sub(len)).find(|&t| t >= v);
            fits.map_or(up(v), |t| t.min(up(v)))
        })
    }

    /// As [`Self::widen`], straight to the widest bound: for heads that keep growing.
    pub(super) fn widen_fully(self, new: Abs) -> Abs {
        match (self, new) {
            (Ptr(..), Ptr(r, ..)) if new != self => Near(r),
            _ => self.widen_with(new, |_| U32),
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

    pub(super) fn widen_with(self, new: Abs, up: impl Fn(u32) -> u32) -> Abs {
        match (self, new) {
            (Scalar(a, _), Scalar(b, t)) if b > a => num(up(b), t as u32),
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

/// "No register": a slot that holds no register's current value.
pub(super) const NO_REG: u8 = u8::MAX;

/// An 8-byte stack slot at `r10 + off` (`off` < 0) and what it holds: a value that
/// `copy_of`, if a register, holds too, so that a comparison that narrows the register
/// narrows the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    pub off: i16,
    pub copy_of: u8,
    /// At a block head: how often the value grew there (as `Facts::grown` for registers).
    pub grown: u8,
    pub val: Abs,
}

const NO_SLOT: Slot = Slot { off: 0, copy_of: NO_REG, grown: 0, val: Any };

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
    /// Registers some slot holds a copy of: most instructions redefine none of them,
    /// and skip the slots (this runs at every instruction of every compile).
    copied: u16,
    /// `rel[k]`, for k in `has_rel`: register k holds another register's value plus a
    /// constant, exactly (a 64-bit copy and constant steps of either since), so that a
    /// comparison that bounds one bounds the other: a loop's counter and its copy one
    /// step behind.
    rel: [Rel; 11],
    has_rel: u16,
    /// Registers some relation is based on (a superset, as `copied`).
    based: u16,
}

/// `base + delta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rel {
    base: u8,
    delta: i16,
}

/// The registers in a set, lowest first.
fn each(mut set: u16, mut f: impl FnMut(usize)) {
    while set != 0 {
        let k = set.trailing_zeros() as usize;
        set &= set - 1;
        f(k);
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

impl State {
    fn new(regs: [Abs; 11]) -> Self {
        let rel = [Rel { base: NO_REG, delta: 0 }; 11];
        State { regs, slots: [NO_SLOT; SLOTS], nslots: 0, copied: 0, rel, has_rel: 0, based: 0 }
    }

    /// The tracked slots.
    pub(super) fn slots(&self) -> &[Slot] {
        &self.slots[..self.nslots as usize]
    }

    /// Register `k` gets a new value: no slot holds a copy of it any more, and no
    /// relation involves it.
    pub(super) fn redefined(&mut self, k: usize) {
        self.has_rel &= !(1 << k);
        if (self.copied | self.based) & 1 << k != 0 {
            self.moved(k, None);
        }
    }

    /// Register `k` changes by `step` (`None`: to an unrelated value): the slots that
    /// held its value no longer do; relations based on it follow it or end.
    #[inline(never)]
    fn moved(&mut self, k: usize, step: Option<i64>) {
        if self.copied & 1 << k != 0 {
            self.copied &= !(1 << k);
            for slot in self.slots[..self.nslots as usize].iter_mut().filter(|s| s.copy_of as usize == k) {
                slot.copy_of = NO_REG;
            }
        }
        if self.based & 1 << k != 0 {
            if step.is_none() {
                self.based &= !(1 << k);
            }
            let (rel, mut has) = (&mut self.rel, self.has_rel);
            each(has, |x| {
                if rel[x].base as usize == k {
                    // x = k_old + d = k_new - step + d.
                    match step.and_then(|c| i16::try_from(rel[x].delta as i64 - c).ok()) {
                        Some(delta) => rel[x].delta = delta,
                        None => has &= !(1 << x),
                    }
                }
            });
            self.has_rel = has;
        }
    }

    /// `k = j` (64-bit).
    fn copied_from(&mut self, k: usize, j: usize) {
        if k != j {
            self.rel[k] = Rel { base: j as u8, delta: 0 };
            self.has_rel |= 1 << k;
            self.based |= 1 << j;
        }
    }

    /// `k += c` (64-bit, `c` a constant).
    fn stepped(&mut self, k: usize, c: i64) {
        if self.has_rel & 1 << k != 0 {
            match i16::try_from(self.rel[k].delta as i64 + c) {
                Ok(delta) => self.rel[k].delta = delta,
                Err(_) => self.has_rel &= !(1 << k),
            }
        }
        if (self.copied | self.based) & 1 << k != 0 {
            self.moved(k, Some(c));
        }
    }

    /// Register `k` is narrowed to `v` on a jump's edge, and with it the slots holding
    /// its value and the registers related to it. Returns the registers narrowed to a
    /// bounded number.
    #[inline(never)]
    pub(super) fn narrow(&mut self, k: usize, v: Abs) -> u16 {
        self.regs[k] = v;
        let mut bounded = if v.hi_zero() { 1 << k } else { 0 };
        if self.copied & 1 << k != 0 {
            for slot in self.slots[..self.nslots as usize].iter_mut().filter(|s| s.copy_of as usize == k) {
                slot.val = v;
            }
        }
        let Scalar(m, _) = v else { return bounded };
        // x = k + d with d >= 0, or k = j + d with d <= 0 (j = k - d): at most m + |d|
        // (no wrap: m + |d| < 2^64).
        let mut bound = |x: usize, d: i16, regs: &mut [Abs; 11]| {
            let b = scalar(Some(m as u64 + d.unsigned_abs() as u64));
            regs[x] = match (regs[x], b) {
                (Scalar(a, t), Scalar(b, _)) => num(a.min(b), t as u32),
                (Any, b) => b,
                (a, _) => a,
            };
            if regs[x].hi_zero() {
                bounded |= 1 << x;
            }
        };
        let (rel, regs) = (&self.rel, &mut self.regs);
        if self.based & 1 << k != 0 {
            each(self.has_rel, |x| {
                if rel[x].base as usize == k && rel[x].delta >= 0 {
                    bound(x, rel[x].delta, regs);
                }
            });
        }
        if self.has_rel & 1 << k != 0 && rel[k].delta <= 0 {
            bound(rel[k].base as usize, rel[k].delta, regs);
        }
        bounded
    }

    /// Registers some relation is based on (or was: a superset).
    pub(super) fn based(&self) -> u16 {
        self.based
    }

    /// Whether narrowing `k` may narrow another register.
    pub(super) fn related(&self, k: usize) -> bool {
        (self.based | self.has_rel) & 1 << k != 0
    }

    /// Whether narrowing `k` may narrow anything else (a register or a slot).
    pub(super) fn follows(&self, k: usize) -> bool {
        (self.based | self.has_rel | self.copied) & 1 << k != 0
    }

    /// Forgets every relation.
    pub(super) fn forget_rels(&mut self) {
        self.has_rel = 0;
        self.based = 0;
    }

    /// Keeps the relations `other` has too; true if any ended.
    #[inline(never)]
    pub(super) fn join_rels(&mut self, other: &State) -> bool {
        let (rel, mut has) = (&self.rel, self.has_rel);
        each(has, |x| {
            if other.has_rel & 1 << x == 0 || other.rel[x] != rel[x] {
                has &= !(1 << x);
            }
        });
        let ended = has != self.has_rel;
        self.has_rel = has;
        ended
    }

    /// Memory may have changed anywhere (helpers, callees, unproven stores).
    pub(super) fn forget_slots(&mut self) {
        self.nslots = 0;
        self.copied = 0;
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

    /// Slot `j` holds what register `k` (or, if none, no register) holds.
    fn set_copy(&mut self, j: usize, k: u8) {
        self.slots[j].copy_of = k;
        if k != NO_REG {
            self.copied |= 1 << (k & 15);
        }
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
        self.slots[j] = Slot { off: at, copy_of: NO_REG, grown: 0, val };
        self.nslots += 1;
        self.set_copy(j, copy_of);
    }

    /// What an 8-byte load at `base + off` reads, if it is a tracked slot.
    #[inline(never)]
    fn load(&mut self, base: Abs, off: i16, into: usize) -> Option<Abs> {
        let at = Self::slot_at(base, off)?;
        let j = self.slots().iter().position(|s| s.off as i64 == at)?;
        self.set_copy(j, into as u8);
        Some(self.slots[j].val)
    }
}

pub(super) fn entry_state() -> State {
    let mut s = [Scalar(0, 31); 11];
    s[1] = Ptr(Hint::Input, 0, 0);
    s[2] = Scalar(U32, 0);
    s[10] = Ptr(Hint::Stack, 0, 0);
    State::new(s)
}

pub(super) fn alu32(i: Insn, a: Abs, b: Abs) -> Abs {
    let (ma, mb) = (a.max32(), b.max32());
    let k = i.imm as u32;
    let x = i.opc & SRC_X != 0;
    num(
        match i.opc & OP_MASK {
            OP_MOV if i.off == 0 => mb,
            OP_ADD => ma.checked_add(mb).unwrap_or(U32),
            OP_MUL => ma.checked_mul(mb).unwrap_or(U32),
            OP_AND => ma.min(mb),
            OP_OR | OP_XOR => ones_to(ma.max(mb)),
            OP_RSH => {
                if x {
                    ma
                } else {
                    ma >> (k & 31)
                }
            }
            OP_DIV if i.off == 0 => ma,
            OP_MOD if i.off == 0 => {
                if !x && k > 0 {
                    ma.min(k - 1)
                } else {
                    ma
                }
            }
            OP_END if i.imm == 64 => return Any,
            _ => U32,
        },
        0,
    )
}

pub(super) fn alu64(i: Insn, a: Abs, b: Abs) -> Abs {
    let x = i.opc & SRC_X != 0;
    let k = i.imm as i64;
    let (ka, kb) = (matches!(a, Scalar(..)), matches!(b, Scalar(..)));
    let (ma, mb) = (a.max32() as u64, b.max32() as u64);
    match i.opc & OP_MASK {
        OP_MOV if i.off == 0 => {
            if x {
                b
            } else {
                scalar(u64::try_from(k).ok())
            }
        }
        OP_ADD => match (a, b, x) {
            (Scalar(p, _), Scalar(q, _), true) => scalar(Some(p as u64 + q as u64)),
            (Scalar(p, _), _, false) if k >= 0 => scalar(Some(p as u64 + k as u64)),
            (Ptr(r, l, h), Scalar(q, _), true) | (Scalar(q, _), Ptr(r, l, h), true) => {
                ptr(r, l as i64, h as i64 + q as i64)
            }
            (Ptr(r, l, h), _, false) => ptr(r, l as i64 + k, h as i64 + k),
            (Near(r), Scalar(..), _) | (Scalar(..), Near(r), true) | (Ptr(r, ..), _, true) | (_, Ptr(r, ..), true) => {
                Near(r)
            }
            _ => Any,
        },
        OP_SUB => match (a, x) {
            (Ptr(r, l, h), false) => ptr(r, l as i64 - k, h as i64 - k),
            (Scalar(p, _), false) if k <= 0 => scalar(Some(p as u64 + k.unsigned_abs())),
            (Ptr(r, ..) | Near(r), _) => Near(r),
            _ => Any,
        },
        OP_AND if x && kb => Scalar(a.max32().min(mb as u32), 0),
        OP_AND if x && ka => a,
        OP_AND if !x && k >= 0 => scalar(Some(ma.min(k as u64))),
        OP_AND if !x && ka => a,
        OP_OR | OP_XOR if ka && (if x { kb } else { k >= 0 }) => {
            let other = if x { mb } else { k as u64 };
            scalar(Some(ones_to(ma.max(other) as u32) as u64).filter(|_| other <= U32 as u64))
        }
        OP_LSH if !x && ka => scalar(Some(ma).filter(|m| m.leading_zeros() >= (k & 63) as u32).map(|m| m << (k & 63))),
        OP_RSH if ka => {
            if x {
                a
            } else {
                scalar(Some(ma >> (k & 63)))
            }
        }
        OP_RSH if !x && (k & 63) >= 32 => scalar(Some(u64::MAX >> (k & 63))),
        OP_ARSH if !x && ka => scalar(Some(ma >> (k & 63))),
        OP_MUL if ka && (if x { kb } else { k >= 0 }) => scalar(ma.checked_mul(if x { mb } else { k as u64 })),
        OP_DIV if i.off == 0 && ka => a,
        OP_MOD if i.off == 0 && !x && k > 0 => scalar(Some(if ka { ma.min(k as u64 - 1) } else { k as u64 - 1 })),
        OP_MOD if i.off == 0 && ka => a,
        _ => Any,
    }
}

/// An ALU result `v` of `a <op> b` with the trailing zero bits it keeps (the same in
/// the low 32 bits of a 64-bit operation: ALU32 results are those).
#[inline(never)]
fn aligned(i: Insn, v: Abs, a: Abs, b: Abs) -> Abs {
    let Scalar(m, _) = v else { return v };
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
    num(m, tz)
}

/// The bytes a memory access moves.
pub(super) fn access_len(i: Insn) -> i64 {
    match i.opc & SZ_MASK {
        SZ_B => 1,
        SZ_H => 2,
        SZ_W => 4,
        _ => 8,
    }
}

/// The effect of a non-control instruction; `proven`: a memory access proven inside
/// its region.
pub(super) fn transfer(i: Insn, hi_imm: i32, s: &mut State, proven: bool) {
    let d = i.dst() as usize % 11;
    let src = i.src() as usize % 11;
    let b = if i.opc & SRC_X != 0 { s[src] } else { Scalar(i.imm as u32, 0) };
    let mem = i.opc & MODE_MASK == MODE_MEM;
    let v = match i.class() {
        CLS_ALU => aligned(i, alu32(i, s[d], b), s[d], b),
        CLS_ALU64 => aligned(i, alu64(i, s[d], s[src]), s[d], b),
        CLS_LDX if mem => match i.opc & SZ_MASK {
            SZ_B => Scalar(0xff, 0),
            SZ_H => Scalar(0xffff, 0),
            SZ_W => Scalar(U32, 0),
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
            _ if hi_imm == 0 => num(i.imm as u32, tz_imm(i.imm as u32 as u64)),
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
            let imm = scalar(u64::try_from(i.imm as i64).ok());
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
}

/// The compared register's bound on one edge of a conditional jump, if it narrows.
pub(super) fn refine(i: Insn, taken: bool, s: &State) -> Option<Abs> {
    let Scalar(m, tz) = s[i.dst() as usize % 11] else { return None };
    let op = i.opc & OP_MASK;
    let is32 = i.class() == CLS_JMP32;
    // The values compare as unsigned 32-bit numbers (bounded scalars are below 2^32):
    // signed comparisons only when both are non-negative.
    let signed = matches!(op, JSGT | JSGE | JSLT | JSLE);
    let limit = if signed && is32 { i32::MAX as u32 } else { U32 };
    // `k`: the constant, or the bound of a register operand (then only "d below s"
    // relations narrow, and equality gives an upper bound).
    let (k, exact) = if i.opc & SRC_X != 0 {
        match s[i.src() as usize % 11] {
            Scalar(q, _) => (q, false),
            _ => return None,
        }
    } else if is32 || i.imm >= 0 {
        (i.imm as u32, true)
    } else {
        return None; // a negative 64-bit constant is above every bounded scalar
    };
    if m > limit || k > limit {
        return None;
    }
    let new = match (op, taken) {
        (JEQ, true) | (JNE, false) => m.min(k),
        (JEQ, false) | (JNE, true) if exact && m == k && m > 0 => m - 1,
        (JLT | JSLT, true) | (JGE | JSGE, false) if k > 0 => m.min(k - 1),
        (JLE | JSLE, true) | (JGT | JSGT, false) => m.min(k),
        _ => return None,
    };
    // Unchanged bounds still narrow the registers related to this one.
    let new = num(new, tz as u32);
    (new.max32() != m || s.related(i.dst() as usize % 11)).then_some(new)
}

/// Whether an access of `len` bytes at `base + off` is proven inside a region.
pub(super) fn proven(base: Abs, off: i16, len: u32, write: bool, sizes: Sizes) -> bool {
    let Ptr(region, lo, hi) = base else { return false };
    let (lo, hi) = (lo as i64 + off as i64, hi as i64 + off as i64 + len as i64);
    let (min, max) = match region {
        Hint::Rodata if !write => (0, sizes.rodata as i64),
        Hint::Data => (0, sizes.data as i64),
        Hint::Stack => (-(vm::STACK_FRAME_SIZE as i64), 0),
        _ => return false,
    };
    lo >= min && hi <= max
}
