//! Whole-program facts the lowering uses to keep 64-bit semantics and memory isolation
//! cheap on a 32-bit core.
//!
//! - **Value ranges** (forward abstract interpretation): each register is a number in
//!   `[0, max]`, or a pointer at a bounded offset from a region's anchor (the start of
//!   `.rodata` or `.data`, the input, or r10, the top of the current stack frame), or
//!   somewhere near a region. Conditional jumps refine the ranges on each edge, and
//!   loop heads widen to the program's own comparison constants, so that a counter
//!   running to `N` is known to stay below `N`. From the ranges:
//!   - **known-zero high halves**: code reading such a half uses the constant 0;
//!   - **proven accesses**: a load or store whose whole range lies inside `.rodata`,
//!     `.data` (sizes fixed at compile time) or the current frame needs no check;
//!   - **region hints**: the region an unproven access checks inline first.
//! - **Needed high halves** (backward): after each instruction, the registers whose
//!   high-half *storage* may still be read (by code at a point where the half is not
//!   known zero, or by the runtime). A write whose high half is known zero, or dead,
//!   stores nothing when the half is not needed afterwards.
//! - **Loop depth**, for the register allocator.
//!
//! Soundness rule shared with the lowering: the lowering reads the high-half storage of
//! register `k` at `pc` only if `k` is in [`hi_reads`] of the instruction and not in
//! `zero_in`; it skips writing a high half only if `k` is not in `need_out`.
//!
//! States are kept only at block heads (jump and call targets); the walk between heads
//! carries one state, so memory stays at a few bytes per instruction.
use alloc::vec;
use alloc::vec::Vec;

use vm::opcode::*;
use vm::Insn;

/// A set of eBPF registers r0-r10, bit n for rn.
pub type RegSet = u16;
pub const ALL: RegSet = (1 << 11) - 1;

/// Pointer offsets are tracked within ±`OFF_LIMIT` of their anchor. The runtime keeps
/// every region at least this far from both ends of the 32-bit address space, so such a
/// pointer's high half is zero.
pub const OFF_LIMIT: i64 = 1 << 24;

fn bit(r: u8) -> RegSet {
    1 << (r & 15)
}

/// The memory region a register points into (or near).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Hint {
    #[default]
    Unknown = 0,
    Input = 1,
    Rodata = 2,
    Data = 3,
    /// Anchored at r10, the top of the current frame.
    Stack = 4,
}

/// Sizes fixed when the program is compiled (the image's blobs); 0 proves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    pub rodata: u32,
    pub data: u32,
}

/// What is known of a register's value. Bounds are 32-bit: on the device 64-bit
/// arithmetic costs two to three times as much, and values past 2^32 only need to be
/// known as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abs {
    /// A number in `[0, max]`.
    Scalar(u32),
    /// The region's anchor plus an offset in `[lo, hi]`.
    Ptr(Hint, i32, i32),
    /// Somewhere near the region: a hint, nothing proven.
    Near(Hint),
    /// Anything.
    Any,
}

use Abs::*;

const U32: u32 = u32::MAX;

fn ptr(region: Hint, lo: i64, hi: i64) -> Abs {
    let r = -OFF_LIMIT..=OFF_LIMIT;
    if r.contains(&lo) && r.contains(&hi) && lo <= hi {
        Ptr(region, lo as i32, hi as i32)
    } else {
        Near(region)
    }
}

/// A scalar bound from a 64-bit one.
fn scalar(v: Option<u64>) -> Abs {
    match v {
        Some(v) if v <= U32 as u64 => Scalar(v as u32),
        _ => Any,
    }
}

/// All ones up to the top bit of `v`: a bound for OR and XOR of values up to `v`.
fn ones_to(v: u32) -> u32 {
    if v == 0 {
        0
    } else {
        U32 >> v.leading_zeros()
    }
}

impl Abs {
    fn hi_zero(self) -> bool {
        matches!(self, Scalar(_) | Ptr(..))
    }

    fn hint(self) -> Hint {
        match self {
            Ptr(r, ..) | Near(r) => r,
            _ => Hint::Unknown,
        }
    }

    /// The bound of the low 32 bits.
    fn max32(self) -> u32 {
        match self {
            Scalar(m) => m,
            _ => U32,
        }
    }

