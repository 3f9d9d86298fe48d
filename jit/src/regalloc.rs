//! Register allocation over *webs*: every definition of an eBPF register, joined
//! with the other definitions that reach the same reads, is one value with one place
//! for its whole life: an ARM register (its *home*) or `ctx.regs`. One eBPF register
//! holds many webs over a program (clang reuses r1 for a temporary, then a pointer,
//! then a result), and each gets a home of its own; a web's definitions and reads all
//! use that home, so values cross jumps where they are and no code moves them at block
//! boundaries. The lowering reads the homes at block heads ([`Allocation::points`])
//! and after each definition ([`Allocation::defs`]).
//!
//! Halves are allocated apart: high halves known zero where they are read, or never
//! needed, count nothing, so 32-bit values take one register, not two. The colouring
//! is Chaitin-Briggs over the most used halves (weighted by loop depth, from
//! [`crate::analysis`]): copies in loops join their two values first where they never
//! interfere, r10 and the hottest constants hold a register everywhere. Written by
//! hand: no allocator crate runs `no_std` on the device's budget, and the
//! interference rules follow this lowering's (what it reads after it writes).
//! The runtime only ever sees `ctx.regs`, so halves at home are stored before and
//! reloaded after the runtime calls that read or write them.
//! Images packed by this project's tools bring their allocation as hints, which the
//! device checks in one walk ([`homes`]); the allocator runs on the device only for
//! images without (or with refused) hints, so its walks and colouring are built for
//! size there.
use alloc::vec::Vec;
use vm::opcode::*;
use vm::Insn;

use crate::analysis::{bits, Analysis, Facts, OutOfMemory, RegSet, ALL};
use crate::loops::PrepaidLoops;
use crate::thumb2::regs::*;

pub mod homes;

/// The ARM registers given to eBPF halves, best first. The last, lr, is lost at every
/// call (the runtime, a thunk, a callee): only halves no call meets may live there,
/// and a program that has one keeps its budget in `ctx` (see [`Allocation::lr_home`]).
pub const POOL: [Reg; 8] = [R4, R5, R6, R8, R9, R10, R11, LR];

/// The registers every call keeps: those r10 and constants may hold everywhere.
const KEPT: usize = POOL.len() - 1;

/// No home (as an index into [`POOL`]): the half lives in `ctx.regs`.
const NO: u8 = 15;

/// The register of each index into [`POOL`] (none past it): a lookup without a test.
const REG_OF: [Option<Reg>; 16] = {
    let mut t = [None; 16];
    let mut k = 0;
    while k < POOL.len() {
        t[k] = Some(POOL[k]);
        k += 1;
    }
    t
};

/// Where the halves of eBPF registers r0-r10 live: `Some(arm)` or `None` (`ctx.regs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Homes {
    pub lo: [Option<Reg>; 11],
    pub hi: [Option<Reg>; 11],
    /// Constants kept in a register for the whole program: divisors and factors, and
    /// `.rodata`/`.data` addresses used in loops, which would otherwise be loaded at
    /// every use.
    pub consts: [Option<(Const, Reg)>; MAX_CONSTS],
}

/// A value fixed for a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Const {
    Imm(u32),
    /// The address of `.rodata` / `.data` plus an offset.
    Rodata(i32),
    Data(i32),
}

impl Const {
    /// The constant an instruction would otherwise materialize, if it is a candidate.
    fn of(i: Insn) -> Option<Const> {
        let op = i.opc & OP_MASK;
        match i.opc {
            LDDWR => Some(Const::Rodata(i.imm)),
            LDDWD => Some(Const::Data(i.imm)),
            _ if matches!(i.class(), CLS_ALU | CLS_ALU64)
                && i.opc & SRC_X == 0
                && matches!(op, OP_DIV | OP_MOD | OP_MUL) =>
            {
                Some(Const::Imm(i.imm as u32))
            }
            _ => None,
        }
    }
}

const MAX_CONSTS: usize = 4;

impl Homes {
    /// The register holding `c`, if one does.
    pub fn constant(&self, c: Const) -> Option<Reg> {
        self.consts.iter().flatten().find(|(v, _)| *v == c).map(|&(_, r)| r)
    }
}

/// The registers a value of eBPF r0-r9 can be in; r10 is never written and has one
/// home for the whole program.
const VALUE_REGS: usize = 10;
/// Web-halves that compete for ARM registers: the best-scoring ones.
const CANDIDATES: usize = 128;
/// A set of candidates: words, so that each step is one 32-bit operation (a `u128`'s
/// shifts and scans are many on the M4). Members are visited with [`Cands::for_each`]
/// and added one word at a time: these loops are most of the allocator's work.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Cands([u32; WORDS]);

const WORDS: usize = CANDIDATES / 32;

impl Cands {
    const NONE: Cands = Cands([0; WORDS]);

    fn insert(&mut self, c: usize) {
        self.0[c / 32 % WORDS] |= 1 << (c % 32);
    }

    fn remove(&mut self, c: usize) {
        self.0[c / 32 % WORDS] &= !(1 << (c % 32));
    }

    fn has(self, c: usize) -> bool {
        self.0[c / 32 % WORDS] & 1 << (c % 32) != 0
    }

    fn is_empty(self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    fn count(self) -> u32 {
        // (Most words are empty, and the M4 counts bits in a dozen instructions.)
        self.0.iter().filter(|&&w| w != 0).map(|w| w.count_ones()).sum()
    }

    /// The least member, if any.
    fn first(self) -> Option<usize> {
        let k = self.0.iter().position(|&w| w != 0)?;
        Some(32 * k + self.0[k].trailing_zeros() as usize)
    }

    /// Calls `f` with each member, least first.
    #[inline(always)]
    fn for_each(self, mut f: impl FnMut(usize)) {
        for (k, &word) in self.0.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                f(32 * k + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
    }
}

impl core::ops::BitOr for Cands {
    type Output = Cands;
    fn bitor(mut self, o: Cands) -> Cands {
        self |= o;
        self
    }
}

impl core::ops::BitOrAssign for Cands {
    fn bitor_assign(&mut self, o: Cands) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a |= b;
        }
    }
}

