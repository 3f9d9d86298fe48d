//! Lowering eBPF to Thumb-2.
//!
//! | ARM | role |
//! |---|---|
//! | r4-r6, r8-r11 | homes of the hottest eBPF register halves ([`crate::regalloc`]) |
//! | r7 | `ctx` ([`crate::abi`]); the other halves live in `ctx.regs` (a low register: 16-bit loads and stores reach them) |
//! | lr | the budget: backward jumps and calls left; or, when the allocator gives it to values no call meets, a home ([`regalloc::Allocation::lr_home`]) and the budget stays in `ctx` |
//! | r0-r3, r12 | scratch: r0:r1 the destination's halves, r2:r3 the source's, call arguments |
//!
//! High halves known to be zero ([`crate::analysis`]) are never loaded: 32-bit values
//! cost one register and 32-bit instructions. Inlined: every ALU32 operation (division
//! by zero and signed overflow give RFC 9669's results on the hardware divider as is),
//! 64-bit add, sub, logic, mul, moves, shifts by constants, unsigned division of 32-bit
//! values; every jump; loads and stores, checked against one likely region inline and
//! every region out of line (`rt_mem`); exits; bpf-to-bpf calls (native `bl` frames,
//! with the runtime keeping the eBPF frames). The rest (64-bit signed division, shifts
//! by registers, byte swaps, atomics, helpers) calls the runtime, which applies the
//! interpreter's own semantics, so both engines agree by construction.
mod alu;
mod branch;
mod combine;
mod fuse;
mod memory;

use alloc::vec::Vec;

use vm::opcode::*;
use vm::{Insn, Program};

use crate::abi;
use crate::analysis::{self, Analysis, RegSet, Sizes};
use crate::loops::{self, BodyFirst, Prepaid, PrepaidLoops, Until};
use crate::regalloc::{self, Allocation, Const, Homes};
use crate::thumb2::buffer::{BufferError, CodeBuffer, Label, LabelUse, Point};
use crate::thumb2::cond::Cond;
use crate::thumb2::encode::*;
use crate::thumb2::imm::{ModImm, Off12};
use crate::thumb2::regs::*;
use crate::thumb2::Enc;

/// Compiled code and where each eBPF instruction starts in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub code: Vec<u8>,
    /// Byte offset of each instruction slot's code (the second slot of an LDDW gets
    /// the offset of the next instruction).
    pub insn_offsets: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JitError {
    #[error("instruction {pc}: opcode {opc:#04x} cannot be compiled")]
    Unsupported { pc: usize, opc: u8 },
    #[error("program too large for the JIT ({0} instruction slots)")]
    TooLarge(usize),
    #[error("branch out of range")]
    Branch,
    /// The code outgrew `jit::code_bound`: a program the per-instruction estimates
    /// do not cover is refused, not given more heap.
    #[error("the compiled code outgrew its bound")]
    CodeTooLarge,
    /// The heap could not hold the compiler's tables or the code: every allocation the
    /// compiler makes is fallible, so a device gets this rather than an abort.
    #[error("not enough memory to compile the program")]
    OutOfMemory,
}

impl From<BufferError> for JitError {
    fn from(e: BufferError) -> Self {
        match e {
            BufferError::Full => JitError::CodeTooLarge,
            BufferError::OutOfMemory => JitError::OutOfMemory,
            BufferError::UnboundLabel | BufferError::OutOfRange { .. } => JitError::Branch,
        }
    }
}

impl From<analysis::OutOfMemory> for JitError {
    fn from(_: analysis::OutOfMemory) -> Self {
        JitError::OutOfMemory
    }
}

const CTX: Reg = R7;
const BUDGET: Reg = LR;
/// No register (for [`Lower::at`]'s definition).
const NO_DEF: u8 = u8::MAX;

/// A value for an instruction operand: a register or a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    R(Reg),
    K(u32),
}

/// Shared out-of-line sequences around a runtime function, entered with `bl` (the
/// budget parked in `ctx`): they call it, restore the budget, leave on a failure status,
/// and return. One per program instead of one per call site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Thunk {
    /// The helper entry at index r2 of `ctx.helper_entries`, called `entry(ctx, r1 =
    /// pc)`: leaves on the helper's exit or a fault.
    Helper,
    /// `rt_mem(ctx, r1:r2 = address, r3 = meta)`: leaves on a fault; r0 = the address.
    Mem,
}

/// Which registers hold a copy of which `ctx` word, and which a constant: the loads
/// and stores of spilled halves and the constants set leave them (a half stored by one
/// instruction and read by the next is then not loaded again). Instructions that name
/// the one register they write (`put_def`) update it, as do compares, stores to
/// program memory (which never reaches `ctx`) and branches not taken; it holds only at
/// the point of the code it was last updated at, so any other instruction, or a label
/// bound (a jump may arrive with other contents), voids it.
struct Held {
    at: Point,
    /// Per register in `word_in`, the `ctx` offset of the word it holds.
    word: [u16; 16],
    word_in: u16,
    /// Per register in `konst_in`, the constant it holds.
    konst: [u32; 16],
    konst_in: u16,
}

impl Held {
    fn new() -> Self {
        Self { at: Point::NOWHERE, word: [0; 16], word_in: 0, konst: [0; 16], konst_in: 0 }
    }

    /// Holds nothing, as new (the tables are read only under their masks).
    fn clear(&mut self) {
        (self.at, self.word_in, self.konst_in) = (Point::NOWHERE, 0, 0);
    }

    fn holds(&self, now: Point, r: Reg, off: u16) -> bool {
        self.at == now && self.word_in & 1 << r.n() != 0 && self.word[r.n() as usize] == off
    }

    fn holds_constant(&self, now: Point, r: Reg, v: u32) -> bool {
        self.at == now && self.konst_in & 1 << r.n() != 0 && self.konst[r.n() as usize] == v
    }

    /// After an instruction emitted at `before` that writes `r`, or loads into it the
    /// `ctx` word at `off`, or stores it there.
    fn update(&mut self, before: Point, after: Point, r: Reg, word: Option<u16>) {
        if self.at != before {
            self.word_in = 0;
            self.konst_in = 0;
        }
        let bit = 1 << r.n();
        match word {
            Some(off) => {
                self.word[r.n() as usize] = off;
                self.word_in |= bit;
            }
            None => self.word_in &= !bit,
        }
        self.konst_in &= !bit;
        self.at = after;
    }

    /// A store to the `ctx` word at `off` from `r`: other copies are stale.
    fn stored(&mut self, before: Point, after: Point, r: Reg, off: u16) {
        let mut m = self.word_in;
        while m != 0 {
            let k = m.trailing_zeros() as usize;
            if self.word[k] == off {
                self.word_in &= !(1 << k);
            }
            m &= m - 1;
        }
        self.update(before, after, r, Some(off));
    }

    /// `r`, just set to `v` (by instructions that updated this), holds it.
    fn constant(&mut self, now: Point, r: Reg, v: u32) {
        if self.at == now {
            self.konst[r.n() as usize] = v;
            self.konst_in |= 1 << r.n();
        }
    }

    /// A register that holds the `ctx` word at `off` now.
    fn holder(&self, now: Point, off: u16) -> Option<Reg> {
        let mut m = if self.at == now { self.word_in } else { 0 };
        while m != 0 {
            let k = m.trailing_zeros();
            if self.word[k as usize] == off {
                return Some(Reg::new(k as u8));
            }
            m &= m - 1;
        }
        None
    }