    fn join(self, o: Abs) -> Abs {
        match (self, o) {
            (Scalar(a), Scalar(b)) => Scalar(a.max(b)),
            (Ptr(r, l1, h1), Ptr(s, l2, h2)) if r == s => Ptr(r, l1.min(l2), h1.max(h2)),
            (Ptr(r, ..) | Near(r), Ptr(s, ..) | Near(s)) if r == s => Near(r),
            _ => Any,
        }
    }

    /// `self` grown to `new` at a block head: bounds jump to the next threshold, so
    /// that loops reach their fixpoint in a pass or two.
    fn widen(self, new: Abs, thresholds: &[u32]) -> Abs {
        let up = |v: u32| thresholds.iter().copied().find(|&t| t >= v).unwrap_or(U32);
        self.widen_with(new, up)
    }

    /// As [`Self::widen`], straight to the widest bound: for heads that keep growing.
    fn widen_fully(self, new: Abs) -> Abs {
        match (self, new) {
            (Ptr(..), Ptr(r, ..)) if new != self => Near(r),
            _ => self.widen_with(new, |_| U32),
        }
    }

    /// Only the pointer's region, nothing proven: what is left when precision is given up.
    fn hint_only(self) -> Abs {
        match self {
            Ptr(r, ..) | Near(r) => Near(r),
            _ => Any,
        }
    }

    fn widen_with(self, new: Abs, up: impl Fn(u32) -> u32) -> Abs {
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

type State = [Abs; 11];

fn entry_state() -> State {
    let mut s = [Scalar(0); 11];
    s[1] = Ptr(Hint::Input, 0, 0);
    s[2] = Scalar(U32);
    s[10] = Ptr(Hint::Stack, 0, 0);
    s
}

/// Facts about one instruction slot.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Registers whose high half is certainly zero before the instruction.
    pub zero_in: RegSet,
    /// Registers whose high-half storage may be read after it.
    pub need_out: RegSet,
    /// ... and before it.
    need_in: RegSet,
    /// Registers whose low half may be read before it is written, from here on.
    live_in: RegSet,
    /// For a memory access: the region its base register points into, if known.
    pub hint: Hint,
    /// For a memory access: proven inside `.rodata`, `.data` or the current frame.
    pub safe: bool,
    /// Loop nesting depth.
    pub depth: u8,
    pub reachable: bool,
    /// Index of this slot's state if it is a block head.
    head: u32,
    /// A head whose state changed since its block was last walked.
    dirty: bool,
    /// How often each register's value grew at this head: two bits per register (up to
    /// 3), so that one register's growth does not cost another its thresholds.
    grown: u32,
    /// The target of a backward jump: a change here needs another backward pass.
    back_target: bool,
    /// How many jumps and local calls target this slot (saturating).
    pub jumps_in: u8,
    /// Successors (u32::MAX: none), for the backward passes.
    succ: [u32; 2],
    /// Registers whose high-half storage / low half the instruction reads (the former
    /// only where not known zero), and whose whole value it defines.
    pub rd_hi: RegSet,
    pub rd_lo: RegSet,
    pub defs: RegSet,
}

impl Facts {
    /// A jump or call target (or the entry).
    pub fn is_head(&self) -> bool {
        self.head != u32::MAX
    }
}

pub struct Analysis {
    pub facts: Vec<Facts>,
    pub has_local_calls: bool,
    /// Registers whose low half / high-half storage may be read before being written:
    /// the ones the prologue must load.
    pub entry_lo: RegSet,
    pub entry_hi: RegSet,
}

impl Analysis {
    /// Registers whose low half may be read before being written, from `pc` on.
    pub fn live_lo_in(&self, pc: usize) -> RegSet {
        self.facts[pc].live_in
    }