impl core::ops::BitAnd for Cands {
    type Output = Cands;
    fn bitand(mut self, o: Cands) -> Cands {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a &= b;
        }
        self
    }
}

impl core::ops::Not for Cands {
    type Output = Cands;
    fn not(mut self) -> Cands {
        for a in self.0.iter_mut() {
            *a = !*a;
        }
        self
    }
}

const NONE: u32 = u32::MAX;

/// Where the values live: per web of eBPF register values (every definition, joined
/// with the definitions that reach the same reads), per half.
#[derive(Debug, Clone, Default)]
pub struct Allocation {
    pub consts: [Option<(Const, Reg)>; MAX_CONSTS],
    pub r10: Option<Reg>,
    /// Some value lives in lr: the budget is kept in `ctx` (one load and store more per
    /// budget step) and lr is a home between calls.
    pub lr_home: bool,
    /// Per slot: the homes of the value its instruction defines, low and high half.
    pub defs: Vec<[Option<Reg>; 2]>,
    /// Per point (a block head, or the slot after a bpf-to-bpf call), in slot order:
    /// the homes of r0-r9 there, low and high half, as indices into [`POOL`] ([`NO`]:
    /// none), the form the homes' hints carry them in, converted where entered.
    pub points: Vec<(u32, [[u8; 2]; VALUE_REGS])>,
    /// The runs of narrow loads assembled into whole values
    /// ([`crate::patterns::assembled_loads`]), by first slot, in slot order: found here
    /// (their partial values get no register), compiled by the lowering.
    pub assembled: Vec<(usize, crate::patterns::Assembled)>,
}

impl Allocation {
    /// The homes at point `k` (of [`Self::points`]), with the whole-program ones.
    pub fn homes_at(&self, k: usize) -> Homes {
        let mut h = self.whole_program_homes();
        self.enter_point(k, &mut h);
        h
    }

    /// The homes that hold everywhere (r10's, the constants'); r0-r9 have none.
    pub fn whole_program_homes(&self) -> Homes {
        let mut h = Homes { consts: self.consts, ..Homes::default() };
        h.lo[10] = self.r10;
        h
    }

    /// `h`, the homes somewhere, become those at point `k`: r0-r9's change, the
    /// whole-program ones stay.
    pub fn enter_point(&self, k: usize, h: &mut Homes) {
        if let Some((_, regs)) = self.points.get(k) {
            for (r, &pair) in regs.iter().enumerate() {
                [h.lo[r], h.hi[r]] = pool_regs(pair);
            }
        }
    }
}

/// The registers a bpf-to-bpf call's landing reloads from `ctx.regs` (where live).
pub const LANDING: RegSet = 0b11_1100_0000;

/// `mov dst, src` or `mov32 dst, src`: the low half copied as it is.
fn is_mov_reg(i: Insn) -> bool {
    matches!(i.opc, MOV64_REG | MOV32_REG) && i.off == 0
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let up = parent[parent[x as usize] as usize];
        parent[x as usize] = up;
        x = up;
    }
    x
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    if a == NONE || b == NONE {
        return;
    }
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb) as usize] = ra.min(rb);
    }
}

/// Whether the code of `i` may call out (the runtime, a thunk, a callee), where lr is
/// lost: a superset of the calls the lowering makes (a half kept out of lr costs
/// little, one in lr across a call would be wrong).
fn calls_out(i: Insn, f: &Facts) -> bool {
    let (op, x) = (i.opc & OP_MASK, i.opc & SRC_X != 0);
    let wide = i.class() == CLS_ALU64;
    f.carry_check != 0
        || match i.class() {
            // An exit in a callee returns through the runtime.
            CLS_JMP | CLS_JMP32 => matches!(op, CALL | EXIT),
            CLS_LD => !matches!(i.opc, LDDW | LDDWD | LDDWR),
            CLS_LDX | CLS_ST | CLS_STX => !f.safe || i.opc & MODE_MASK == MODE_ATOMIC,
            _ => match op {
                OP_END => true,
                OP_DIV | OP_MOD => wide || !matches!(i.off, 0 | 1),
                OP_LSH | OP_RSH | OP_ARSH => wide && x,
                OP_MOV => i.off != 0 && !(x && (matches!(i.off, 8 | 16) || (wide && i.off == 32))),
                _ => false,
            },
        }
}

/// The candidates of the halves in `lo` and `hi` (`cb`: each register's, by half).
/// (Out of line: the interference walk asks it in several places, and flash is scarce.)
#[inline(never)]
#[cfg_attr(target_os = "none", optimize(size))]
fn halves(cb: &[[u8; 2]; VALUE_REGS], lo: RegSet, hi: RegSet) -> Cands {
    let mut m = Cands::NONE;
    for (set, half) in [(lo, 0), (hi, 1)] {
        for r in bits(set & ((1 << VALUE_REGS) - 1)) {
            let c = cb[r][half];
            if c != u8::MAX {
                m.insert(c as usize);
            }
        }
    }
    m
}

/// The candidates of the halves live after a write, kept from one write to the next:
/// the live sets differ by a register or two between writes, and so do the registers'
/// webs (a write changes one, a point all), so only those halves are looked up again.
/// Exact because candidates are one register's half each (a web is one register's
/// values), so removing one register's never removes another's.
struct LiveCands {
    lo: RegSet,
    hi: RegSet,
    /// The registers whose candidates changed since the set was last taken.
    stale: RegSet,
    /// Each register's candidates as the set holds them.
    held: [[u8; 2]; VALUE_REGS],
    set: Cands,
}

impl LiveCands {
    fn new() -> Self {
        LiveCands { lo: 0, hi: 0, stale: 0, held: [[u8::MAX; 2]; VALUE_REGS], set: Cands::NONE }
    }