    /// A register that holds, now, `c` or a constant `c` is a shift of, and the shift.
    fn shifted_constant(&self, now: Point, c: u32) -> Option<(Reg, Shift, u16)> {
        let mut m = if self.at == now { self.konst_in } else { 0 };
        while m != 0 {
            let k = m.trailing_zeros();
            if let Some((shift, n)) = shift_to(self.konst[k as usize], c) {
                return Some((Reg::new(k as u8), shift, n));
            }
            m &= m - 1;
        }
        None
    }

    /// A label bound that no jump targets: what held before still holds.
    fn carry(&mut self, before: Point, after: Point) {
        if self.at == before {
            self.at = after;
        }
    }
}

/// The shift that makes `c` of `p`: `(Lsl, 0)` when they are equal, else a logical
/// shift left or right by 1-31 that loses no bit of `c`.
fn shift_to(p: u32, c: u32) -> Option<(Shift, u16)> {
    if p == c {
        return Some((Shift::Lsl, 0));
    }
    if p == 0 || c == 0 {
        return None;
    }
    let (right, left) =
        (c.leading_zeros().checked_sub(p.leading_zeros()), c.trailing_zeros().checked_sub(p.trailing_zeros()));
    match (right, left) {
        (Some(n @ 1..), _) if p >> n == c => Some((Shift::Lsr, n as u16)),
        (_, Some(n @ 1..)) if p << n == c => Some((Shift::Lsl, n as u16)),
        _ => None,
    }
}

/// Code emitted after the function body: slow paths and call trampolines.
enum Deferred {
    /// A memory access that missed its inline window.
    MemMiss(memory::Miss),
    /// `push {r3, lr}; reload the budget; b callee`: a bpf-to-bpf call's native frame.
    Trampoline { label: Label, callee: Label },
}

/// Compiles a program the verifier accepted, proving nothing about `.rodata`/`.data`.
pub fn compile(program: &Program) -> Result<Compiled, JitError> {
    compile_for(program, Sizes::default())
}

/// Compiles a program the verifier accepted, for runs whose `.rodata` and `.data`
/// regions have exactly these sizes (accesses proven inside them go unchecked).
pub fn compile_for(program: &Program, sizes: Sizes) -> Result<Compiled, JitError> {
    compile_hinted(program, sizes, &[])
}

/// [`compile_for`] with the hints the image brings ([`crate::hints::make`] of this
/// program for these sizes): each loop's analysis starts from its state there, and the
/// allocation there is checked in place of allocating. The same code at a lower cost.
/// Hints are checked as the compile goes: wrong ones cost precision or time, never
/// soundness.
pub fn compile_hinted(program: &Program, sizes: Sizes, hints: &[u8]) -> Result<Compiled, JitError> {
    match compile_with(program, sizes, hints, true) {
        // Loop bodies compiled twice are an option, the bound is not: code that
        // outgrows it so is compiled again with every body once.
        Err(JitError::CodeTooLarge) => compile_with(program, sizes, hints, false),
        r => r,
    }
}

fn compile_with(program: &Program, sizes: Sizes, hints: &[u8], unroll: bool) -> Result<Compiled, JitError> {
    let insns = program.insns();
    // `rt_mem`'s meta word carries the pc in 24 bits.
    if insns.len() >= 1 << 24 {
        return Err(JitError::TooLarge(insns.len()));
    }
    let hints = crate::hints::split(hints);
    let analysis = analysis::analyse_hinted(insns, sizes, hints.seeds, hints.live)?;
    let mut prepaid = loops::PrepaidLoops::default();
    loops::find_prepaid_loops(insns, &analysis, &mut prepaid);
    let mut e = Lower::new(insns, analysis, &prepaid);
    // (Checked where the lowering keeps it: an allocation moved is copied.)
    match hints.homes.map(|h| regalloc::homes::check_into(insns, &e.an, h, &mut e.alloc)) {
        Some(Ok(())) => {}
        Some(Err(regalloc::homes::Refused::OutOfMemory)) => return Err(analysis::OutOfMemory.into()),
        _ => {
            // (What a refused check made is given back before the allocator runs.)
            drop(core::mem::take(&mut e.alloc));
            e.alloc = regalloc::allocate(insns, &e.an, &prepaid)?;
        }
    }
    e.start();
    e.at(0);
    e.unroll = unroll;
    e.enter(0);
    e.prologue();
    let mut pc = 0;
    // A loop whose body is compiled twice: the second copy, made at the latch (`usize::MAX`:
    // none).
    let (mut second, mut second_at) = (None::<Unrolling>, usize::MAX);
    // The next prepaid loop's index (the slots come in order), and its head (tested
    // at every slot: kept at hand).
    let mut next_loop = 0;
    let mut next_head = e.prepaid.head(0);
    // A buffer that failed (no heap, or past its bound) takes nothing more: stop.
    while pc < insns.len() && !e.buf.has_failed() {
        if pc == second_at {
            if let Some(u) = second.take() {
                e.second_copy(u);
            }
        }
        e.enter(pc);
        if pc >= next_head {
            if let Some(p) = e.prepaid.next_from(&mut next_loop, pc).filter(|p| p.head == pc) {
                // On the way in only: the latch jumps to the label, after it.
                e.at(pc);
                second = e.prepay(p);
                second_at = p.latch;
                next_loop += 1;
            }
            next_head = e.prepaid.head(next_loop);
        }
        let before = e.buf.point();
        e.buf.bind_inline(Label::nth(pc));
        if !e.an.facts[pc].is_head() {
            e.held.carry(before, e.buf.point());
        }
        let i = insns[pc];
        let wide = i.is_wide();
        let hi = if wide { insns.get(pc + 1).map(|n| n.imm).unwrap_or(0) } else { 0 };
        e.at(pc);
        if pc >= e.skip_until && !e.fuse() {
            e.insn(i, hi)?;
        }
        e.defined(pc);
        if wide {
            pc += 1;
            let before = e.buf.point();
            e.buf.bind_inline(Label::nth(pc));
            e.held.carry(before, e.buf.point());
        }
        pc += 1;
    }
    e.epilogue();
    e.deferred();
    // Instruction pc's label is the pc-th: its offset is the instruction's.
    let (code, mut insn_offsets) = e.buf.finish_with_labels()?;
    insn_offsets.truncate(insns.len());
    Ok(Compiled { code, insn_offsets })
}

/// A prepaid loop compiled twice over, one latch for both copies: the entry jumps to
/// the second copy when the loop runs an odd number of times. The body is
/// straight-line code ([`loops`]) that ends with what the latch jumps to the head
/// with (that jump takes no moves): the second copy is the first's code again, when
/// that has no branch to move with it. [`crate::code_bound`] counts each body once:
/// code that outgrows it is compiled again without second copies.
#[derive(Clone, Copy)]
struct Unrolling {
    second: Label,
    /// Where the first copy starts.
    start: usize,
    /// Branches emitted before it.
    branches: u32,
}

/// How far below r10 its home points when the program reaches deeper into its frame
/// than an 8-bit negative offset does: offsets from -512 to 3583 then take one
/// instruction (a positive 12-bit offset), not two.
pub(crate) const FRAME_BIAS: u32 = 256;

fn off12(v: u16) -> Off12 {
    Off12::maybe_from(v as i32).expect("ctx offsets are small")
}

#[inline(never)]
fn imm(v: u32) -> ModImm {
    ModImm::maybe_from(v).expect("constant is a modified immediate")
}

fn reg_off(k: u8) -> u16 {
    abi::REGS + k as u16 * 8
}

