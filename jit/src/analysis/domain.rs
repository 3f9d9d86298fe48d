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
    /// A number in `[0, max]`.
    Scalar(u32),
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
        Some(v) if v <= U32 as u64 => Scalar(v as u32),
        _ => Any,
    }
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
        matches!(self, Scalar(_) | Ptr(..))
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
            Scalar(m) => m,
            _ => U32,
        }
    }

    pub(super) fn join(self, o: Abs) -> Abs {
        match (self, o) {
            (Scalar(a), Scalar(b)) => Scalar(a.max(b)),
            (Ptr(r, l1, h1), Ptr(s, l2, h2)) if r == s => Ptr(r, l1.min(l2), h1.max(h2)),
            (Ptr(r, ..) | Near(r), Ptr(s, ..) | Near(s)) if r == s => Near(r),
            _ => Any,
        }
    }

    /// `self` grown to `new` at a block head: bounds jump to the next threshold, so
    /// that loops reach their fixpoint in a pass or two.
    pub(super) fn widen(self, new: Abs, thresholds: &[u32]) -> Abs {
        let up = |v: u32| thresholds.iter().copied().find(|&t| t >= v).unwrap_or(U32);
        self.widen_with(new, up)
    }

    /// As [`Self::widen`], straight to the widest bound: for heads that keep growing.
    pub(super) fn widen_fully(self, new: Abs) -> Abs {
        match (self, new) {
            (Ptr(..), Ptr(r, ..)) if new != self => Near(r),
            _ => self.widen_with(new, |_| U32),
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
            (Scalar(a), Scalar(b)) if b > a => Scalar(up(b)),
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

pub(super) type State = [Abs; 11];

pub(super) fn entry_state() -> State {
    let mut s = [Scalar(0); 11];
    s[1] = Ptr(Hint::Input, 0, 0);
    s[2] = Scalar(U32);
    s[10] = Ptr(Hint::Stack, 0, 0);
    s
}

pub(super) fn alu32(i: Insn, a: Abs, b: Abs) -> Abs {
    let (ma, mb) = (a.max32(), b.max32());
    let k = i.imm as u32;
    let x = i.opc & SRC_X != 0;
    Scalar(match i.opc & OP_MASK {
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
    })
}

pub(super) fn alu64(i: Insn, a: Abs, b: Abs) -> Abs {
    let x = i.opc & SRC_X != 0;
    let k = i.imm as i64;
    let (ka, kb) = (matches!(a, Scalar(_)), matches!(b, Scalar(_)));
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
            (Scalar(p), Scalar(q), true) => scalar(Some(p as u64 + q as u64)),
            (Scalar(p), _, false) if k >= 0 => scalar(Some(p as u64 + k as u64)),
            (Ptr(r, l, h), Scalar(q), true) | (Scalar(q), Ptr(r, l, h), true) => ptr(r, l as i64, h as i64 + q as i64),
            (Ptr(r, l, h), _, false) => ptr(r, l as i64 + k, h as i64 + k),
            (Near(r), Scalar(_), _) | (Scalar(_), Near(r), true) | (Ptr(r, ..), _, true) | (_, Ptr(r, ..), true) => {
                Near(r)
            }
            _ => Any,
        },
        OP_SUB => match (a, x) {
            (Ptr(r, l, h), false) => ptr(r, l as i64 - k, h as i64 - k),
            (Scalar(p), false) if k <= 0 => scalar(Some(p as u64 + k.unsigned_abs())),
            (Ptr(r, ..) | Near(r), _) => Near(r),
            _ => Any,
        },
        OP_AND if x && kb => Scalar(a.max32().min(mb as u32)),
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

/// The effect of a non-control instruction.
pub(super) fn transfer(i: Insn, hi_imm: i32, s: &mut State) {
    let d = i.dst() as usize % 11;
    let b = if i.opc & SRC_X != 0 { s[i.src() as usize % 11] } else { Scalar(i.imm as u32) };
    s[d] = match i.class() {
        CLS_ALU => alu32(i, s[d], b),
        CLS_ALU64 => alu64(i, s[d], s[i.src() as usize % 11]),
        CLS_LDX if i.opc & MODE_MASK == MODE_MEM => match i.opc & SZ_MASK {
            SZ_B => Scalar(0xff),
            SZ_H => Scalar(0xffff),
            SZ_W => Scalar(U32),
            _ => Any,
        },
        CLS_LDX => Any,
        CLS_LD => match i.opc {
            LDDWD => ptr(Hint::Data, i.imm as i64, i.imm as i64),
            LDDWR => ptr(Hint::Rodata, i.imm as i64, i.imm as i64),
            _ if hi_imm == 0 => Scalar(i.imm as u32),
            _ => Any,
        },
        CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => {
            // Fetching atomics write src (or r0 for cmpxchg).
            s[i.src() as usize % 11] = Any;
            s[0] = Any;
            return;
        }
        _ => return,
    };
}

/// The compared register's bound on one edge of a conditional jump, if it narrows.
pub(super) fn refine(i: Insn, taken: bool, s: &State) -> Option<Abs> {
    let Scalar(m) = s[i.dst() as usize % 11] else { return None };
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
            Scalar(q) => (q, false),
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
    (new != m).then_some(Scalar(new))
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