    /// [`halves`] of `lo` and `hi` (`cb` as now).
    fn of(&mut self, cb: &[[u8; 2]; VALUE_REGS], lo: RegSet, hi: RegSet) -> Cands {
        let value_regs = (1 << VALUE_REGS) - 1;
        let (lo, hi) = (lo & value_regs, hi & value_regs);
        let stale = core::mem::take(&mut self.stale);
        for (half, new, old) in [(0, lo, self.lo), (1, hi, self.hi)] {
            let mut redo = (new ^ old) | (stale & (new | old));
            while redo != 0 {
                let r = redo.trailing_zeros() as usize;
                redo &= redo - 1;
                let held = &mut self.held[r][half];
                if old & 1 << r != 0 && *held != u8::MAX {
                    self.set.remove(*held as usize);
                }
                if new & 1 << r != 0 {
                    *held = cb[r][half];
                    if *held != u8::MAX {
                        self.set.insert(*held as usize);
                    }
                }
            }
        }
        (self.lo, self.hi) = (lo, hi);
        self.set
    }
}

/// The registers of a half pair's indices into [`POOL`] (none past it: [`NO`], or
/// the allocator's `u8::MAX`). (Two lookups, not `map`, which LLVM leaves out of line.)
fn pool_regs(h: [u8; 2]) -> [Option<Reg>; 2] {
    [REG_OF[h[0] as usize & 15], REG_OF[h[1] as usize & 15]]
}

/// Registers with a half live before `pc`.
fn live_before(a: &Analysis, pc: usize) -> RegSet {
    (a.live_lo_in(pc) | a.hi_needed_in(pc)) & ((1 << VALUE_REGS) - 1)
}

/// The register whose value slot `pc` defines (r0-r9; r10 is never written), if any:
/// [`Allocation::defs`] holds that value's homes.
pub(crate) fn def_of(a: &Analysis, pc: usize) -> Option<usize> {
    let d = a.facts[pc].defs & ((1 << VALUE_REGS) - 1);
    (d != 0).then(|| d.trailing_zeros() as usize)
}

/// The first of point `k`'s ids, one per register, after the slots' `n`.
fn point_ids(n: usize, k: usize) -> usize {
    n + VALUE_REGS * k
}

/// Walks the slots in order, keeping each register's current web id: a point's ids
/// at a point (`n + 10 × point + register`), the slot's id after its definition.
struct Walk {
    cur: [u32; VALUE_REGS],
    point: usize,
}

impl Walk {
    fn new() -> Self {
        Walk { cur: [NONE; VALUE_REGS], point: 0 }
    }

    /// Enters slot `pc`: at a point, the point's ids.
    fn enter(&mut self, points: &[u32], n: usize, pc: usize) {
        if points.get(self.point) == Some(&(pc as u32)) {
            for r in 0..VALUE_REGS {
                self.cur[r] = (point_ids(n, self.point) + r) as u32;
            }
            self.point += 1;
        }
    }
}