struct Lower<'a> {
    buf: CodeBuffer,
    an: Analysis,
    /// Where each half is read from at the current slot (the webs reaching it).
    homes: Homes,
    alloc: Allocation,
    /// The next of `alloc.points`.
    next_point: usize,
    /// Instruction slots; slot pc's label is `Label::nth(pc)`.
    n: usize,
    insns: &'a [Insn],
    /// Slots below this one were compiled with an earlier one (fused).
    skip_until: usize,
    /// The first of the allocator's runs of loads ([`combine`]) not yet passed.
    next_run: usize,
    /// Per register, the `lsh` of a sign extension whose low half a signed load made.
    extended_by_load: [u32; 11],
    /// What r10's home holds below r10 (0 or [`FRAME_BIAS`]); `ctx.regs[10]` holds r10.
    frame_bias: u32,
    /// The slot being lowered: set with [`Self::at`].
    pc: usize,
    /// The register slot `pc` defines ([`NO_DEF`]: none) and that value's homes, read
    /// at every write ([`Self::home_out`]): looked up once per slot, not at each.
    def: (u8, [Option<Reg>; 2]),
    /// Slot `pc`'s known-zero high halves and high halves needed after it (its facts',
    /// read at most operands: kept at hand).
    zero_in: RegSet,
    need_out: RegSet,
    /// Slot `pc`'s `carry_check` (asked at every slot, by [`Self::fuse`]).
    carry_check: u8,
    exit_ok: Label,
    exit_status: Label,
    fault: Label,
    budget_out: Label,
    /// Shared tail of `exit` inside a bpf-to-bpf call.
    ret: Label,
    later: Vec<Deferred>,
    /// The thunks used so far, bound after the body.
    thunks: [Option<Label>; 2],
    /// Set between an instruction whose flags a later one consumes and that one (a
    /// carry chain, a 64-bit compare): constants then load without touching the flags.
    flags_live: bool,
    /// Counted loops whose entry pays the budget for all their backward jumps.
    prepaid: &'a PrepaidLoops,
    /// Small loop bodies are compiled twice ([`Unrolling`]).
    unroll: bool,
    held: Held,
    /// An access the address computation before it was left to ([`fuse::Folded`]).
    folded: Option<fuse::Folded>,
}

impl<'a> Lower<'a> {
    /// The lowering of `insns`, its allocation to be made ([`Self::alloc`]) before it
    /// [`Self::start`]s.
    fn new(insns: &'a [Insn], an: Analysis, prepaid: &'a PrepaidLoops) -> Self {
        let n = insns.len();
        // (Labels of no buffer yet: `start` makes them.)
        let none = Label::nth(usize::MAX);
        Self {
            buf: CodeBuffer::default(),
            an,
            homes: Homes::default(),
            alloc: Allocation::default(),
            next_point: 0,
            n,
            insns,
            skip_until: 0,
            next_run: 0,
            extended_by_load: [u32::MAX; 11],
            frame_bias: 0,
            pc: 0,
            def: (NO_DEF, [None; 2]),
            zero_in: 0,
            need_out: 0,
            carry_check: 0,
            exit_ok: none,
            exit_status: none,
            fault: none,
            budget_out: none,
            ret: none,
            later: Vec::new(),
            thunks: [None; 2],
            flags_live: false,
            prepaid,
            unroll: true,
            held: Held::new(),
            folded: None,
        }
    }

    /// With the allocation made: the whole-program homes, the code buffer and its
    /// labels.
    fn start(&mut self) {
        // (r0-r9's come with the entry's point, entered before the prologue.)
        self.homes = self.alloc.whole_program_homes();
        self.frame_bias = if self.an.deep_frame && self.homes.lo[10].is_some() { FRAME_BIAS } else { 0 };
        // Instruction pc's label is `Label::nth(pc)`.
        let insns = self.insns;
        self.buf = CodeBuffer::with_capacity(crate::analysis::code_guess(insns), crate::code_bound(insns), self.n);
        [self.exit_ok, self.exit_status, self.fault, self.budget_out, self.ret] = [(); 5].map(|_| self.buf.new_label());
    }

    fn put(&mut self, e: Enc) {
        self.buf.put(e);
    }

    /// Ends the first copy of a loop body compiled twice: the same code again, or,
    /// if it branches (a branch copied would miss its label), no second copy: the
    /// entry's jump to it goes to the head.
    fn second_copy(&mut self, u: Unrolling) {
        if self.buf.branches() == u.branches {
            self.buf.bind(u.second);
            self.buf.repeat(u.start);
        } else {
            self.buf.bind_at(u.second, u.start);
        }
    }

    /// Puts an instruction that writes no register, only the flags (or an `it`).
    fn put_flags(&mut self, e: Enc) {
        self.put_def(e, PC);
    }

    /// A conditional branch to `label`; falling through, the registers hold what they did.
    #[inline(never)]
    fn branch_if(&mut self, cond: Cond, label: Label) {
        let before = self.buf.point();
        self.buf.branch(LabelUse::BCondT3(cond), label);
        self.held.carry(before, self.buf.point());
    }

    /// Puts an instruction whose only register effect is writing `rd` (and the flags):
    /// the other registers keep the `ctx` words they hold ([`Held`]).
    // Out of line: it is called from everywhere, and flash is scarce.
    #[inline(never)]
    fn put_def(&mut self, e: Enc, rd: Reg) {
        let before = self.buf.point();
        self.buf.put(e);
        if rd == CTX {
            self.held.clear();
        } else {
            self.held.update(before, self.buf.point(), rd, None);
        }
    }

    /// Queues code for after the body; a heap with no room for it fails the buffer.
    fn defer(&mut self, d: Deferred) {
        if self.later.try_reserve(1).is_err() {
            return self.buf.out_of_memory();
        }
        self.later.push(d);
    }

    // ---- facts at the current instruction ----

    /// The high half of `k` is certainly zero here.
    fn hi_zero(&self, k: u8) -> bool {
        self.zero_in & (1 << k) != 0
    }

    /// The high half of `k` may be read from storage after this instruction.
    fn hi_needed(&self, k: u8) -> bool {
        self.need_out & (1 << k) != 0
    }

    // ---- homes ----

    /// Enters slot `pc`: at a point, the homes there.
    fn enter(&mut self, pc: usize) {
        if self.alloc.points.get(self.next_point).is_some_and(|p| p.0 as usize == pc) {
            self.alloc.enter_point(self.next_point, &mut self.homes);
            self.next_point += 1;
        }
    }

    /// Leaves slot `pc` (compiled, or fused into an earlier one): its definition's
    /// homes are where the register is read from on.
    fn defined(&mut self, pc: usize) {
        if let Some(k) = regalloc::def_of(&self.an, pc) {
            [self.homes.lo[k], self.homes.hi[k]] = self.alloc.defs[pc];
        }
    }

    /// Where half `hi` of `k` is written at `self.pc`: the home of the value the slot
    /// defines, else the one it continues.
    fn home_out(&self, k: u8, hi: bool) -> Option<Reg> {
        match self.def {
            (d, homes) if d == k => homes[hi as usize],
            _ if hi => self.homes.hi[k as usize],
            _ => self.homes.lo[k as usize],
        }
    }