    /// ... and from just after `pc` on (on any successor).
    pub fn live_lo_out(&self, pc: usize) -> RegSet {
        self.facts[pc].succ.iter().filter_map(|&t| self.facts.get(t as usize)).fold(0, |acc, f| acc | f.live_in)
    }
}

fn is_cond_jump(i: Insn) -> bool {
    matches!(i.class(), CLS_JMP | CLS_JMP32) && !matches!(i.opc & OP_MASK, JA | CALL | EXIT)
}

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

fn alu32(i: Insn, a: Abs, b: Abs) -> Abs {
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

fn alu64(i: Insn, a: Abs, b: Abs) -> Abs {
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
fn transfer(i: Insn, hi_imm: i32, s: &mut State) {
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
fn refine(i: Insn, taken: bool, s: &State) -> Option<Abs> {
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
fn proven(base: Abs, off: i16, len: u32, write: bool, sizes: Sizes) -> bool {
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

/// Passes over the program before the range analysis gives up on precision (every
/// head's state goes to "anything", which is always sound) to bound compile time.
const MAX_PASSES: u32 = 8;

/// Joins `s` (with register `over.0` replaced by `over.1`, if given) into `old`,
/// widening what grew: to the next threshold for a register's first growth at this head
/// (its first three if it is compared with a constant, as counters are), then to the
/// widest bound, so that every head settles in a few passes whatever the thresholds.
/// Growths are counted per register in `grown`, two bits each. True if `old` changed.
fn merge(
    old: &mut State,
    s: &State,
    over: Option<(usize, Abs)>,
    thresholds: &[u32],
    compared: RegSet,
    grown: &mut u32,
) -> bool {
    let mut changed = false;
    for (k, o) in old.iter_mut().enumerate() {
        let v = match over {
            Some((r, v)) if r == k => v,
            _ => s[k],
        };
        if v == *o {
            continue; // the common case: most registers are the same on every edge
        }
        let j = o.join(v);
        if j != *o {
            let times = *grown >> (2 * k) & 3;
            // A counter may pass two thresholds (`k - 1` and `k` of `jgt k`) after a
            // first step.
            let allowed = if compared & 1 << k != 0 { 3 } else { 1 };
            *o = if times >= allowed { o.widen_fully(j) } else { o.widen(j, thresholds) };
            *grown += u32::from(times < 3) << (2 * k);
            changed = true;
        }
    }
    changed
}

pub fn analyse(insns: &[Insn], sizes: Sizes) -> Analysis {
    let n = insns.len();
    let has_local_calls = insns.iter().any(|&i| i.is_local_call());
    let mut facts = vec![Facts { head: u32::MAX, ..Facts::default() }; n];

    // Block heads: the entry, jump and call targets. Thresholds: comparison constants.
    let mut heads = 0u32;
    // A few thresholds suffice (more only sharpen bounds): a fixed array, no allocation.
    let mut thresholds = [u32::MAX; 32];
    let mut nt = 0;
    // Registers compared with a constant (counters): the ones thresholds are for.
    let mut compared: RegSet = 0;
    for (pc, &i) in insns.iter().enumerate().take(n) {
        let jumps = matches!(i.class(), CLS_JMP | CLS_JMP32)
            && !matches!(i.opc & OP_MASK, EXIT)
            && (i.opc & OP_MASK != CALL || i.is_local_call());
        let target = if jumps { i.jump_target(pc) } else { None };
        for t in [Some(0), target].into_iter().flatten() {
            if let Some(f) = facts.get_mut(t).filter(|f| f.head == u32::MAX) {
                f.head = heads;
                heads += 1;
            }
        }
        if let Some(f) = target.and_then(|t| facts.get_mut(t)) {
            f.jumps_in = f.jumps_in.saturating_add(1);
            f.back_target |= target.is_some_and(|t| t <= pc) && i.opc & OP_MASK != CALL;
        }
        if is_cond_jump(i) && i.opc & SRC_X == 0 && i.imm >= 0 {
            compared |= bit(i.dst());
            if nt + 2 <= thresholds.len() - 2 {
                thresholds[nt] = i.imm as u32;
                thresholds[nt + 1] = (i.imm as u32).saturating_sub(1);
                nt += 2;
            }
        }
    }
    thresholds[nt] = sizes.rodata;
    thresholds[nt + 1] = sizes.data;
    let thresholds = &mut thresholds[..nt + 2];
    thresholds.sort_unstable();
    let thresholds = &*thresholds;
    let mut states: Vec<Option<State>> = vec![None; heads as usize];
    if n > 0 {
        states[0] = Some(entry_state());
    }
    // Flows a state into `t` if it is a head; true if the head's state changed.
    let flow = |states: &mut Vec<Option<State>>,
                facts: &mut [Facts],
                t: usize,
                s: &State,
                over: Option<(usize, Abs)>|
     -> bool {
        let Some(h) = facts.get(t).map(|f| f.head as usize).filter(|&h| h != u32::MAX as usize) else { return false };
        let changed = match &mut states[h] {
            Some(old) => merge(old, s, over, thresholds, compared, &mut facts[t].grown),
            slot @ None => {
                let mut new = *s;
                if let Some((r, v)) = over {
                    new[r] = v;
                }
                *slot = Some(new);
                true
            }
        };
        facts[t].dirty |= changed;
        changed
    };

    // Passes in program order over the blocks whose head state changed since they
    // were last walked, until none did. A block walked again records its facts again,
    // so the last walk of each leaves the final ones.
    if n > 0 {
        facts[0].dirty = true;
    }
    let zero_mask = |s: &State| s.iter().enumerate().fold(0, |m, (k, v)| if v.hi_zero() { m | 1 << k } else { m });
    let mut passes = 0;
    let mut again = n > 0;
    while again {
        again = false;
        passes += 1;
        if passes == MAX_PASSES {
            // Give up on precision: only hints left everywhere (a lattice two high, so
            // the next walks settle it and record sound facts).
            for st in states.iter_mut().flatten() {
                for v in st.iter_mut() {
                    *v = v.hint_only();
                }
                st[10] = Ptr(Hint::Stack, 0, 0);
            }
            for f in facts.iter_mut().filter(|f| f.head != u32::MAX) {
                f.dirty = states[f.head as usize].is_some();
            }
        }
        let mut cur: Option<State> = None;
        let mut zero: RegSet = 0;
        let mut pc = 0;
        while pc < n {
            let head = facts[pc].head;
            if head != u32::MAX {
                if !facts[pc].dirty {
                    // Unchanged since its last walk: skip to the next head.
                    cur = None;
                    pc += 1;
                    while pc < n && facts[pc].head == u32::MAX {
                        pc += 1;
                    }
                    continue;
                }
                facts[pc].dirty = false;
                cur = states[head as usize];
                if let Some(s) = &cur {
                    zero = zero_mask(s);
                }
            }
            let i = insns[pc];
            let next = i.next_pc(pc);
            let Some(s) = cur.as_mut() else {
                pc = next;
                continue;
            };
            let f = &mut facts[pc];
            f.reachable = true;
            f.zero_in = zero;
            let access = match i.class() {
                CLS_LDX => Some((i.src(), false)),
                CLS_ST | CLS_STX if i.opc & MODE_MASK != MODE_ATOMIC => Some((i.dst(), true)),
                _ => None,
            };
            if let Some((base, write)) = access {
                let b = s[base as usize % 11];
                f.hint = b.hint();
                let len = match i.opc & SZ_MASK {
                    SZ_B => 1,
                    SZ_H => 2,
                    SZ_W => 4,
                    _ => 8,
                };
                f.safe = proven(b, i.off, len, write, sizes);
            }
            let mut falls_through = true;
            if i.is_local_call() {
                if let Some(t) = i.jump_target(pc) {
                    // The callee gets the caller's hints, nothing proven but its r10.
                    let mut callee = [Any; 11];
                    for (c, v) in callee.iter_mut().zip(s.iter()) {
                        if v.hint() != Hint::Unknown {
                            *c = Near(v.hint());
                        }
                    }
                    callee[10] = Ptr(Hint::Stack, 0, 0);
                    again |= flow(&mut states, &mut facts, t, &callee, None);
                }
                // After the return r0-r5 are whatever the callee left; r6-r10 are restored.
                for v in &mut s[..6] {
                    *v = Any;
                }
                zero &= !0b11_1111;
            } else if is_cond_jump(i) {
                let target = i.jump_target(pc).unwrap_or(usize::MAX);
                let d = i.dst() as usize % 11;
                let (on_taken, on_fall) =
                    if target == next { (None, None) } else { (refine(i, true, s), refine(i, false, s)) };
                again |= flow(&mut states, &mut facts, target, s, on_taken.map(|v| (d, v)));
                if let Some(v) = on_fall {
                    s[d] = v;
                    zero |= bit(d as u8); // narrowed scalars are bounded
                }
            } else if matches!(i.class(), CLS_JMP | CLS_JMP32) {
                match i.opc & OP_MASK {
                    CALL => {
                        s[0] = Any;
                        zero &= !1;
                    }
                    JA => {
                        if let Some(t) = i.jump_target(pc) {
                            again |= flow(&mut states, &mut facts, t, s, None);
                        }
                        falls_through = false;
                    }
                    _ => falls_through = false, // exit
                }
            } else {
                let hi = insns.get(pc + 1).map(|n| n.imm).unwrap_or(0);
                transfer(i, hi, s);
                s[10] = Ptr(Hint::Stack, 0, 0); // read-only: always the frame's top
                zero = if i.opc & MODE_MASK == MODE_ATOMIC && i.class() == CLS_STX {
                    zero_mask(s)
                } else {
                    let d = i.dst() as usize % 11;
                    (zero & !bit(d as u8)) | if s[d].hi_zero() { bit(d as u8) } else { 0 }
                };
            }
            if falls_through {
                if facts.get(next).is_some_and(|f| f.head != u32::MAX) {
                    let s = *s;
                    again |= flow(&mut states, &mut facts, next, &s, None);
                }
            } else {
                cur = None;
            }
            pc = next;
        }
    }

    // Backward: which high halves' storage may be read later, which low halves are
    // live. The per-slot sets are computed once; the passes are bit operations.
    for (pc, f) in facts.iter_mut().enumerate() {
        let i = insns[pc];
        let mut succ = i.successors(pc).into_iter().flatten();
        f.succ = [u32::MAX; 2];
        for (slot, t) in f.succ.iter_mut().zip(&mut succ) {
            *slot = if t < n { t as u32 } else { u32::MAX };
        }
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
    // (need_in is done with: it holds the depth changes now, no allocation.)
    for f in facts.iter_mut() {
        f.need_in = 0;
    }
    for (pc, &i) in insns.iter().enumerate() {
        if matches!(i.class(), CLS_JMP | CLS_JMP32) && !matches!(i.opc & OP_MASK, CALL | EXIT) {
            if let Some(t) = i.jump_target(pc).filter(|&t| t <= pc) {
                facts[t].need_in = facts[t].need_in.wrapping_add(1);
                if let Some(f) = facts.get_mut(pc + 1) {
                    f.need_in = f.need_in.wrapping_sub(1);
                }
            }
        }
    }
    let mut depth: u16 = 0;
    for f in facts.iter_mut() {
        depth = depth.wrapping_add(f.need_in);
        f.depth = depth.min(3) as u8;
    }

    Analysis { facts, has_local_calls, entry_lo, entry_hi }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm::Program;

    /// `lddwr` (an image's `.rodata` reference) has no assembler syntax: written as
    /// `lddw %rN, 0x7ead0000 + offset` here and patched.
    fn analyse_src(src: &str, sizes: Sizes) -> Analysis {
        let mut insns = vm::asm::assemble(src).unwrap();
        for i in insns.iter_mut().filter(|i| i.opc == LDDW && i.imm >> 16 == 0x7ead) {
            i.opc = LDDWR;
            i.imm &= 0xffff;
        }
        let p = Program::from_insns(insns).unwrap();
        analyse(p.insns(), sizes)
    }

    fn zero(a: &Analysis, pc: usize, r: u8) -> bool {
        a.facts[pc].zero_in & bit(r) != 0
    }

    #[test]
    fn alu32_results_and_narrow_loads_have_zero_high_halves() {
        let a = analyse_src("mov %r3, -1\nadd32 %r3, 1\nldxb %r4, [%r1+0]\nldxdw %r5, [%r1+0]\nexit", Sizes::default());
        assert!(!zero(&a, 1, 3), "mov -1 sets the high half");
        assert!(zero(&a, 2, 3), "add32 zero-extends");
        assert!(zero(&a, 3, 4), "ldxb zero-extends");
        assert!(!zero(&a, 4, 5), "ldxdw may set the high half");
    }

    #[test]
    fn a_counter_compared_with_a_constant_stays_32_bit() {
        // r2 counts to 10 in a 64-bit register: the range analysis bounds it.
        let a = analyse_src("mov %r2, 0\nl: add %r2, 1\njne %r2, 10, l\nmov %r0, %r2\nexit", Sizes::default());
        assert!(zero(&a, 1, 2) && zero(&a, 2, 2) && zero(&a, 3, 2));
        assert_eq!(a.facts[1].depth, 1);
        assert_eq!(a.facts[3].depth, 0);
    }

    #[test]
    fn a_counter_keeps_its_bound_while_other_registers_grow_at_its_loop_head() {
        // A packet filter's shape: a frame offset stepping by 64, several ways back to
        // the step, and other registers (counts) growing at the same head. Each
        // register gets its own thresholds: r2 stays below 2497, so the frame's bytes
        // are proven inside the 2560 bytes of `.rodata`.
        let src = "mov %r2, 0\nmov32 %r0, 0\nmov32 %r3, 0\nja body\n\
                   next: add32 %r0, 1\nadd32 %r3, 7\nadd %r2, 64\njgt %r2, 0x9c0, done\n\
                   body: lddw %r4, 0x7ead0000\nadd %r4, %r2\nldxb %r5, [%r4+23]\njne32 %r5, 0x40, next\n\
                   ldxb %r5, [%r4+9]\njeq32 %r5, 6, next\nmov32 %r3, 1\nja next\ndone: exit";
        let a = analyse_src(src, Sizes { rodata: 2560, data: 0 });
        let loads: Vec<usize> = (0..a.facts.len()).filter(|&pc| a.facts[pc].hint == Hint::Rodata).collect();
        assert_eq!(loads.len(), 2);
        assert!(loads.iter().all(|&pc| a.facts[pc].safe && zero(&a, pc, 2)), "r2 in [0, 2496] at {loads:?}");
    }

    #[test]
    fn an_unbounded_counter_is_64_bit() {
        // Compared with a register of unknown size: nothing bounds r2.
        let a =
            analyse_src("mov %r2, 0\nlddw %r3, 0x100000000\nl: add %r2, 1\njne %r2, %r3, l\nexit", Sizes::default());
        assert!(!zero(&a, 3, 2));
        assert_ne!(a.facts[3].need_out & bit(2), 0, "the 64-bit compare reads r2's high half");
    }

    #[test]
    fn accesses_inside_rodata_and_the_frame_are_proven_and_others_are_not() {
        let src =
            "lddw %r4, 0x7ead0000\nmov %r2, 0\nl: mov %r3, %r4\nadd %r3, %r2\nldxb %r0, [%r3+0]\nstxb [%r10-1], %r0\n\
                   add %r2, 1\njne %r2, 64, l\nldxb %r0, [%r3+1]\nldxb %r0, [%r1+0]\nstxb [%r4+0], %r0\nexit";
        let a = analyse_src(src, Sizes { rodata: 64, data: 0 });
        assert!(a.facts[5].safe, "rodata + [0, 63], one byte");
        assert!(a.facts[6].safe, "r10 - 1");
        assert!(!a.facts[9].safe, "rodata + 64 is past the end");
        assert!(!a.facts[10].safe, "the input's size is not known when compiling");
        assert!(!a.facts[11].safe, ".rodata is read-only");
        assert_eq!(a.facts[10].hint, Hint::Input);
        let smaller = analyse_src(src, Sizes { rodata: 63, data: 0 });
        assert!(!smaller.facts[5].safe);
    }

    #[test]
    fn dead_high_halves_are_not_needed() {
        let a = analyse_src("mov %r3, %r1\nadd %r3, 7\nmov32 %r0, %r3\nexit", Sizes::default());
        assert_eq!(a.facts[1].need_out & bit(3), 0);
        assert_eq!(a.facts[2].need_out & bit(0), 0);
    }

    #[test]
    fn calls_need_every_high_half_and_hints_follow_pointers() {
        let a = analyse_src(
            "lddw %r1, 0\nmov %r2, %r10\nadd %r2, -8\nstxdw [%r2+0], %r1\ncall local f\nexit\nf: mov %r0, 1\nexit",
            Sizes::default(),
        );
        assert_eq!(a.facts[4].hint, Hint::Stack);
        assert!(a.facts[4].safe, "r10 - 8, eight bytes");
        assert_eq!(a.facts[4].need_out, ALL, "before a local call");
        assert!(!zero(&a, 7, 1), "nothing is assumed in a callee");
    }
}