/// The webs of a program and the ARM registers they get.
///
/// Two walks over the slots: the webs (union-find: a read joins the definitions that
/// reach it, across jumps, calls into a callee and returns to each landing; an
/// instruction that reads its destination continues the web it reads) with their
/// weighted uses, then interference among the candidates. Interference is taken where
/// values are written: a write meets every half live after it and, unless it is a plain
/// copy, every half the instruction reads (the lowering may write a low half before it
/// reads the rest); a copy's low half and its source's hold the same value. A fused `mov;
/// op` pair ([`crate::patterns::move_op`]) is one instruction that reads before it
/// writes. Values live at the entry meet each other, a web's two halves meet, and the
/// landing of a bpf-to-bpf call reloads r6-r9 (where live), which meet what is live
/// there. The best [`CANDIDATES`] halves compete; the rest live in `ctx.regs`.
/// (Out of line, as its walks and the colouring are: each keeps its own registers.)
#[inline(never)]
#[cfg_attr(target_os = "none", optimize(size))]
pub fn allocate(insns: &[Insn], a: &Analysis, prepaid: &PrepaidLoops) -> Result<Allocation, OutOfMemory> {
    let n = insns.len();
    let mut alloc = Allocation::default();
    let depths = crate::analysis::loop_depths(insns)?;
    // Points: heads and landings.
    let mut points: Vec<u32> = Vec::new();
    for pc in 0..n {
        if a.facts[pc].is_head() || (pc > 0 && insns[pc - 1].is_local_call()) {
            if points.try_reserve(1).is_err() {
                return Err(OutOfMemory);
            }
            points.push(pc as u32);
        }
    }
    let ids = point_ids(n, points.len());
    let mut parent: Vec<u32> = Vec::new();
    if parent.try_reserve_exact(ids).is_err() {
        return Err(OutOfMemory);
    }
    parent.extend(0..ids as u32);
    // Per id, then per web (folded below): the weighted uses of each half.
    let mut score: Vec<[u32; 2]> = Vec::new();
    if score.try_reserve_exact(ids).is_err() {
        return Err(OutOfMemory);
    }
    score.resize(ids, [0; 2]);
    let mut r10_score = 0u32;
    let mut consts = [(Const::Imm(0), 0u32); MAX_CONSTS];
    // Runs of narrow loads the lowering assembles into whole values, found as it finds
    // them: the bytes and partial values of registers the run does not leave a value
    // in are never in a register, and count nothing.
    let mut scanned = 0;
    let mut budget_cost = 0u32;
    // One walk: the webs (union-find) and the uses of the ids they join.
    let mut w = Walk::new();
    let mut exits: Vec<[u32; 6]> = Vec::new();
    let mut falls = false;
    let mut pc = 0;
    while pc < n {
        let i = insns[pc];
        if falls && points.get(w.point) == Some(&(pc as u32)) {
            // The values that fall into a point join its ids.
            let landing = pc > 0 && insns[pc - 1].is_local_call();
            for r in bits(live_before(a, pc)) {
                if !landing || r >= 6 {
                    union(&mut parent, w.cur[r], (point_ids(n, w.point) + r) as u32);
                }
            }
        }
        w.enter(&points, n, pc);
        let f = &a.facts[pc];
        let weight = 1u32 << (3 * depths[pc] as u32);
        if pc >= scanned && matches!(i.opc, LDXB | LDXH | LDXW) {
            match crate::patterns::assembled_loads(insns, a, pc) {
                Ok(r) => {
                    scanned = r.end + 1;
                    if alloc.assembled.try_reserve(1).is_err() {
                        return Err(OutOfMemory);
                    }
                    alloc.assembled.push((pc, r));
                }
                Err(next) => scanned = next,
            }
        }
        // Inside a run only its base and the registers that hold its values after it
        // count: the others' values are never in a register.
        let counted = match alloc.assembled.last() {
            Some((at, r)) if pc <= r.end => 1 << insns[*at].src() | r.outputs,
            _ => ALL,
        };
        if f.reachable {
            // Keeping the budget in `ctx` costs a load and a store more at each step of
            // a backward jump that is no prepaid loop's latch (weighted as uses are).
            let back = i.off < 0 && matches!(i.class(), CLS_JMP | CLS_JMP32) && !matches!(i.opc & OP_MASK, CALL | EXIT);
            if back && prepaid.with_head((pc as isize + 1 + i.off as isize) as usize).is_none() {
                budget_cost = budget_cost.saturating_add(2 * weight);
            }
            // What an exit or a bpf-to-bpf call hands on is stored once there, not
            // worked on: only r0 (an exit's result) and r1-r5 (a call's arguments) count.
            let handed = counted
                & match i.opc {
                    EXIT_OP => 1,
                    _ if i.is_local_call() => 0b11_1110,
                    _ => ALL,
                };
            for (set, half) in [(f.rd_lo & handed, 0), (f.rd_hi & handed, 1)] {
                for r in bits(set) {
                    if r == 10 {
                        r10_score = r10_score.saturating_add(weight * (half == 0) as u32);
                    } else if let Some(s) = score.get_mut(w.cur[r] as usize) {
                        s[half] = s[half].saturating_add(weight);
                    }
                }
            }
            if let Some(c) = Const::of(i) {
                let at = consts
                    .iter()
                    .position(|&(v, s)| v == c && s > 0)
                    .or_else(|| consts.iter().position(|&(_, s)| s == 0));
                if let Some(slot) = at.map(|k| &mut consts[k]) {
                    *slot = (c, slot.1.saturating_add(weight));
                }
            }
        }
        if let Some(d) = def_of(a, pc) {
            if (f.rd_lo | f.rd_hi) & 1 << d != 0 {
                union(&mut parent, pc as u32, w.cur[d]);
            }
            w.cur[d] = pc as u32;
            if f.reachable && counted & 1 << d != 0 {
                let s = &mut score[pc];
                s[0] = s[0].saturating_add(weight);
                if f.need_out & 1 << d != 0 {
                    s[1] = s[1].saturating_add(weight);
                }
            }
        }
        let target = i.jump_target(pc).filter(|_| {
            matches!(i.class(), CLS_JMP | CLS_JMP32)
                && !matches!(i.opc & OP_MASK, EXIT)
                && (i.opc & OP_MASK != CALL || i.is_local_call())
        });
        if let Some(t) = target.filter(|&t| t < n) {
            if let Ok(k) = points.binary_search(&(t as u32)) {
                for r in bits(live_before(a, t)) {
                    union(&mut parent, w.cur[r], (point_ids(n, k) + r) as u32);
                }
            }
        }
        if i.opc == EXIT_OP && a.has_local_calls {
            if exits.try_reserve(1).is_err() {
                return Err(OutOfMemory);
            }
            exits.push(core::array::from_fn(|r| w.cur[r]));
        }
        falls = f.reachable && i.falls_through();
        pc = i.next_pc(pc);
    }
    // A callee's exits hand r0-r5 to every landing where they are live.
    for pc in 1..n {
        if !insns[pc - 1].is_local_call() {
            continue;
        }
        let Ok(k) = points.binary_search(&(pc as u32)) else { continue };
        for r in bits(live_before(a, pc) & 0b11_1111) {
            for e in &exits {
                union(&mut parent, e[r], (point_ids(n, k) + r) as u32);
            }
        }
    }
    drop(exits);
    // Dense web numbers: parent[id] becomes its web's. Every id's parent is a lesser
    // id of its set (a root is the least: unions and path halving keep it so), so in
    // increasing order a member's parent holds its web's number already.
    // An id's uses go to its web's entry, which is never past the id's own (numbers
    // grow with the ids of roots): entries before it hold webs' sums by then, and
    // sums saturate alike in any order.
    let mut webs = 0u32;
    for id in 0..ids {
        let up = parent[id] as usize;
        parent[id] = if up == id {
            webs += 1;
            webs - 1
        } else {
            parent[up]
        };
        let wb = parent[id] as usize;
        if wb != id {
            let [lo, hi] = core::mem::take(&mut score[id]);
            let s = &mut score[wb];
            *s = [s[0].saturating_add(lo), s[1].saturating_add(hi)];
        }
    }
    score.truncate(webs as usize);
    let web = |id: u32| if id == NONE { NONE } else { parent[id as usize] };
    // The candidates: the halves used most (more than once), found by powers of two
    // (within the last one taken, the first come), and r10 and the constants. Numbers:
    // 2 × web + half; then the constants; then r10.
    let const_key = 2 * webs;
    let r10_key = const_key + MAX_CONSTS as u32;
    let worth = |uses: u32| if uses > 1 { uses } else { 0 };
    let room = CANDIDATES - MAX_CONSTS - 1;
    let (mut cut, mut above) = (0, 0usize);
    // (With room for every half, all used more than once compete: no histogram.)
    if 2 * webs as usize > room {
        let mut hist = [0u16; 33];
        for p in score.iter().flat_map(|s| [worth(s[0]), worth(s[1])]) {
            hist[32 - p.leading_zeros() as usize] += 1;
        }
        for b in (1..33).rev() {
            if above + hist[b] as usize > room {
                cut = b;
                break;
            }
            above += hist[b] as usize;
        }
    }
    let mut partial = room - above;
    let mut best: Vec<(u32, u32)> = Vec::new();
    if best.try_reserve_exact(room + MAX_CONSTS + 1).is_err() {
        return Err(OutOfMemory);
    }
    for (k, s) in score.iter().enumerate() {
        for (half, &uses) in s.iter().enumerate() {
            let p = worth(uses);
            let bucket = 32 - p.leading_zeros() as usize;
            if p > 0 && (bucket > cut || (bucket == cut && partial > 0)) {
                if bucket == cut {
                    partial -= 1;
                }
                best.push((p, 2 * k as u32 + half as u32));
            }
        }
    }
    for (k, &(_, s)) in consts.iter().enumerate() {
        if worth(s) > 0 {
            best.push((s, const_key + k as u32));
        }
    }
    if worth(r10_score) > 0 {
        best.push((r10_score, r10_key));
    }
    let count = best.len();
    // Each web's candidates, by half (u8::MAX: none).
    let mut cand: Vec<[u8; 2]> = Vec::new();
    let mut clash: Vec<Cands> = Vec::new();
    if cand.try_reserve_exact(webs as usize).is_err() || clash.try_reserve_exact(count).is_err() {
        return Err(OutOfMemory);
    }
    cand.resize(webs as usize, [u8::MAX; 2]);
    clash.resize(count, Cands::NONE);
    for (c, &(_, key)) in best[..count].iter().enumerate() {
        if key < const_key {
            cand[key as usize / 2][key as usize % 2] = c as u8;
        }
    }
    let cand_of = |key: u32| -> Option<usize> {
        if key < const_key {
            let c = cand[key as usize / 2][key as usize % 2];
            (c != u8::MAX).then_some(c as usize)
        } else {
            best[..count].iter().position(|b| b.1 == key)
        }
    };
    let global = |c: usize| best[c].1 >= const_key;
    // A web's two halves are live together.
    for c in 0..count {
        if let Some(o) = (best[c].1 < const_key).then(|| cand_of(best[c].1 ^ 1)).flatten() {
            clash[c].insert(o);
        }
    }
    // The second walk: interference, and the copies in loops to be joined.
    let (mut called, copies, n_copies) = interference(insns, a, &points, &parent, &cand, &depths, &mut clash);
    // Colouring: r10 and the constants hold a register everywhere if the code
    // touches them more than all but a few halves.
    let mut hottest = [0u32; KEPT];
    for s in score.iter().flat_map(|s| [s[0], s[1]]) {
        if s <= hottest[KEPT - 1] {
            continue;
        }
        if let Some(j) = hottest.iter().position(|&h| h < s) {
            hottest.copy_within(j..KEPT - 1, j + 1);
            hottest[j] = s;
        }
    }
    let mut uses = [0u32; CANDIDATES];
    let mut globals = Cands::NONE;
    for (c, &(_, key)) in best.iter().enumerate() {
        uses[c] = match key.checked_sub(const_key) {
            None => score[key as usize / 2][key as usize % 2],
            Some(k) if (k as usize) < MAX_CONSTS => consts[k as usize].1,
            Some(_) => r10_score,
        };
        if global(c) {
            globals.insert(c);
        }
    }
    // A value in lr saves what it would cost in `ctx` (about an instruction a use);
    // the budget then costs its steps more: only values used more than that may have it.
    for (c, &u) in uses[..count].iter().enumerate() {
        if u <= budget_cost {
            called.insert(c);
        }
    }
    let reg_of = colour(&mut clash, &uses, globals, called, hottest[KEPT - 1], &copies[..n_copies]);
    alloc.lr_home = reg_of[..count].iter().any(|&r| r as usize == KEPT);
    let home = |key: u32| cand_of(key).and_then(|c| (reg_of[c] != u8::MAX).then(|| POOL[reg_of[c] as usize]));
    for (k, (slot, &(c, _))) in alloc.consts.iter_mut().zip(&consts).enumerate() {
        *slot = home(const_key + k as u32).map(|r| (c, r));
    }
    alloc.r10 = home(r10_key);
    if alloc.defs.try_reserve_exact(n).is_err() || alloc.points.try_reserve_exact(points.len()).is_err() {
        return Err(OutOfMemory);
    }
    // Each web's halves' registers (indices into `POOL`, `u8::MAX`: none) in place of
    // their candidates: a lookup each from here.
    for c in cand.iter_mut().flatten() {
        if let Some(&r) = reg_of.get(*c as usize) {
            *c = r;
        }
    }
    let regs_of = |wb: u32| pool_regs(cand.get(wb as usize).copied().unwrap_or([u8::MAX; 2]));
    for pc in 0..n {
        alloc.defs.push(if def_of(a, pc).is_some() { regs_of(web(pc as u32)) } else { [None, None] });
    }
    for (k, &pc) in points.iter().enumerate() {
        let ids = &parent[point_ids(n, k)..][..VALUE_REGS];
        let mut regs = [[NO; 2]; VALUE_REGS];
        for (h, &wb) in regs.iter_mut().zip(ids) {
            *h = cand.get(wb as usize).map_or([NO; 2], |c| c.map(|r| r.min(NO)));
        }
        alloc.points.push((pc, regs));
    }
    Ok(alloc)
}