    /// Moves to slot `pc`: the only way `pc` changes, so that what the slot defines and
    /// the facts kept at hand (`def`, `zero_in`, `need_out`, `carry_check`) are always
    /// slot `pc`'s.
    fn at(&mut self, pc: usize) {
        self.pc = pc;
        // (Past the last slot: nothing, as at a slot that defines nothing.)
        (self.def, self.zero_in, self.need_out, self.carry_check) = match self.an.facts.get(pc) {
            Some(f) => {
                let def = match regalloc::def_of(&self.an, pc) {
                    Some(d) => (d as u8, self.alloc.defs[pc]),
                    None => (NO_DEF, [None; 2]),
                };
                (def, f.zero_in, f.need_out, f.carry_check)
            }
            None => ((NO_DEF, [None; 2]), 0, 0, 0),
        };
    }

    // ---- operands ----

    /// The low half of `k` in a register: its home, or loaded into `scratch`. (The
    /// common case inline, a home that is the value.)
    #[inline(always)]
    fn lo(&mut self, k: u8, scratch: Reg) -> Reg {
        match self.homes.lo[k as usize] {
            Some(r) if k != 10 => r,
            _ => self.lo_made(k, scratch),
        }
    }

    /// [`Self::lo`] where the home is not the value: loaded from `ctx`, or r10's home
    /// less the frame's bias.
    #[inline(never)]
    fn lo_made(&mut self, k: u8, scratch: Reg) -> Reg {
        match self.homes.lo[k as usize] {
            Some(r) if k == 10 && self.frame_bias != 0 => {
                self.put_def(dp_imm(DpOp::Add, Flags::Keep, scratch, r, imm(self.frame_bias)), scratch);
                scratch
            }
            Some(r) => r,
            None => {
                self.ld(Width::Word, scratch, CTX, reg_off(k));
                scratch
            }
        }
    }

    /// [`Self::lo`] for a value read at once, before any register is written: any
    /// register that holds it will do, but r12 (a far access puts its address there).
    fn lo_now(&mut self, k: u8, scratch: Reg) -> Reg {
        if self.homes.lo[k as usize].is_none() {
            if let Some(r) = self.held.holder(self.buf.point(), reg_off(k)).filter(|&r| r != R12) {
                return r;
            }
        }
        self.lo(k, scratch)
    }

    /// [`Self::hi`] for a value read at once (see [`Self::lo_now`]).
    fn hi_now(&mut self, k: u8, scratch: Reg) -> Val {
        if !self.hi_zero(k) && self.homes.hi[k as usize].is_none() {
            if let Some(r) = self.held.holder(self.buf.point(), reg_off(k) + 4).filter(|&r| r != R12) {
                return Val::R(r);
            }
        }
        self.hi(k, scratch)
    }

    /// The high half of `k`: `K(0)` when known zero, else its home or loaded into `scratch`.
    fn hi(&mut self, k: u8, scratch: Reg) -> Val {
        if self.hi_zero(k) {
            return Val::K(0);
        }
        match self.homes.hi[k as usize] {
            Some(r) => Val::R(r),
            None => {
                self.ld(Width::Word, scratch, CTX, reg_off(k) + 4);
                Val::R(scratch)
            }
        }
    }

    /// The register to compute `k`'s low half in: its home or `scratch`; then [`Self::commit_lo`].
    fn lo_dst(&self, k: u8, scratch: Reg) -> Reg {
        self.home_out(k, false).unwrap_or(scratch)
    }

    fn hi_dst(&self, k: u8, scratch: Reg) -> Reg {
        self.home_out(k, true).unwrap_or(scratch)
    }

    fn commit_lo(&mut self, k: u8, r: Reg) {
        if self.home_out(k, false) != Some(r) {
            self.st(Width::Word, r, CTX, reg_off(k));
        }
    }

    fn commit_hi(&mut self, k: u8, r: Reg) {
        if self.home_out(k, true) != Some(r) {
            self.st(Width::Word, r, CTX, reg_off(k) + 4);
        }
    }

    /// The high half of `k` becomes `v`: stored only where it may be read later (a
    /// register stored as it is when the half lives in `ctx.regs`).
    fn set_hi(&mut self, k: u8, v: Val) {
        if !self.hi_needed(k) {
            return;
        }
        let r = match (self.home_out(k, true), v) {
            (None, Val::R(x)) => x,
            (home, _) => {
                let r = home.unwrap_or(R1);
                self.val_into(r, v);
                r
            }
        };
        self.commit_hi(k, r);
    }

    /// The low half of `k` becomes `src`'s: into `k`'s home, or `src`'s register stored
    /// as it is when `k`'s half lives in `ctx.regs`.
    fn copy_lo(&mut self, k: u8, src: u8) {
        let r = match self.home_out(k, false) {
            Some(h) => {
                self.lo_into(src, h);
                h
            }
            None => self.lo_now(src, R0),
        };
        self.commit_lo(k, r);
    }

    /// Copies `v` into `r`.
    fn val_into(&mut self, r: Reg, v: Val) {
        match v {
            Val::R(x) if x == r => {}
            Val::R(x) => self.put_def(mov_reg16(r, x), r),
            Val::K(c) => self.const32(r, c),
        }
    }

    /// `v` in a register: itself, the constant's home, or the constant loaded into `scratch`.
    #[inline(never)]
    fn in_reg(&mut self, v: Val, scratch: Reg) -> Reg {
        match v {
            Val::R(r) => r,
            Val::K(c) => match self.homes.constant(Const::Imm(c)) {
                Some(home) => home,
                None => {
                    self.const32(scratch, c);
                    scratch
                }
            },
        }
    }

    /// Loads the low half of `k` into `r` (a copy when it has another home).
    fn lo_into(&mut self, k: u8, r: Reg) {
        match self.homes.lo[k as usize] {
            Some(h) if k == 10 && self.frame_bias != 0 => {
                self.put_def(dp_imm(DpOp::Add, Flags::Keep, r, h, imm(self.frame_bias)), r)
            }
            Some(h) if h == r => {}
            Some(h) => self.put_def(mov_reg16(r, h), r),
            None => self.ld(Width::Word, r, CTX, reg_off(k)),
        }
    }

    /// `ldr<w> rt, [rn, #off]` in its shortest form; nothing when `rt` holds that
    /// `ctx` word already.
    // Out of line: LLVM inlines it where it is called once, for flash and no speed.
    #[inline(never)]
    fn ld(&mut self, w: Width, rt: Reg, rn: Reg, off: u16) {
        let ctx_word = w == Width::Word && rn == CTX;
        let before = self.buf.point();
        if ctx_word && self.held.holds(before, rt, off) {
            return;
        }
        let e = ldst16(true, w, rt, rn, off).unwrap_or_else(|| ldr_imm(w, rt, rn, off12(off)));
        self.put(e);
        self.held.update(before, self.buf.point(), rt, ctx_word.then_some(off));
    }

    /// `str<w> rt, [rn, #off]` in its shortest form.
    fn st(&mut self, w: Width, rt: Reg, rn: Reg, off: u16) {
        let before = self.buf.point();
        let e = ldst16(false, w, rt, rn, off).unwrap_or_else(|| str_imm(w, rt, rn, off12(off)));
        self.put(e);
        match (rn == CTX, w == Width::Word) {
            (false, _) => self.held.carry(before, self.buf.point()),
            (true, true) => self.held.stored(before, self.buf.point(), rt, off),
            (true, false) => self.held.clear(),
        }
    }

    /// Sets a register to a constant without touching flags that are live (see
    /// `flags_live`); elsewhere a small constant takes the 16-bit MOVS.
    fn const32(&mut self, r: Reg, v: u32) {
        if self.held.holds_constant(self.buf.point(), r, v) {
            return;
        }
        self.emit_const32(r, v);
        self.held.constant(self.buf.point(), r, v);
    }