/// The second walk: interference among the candidates (rows of bits by candidate,
/// `clash`; both ways), the copies in loops between candidates, (depth, destination,
/// source), to be joined, and the candidates some call meets. `parent`: each id's web;
/// `cand`: each web's candidates by half; `depths`: each slot's loop depth.
/// (Out of line: LLVM keeps its registers for this loop apart from the rest of
/// `allocate`'s.)
#[inline(never)]
#[cfg_attr(target_os = "none", optimize(size))]
fn interference(
    insns: &[Insn],
    a: &Analysis,
    points: &[u32],
    parent: &[u32],
    cand: &[[u8; 2]],
    depths: &[u8],
    clash: &mut [Cands],
) -> (Cands, [(u8, u8, u8); 32], usize) {
    let n = insns.len();
    let count = clash.len();
    let mut copies = [(0u8, 0u8, 0u8); 32];
    let mut n_copies = 0;
    // The webs of r0-r9 at each slot.
    let enter = |cur: &mut [u32; VALUE_REGS], point: &mut usize, pc: usize| {
        let at = points.get(*point) == Some(&(pc as u32));
        if at {
            for (r, c) in cur.iter_mut().enumerate() {
                *c = parent[point_ids(n, *point) + r];
            }
            *point += 1;
        }
        at
    };
    let meet = |clash: &mut [Cands], d: Cands, met: Cands| {
        if met.is_empty() {
            return;
        }
        // One way here (a write meets few, but many meet it); both ways below.
        d.for_each(|c| {
            let mut m = met;
            m.remove(c);
            for (a, b) in clash[c].0.iter_mut().zip(m.0) {
                *a |= b;
            }
        });
    };
    // Per register and half, the candidate its current web is (u8::MAX: none).
    let cand_at = |wb: u32| cand.get(wb as usize).copied().unwrap_or([u8::MAX; 2]);
    let (mut cur, mut point) = ([NONE; VALUE_REGS], 0);
    let mut cb = [[u8::MAX; 2]; VALUE_REGS];
    let mut live = LiveCands::new();
    // The candidates some call meets (read by it, or live across it): never in lr.
    let mut called = Cands::NONE;
    let mut pc = 0;
    while pc < n {
        let i = insns[pc];
        if enter(&mut cur, &mut point, pc) {
            for r in 0..VALUE_REGS {
                cb[r] = cand_at(cur[r]);
            }
            live.stale = ALL;
        }
        let f = &a.facts[pc];
        if pc == 0 {
            let m = halves(&cb, a.entry_lo, a.entry_hi);
            meet(&mut clash[..], m, m);
        }
        let pair = if is_mov_reg(i) { crate::patterns::move_op(insns, a, pc) } else { None };
        let hi_after = |pc: usize| a.facts[pc].need_out;
        if let Some(op) = pair {
            // `d = s op x` at the op's slot: the web is the mov's.
            let d = op.dst() as usize;
            cur[d] = parent[pc];
            cb[d] = cand_at(cur[d]);
            live.stale |= 1 << d;
            let met = live.of(&cb, a.live_lo_out(pc + 1) & !(1 << d), hi_after(pc + 1) & !(1 << d));
            meet(&mut clash[..], halves(&cb, 1 << d, 1 << d), met);
            pc += 2;
            continue;
        }
        let mut writes = f.defs & ((1 << VALUE_REGS) - 1);
        if i.class() == CLS_STX && i.opc & MODE_MASK == MODE_ATOMIC {
            writes |= 1 << i.src() | 1;
        }
        // (A fused pair calls nothing, nor does a run of assembled loads: all proven.)
        let calls = calls_out(i, f);
        // (An exit hands on r0-r5 only: r6-r9 come back from the caller's saved frame.)
        let handed = if i.opc == EXIT_OP { 0b11_1111 } else { ALL };
        // (What it reads is looked up only where a candidate is written or a call made.)
        let read_from = cb;
        let s = i.src() as usize;
        let copy = is_mov_reg(i) && s < VALUE_REGS;
        if let Some(d) = def_of(a, pc) {
            cur[d] = parent[pc];
            cb[d] = cand_at(cur[d]);
            live.stale |= 1 << d;
            let (dc, sc) = (cb[d][0], if copy { cb[s][0] } else { u8::MAX });
            if s != d && dc != u8::MAX && sc != u8::MAX && depths[pc] > 0 && n_copies < copies.len() {
                copies[n_copies] = (depths[pc], dc, sc);
                n_copies += 1;
            }
        }
        // (Most slots write their one register: its two candidates, no lookup.)
        let single = match def_of(a, pc) {
            Some(d) if writes == 1 << d => Some(cb[d]),
            _ => None,
        };
        let w_halves = match single {
            Some(h) => {
                let mut m = Cands::NONE;
                for c in h.into_iter().filter(|&c| c != u8::MAX) {
                    m.insert(c as usize);
                }
                m
            }
            None if writes != 0 => halves(&cb, writes, writes),
            None => Cands::NONE,
        };
        if !w_halves.is_empty() || calls {
            let out = a.live_lo_out(pc);
            let read = halves(&read_from, f.rd_lo & handed, f.rd_hi & handed);
            // (An atomic writes two registers: each meets the other.)
            let met = live.of(&cb, out, hi_after(pc)) | read | w_halves;
            if calls {
                // What a call reads or leaves live: never in lr.
                called |= met;
            }
            if w_halves.is_empty() {
                // A store or a jump: no interference.
            } else if let Some([lo, hi]) = single {
                // One register's halves, each met in turn (no set to walk). A copy's
                // low half and the source's hold the same value (the source's high
                // half is read after the low half is written).
                let mut met_lo = met;
                if copy && cb[s][0] != u8::MAX {
                    met_lo.remove(cb[s][0] as usize);
                }
                if lo != u8::MAX {
                    met_lo.remove(lo as usize);
                    clash[lo as usize] |= met_lo;
                }
                if hi != u8::MAX {
                    let mut met_hi = met;
                    met_hi.remove(hi as usize);
                    clash[hi as usize] |= met_hi;
                }
            } else {
                // (A copy writes its one register: met above.)
                meet(&mut clash[..], w_halves, met);
            }
        }
        if i.is_local_call() && pc + 1 < n {
            // The landing's webs: the point's.
            let (mut at, mut p) = (cur, points.binary_search(&(pc as u32 + 1)).unwrap_or(points.len()));
            enter(&mut at, &mut p, pc + 1);
            let landing: [[u8; 2]; VALUE_REGS] = core::array::from_fn(|r| cand_at(at[r]));
            let (lo, hi) = (a.live_lo_in(pc + 1), a.hi_needed_in(pc + 1));
            meet(&mut clash[..], halves(&landing, lo & LANDING, hi & LANDING), halves(&landing, lo, hi));
        }
        pc = i.next_pc(pc);
    }
    for c in 0..count {
        let row = clash[c];
        row.for_each(|j| clash[j].insert(c));
    }
    (called, copies, n_copies)
}