    fn emit_const32(&mut self, r: Reg, v: u32) {
        if let Some(e) = movs_imm16(r, v as u8).filter(|_| v < 256 && !self.flags_live) {
            self.put_def(e, r);
        } else if let Some(m) = ModImm::maybe_from(v) {
            self.put_def(mov_imm(Flags::Keep, r, m), r);
        } else if let Some(m) = ModImm::maybe_from(!v) {
            self.put_def(mvn_imm(Flags::Keep, r, m), r);
        } else {
            self.put_def(movw(r, v as u16), r);
            if v >> 16 != 0 {
                self.put_def(movt(r, (v >> 16) as u16), r);
            }
        }
    }

    /// `rd = rn <op> m`, with a constant `m` as an immediate where it fits (or its
    /// negation / complement where the operation allows), else loaded into `tmp`.
    fn dp(&mut self, op: DpOp, flags: Flags, rd: Reg, rn: Reg, m: Val, tmp: Reg) {
        match m {
            // The 16-bit ADD of two registers leaves the flags alone, as the .W form here.
            Val::R(rm) if op == DpOp::Add && flags == Flags::Keep && rd == rn => self.put_def(add_reg16(rd, rm), rd),
            Val::R(rm) if op == DpOp::Add && flags == Flags::Keep && rd == rm => self.put_def(add_reg16(rd, rn), rd),
            Val::R(rm) => self.put_def(dp_reg(op, flags, rd, rn, rm, Shift::Lsl, 0), rd),
            Val::K(c) => {
                if let Some(i) = ModImm::maybe_from(c) {
                    return self.put_def(dp_imm(op, flags, rd, rn, i), rd);
                }
                // Flag-setting forms keep their own carry meaning: no flipping there.
                let flipped = match (op, flags) {
                    (DpOp::Add, Flags::Keep) => Some((DpOp::Sub, c.wrapping_neg())),
                    (DpOp::Sub, Flags::Keep) => Some((DpOp::Add, c.wrapping_neg())),
                    (DpOp::And, _) => Some((DpOp::Bic, !c)),
                    (DpOp::Orr, _) => Some((DpOp::Orn, !c)),
                    _ => None,
                };
                if let Some((op2, c2)) = flipped {
                    if let Some(i) = ModImm::maybe_from(c2) {
                        return self.put_def(dp_imm(op2, flags, rd, rn, i), rd);
                    }
                }
                // A shifter's carry-out would reach C in flag-setting logic: only where the
                // flags are kept.
                if let Some((rm, shift, n)) = self.constant_operand(c).filter(|_| flags == Flags::Keep) {
                    return self.put_def(dp_reg(op, flags, rd, rn, rm, shift, n), rd);
                }
                self.const32(tmp, c);
                self.put_def(dp_reg(op, flags, rd, rn, tmp, Shift::Lsl, 0), rd);
            }
        }
    }

    /// `cmp rn, v`, in its shortest form (CMP sets the flags in every form).
    #[inline(never)]
    fn cmp(&mut self, rn: Reg, v: Val, tmp: Reg) {
        match v {
            Val::K(c) if c < 256 && rn.is_low() => {
                self.put_flags(cmp_imm16(rn, c as u8).unwrap_or_else(|| cmp_imm(rn, imm(c))))
            }
            Val::K(c) if ModImm::maybe_from(c).is_some() => self.put_flags(cmp_imm(rn, imm(c))),
            Val::K(c) if ModImm::maybe_from(c.wrapping_neg()).is_some() => {
                // CMN: ADDS with Rd = PC.
                self.put_flags(dp_imm(DpOp::Add, Flags::Set, PC, rn, imm(c.wrapping_neg())))
            }
            Val::K(c) => match self.constant_operand(c) {
                // CMP: SUBS with Rd = PC (the shifter's carry-out does not reach C).
                Some((rm, shift, n)) if n != 0 => self.put_flags(dp_reg(DpOp::Sub, Flags::Set, PC, rn, rm, shift, n)),
                Some((rm, _, _)) => self.put_flags(cmp_reg16(rn, rm)),
                None => {
                    let r = self.in_reg(v, tmp);
                    self.put_flags(cmp_reg16(rn, r));
                }
            },
            Val::R(r) => self.put_flags(cmp_reg16(rn, r)),
        }
    }

    /// A register that holds `c`, or a constant `c` is a shift of (with the shift): a
    /// whole-program constant's home, or a register a constant was set in and still
    /// holds (CRC-32's polynomial, whose right shifts by 1-5 the loop uses as well).
    #[cfg_attr(target_os = "none", optimize(size))]
    fn constant_operand(&self, c: u32) -> Option<(Reg, Shift, u16)> {
        let mut homes = self.homes.consts.iter().flatten();
        homes
            .find_map(|&(k, r)| match k {
                Const::Imm(p) => shift_to(p, c).map(|(s, n)| (r, s, n)),
                _ => None,
            })
            .or_else(|| self.held.shifted_constant(self.buf.point(), c))
    }

    // ---- the runtime ----

    /// Stores the halves of the registers in `set` that live at home (and known-zero
    /// high halves, which storage may hold stale) to `ctx.regs`, for the runtime to
    /// read. The zero is loaded once, into r12.
    fn flush_set(&mut self, set: RegSet) {
        if set & self.zero_in & analysis::ALL != 0 {
            self.const32(R12, 0);
        }
        // (By the set's bits: a walk over all eleven costs more, per call.)
        for k in analysis::bits(set) {
            let k = k as u8;
            let (lo, hi, zero) = (self.homes.lo[k as usize], self.homes.hi[k as usize], self.hi_zero(k));
            // A biased r10 is never stored: the code never writes r10, and `ctx.regs`
            // holds it as the runtime set it.
            let lo = lo.filter(|_| k != 10 || self.frame_bias == 0);
            let off = reg_off(k);
            match (lo, if zero { Some(R12) } else { hi }) {
                (Some(l), Some(h)) => self.put(strd(l, h, CTX, off / 4)),
                (Some(l), None) => self.st(Width::Word, l, CTX, off),
                (None, Some(h)) => self.st(Width::Word, h, CTX, off + 4),
                (None, None) => {}
            }
        }
    }

    fn flush(&mut self, k: u8) {
        self.flush_set(1 << k);
    }

    /// Reloads `k`'s halves that live at home from `ctx.regs`, after the runtime wrote it.
    fn fill(&mut self, k: u8) {
        self.fill_halves(k, true, true);
    }

    /// Reloads the chosen halves of `k` that live at home; both at once with LDRD.
    fn fill_halves(&mut self, k: u8, lo: bool, hi: bool) {
        let (l, h) = (self.home_out(k, false).filter(|_| lo), self.home_out(k, true).filter(|_| hi));
        match (l, h) {
            (Some(l), Some(h)) => self.put(ldrd(l, h, CTX, reg_off(k) / 4)),
            _ => {
                if let Some(l) = l {
                    self.ld(Width::Word, l, CTX, reg_off(k));
                }
                if let Some(h) = h {
                    self.ld(Width::Word, h, CTX, reg_off(k) + 4);
                }
            }
        }
        if let Some(l) = l.filter(|_| k == 10 && self.frame_bias != 0) {
            self.put_def(dp_imm(DpOp::Sub, Flags::Keep, l, l, imm(self.frame_bias)), l);
        }
    }