/// The candidate of `left` with the fewest uses per neighbour, to spill (compared
/// without division; the least of equals). Every candidate left has a neighbour: the
/// first beats `1 / 0`. (Out of line: inside [`colour`] its loop ran short of
/// registers.)
#[inline(never)]
#[cfg_attr(target_os = "none", optimize(size))]
fn cheapest(left: Cands, cost: &[u32; CANDIDATES], degree: &[u8; CANDIDATES]) -> usize {
    let (mut spill, mut at) = (usize::MAX, (1, 0));
    left.for_each(|y| {
        let here = (cost[y], degree[y] as u32);
        if here.0 * at.1 < at.0 * here.1 {
            (spill, at) = (y, here);
        }
    });
    spill
}

/// Colours the candidates' interference graph `clash` (symmetric; `uses` their
/// weighted uses): the ARM register (an index into [`POOL`]) of each, or `u8::MAX`.
///
/// First up to three of `globals` (r10, constants: they hold their register
/// everywhere) used more than `threshold`, best first; the others get one only if one
/// is left that no candidate got (last). Then
/// `copies` in loops, (depth, destination, source), join their two values into one
/// candidate where they never interfere (deepest first), so that the copy costs
/// nothing. Then Chaitin-Briggs: repeatedly set aside a candidate with fewer
/// neighbours left than there are registers (it will find one), else the one with
/// fewest uses per neighbour (it may find none); colour in reverse, each taking the
/// first register no coloured neighbour holds.
/// (Out of line: its loops keep their own registers.)
#[inline(never)]
#[cfg_attr(target_os = "none", optimize(size))]
fn colour(
    clash: &mut [Cands],
    uses: &[u32; CANDIDATES],
    globals: Cands,
    mut called: Cands,
    threshold: u32,
    copies: &[(u8, u8, u8)],
) -> [u8; CANDIDATES] {
    let count = clash.len();
    let mut order = [0u8; CANDIDATES];
    let mut held = 0;
    for _ in 0..3 {
        // The most used of those left (the last of equals, as `max_by_key`).
        let mut hot = None;
        globals.for_each(|c| {
            if !order[..held].contains(&(c as u8))
                && uses[c] > threshold
                && hot.is_none_or(|h: usize| uses[c] >= uses[h])
            {
                hot = Some(c);
            }
        });
        let Some(c) = hot else { break };
        order[held] = c as u8;
        held += 1;
    }
    let avail = (KEPT - held) as u32;
    let mut left = Cands::NONE;
    for c in (0..count).filter(|&c| !globals.has(c)) {
        left.insert(c);
    }
    let mut cost = [0u32; CANDIDATES];
    left.for_each(|c| cost[c] = uses[c].min(1 << 24));
    let mut joined = [u8::MAX; CANDIDATES];
    let rep = |joined: &[u8; CANDIDATES], mut c: usize| {
        while joined[c] != u8::MAX {
            c = joined[c] as usize;
        }
        c
    };
    for depth in (1..=3).rev() {
        for &(_, x, y) in copies.iter().filter(|c| c.0 == depth) {
            let (x, y) = (rep(&joined, x as usize), rep(&joined, y as usize));
            if x == y || clash[x].has(y) {
                continue;
            }
            joined[y] = x as u8;
            if called.has(y) {
                called.insert(x);
            }
            left.remove(y);
            let row = clash[y];
            clash[x] |= row;
            cost[x] = (cost[x] + cost[y]).min(1 << 24);
            row.for_each(|j| clash[j].insert(x));
        }
    }
    let mut degree = [0u8; CANDIDATES];
    // And the candidates known to have fewer neighbours left than registers.
    let mut easy = Cands::NONE;
    left.for_each(|c| {
        degree[c] = (clash[c] & left).count() as u8;
        if (degree[c] as u32) < avail {
            easy.insert(c);
        }
    });
    let mut stack = [0u8; CANDIDATES];
    let mut depth = 0;
    while !left.is_empty() {
        let c = match easy.first() {
            Some(c) => c,
            None => cheapest(left, &cost, &degree),
        };
        stack[depth] = c as u8;
        depth += 1;
        left.remove(c);
        easy.remove(c);
        (clash[c] & left).for_each(|j| {
            degree[j] -= 1;
            if degree[j] as u32 + 1 == avail {
                easy.insert(j);
            }
        });
    }
    let mut len = held;
    for &c in stack[..depth].iter().rev() {
        order[len] = c;
        len += 1;
    }
    let mut reg_of = [u8::MAX; CANDIDATES];
    // Registers held everywhere, and the candidates coloured so far.
    let (mut everywhere, mut coloured) = (0u32, Cands::NONE);
    for &c in &order[..len] {
        let c = c as usize;
        let global = globals.has(c);
        let mut taken = everywhere;
        if global || called.has(c) {
            taken |= 1 << (POOL.len() - 1);
        }
        let neighbours = if global { coloured } else { clash[c] & coloured };
        neighbours.for_each(|j| taken |= 1 << reg_of[j]);
        let free = !taken & ((1 << POOL.len()) - 1);
        if free != 0 {
            let k = free.trailing_zeros() as u8;
            reg_of[c] = k;
            coloured.insert(c);
            if global {
                everywhere |= 1 << k;
            }
        }
    }
    // Constants and r10 the threshold left out take a register no candidate got: free
    // everywhere, it costs them only their load at the entry. The most used first.
    let mut free = !everywhere & ((1 << KEPT) - 1);
    for &c in &order[..len] {
        if reg_of[c as usize] != u8::MAX {
            free &= !(1 << reg_of[c as usize]);
        }
    }
    while free != 0 {
        let mut hot = None;
        globals.for_each(|c| {
            if reg_of[c] == u8::MAX && hot.is_none_or(|h: usize| uses[c] > uses[h]) {
                hot = Some(c);
            }
        });
        let Some(c) = hot else { break };
        reg_of[c] = free.trailing_zeros() as u8;
        free &= free - 1;
    }
    for c in 0..count {
        reg_of[c] = reg_of[rep(&joined, c)];
    }
    reg_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use vm::Program;

    use alloc::format;

    fn allocated(src: &str) -> Allocation {
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let a = analyse(p.insns(), crate::analysis::Sizes::default()).unwrap();
        allocate(p.insns(), &a, &crate::loops::prepaid_loops(p.insns(), &a)).unwrap()
    }

    /// `body` in a loop (headed at slot 0).
    fn looped(body: &str) -> Allocation {
        allocated(&format!("l: {body}\nadd %r9, 1\njlt %r9, 10, l\nexit"))
    }

    /// The values defined at slots `a` and `b` share an ARM register.
    fn share(h: &Allocation, a: usize, b: usize) -> bool {
        h.defs[a][0].is_some() && h.defs[a][0] == h.defs[b][0]
    }

    #[test]
    fn loop_values_get_homes_and_32_bit_values_take_one_register() {
        // r2 counts against a register: a 64-bit value.
        let src = "mov32 %r3, 0\nmov %r2, 0\nldxdw %r5, [%r1+0]\nl: ldxb %r4, [%r1+0]\nadd32 %r3, %r4\nadd %r2, 1\njne %r2, %r5, l\nmov32 %r0, %r3\nexit";
        let a = allocated(src);
        let head = a.points.iter().position(|p| p.0 == 3).unwrap();
        let h = a.homes_at(head);
        assert!(h.lo[3].is_some() && h.lo[4].is_none() && h.lo[2].is_some(), "{h:?}");
        assert!(a.defs[3][0].is_some(), "the loaded byte");
        assert!(h.hi[3].is_none() && a.defs[3][1].is_none(), "32-bit values: {h:?}");
        assert!(h.hi[2].is_some(), "the 64-bit counter's high half is read in the loop");
    }

    #[test]
    fn one_register_holds_values_with_homes_of_their_own() {
        // r1 is first a temporary of the loop, then the result: two webs.
        let a = allocated("mov %r6, 0\nl: mov %r1, %r6\nmul %r1, 3\nadd %r7, %r1\nadd %r6, 1\njlt %r6, 10, l\nmov %r1, %r7\nmov %r0, %r1\nexit");
        assert!(a.defs[1][0].is_some() && a.defs[6][0].is_some());
        assert_ne!(a.defs[1][0], a.defs[4][0], "the temporary and the counter are live together");
    }

    #[test]
    fn copies_share_a_register_only_where_their_values_never_differ_while_live() {
        // Fletcher-16's latch: `r3 = r0` with r3 read by the fused `r0 = r1 + r3`
        // (one instruction) and r0 dead on the way round.
        let h = allocated("mov32 %r3, 0\nmov %r2, 0\nl: mov32 %r0, %r1\nadd32 %r0, %r3\nmod32 %r0, 255\nadd %r2, 1\nmov32 %r3, %r0\njne %r2, 100, l\nexit");
        assert!(share(&h, 2, 6), "{h:?}");
        // A copy whose source is dead after it.
        assert!(share(&looped("mov %r2, %r1\nadd %r0, %r2\nmov %r1, %r0"), 0, 2));
        // The source changes while the copy is live.
        assert!(!share(&looped("mov %r2, %r1\nadd %r1, 1\nmov %r0, %r2\nadd %r0, %r1"), 0, 1));
        // A helper's result while the copy of the old r0 is live.
        assert!(!share(&looped("mov %r6, %r0\ncall 1\nadd %r0, %r6"), 0, 1));
        // A 64-bit load may write its low half before it reads its base's again.
        assert!(!share(&looped("mov %r2, %r1\nldxdw %r1, [%r2+0]\nmov %r0, %r1"), 0, 1));
        // A copy made while an earlier copy of the old value is live.
        assert!(!share(&looped("mov %r3, %r0\nmov %r0, %r1\nadd %r2, %r3\nadd %r2, %r0"), 0, 1));
        // An atomic fetch writes its source while a copy of it is live.
        let h = looped("mov %r3, %r2\nlock fetch add [%r10-8], %r2\nadd %r0, %r3\nadd %r0, %r2");
        let r2 = h.homes_at(0).lo[2];
        assert!(h.defs[0][0].is_none() || h.defs[0][0] != r2, "{h:?}");
        // Two registers live at the entry hold different values there.
        let h = looped("add %r0, %r2\nmov %r2, %r1").homes_at(0);
        assert!(h.lo[1].is_none() || h.lo[1] != h.lo[2]);
        // A value kept across a bpf-to-bpf call (reloaded at its landing) and the
        // callee's result.
        let h = allocated("l: mov %r6, %r1\ncall local f\nadd %r0, %r6\njlt %r0, 10, l\nexit\nf: mov %r0, 1\nexit");
        let landing = h.points.iter().position(|p| p.0 == 2).unwrap();
        let at = h.homes_at(landing);
        assert!(at.lo[6].is_some() && at.lo[6] != at.lo[0], "{h:?}");
    }
}