    /// Calls a runtime function: r0 = ctx, r1 = `arg` if given (r2, r3 already set).
    /// The budget is parked in `ctx` across the call, which clobbers lr.
    fn call_rt(&mut self, slot: u16, arg: Option<u32>) {
        self.park_budget();
        if let Some(a) = arg {
            self.const32(R1, a);
        }
        self.put_def(mov_reg16(R0, CTX), R0);
        self.ld(Width::Word, R12, CTX, slot);
        self.put(blx(R12));
        self.unpark_budget();
    }

    /// Before a call that clobbers lr: the budget to `ctx`, unless it lives there.
    /// (Out of line, as the other budget helpers: flash is scarce.)
    #[inline(never)]
    fn park_budget(&mut self) {
        if !self.alloc.lr_home {
            self.st(Width::Word, BUDGET, CTX, abi::BUDGET);
        }
    }

    /// After it (or at an entry): the budget back in lr, unless it lives in `ctx`.
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    fn unpark_budget(&mut self) {
        if !self.alloc.lr_home {
            self.ld(Width::Word, BUDGET, CTX, abi::BUDGET);
        }
    }

    /// Calls a shared thunk (arguments already in r1-r3).
    fn call_thunk(&mut self, t: Thunk) {
        let label = match self.thunks[t as usize] {
            Some(l) => l,
            None => {
                let l = self.buf.new_label();
                self.thunks[t as usize] = Some(l);
                l
            }
        };
        self.park_budget();
        self.buf.branch(LabelUse::BlT1, label);
    }

    // (Once or twice a compile: for size, out of line.)
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    fn emit_thunk(&mut self, t: Thunk, label: Label) {
        self.buf.bind(label);
        self.put(push(RegList::of(&[R3, LR])));
        self.put_def(mov_reg16(R0, CTX), R0);
        if t == Thunk::Helper {
            // The entry r2 indexes (one `ldr` here, not at every call site).
            self.ld(Width::Word, R12, CTX, abi::HELPER_ENTRIES_AT);
            self.put(ldr_reg_lsl(Width::Word, R12, R12, R2, 2));
        } else {
            self.ld(Width::Word, R12, CTX, abi::RT_MEM);
        }
        self.put(blx(R12));
        // Back to the call site through r12 (the return address popped there); lr is
        // the budget again. (The constants compared below need no scratch register.)
        self.put(pop(RegList::of(&[R3, R12])));
        self.unpark_budget();
        match t {
            Thunk::Helper => {
                // Going on is what nearly every call returns: one test, then back.
                let other = self.buf.new_label();
                self.cmp(R0, Val::K(abi::STATUS_CONTINUE), R2);
                self.buf.branch(LabelUse::BCondT3(Cond::Ne), other);
                self.put(bx(R12));
                self.buf.bind(other);
                self.cmp(R0, Val::K(abi::STATUS_HELPER_EXIT), R2);
                self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.exit_ok);
                self.buf.branch(LabelUse::BT4, self.exit_status);
            }
            Thunk::Mem => {
                self.cmp(R0, Val::K(0), R2);
                self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.fault);
                self.put(bx(R12));
            }
        }
    }

    /// Leaves with the status in r0 unless it is `STATUS_CONTINUE`.
    fn check_status(&mut self) {
        self.cmp(R0, Val::K(abi::STATUS_CONTINUE), R12);
        self.buf.branch(LabelUse::BCondT3(Cond::Ne), self.exit_status);
    }

    /// One step of the budget: backward jumps and calls.
    fn budget_tick(&mut self) {
        self.budget_step();
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.budget_out);
    }

    /// The budget kept in `ctx`: `r = budget - by` (1 if none), the flags set, stored.
    #[inline(never)]
    fn budget_in_ctx_sub(&mut self, r: Reg, by: Option<Reg>) {
        self.ld(Width::Word, r, CTX, abi::BUDGET);
        let e = match by {
            Some(b) => dp_reg(DpOp::Sub, Flags::Set, r, r, b, Shift::Lsl, 0),
            None => dp_imm(DpOp::Sub, Flags::Set, r, r, imm(1)),
        };
        self.put_def(e, r);
        self.st(Width::Word, r, CTX, abi::BUDGET);
    }

    /// `budget -= 1`, setting the flags: in lr, or through r12 in `ctx`.
    fn budget_step(&mut self) {
        if self.alloc.lr_home {
            self.budget_in_ctx_sub(R12, None);
        } else {
            self.put_def(dp_imm(DpOp::Sub, Flags::Set, BUDGET, BUDGET, imm(1)), BUDGET);
        }
    }

    /// A counted loop's entry: leaves with the budget failure if the budget cannot pay
    /// for every backward jump the loop will take (it would run out inside, where
    /// nothing can be observed), else pays them all (see [`crate::loops`]). The loop
    /// to compile twice, if it is one ([`Prepaid::unrolled`]). (Once a loop: for size,
    /// out of line.)
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    fn prepay(&mut self, p: Prepaid) -> Option<Unrolling> {
        let v = match p.slot {
            None => self.lo(p.counter, R0),
            Some((off, wide)) => {
                if wide && p.until == (Until::Equal { enters_below: true }) {
                    // A 64-bit counter at 2^32 or past runs through 2^64 before it
                    // meets the limit: longer than any budget.
                    self.frame_word(R1, off + 4);
                    self.cmp(R1, Val::K(0), R12);
                    self.buf.branch(LabelUse::BCondT3(Cond::Ne), self.budget_out);
                }
                self.frame_word(R0, off);
                R0
            }
        };
        // Unrolled, the second copy runs the body's first time when the backward jumps
        // are even (an odd number of runs).
        let second = (self.unroll && p.unrolled()).then(|| self.buf.new_label());
        match p.until {
            Until::Equal { enters_below } => {
                if enters_below {
                    self.cmp(v, Val::K(p.limit), R12);
                    self.buf.branch(LabelUse::BCondT3(Cond::Hs), self.budget_out);
                }
                // r12 = (limit - step - v) / step (Prepaid::backward_jumps).
                self.rsb_const(R12, v, p.limit.wrapping_sub(1 << p.step_log2), R12);
                if p.step_log2 != 0 {
                    // A counter that steps past the limit wraps around before it stops:
                    // longer than any budget.
                    self.put_flags(dp_imm(DpOp::And, Flags::Set, PC, R12, imm((1 << p.step_log2) - 1)));
                    self.buf.branch(LabelUse::BCondT3(Cond::Ne), self.budget_out);
                }
            }
            Until::Below { offset, wide } => {
                // No backward jump when the first compared value is not below the limit:
                // the body runs once.
                let once = second.unwrap_or(Label::nth(p.head));
                if wide && offset != 0 {
                    // At or past the limit already (and v + offset may pass 2^32).
                    self.cmp(v, Val::K(p.limit), R1);
                    self.branch_if(Cond::Hs, once);
                }
                let first = match offset {
                    0 => v,
                    _ => {
                        self.put_def(dp_imm(DpOp::Add, Flags::Keep, R12, v, imm(offset)), R12);
                        R12
                    }
                };
                self.cmp(first, Val::K(p.limit), R1);
                self.branch_if(Cond::Hs, once);
                // r12 = (limit + step - 1 - first) / step, rounded down: one backward jump
                // for each compared value below the limit (Prepaid::backward_jumps).
                self.rsb_const(R12, first, p.limit.wrapping_add((1 << p.step_log2) - 1), R1);
            }
        }
        if p.step_log2 != 0 {
            self.put_def(mov_reg_shifted(Flags::Keep, R12, R12, Shift::Lsr, p.step_log2 as u16), R12);
        }
        self.pay_r12();
        let second = second?;
        self.put_flags(dp_imm(DpOp::And, Flags::Set, PC, R12, imm(1)));
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), second);
        Some(Unrolling { second, start: self.buf.offset(), branches: self.buf.branches() })
    }

    /// The entry of a loop entered at its body ([`loops::BodyFirst`]): leaves with the
    /// budget failure unless the budget covers every backward jump, else pays them:
    /// one, and one more for each value the counter takes below the limit after its
    /// first step (`BodyFirst::backward_jumps`).
    #[cfg_attr(target_os = "none", optimize(size))]
    fn prepay_body_first(&mut self, l: BodyFirst) {
        let v = self.lo(l.counter, R0);
        let limit = match l.limit {
            loops::Limit::Reg(r) => self.lo(r, R1),
            loops::Limit::Imm(k) => self.in_reg(Val::K(k), R1),
        };
        let step = 1u32 << l.step_log2;
        let (none_below, pay) = (self.buf.new_label(), self.buf.new_label());
        // r12 = first = v + step: none below the limit if that carries past 2^32 or
        // is not below it.
        self.put_def(dp_imm(DpOp::Add, Flags::Set, R12, v, imm(step)), R12);
        self.branch_if(Cond::Hs, none_below);
        self.put_flags(cmp_reg(R12, limit));
        self.branch_if(Cond::Hs, none_below);
        // r12 = (limit - first + step - 1) / step: the values below the limit.
        self.put_def(dp_reg(DpOp::Sub, Flags::Keep, R12, limit, R12, Shift::Lsl, 0), R12);
        if l.step_log2 != 0 {
            self.put_def(dp_imm(DpOp::Add, Flags::Keep, R12, R12, imm(step - 1)), R12);
            self.put_def(mov_reg_shifted(Flags::Keep, R12, R12, Shift::Lsr, l.step_log2 as u16), R12);
        }
        self.buf.branch(LabelUse::BT4, pay);
        self.buf.bind(none_below);
        self.const32(R12, 0);
        self.buf.bind(pay);
        // And the pass that finds the counter not below it.
        self.put_def(dp_imm(DpOp::Add, Flags::Keep, R12, R12, imm(1)), R12);
        self.pay_r12();
    }

    /// `rt` = the frame's word at `off` from r10 (a prepaid counter's slot, which the
    /// analysis proved inside the frame where the loop loads it).
    fn frame_word(&mut self, rt: Reg, off: i16) {
        let (base, disp) = self.based(10, off as i32, rt);
        self.mem_op(true, Width::Word, rt, base, disp);
    }

    /// Pays r12 backward jumps from the budget, or leaves with the budget failure when
    /// budget <= jumps (the last tick would have reached 0).
    /// (In `ctx`, through r1: free at both entries by then.)
    fn pay_r12(&mut self) {
        if self.alloc.lr_home {
            self.budget_in_ctx_sub(R1, Some(R12));
        } else {
            self.put_def(dp_reg(DpOp::Sub, Flags::Set, BUDGET, BUDGET, R12, Shift::Lsl, 0), BUDGET);
        }
        self.buf.branch(LabelUse::BCondT3(Cond::Ls), self.budget_out);
    }

    /// `rd = k - rn`, the constant loaded into `tmp` (not `rn`) if it must be.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn rsb_const(&mut self, rd: Reg, rn: Reg, k: u32, tmp: Reg) {
        match ModImm::maybe_from(k) {
            Some(m) => self.put_def(dp_imm(DpOp::Rsb, Flags::Keep, rd, rn, m), rd),
            None => {
                self.const32(tmp, k);
                self.put_def(dp_reg(DpOp::Sub, Flags::Keep, rd, tmp, rn, Shift::Lsl, 0), rd);
            }
        }
    }

    // ---- frame ----

    fn prologue(&mut self) {
        // r3 keeps the stack 8-byte aligned (AAPCS): ten registers.
        self.put(push(RegList::of(&[R3, R4, R5, R6, R7, R8, R9, R10, R11, LR])));
        self.put_def(mov_reg16(CTX, R0), CTX);
        if self.an.has_local_calls {
            self.put_def(mov_reg16(R12, SP), R12);
            self.st(Width::Word, R12, CTX, abi::SAVED_SP);
        }
        self.unpark_budget();
        // Only what may be read before it is written.
        let (lo, hi) = (self.an.entry_lo, self.an.entry_hi);
        for k in analysis::bits(lo | hi) {
            let k = k as u8;
            self.fill_halves(k, lo & 1 << k != 0, hi & 1 << k != 0);
        }
        for (c, r) in self.homes.consts.into_iter().flatten() {
            match c {
                Const::Imm(v) => self.const32(r, v),
                Const::Rodata(off) | Const::Data(off) => {
                    let base = if matches!(c, Const::Rodata(_)) { abi::RODATA_BASE } else { abi::DATA_BASE };
                    self.ld(Width::Word, r, CTX, base);
                    if off != 0 {
                        self.dp(DpOp::Add, Flags::Keep, r, r, Val::K(off as u32), R12);
                    }
                }
            }
        }
    }

    // (Once a compile, out of line: the main loop keeps its registers.)
    #[inline(never)]
    fn epilogue(&mut self) {
        let (ok, status, fault, budget) = (self.exit_ok, self.exit_status, self.fault, self.budget_out);
        self.buf.bind(fault);
        self.put_def(mov_imm(Flags::Keep, R0, imm(abi::STATUS_FAULT)), R0);
        self.buf.branch(LabelUse::BT4, status);
        self.buf.bind(budget);
        self.put_def(mov_imm(Flags::Keep, R0, imm(abi::STATUS_BUDGET)), R0);
        self.buf.branch(LabelUse::BT4, status);
        self.buf.bind(ok);
        self.put_def(mov_imm(Flags::Keep, R0, imm(abi::STATUS_EXIT)), R0);
        self.buf.bind(status);
        if self.an.has_local_calls {
            // Drop any bpf-to-bpf call frames.
            self.ld(Width::Word, R12, CTX, abi::SAVED_SP);
            self.put_def(mov_reg16(SP, R12), SP);
        }
        self.put(pop(RegList::of(&[R3, R4, R5, R6, R7, R8, R9, R10, R11, PC])));
        if self.an.has_local_calls {
            // `exit` inside a call: the runtime restores r6-r10 in ctx, then return to
            // the call site's landing, which reloads them.
            self.buf.bind(self.ret);
            // The budget is parked in ctx (call_rt left it there), where the landing
            // reloads it from.
            self.call_rt(abi::RT_RET, None);
            self.put(pop(RegList::of(&[R3, PC])));
        }
    }

    // (Once a compile, out of line: the main loop keeps its registers.)
    #[inline(never)]
    fn deferred(&mut self) {
        // Slow paths first: they may use thunks.
        for d in core::mem::take(&mut self.later) {
            match d {
                Deferred::MemMiss(m) => self.mem_miss(m),
                Deferred::Trampoline { label, callee } => {
                    self.buf.bind(label);
                    self.put(push(RegList::of(&[R3, LR])));
                    self.unpark_budget();
                    self.buf.branch(LabelUse::BT4, callee);
                }
            }
        }
        for (t, label) in [Thunk::Helper, Thunk::Mem].into_iter().zip(self.thunks) {
            if let Some(l) = label {
                self.emit_thunk(t, l);
            }
        }
    }

    // ---- instructions ----

    fn unsupported(&self, i: Insn) -> JitError {
        JitError::Unsupported { pc: self.pc, opc: i.opc }
    }

    fn insn(&mut self, i: Insn, hi: i32) -> Result<(), JitError> {
        match i.class() {
            CLS_ALU | CLS_ALU64 => self.alu(i),
            CLS_JMP | CLS_JMP32 => self.jmp(i)?,
            CLS_LDX => self.load(i),
            CLS_ST | CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => self.atomic(i),
            CLS_ST | CLS_STX => self.store(i),
            CLS_LD => match i.opc {
                LDDW => {
                    let v = (i.imm as u32 as u64) | ((hi as u32 as u64) << 32);
                    let r = self.lo_dst(i.dst(), R0);
                    self.const32(r, v as u32);
                    self.commit_lo(i.dst(), r);
                    self.set_hi(i.dst(), Val::K((v >> 32) as u32));
                }
                LDDWD | LDDWR => {
                    let (base, c) = if i.opc == LDDWD {
                        (abi::DATA_BASE, Const::Data(i.imm))
                    } else {
                        (abi::RODATA_BASE, Const::Rodata(i.imm))
                    };
                    let r = self.lo_dst(i.dst(), R0);
                    if let Some(home) = self.homes.constant(c) {
                        self.val_into(r, Val::R(home));
                    } else {
                        self.ld(Width::Word, r, CTX, base);
                        if i.imm != 0 {
                            self.dp(DpOp::Add, Flags::Keep, r, r, Val::K(i.imm as u32), R2);
                        }
                    }
                    self.commit_lo(i.dst(), r);
                    self.set_hi(i.dst(), Val::K(0));
                }
                _ => return Err(self.unsupported(i)),
            },
            _ => return Err(self.unsupported(i)),
        }
        Ok(())
    }

    /// Anything the runtime applies on `ctx.regs`: store what it reads, reload what it writes.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn via_runtime(&mut self, slot: u16, reads: RegSet, writes: RegSet) {
        self.flush_set(reads);
        self.call_rt(slot, Some(self.pc as u32));
        self.check_status();
        for k in analysis::bits(writes) {
            self.fill(k as u8);
        }
    }

    fn atomic(&mut self, i: Insn) {
        let (d, s) = (1 << i.dst(), 1 << i.src());
        self.via_runtime(abi::RT_ATOMIC, d | s | 1, s | 1);
    }

    fn jmp(&mut self, i: Insn) -> Result<(), JitError> {
        let op = i.opc & OP_MASK;
        let is32 = i.class() == CLS_JMP32;
        match op {
            CALL if !is32 => {
                if i.is_local_call() {
                    let target =
                        i.jump_target(self.pc).filter(|&t| t < self.n).map(Label::nth).ok_or(self.unsupported(i))?;
                    self.local_call(target);
                } else {
                    let callx = i.opc & SRC_X != 0;
                    // (Only the arguments the helper reads: the others are not its.)
                    self.flush_set(crate::analysis::helper_reads(i));
                    self.const32(R1, self.pc as u32);
                    // The entry's index: the id, which goes straight to its helper;
                    // `callx` and ids past the table take entry 0, `rt_helper`, which
                    // reads the instruction.
                    let entry = u32::try_from(i.imm).ok().filter(|&id| !callx && (id as usize) < abi::HELPER_ENTRIES);
                    self.const32(R2, entry.unwrap_or(abi::RT_HELPER_ENTRY));
                    self.call_thunk(Thunk::Helper);
                    self.fill(0);
                }
                Ok(())
            }
            EXIT if !is32 => {
                if self.an.has_local_calls {
                    self.ld(Width::Word, R12, CTX, abi::DEPTH);
                    self.cmp(R12, Val::K(0), R12);
                    self.buf.branch(LabelUse::BCondT3(Cond::Ne), self.ret);
                }
                self.flush(0);
                self.buf.branch(LabelUse::BT4, self.exit_ok);
                Ok(())
            }
            CALL | EXIT => Err(self.unsupported(i)),
            _ => self.branch(i),
        }
    }

    /// A bpf-to-bpf call: the runtime opens the eBPF frame (saving r6-r10), a native
    /// `bl` through a trampoline keeps the return address, and the landing reloads
    /// r6-r10, which the callee may have changed and `rt_ret` restored in `ctx.regs`.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn local_call(&mut self, callee: Label) {
        self.budget_tick();
        self.flush_set(0b111_1100_0000);
        self.call_rt(abi::RT_CALL, Some(self.pc as u32));
        self.check_status();
        self.fill(10);
        let tramp = self.buf.new_label();
        self.defer(Deferred::Trampoline { label: tramp, callee });
        self.park_budget();
        self.buf.branch(LabelUse::BlT1, tramp);
        self.unpark_budget();
        // Only halves live at the landing: a dead one's home may hold a live value.
        let landing = self.pc + 1;
        let (lo, hi) =
            if landing < self.n { (self.an.live_lo_in(landing), self.an.hi_needed_in(landing)) } else { (0, 0) };
        for k in 6..11 {
            self.fill_halves(k, k == 10 || lo & 1 << k != 0, hi & 1 << k != 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_every_conformance_style_program_shape() {
        let src = "mov %r0, 1\nlddw %r1, 0x1122334455667788\nadd %r0, %r1\nadd32 %r0, -3\nlsh32 %r0, 4\n\
                   ldxb %r2, [%r10-1]\nstxdw [%r10-8], %r2\nstw [%r10-4], 7\nl: jsgt %r0, %r2, l\njeq32 %r0, 5, +1\n\
                   div %r0, 3\ncall 5\ncall local f\nlock fetch add [%r10-8], %r1\nexit\nf: mov %r0, 2\nexit";
        let program = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let c = compile(&program).unwrap();
        assert_eq!(c.insn_offsets.len(), program.insns().len());
        assert!(c.insn_offsets.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(c.code.len() % 2, 0);
        // Starts with the prologue: push.w {r3-r11, lr}.
        assert_eq!(&c.code[..4], &[0x2d, 0xe9, 0xf8, 0x4f]);
    }

    /// The code bound counts a loop body once: a program whose second copies pass it
    /// (XORs with constants that take two instructions each, into registers kept in
    /// `ctx`) is compiled again with one copy of each, and fits.
    #[test]
    fn unrolling_never_takes_a_program_past_its_code_bound() {
        let mut src = alloc::string::String::new();
        for r in 0..9 {
            src += &alloc::format!("lddw %r{r}, {:#x}\n", 0x1122_3344_5566_7788u64 + r);
        }
        for k in 0..loops::MAX_PREPAID {
            src += &alloc::format!("mov %r9, 0\nl{k}:\n");
            for j in 0..14u32 {
                src += &alloc::format!("xor %r{}, -{:#x}\n", j % 9, 0x1234_5678 + j * 0x0101_0101 + k as u32);
            }
            src += &alloc::format!("add %r9, 1\njne %r9, 5, l{k}\n");
        }
        src += &(1..9).map(|r| alloc::format!("add %r0, %r{r}\n")).collect::<alloc::string::String>();
        src += "exit";
        let program = Program::from_insns(vm::asm::assemble(&src).unwrap()).unwrap();
        let c = compile(&program).unwrap();
        assert!(c.code.len() <= crate::code_bound(program.insns()));
        let prepaid =
            loops::prepaid_loops(program.insns(), &analysis::analyse(program.insns(), Sizes::default()).unwrap());
        assert_eq!(prepaid.iter().filter(Prepaid::unrolled).count(), loops::MAX_PREPAID);
    }
}
