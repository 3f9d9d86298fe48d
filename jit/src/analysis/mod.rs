//! Whole-program facts the lowering uses to keep 64-bit semantics and memory isolation
//! cheap on a 32-bit core.
//!
//! - **Value ranges** (forward abstract interpretation): each register is a number in
//!   `[lo, hi]`, or a pointer at a bounded offset from a region's anchor (the start of
//!   `.rodata` or `.data`, the input, or r10, the top of the current stack frame), or
//!   somewhere near a region. Conditional jumps refine the ranges on each edge, and
//!   loop heads widen to the program's own comparison constants (and the constants a
//!   limit register is set to), so that a counter running to `N` is known to stay
//!   below `N`, and one counting down to 1 above 0. Relations carry a bound from one
//!   value to another: registers and spill slots holding one value at constant offsets
//!   (a copy one step behind, a counter spilled and reloaded minus a constant) form a
//!   class that one comparison bounds, and a pointer stepping in proportion to a
//!   counter (`p = &a[i]`) is bounded by the counter's limit. From the ranges:
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
//!
//! The analysis runs in named phases ([`analyse`]): block heads and thresholds
//! ([`forward::heads`]), value ranges forward over the abstract domain of [`domain`]
//! ([`forward::ranges`]), needed high halves and live low halves backward
//! ([`liveness::needs`]). Loop depth ([`loop_depths`]) is the register allocator's to
//! ask for.
use alloc::vec::Vec;

use vm::opcode::*;
use vm::Insn;

mod domain;
mod forward;
mod liveness;
pub(crate) use liveness::helper_reads;

pub(crate) use domain::access_len;
pub use liveness::hi_reads;

/// The heap had no room for the analysis' tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

/// `n` copies of `value`, in a vector the heap may refuse (a device compiles with what
/// heap it has).
fn try_filled<T: Clone>(value: T, n: usize) -> Result<Vec<T>, OutOfMemory> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| OutOfMemory)?;
    v.resize(n, value);
    Ok(v)
}

/// A set of eBPF registers r0-r10, bit n for rn.
pub type RegSet = u16;
pub const ALL: RegSet = (1 << 11) - 1;

/// The registers in a set, lowest first: a walk over its bits, not over all eleven.
pub(crate) fn bits(set: RegSet) -> impl Iterator<Item = usize> {
    let mut rest = set & ALL;
    core::iter::from_fn(move || {
        (rest != 0).then(|| {
            let k = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            k
        })
    })
}

/// Pointer offsets are tracked within ±`OFF_LIMIT` of their anchor. The runtime keeps
/// every region at least this far from both ends of the 32-bit address space, so such a
/// pointer's high half is zero.
pub const OFF_LIMIT: i64 = 1 << 24;

const fn bit(r: u8) -> RegSet {
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

impl Sizes {
    /// The `.rodata` and `.data` sizes an image brings.
    pub fn of(image: &vm::image::Image) -> Self {
        Self { rodata: image.rodata.len() as u32, data: image.data.len() as u32 }
    }
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
    /// ... from just after it on (on any successor).
    live_out: RegSet,
    /// For a memory access: the region its base register points into, if known.
    pub hint: Hint,
    /// For a memory access: proven inside `.rodata`, `.data` or the current frame (in
    /// a callee: or its caller's, the frame below).
    pub safe: bool,
    /// For a doubleword store of a value below 2^32 into a frame slot that holds one
    /// already: the slot's high word is zero before and after, so only the low word
    /// need be written.
    pub hi_kept: bool,
    /// Only bpf-to-bpf calls reach the slot, never the entry function: it runs one
    /// frame up the stack or more, so its caller's frame lies below its own.
    pub in_callee: bool,
    /// For `mod dst, c` (32 or 64 bits): `dst` is below `2c` and `2^16` here, so the
    /// remainder is `dst - c` or `dst` (a halfword subtraction and a select, not a
    /// division).
    pub reduce_once: bool,
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
    /// For a 64-bit add: how many slots on the access it computes the unproven address
    /// of is ([`crate::patterns::carry_checked_access`]; 0: none). Its carry is the
    /// address's high half: the add branches to the access's out-of-line path when it
    /// is set, so the high half is zero up to the access.
    pub carry_check: u8,
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
    /// Some access through r10 is deeper than 255 bytes (an 8-bit negative offset).
    pub deep_frame: bool,
    /// How many slots are block heads (jump and call targets, and the entry).
    pub heads: u32,
}

impl Analysis {
    /// Registers whose low half may be read before being written, from `pc` on.
    pub fn live_lo_in(&self, pc: usize) -> RegSet {
        self.facts[pc].live_in
    }

    /// Registers whose high-half storage may be read from `pc` on.
    pub fn hi_needed_in(&self, pc: usize) -> RegSet {
        let f = &self.facts[pc];
        f.rd_hi | (f.need_out & !f.defs)
    }

    /// ... and from just after `pc` on (on any successor).
    pub fn live_lo_out(&self, pc: usize) -> RegSet {
        self.facts[pc].live_out
    }
}

pub(crate) fn is_cond_jump(i: Insn) -> bool {
    matches!(i.class(), CLS_JMP | CLS_JMP32) && !matches!(i.opc & OP_MASK, JA | CALL | EXIT)
}

/// Machine code per instruction, by kind: memory accesses (address checks), heavy
/// ones ([`is_heavy`]) and the rest; and what the frame, the thunks and the shared
/// exits take besides. Code that outgrows the sum is refused
/// ([`crate::JitError::CodeTooLarge`]).
const CODE_MEMORY: u8 = 80;
const CODE_HEAVY: u8 = 80;
const CODE_LIGHT: u8 = 24;
const CODE_FIXED_BYTES: usize = 1024;

const fn is_memory(opc: u8) -> bool {
    matches!(opc & CLS_MASK, CLS_LDX | CLS_ST | CLS_STX)
}

/// 64-bit multiplies, divisions, shifts and byte swaps, and calls: a runtime call or
/// a fast path and a slow one, with branches.
const fn is_heavy(opc: u8) -> bool {
    let heavy_alu = matches!(opc & OP_MASK, OP_MUL | OP_DIV | OP_MOD | OP_LSH | OP_RSH | OP_ARSH | OP_END);
    match opc & CLS_MASK {
        CLS_ALU64 | CLS_ALU => heavy_alu,
        CLS_JMP => opc & OP_MASK == CALL,
        _ => false,
    }
}

/// Code bytes per opcode, as a table: summed for every program compiled, so it costs
/// a load per instruction.
const CODE_BYTES: [u8; 256] = {
    let mut table = [CODE_LIGHT; 256];
    let mut opc = 0;
    while opc < 256 {
        if is_memory(opc as u8) {
            table[opc] = CODE_MEMORY;
        } else if is_heavy(opc as u8) {
            table[opc] = CODE_HEAVY;
        }
        opc += 1;
    }
    table
};

/// The most machine code `insns` may compile to: the code buffer never grows past it.
pub fn code_bound(insns: &[Insn]) -> usize {
    insns.iter().map(|i| CODE_BYTES[i.opc as usize] as usize).sum::<usize>() + CODE_FIXED_BYTES
}

/// The code buffer's first capacity: enough for most programs, which then never
/// reallocate; the rest double as they must, up to [`code_bound`].
pub fn code_guess(insns: &[Insn]) -> usize {
    insns.len() * 12 + 128
}

/// The analysis, in its phases; its tables come from a heap that may refuse them.
pub fn analyse(insns: &[Insn], sizes: Sizes) -> Result<Analysis, OutOfMemory> {
    analyse_seeded(insns, sizes, &[])
}

/// [`analyse`], each head with a seed in `seeds` ([`loop_seeds`]) starting from it,
/// joined with what first reaches it (a seed that is not well-formed is not used).
pub fn analyse_seeded(insns: &[Insn], sizes: Sizes, seeds: &[u8]) -> Result<Analysis, OutOfMemory> {
    analyse_with(insns, sizes, seeds, &[], None)
}

/// [`analyse_seeded`], liveness starting from `live` at the loop heads ([`live_seeds`]):
/// one sweep where they hold, else the sweep as without.
pub fn analyse_hinted(insns: &[Insn], sizes: Sizes, seeds: &[u8], live: &[u8]) -> Result<Analysis, OutOfMemory> {
    analyse_with(insns, sizes, seeds, live, None)
}

/// What liveness finds at the loop heads of `a`, as bytes to send with the program:
/// a compile given them ([`analyse_hinted`]) sweeps once, to the same sets.
pub fn live_seeds(a: &Analysis) -> Vec<u8> {
    liveness::seeds(&a.facts)
}

/// The states the range analysis ends with at the loop heads, as bytes to send with
/// the program: a compile given them ([`crate::compile_hinted`]) walks each loop once
/// when they hold, to the same code. Also seeded: the heads a walk with the loop heads'
/// seeds still walks twice (a rotated loop's first block, which a way in from before
/// the loop reaches first), found by walking with the seeds so far, a few times. Empty
/// if there are no loops, or the analysis gave up on precision.
pub fn loop_seeds(insns: &[Insn], sizes: Sizes) -> Result<Vec<u8>, OutOfMemory> {
    let mut heads = Vec::new();
    let plain = analyse_with(insns, sizes, &[], &[], Some(&mut heads))?;
    let mut chosen: Vec<bool> = heads.iter().map(|h| h.loop_head).collect();
    let encode = |chosen: &[bool]| {
        let mut out = Vec::new();
        for h in heads.iter().zip(chosen).filter(|(_, &c)| c).map(|(h, _)| h) {
            // What a register holds where it is not read before it is written is no
            // part of a seed: it changes no fact, and seeds go over the air.
            let live = plain.live_lo_in(h.pc) | plain.hi_needed_in(h.pc);
            domain::seeds::encode(&mut out, h.pc, &h.state, live);
        }
        out
    };
    let mut seeds = encode(&chosen);
    for _ in 0..3 {
        let mut walked = Vec::new();
        analyse_with(insns, sizes, &seeds, &[], Some(&mut walked))?;
        let mut more = false;
        for w in walked.iter().filter(|w| w.walks > 1) {
            if let Some(c) = heads.binary_search_by_key(&w.pc, |h| h.pc).ok().and_then(|k| chosen.get_mut(k)) {
                more |= !*c;
                *c = true;
            }
        }
        if !more {
            break;
        }
        seeds = encode(&chosen);
    }
    Ok(seeds)
}

/// [`analyse_seeded`]; with `out`, every block head's state is left there in the end,
/// with how often its block was walked.
fn analyse_with(
    insns: &[Insn],
    sizes: Sizes,
    seeds: &[u8],
    live: &[u8],
    out: Option<&mut Vec<forward::HeadState>>,
) -> Result<Analysis, OutOfMemory> {
    let n = insns.len();
    let has_local_calls = insns.iter().any(|&i| i.is_local_call());
    let mut facts = try_filled(Facts { head: u32::MAX, ..Facts::default() }, n)?;
    if has_local_calls {
        callees_only(insns, &mut facts)?;
    }
    // A few thresholds suffice (more only sharpen bounds): fixed arrays, no allocation.
    let mut thresholds = forward::Thresholds::new(insns);
    let (heads, loop_heads, compared, pairs, deep_frame) = forward::heads(insns, sizes, &mut facts, &mut thresholds);
    // (Only loops tangle: a walk less for programs with one or none.)
    if loop_heads > 1 {
        forward::untangle(&mut facts);
    }
    forward::ranges(insns, sizes, &mut facts, heads, &thresholds, compared, &pairs, seeds, out)?;
    let (entry_lo, entry_hi) = liveness::needs(insns, &mut facts, has_local_calls, live);
    Ok(Analysis { facts, has_local_calls, entry_lo, entry_hi, deep_frame, heads })
}

/// Marks the slots that only bpf-to-bpf calls reach: not the entry function's, those
/// control reaches from slot 0 without entering a call (jumps between functions count:
/// what they reach may run in the entry frame).
fn callees_only(insns: &[Insn], facts: &mut [Facts]) -> Result<(), OutOfMemory> {
    let mut todo = Vec::new();
    todo.try_reserve_exact(insns.len()).map_err(|_| OutOfMemory)?;
    for f in facts.iter_mut() {
        f.in_callee = true;
    }
    if let Some(f) = facts.first_mut() {
        f.in_callee = false;
        todo.push(0);
    }
    while let Some(pc) = todo.pop() {
        for s in insns[pc].successors(pc).into_iter().flatten() {
            if let Some(f) = facts.get_mut(s).filter(|f| f.in_callee) {
                f.in_callee = false;
                todo.push(s);
            }
        }
    }
    Ok(())
}

/// Marks the add at `pc` if its carry checks the address of an access after it, and
/// the sum's high half zero up to that access (where the add has branched away
/// otherwise). (Asked by liveness' first walk, which reads `zero_in` only after this.)
#[inline(always)]
fn carry_check(insns: &[Insn], facts: &mut [Facts], pc: usize) {
    if let Some(at) = crate::patterns::carry_checked_access(insns, facts, pc) {
        facts[pc].carry_check = (at - pc) as u8;
        for f in &mut facts[pc + 1..=at] {
            f.zero_in |= bit(insns[pc].dst());
        }
    }
}

/// Each slot's loop nesting depth (at most 3), for the register allocator's costs: a
/// backward jump's target opens a loop, the slot after its last backward jump there
/// closes it. (A `continue` is a second latch of the same loop, not a loop inside it.)
/// Asked only where the allocator runs: a compile whose homes pass never needs it.
pub fn loop_depths(insns: &[Insn]) -> Result<Vec<u8>, OutOfMemory> {
    let n = insns.len();
    // Each loop head's last latch (the latches come in order: the last one stays).
    let mut last = try_filled(u32::MAX, n)?;
    for (pc, &i) in insns.iter().enumerate() {
        let back = matches!(i.class(), CLS_JMP | CLS_JMP32) && !matches!(i.opc & OP_MASK, CALL | EXIT);
        if let Some(t) = back.then(|| i.jump_target(pc)).flatten().filter(|&t| t <= pc) {
            last[t] = pc as u32;
        }
    }
    // Depth rises at a head and falls after its last latch (counted ahead in `closing`).
    let mut closing = try_filled(0u16, n + 1)?;
    let mut depths = try_filled(0u8, n)?;
    let mut depth: u16 = 0;
    for pc in 0..n {
        depth = depth.wrapping_sub(closing[pc]);
        if let Some(&latch) = last.get(pc).filter(|&&l| l != u32::MAX) {
            depth = depth.wrapping_add(1);
            closing[latch as usize + 1] = closing[latch as usize + 1].wrapping_add(1);
        }
        depths[pc] = depth.min(3) as u8;
    }
    Ok(depths)
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
        analyse(p.insns(), sizes).unwrap()
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
    fn only_loops_that_partly_overlap_lose_their_last_latch() {
        // The last latch of each loop head after `untangle` (u32::MAX: none).
        let latches = |src: &str| {
            let insns = vm::asm::assemble(src).unwrap();
            let mut facts = alloc::vec![Facts { head: u32::MAX, ..Facts::default() }; insns.len()];
            forward::heads(&insns, Sizes::default(), &mut facts, &mut forward::Thresholds::new(&insns));
            forward::untangle(&mut facts);
            facts.iter().enumerate().filter(|(_, f)| f.back_target).map(|(t, f)| (t, f.succ[0])).collect::<Vec<_>>()
        };
        // Two loops, the second's head inside the first and its latch past the first's
        // (a packet filter's two `continue`s, to different steps).
        let tangled =
            "mov %r2, 0\na: add %r0, 1\nb: add %r2, 1\njeq %r2, 9, out\njne %r0, 3, a\nadd %r1, 1\nja b\nout: exit";
        assert_eq!(latches(tangled), [(1, u32::MAX), (2, u32::MAX)]);
        // The second's head is the first's latch.
        let tangled = "a: add %r0, 1\nadd %r2, 1\nb: jne %r0, 3, a\nadd %r1, 1\njlt %r1, 9, b\nexit";
        assert_eq!(latches(tangled), [(0, u32::MAX), (2, u32::MAX)]);
        // Nested and one after the other: kept.
        let nested = "a: add %r0, 1\nb: add %r2, 1\njlt %r2, 9, b\njlt %r0, 9, a\nc: add %r1, 1\njlt %r1, 9, c\nexit";
        assert_eq!(latches(nested), [(0, 3), (1, 2), (4, 5)]);
    }

    #[test]
    fn a_counter_compared_with_a_constant_stays_32_bit() {
        // r2 counts to 10 in a 64-bit register: the range analysis bounds it.
        let a = analyse_src("mov %r2, 0\nl: add %r2, 1\njne %r2, 10, l\nmov %r0, %r2\nexit", Sizes::default());
        assert!(zero(&a, 1, 2) && zero(&a, 2, 2) && zero(&a, 3, 2));
        let insns = vm::asm::assemble("mov %r2, 0\nl: add %r2, 1\njne %r2, 10, l\nmov %r0, %r2\nexit").unwrap();
        assert_eq!(loop_depths(&insns).unwrap(), [0, 1, 1, 0, 0]);
    }

    #[test]
    fn a_loop_with_two_latches_is_one_loop_deep_and_a_loop_inside_it_two() {
        // `continue` (slot 3) and the loop's end (slot 8) both jump back to slot 1; the
        // loop at slots 5-6 is inside it.
        let src = "mov %r2, 0\nl: add %r2, 1\njeq %r1, 0, skip\nja l\nskip: mov %r3, 0\nm: add %r3, 1\njlt %r3, 4, m\nadd %r0, %r3\njlt %r2, 10, l\nexit";
        let depths = loop_depths(&vm::asm::assemble(src).unwrap()).unwrap();
        assert_eq!(depths, [0, 1, 1, 1, 1, 2, 2, 1, 1, 0]);
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
    fn a_counter_below_a_register_limit_stays_32_bit() {
        // CoAP formatting's shape: the limit a helper's result zero-extended, the counter
        // reset in an outer loop whose counter it is copied to and from (their limits
        // are its thresholds too). Past them all it stops at 2^32 - 2, where `add 1`
        // keeps it a 32-bit number.
        let src = "mov %r7, 0\no: mov %r1, %r7\nadd %r1, 2\njlt %r7, 0xfe, +1\nexit\nmov %r7, %r1\ncall 1\n\
                   mov %r1, 0\nlsh %r0, 32\nrsh %r0, 32\nl: mov %r2, %r10\nadd %r2, -48\nadd %r2, %r1\n\
                   ldxb %r2, [%r2+0]\nadd %r1, 1\njlt %r1, %r0, l\nja o";
        let a = analyse_src(src, Sizes { rodata: 256, data: 0 });
        assert!((10..16).all(|pc| zero(&a, pc, 1)), "r1 is a 32-bit number in the inner loop");
        // Compared with `jle`, nothing keeps it below 2^32 - 1: `add 1` may carry.
        let a = analyse_src(&src.replace("jlt %r1, %r0", "jle %r1, %r0"), Sizes { rodata: 256, data: 0 });
        assert!(!zero(&a, 10, 1));
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
    fn sign_copies_multiplied_need_no_high_halves() {
        // `smull` reads the low halves only: the sign extension need not store r2's high half.
        let a = analyse_src(
            "ldxb %r2, [%r1+0]\nlsh %r2, 56\narsh %r2, 56\nmov %r3, -3\nmul %r2, %r3\nmov %r0, %r2\nexit",
            Sizes::default(),
        );
        assert_eq!(a.facts[2].need_out & bit(2), 0);
        assert_eq!(a.facts[3].need_out & bit(3), 0);
        // A 64-bit load is no sign copy: the multiply reads its high half.
        let b = analyse_src("ldxdw %r2, [%r1+0]\nmov %r3, -3\nmul %r2, %r3\nmov %r0, %r2\nexit", Sizes::default());
        assert_ne!(b.facts[0].need_out & bit(2), 0);
        assert_ne!(b.facts[1].need_out & bit(3), 0);
    }

    #[test]
    fn dead_high_halves_are_not_needed() {
        let a = analyse_src("mov %r3, %r1\nadd %r3, 7\nmov32 %r0, %r3\nexit", Sizes::default());
        assert_eq!(a.facts[1].need_out & bit(3), 0);
        assert_eq!(a.facts[2].need_out & bit(0), 0);
    }

    /// The programs of `count` random ones (seed `seed`, up to `max_len` slots, with
    /// loops and calls) the verifier accepts.
    fn verified_random_programs(seed: u64, count: usize, max_len: u64) -> impl Iterator<Item = Program> {
        let mut rng = vm::testgen::Rng::new(seed);
        (0..count).filter_map(move |_| {
            let len = 1 + (rng.next_u64() % max_len) as usize;
            let p = Program::from_insns(vm::testgen::program(&mut rng, len, &[1])).ok()?;
            vm::verify(&p, &vm::HelperSet::all()).is_ok().then_some(p)
        })
    }

    /// A slot's liveness sets: (high halves needed after it, before it, low halves live
    /// after it, before it).
    type LiveSets = (RegSet, RegSet, RegSet, RegSet);

    fn live_sets(a: &Analysis) -> Vec<LiveSets> {
        a.facts.iter().map(|f| (f.need_out, f.need_in, f.live_out, f.live_in)).collect()
    }

    /// Slot `pc`'s sets as liveness' equations give them from its successors' in `sets`.
    fn live_step(a: &Analysis, insns: &[Insn], sets: &[LiveSets], pc: usize) -> LiveSets {
        let f = &a.facts[pc];
        let returned = if a.has_local_calls && insns[pc].is_local_call() { liveness::RETURNED } else { 0 };
        let (mut out, mut live_out) = (0, 0);
        for (t, kill) in [(f.succ[0], returned), (f.succ[1], 0)] {
            if let Some(s) = sets.get(t as usize) {
                out |= s.1 & !kill;
                live_out |= s.3;
            }
        }
        (out, f.rd_hi | (out & !f.defs), live_out, f.rd_lo | (live_out & !f.defs))
    }

    #[test]
    fn liveness_is_the_fixpoint_of_plain_passes() {
        // The solver sweeps once and again only over loops whose head's sets changed,
        // skips a slot whose successors' sets did not, and keeps what comes out of each
        // slot for the passes after it: its sets must be those repeated passes over the
        // whole program settle at. Random valid programs with loops and calls.
        let mut looped = 0;
        for p in verified_random_programs(11, 2000, 32) {
            let a = analyse(p.insns(), Sizes::default()).unwrap();
            looped += a.facts.iter().any(|f| f.back_target) as usize;
            let mut plain: Vec<LiveSets> = alloc::vec![(0, 0, 0, 0); a.facts.len()];
            let mut changed = true;
            while changed {
                changed = false;
                for pc in (0..a.facts.len()).rev() {
                    let now = live_step(&a, p.insns(), &plain, pc);
                    changed |= now != plain[pc];
                    plain[pc] = now;
                }
            }
            for (pc, (got, s)) in live_sets(&a).iter().zip(&plain).enumerate() {
                assert_eq!(got, s, "slot {pc} of {:?}", p.insns());
                assert_eq!(a.hi_needed_in(pc), s.1, "slot {pc} of {:?}", p.insns());
            }
        }
        assert!(looped > 200, "{looped} programs with loops");
    }

    /// Liveness' seeds: the analysis' own give the sets it finds without them. With a
    /// bit flipped, a seed is refused (the sets are those without) or holds: the sets
    /// then solve the equations and hold at least what the least solution does (a
    /// register taken for live where it is not costs code, never meaning).
    #[test]
    fn own_live_seeds_give_the_same_sets_and_wrong_ones_a_solution_no_smaller() {
        let (mut seeded, mut taken) = (0, 0);
        let mut rng = vm::testgen::Rng::new(0x5eed5);
        for p in verified_random_programs(0x11fe, 3000, 44) {
            let insns = p.insns();
            let plain = analyse(insns, Sizes::default()).unwrap();
            let seeds = live_seeds(&plain);
            if seeds.is_empty() {
                continue;
            }
            seeded += 1;
            let least = live_sets(&plain);
            let own = analyse_hinted(insns, Sizes::default(), &[], &seeds).unwrap();
            assert_eq!(live_sets(&own), least, "{insns:?}");
            for _ in 0..8 {
                let mut flipped = seeds.clone();
                let bit = rng.next_u64() as usize % (8 * flipped.len());
                flipped[bit / 8] ^= 1 << (bit % 8);
                let a = analyse_hinted(insns, Sizes::default(), &[], &flipped).unwrap();
                let got = live_sets(&a);
                if got == least {
                    continue;
                }
                taken += 1;
                for pc in 0..insns.len() {
                    assert_eq!(live_step(&a, insns, &got, pc), got[pc], "slot {pc} of {insns:?}");
                    let (g, l) = (got[pc], least[pc]);
                    let no_smaller = g.0 & l.0 == l.0 && g.1 & l.1 == l.1 && g.2 & l.2 == l.2 && g.3 & l.3 == l.3;
                    assert!(no_smaller, "slot {pc}: {g:?} against {l:?} of {insns:?}");
                }
            }
        }
        assert!(seeded > 800 && taken > 2000, "{seeded} programs with loops, {taken} flipped seeds held");
    }

    #[test]
    fn every_instruction_control_can_reach_is_analysed() {
        // The walk re-enters loops early and skips settled blocks: it must still record
        // facts for every instruction a run can reach (unwalked ones would be taken for
        // dead code). Random valid programs with loops and calls, against plain
        // reachability.
        for p in verified_random_programs(7, 2000, 24) {
            let insns = p.insns();
            let a = analyse(insns, Sizes::default()).unwrap();
            let mut seen = alloc::vec![false; insns.len()];
            let mut todo = alloc::vec![0usize];
            while let Some(pc) = todo.pop() {
                if pc >= insns.len() || seen[pc] {
                    continue;
                }
                seen[pc] = true;
                let i = insns[pc];
                todo.extend(i.successors(pc).into_iter().flatten());
                todo.extend(i.is_local_call().then(|| i.jump_target(pc)).flatten());
            }
            for pc in (0..insns.len()).filter(|&pc| seen[pc]) {
                assert!(a.facts[pc].reachable, "pc {pc} of\n{}", vm::disasm::disassemble(insns).join("\n"));
            }
        }
    }

    #[test]
    fn a_pointer_joined_over_an_outer_loop_stops_where_its_last_byte_fits() {
        // matmul's shape: a row pointer worked out from the outer counter, read in the
        // inner loop, whose head joins its values over the outer iterations.
        let src = "mov %r2, 0\no: lddw %r6, 0x7ead0000\nmov %r5, %r2\nmul %r5, 12\nadd %r6, %r5\nadd %r6, 11\n\
                   mov %r3, 0\ni: ldxb %r0, [%r6+0]\nadd %r3, 1\njne %r3, 4, i\nadd %r2, 1\njne %r2, 12, o\nexit";
        assert!(analyse_src(src, Sizes { rodata: 144, data: 0 }).facts[8].safe, "rodata + [11, 143]");
        assert!(!analyse_src(src, Sizes { rodata: 143, data: 0 }).facts[8].safe);
    }

    #[test]
    fn a_counters_copy_one_step_behind_bounds_the_counter() {
        // Fletcher-32's shape: the loop compares the copy taken before the step.
        let src = "mov %r1, 0\nl: mov %r4, %r1\nlddw %r5, 0x7ead0000\nadd %r5, %r4\nldxb %r6, [%r5+0]\n\
                   ldxb %r0, [%r5+1]\nadd %r1, 2\njlt %r4, 0x9fe, l\nexit";
        let a = analyse_src(src, Sizes { rodata: 2560, data: 0 });
        assert!(zero(&a, 1, 1) && zero(&a, 8, 1), "r1 = r4 + 2 <= 2559 on the way back");
        assert!(a.facts[5].safe && a.facts[6].safe, "even r4 <= 2556: both bytes inside");
        // A copy stepped away from the compared register by a negative amount is not
        // bounded by it (r1 = r4 - 2 may wrap below zero).
        let src = "mov %r1, 0\nl: mov %r4, %r1\nadd %r1, -2\njlt %r4, 100, l\nexit";
        let a = analyse_src(src, Sizes::default());
        assert!(!zero(&a, 1, 1));
    }

    #[test]
    fn a_counter_stepping_by_four_stops_at_the_last_multiple_below_its_limit() {
        // SHA-256's shape: `add r2, 4; jne r2, 256`. Without the alignment the bound
        // would widen past 256.
        let src =
            "mov %r2, 0\nl: lddw %r3, 0x7ead0000\nadd %r3, %r2\nldxw %r0, [%r3+0]\nadd %r2, 4\njne %r2, 256, l\nexit";
        let a = analyse_src(src, Sizes { rodata: 256, data: 0 });
        assert!(a.facts[4].safe, "r2 in [0, 252], 4 bytes inside 256");
        // Starting at 2 it never meets 256: unbounded.
        let a = analyse_src(&src.replacen("mov %r2, 0", "mov %r2, 2", 1), Sizes { rodata: 256, data: 0 });
        assert!(!a.facts[4].safe);
    }

    #[test]
    fn a_value_stepped_up_by_64_bit_adds_goes_to_anything_once_past_its_thresholds() {
        // How often r6 grew at the loop head at slot 2 (each growth walks the loop
        // again), after the range analysis (later passes reuse the field).
        let r6_growths = |src: &str| {
            let insns = vm::asm::assemble(src).unwrap();
            let mut facts = alloc::vec![Facts { head: u32::MAX, ..Facts::default() }; insns.len()];
            let mut th = forward::Thresholds::new(&insns);
            let (heads, _, compared, pairs, _) = forward::heads(&insns, Sizes::default(), &mut facts, &mut th);
            forward::untangle(&mut facts);
            forward::ranges(&insns, Sizes::default(), &mut facts, heads, &th, compared, &pairs, &[], None).unwrap();
            facts[2].grown >> (2 * 6) & 3
        };
        // matmul's shape: r6 = 12 i + 1 beside the counter r2. Past its thresholds the
        // widest 32-bit bound would hold it for one walk only.
        let src = "mov %r6, 1\nmov %r2, 0\nl: add %r6, 12\nmov %r0, %r6\nadd %r2, 1\njne %r2, 100, l\nexit";
        assert_eq!(r6_growths(src), 1, "straight to anything");
        let a = analyse_src(src, Sizes::default());
        assert!(!zero(&a, 3, 6));
        assert!(zero(&a, 3, 2), "the counter keeps its bound");
        // Values that some instruction bounds keep the widest bound, where they stay:
        // zero-extended each time round, stepped by a 32-bit add, copied from a 32-bit
        // value.
        let copied = "add %r6, 12\nmov32 %r7, %r6\nmov %r6, %r7";
        for step in ["add %r6, 12\nlsh %r6, 32\nrsh %r6, 32", "add32 %r6, 12", copied] {
            let a = analyse_src(&src.replace("add %r6, 12", step), Sizes::default());
            assert!(zero(&a, 2, 6) && zero(&a, 4, 0), "{step}: r6 below 2^32");
        }
        // A counter below a register limit stops at 2^32 - 2, its last threshold, and
        // stays a 32-bit number.
        let a = analyse_src(
            "mov %r1, 0\ncall 1\nlsh %r0, 32\nrsh %r0, 32\nl: add %r1, 1\nmov %r3, %r1\njlt %r1, %r0, l\nexit",
            Sizes::default(),
        );
        assert!(zero(&a, 5, 1), "r1 below 2^32 - 1");
    }

    #[test]
    fn a_spilled_counter_keeps_its_bound_until_its_slot_may_change() {
        // A loop counter kept in a frame slot, as compilers spill one: reloaded, used as
        // an index, stepped, spilled again and compared. `between` runs in the loop.
        let run = |between: &str| {
            let src = alloc::format!(
                "mov %r2, 0\nstxdw [%r10-16], %r2\nl: ldxdw %r2, [%r10-16]\nlddw %r3, 0x7ead0000\nadd %r3, %r2\n\
                 ldxw %r0, [%r3+0]\nadd %r2, 1\nstxdw [%r10-16], %r2\n{between}\njne %r2, 61, l\nexit"
            );
            let a = analyse_src(&src, Sizes { rodata: 64, data: 0 });
            (a.facts[6].safe, zero(&a, 3, 2))
        };
        assert_eq!(run("mov %r4, 1"), (true, true), "r2 in [0, 60] from its slot");
        // Anything that may write the slot forgets it.
        assert_eq!(run("stxw [%r10-12], %r0"), (false, false), "a store into the slot");
        assert_eq!(run("stxb [%r1+0], %r0"), (false, false), "a store the analysis cannot place");
        assert_eq!(run("call 2"), (false, false), "a helper");
        // Stores beside it and through proven pointers do not.
        assert_eq!(run("stxw [%r10-8], %r0\nstxw [%r10-20], %r0"), (true, true));
        // A slot copied from different registers on the two ways into a loop settles
        // (as no register's copy) instead of changing at every pass.
        let a = analyse_src(
            "mov %r2, 0\nstxdw [%r10-16], %r2\nmov %r4, 0\nl: ldxdw %r3, [%r10-16]\nadd %r4, 1\njne %r4, 10, l\nexit",
            Sizes::default(),
        );
        assert!(zero(&a, 5, 4) && zero(&a, 5, 3), "the counter and the slot keep their bounds");
    }

    #[test]
    fn a_pointer_kept_beside_its_counter_is_bounded_by_the_counters_limit() {
        // Bubble sort's inner loop: r4 = &a[r3 - 1] on the frame, stepped by 4 as r3 by 1,
        // while r3 < r1, r1 counting down from 64 and held above 1. Every access through
        // r4 (both words of the pair, loads and stores) is proven inside the frame.
        let src = |n: u32| {
            alloc::format!(
                "mov %r1, {n}\nmov %r2, %r10\nadd %r2, -252\nja outer\n\
                 step: add %r1, -1\nouter: jgt %r1, 1, inner\nexit\n\
                 inner: mov %r3, 1\nmov %r4, %r2\nja body\n\
                 next: add %r4, 4\nadd %r3, 1\njlt %r3, %r1, body\nja step\n\
                 body: ldxw %r5, [%r4+0]\nldxw %r0, [%r4-4]\njle32 %r0, %r5, next\n\
                 stxw [%r4+0], %r0\nstxw [%r4-4], %r5\nja next"
            )
        };
        let a = analyse_src(&src(64), Sizes::default());
        let accesses: Vec<usize> = (0..a.facts.len()).filter(|&pc| a.facts[pc].hint == Hint::Stack).collect();
        assert_eq!(accesses.len(), 4);
        assert!(accesses.iter().all(|&pc| a.facts[pc].safe), "r4 in [r10 - 252, r10 - 4] at {accesses:?}");
        assert!(zero(&a, 4, 1) && zero(&a, 11, 3), "the counters are 32-bit");
        // One more element: the last pair's upper word is r10 + 0, past the frame.
        let a = analyse_src(&src(65), Sizes::default());
        let safe: Vec<bool> = accesses.iter().map(|&pc| a.facts[pc].safe).collect();
        assert_eq!(safe, [false, true, false, true], "[r4+0] may be r10 + 0, [r4-4] stays inside");
    }

    #[test]
    fn a_relation_taken_between_two_ranges_covers_every_pairing() {
        // r4 = rodata + 16 + 4 * r5 and counter r3, in [0, 8] and [0, 4] on their own:
        // the pointer minus four times the counter is anywhere in rodata + [0, 48], so
        // the last word read (r3 = 7) ends at most at rodata + 48 + 28 + 4.
        let run = |rodata: u32| {
            let src = "ldxb %r3, [%r1+0]\njgt %r3, 4, out\nldxb %r5, [%r1+1]\njgt %r5, 8, out\n\
                       lddw %r4, 0x7ead0010\nmov %r6, %r5\nlsh %r6, 2\nadd %r4, %r6\n\
                       l: ldxw %r0, [%r4+0]\nadd %r4, 4\nadd %r3, 1\njlt %r3, 8, l\nout: exit";
            analyse_src(src, Sizes { rodata, data: 0 }).facts[9].safe
        };
        assert!(run(80), "the last word is rodata + 76");
        assert!(!run(79), "rodata + 76 when r5 = 8 and r3 = 0");
    }

    #[test]
    fn a_comparison_bounds_a_value_from_below() {
        // r2 in [0, 255] from a byte; above 10 on the taken edge, so r3 = rodata + r2 - 11
        // is in [0, 244]: one byte inside 245 bytes of `.rodata`, not inside 244.
        let run = |cmp: &str, sub: i32, rodata: u32| {
            let src = alloc::format!(
                "ldxb %r2, [%r1+0]\n{cmp}, big\nexit\nbig: lddw %r3, 0x7ead0000\nadd %r3, %r2\n\
                 add %r3, {sub}\nldxb %r0, [%r3+0]\nexit"
            );
            analyse_src(&src, Sizes { rodata, data: 0 }).facts[7].safe
        };
        assert!(run("jgt %r2, 10", -11, 245) && run("jge %r2, 11", -11, 245) && run("jne %r2, 0", -1, 255));
        assert!(!run("jgt %r2, 10", -12, 245) && !run("jge %r2, 11", -12, 245) && !run("jne %r2, 0", -2, 255));
        assert!(!run("jgt %r2, 10", -11, 244));
        // A lower bound survives a step down by at most itself (a 64-bit value below zero
        // would wrap).
        let a = analyse_src(
            "ldxb %r2, [%r1+0]\njgt %r2, 3, ok\nexit\nok: add %r2, -4\nmov %r0, %r2\nexit",
            Sizes::default(),
        );
        assert!(zero(&a, 5, 2));
        let a = analyse_src(
            "ldxb %r2, [%r1+0]\njgt %r2, 3, ok\nexit\nok: add %r2, -5\nmov %r0, %r2\nexit",
            Sizes::default(),
        );
        assert!(!zero(&a, 5, 2));
    }

    #[test]
    fn a_counter_widens_only_to_its_own_limits() {
        // SHA-256's shape: a counter spilled to a frame slot, stepping by 4 to 256, after
        // loops to 64 and 192 in other registers. Their limits are not the counter's: it
        // goes straight to 252, so the word it indexes is proven inside 256 bytes. (Past
        // every other loop's limit it would run out of steps and be given up.)
        let src = "mov %r4, 0\na: add %r4, 1\njne %r4, 64, a\nmov %r5, 0\nb: add %r5, 4\njne %r5, 192, b\n\
                   mov %r2, 0\nstxdw [%r10-16], %r2\n\
                   l: ldxdw %r2, [%r10-16]\nlddw %r3, 0x7ead0000\nadd %r3, %r2\nldxw %r0, [%r3+0]\n\
                   add %r2, 4\nstxdw [%r10-16], %r2\njeq %r2, 256, done\nja l\ndone: exit";
        let a = analyse_src(src, Sizes { rodata: 256, data: 0 });
        assert!(a.facts[12].safe && zero(&a, 12, 2), "r2 in [0, 252]");
        // Joins that close no loop are not widened: r0 is 0 or 1, then 2 or 3.
        let a = analyse_src("mov %r0, 0\njeq %r1, 0, j\nmov %r0, 1\nj: add %r0, 2\nexit", Sizes::default());
        assert!(zero(&a, 4, 0));
    }

    #[test]
    fn a_counter_spilled_to_two_slots_is_bounded_through_either() {
        // XXH64's shape: the counter r9 lives in the slot at -8 too; each round copies it
        // to -16, indexes `.rodata` with it, reloads both, steps one by 32 and compares the
        // other minus 31. The slots and registers holding one value are one class: the
        // comparison bounds r9 at the head, and the reads below it are proven.
        let src = |read: i16| {
            alloc::format!(
                "mov %r9, 31\nmov %r1, 31\nstxdw [%r10-8], %r1\n\
                 l: mov %r1, %r9\nstxdw [%r10-16], %r1\nlddw %r9, 0x7ead0000\nadd %r9, %r1\n\
                 ldxb %r0, [%r9{read:+}]\nldxb %r1, [%r9-31]\n\
                 ldxdw %r9, [%r10-8]\nadd %r9, 32\nldxdw %r5, [%r10-16]\nadd %r5, -31\n\
                 stxdw [%r10-8], %r9\njlt %r5, 0x9c1, l\nexit"
            )
        };
        let safe = |read| analyse_src(&src(read), Sizes { rodata: 2560, data: 0 }).facts[8].safe;
        assert!(safe(-31) && safe(-9), "r9 <= 2568 at the head");
        let a = analyse_src(&src(-31), Sizes { rodata: 2560, data: 0 });
        assert!(a.facts[9].safe && zero(&a, 3, 9));
        // Compared through a slot the loop never wrote: nothing bounds r9.
        let other = src(-31).replace("ldxdw %r5, [%r10-16]", "ldxdw %r5, [%r10-24]");
        assert!(!analyse_src(&other, Sizes { rodata: 2560, data: 0 }).facts[8].safe);
    }

    #[test]
    fn a_comparison_bounds_exactly_the_values_equal_to_the_compared_one() {
        // Reads one byte at rodata + r3: safe iff r3 is proven below `rodata` once
        // r2 <= 10.
        let safe = |body: &str, rodata: u32| {
            let src = alloc::format!(
                "ldxb %r2, [%r1+0]\nldxb %r4, [%r1+1]\n{body}\nj: jgt %r2, 10, out\n\
                 lddw %r5, 0x7ead0000\nadd %r5, %r3\nldxb %r0, [%r5+0]\nout: exit"
            );
            let a = analyse_src(&src, Sizes { rodata, data: 0 });
            let pc = (0..a.facts.len()).rev().find(|&pc| a.facts[pc].hint == Hint::Rodata).unwrap();
            a.facts[pc].safe
        };
        // A copy five ahead: r3 <= 15.
        assert!(safe("mov %r3, %r2\nadd %r3, 5\nja j", 16) && !safe("mov %r3, %r2\nadd %r3, 5\nja j", 15));
        // A copy one behind may wrap below zero: unbounded.
        assert!(!safe("mov %r3, %r2\nadd %r3, -1\nja j", 4096));
        // Through a slot: the spill is r2 - 5 once r2 has stepped by 5.
        let spill = "add %r2, 5\nstxdw [%r10-8], %r2\nadd %r2, 5\nldxdw %r3, [%r10-8]\nja j";
        assert!(safe(spill, 6) && !safe(spill, 5), "r2 <= 10 is the byte + 10: the slot (and r3) is 5");
        // ... and read back after the comparison, from the slot it narrowed.
        let read_back = |rodata| {
            let src = "ldxb %r2, [%r1+0]\nadd %r2, 5\nstxdw [%r10-8], %r2\nadd %r2, 5\njgt %r2, 10, out\n\
                       ldxdw %r3, [%r10-8]\nlddw %r5, 0x7ead0000\nadd %r5, %r3\nldxb %r0, [%r5+0]\nout: exit";
            analyse_src(src, Sizes { rodata, data: 0 }).facts[9].safe
        };
        assert!(read_back(6) && !read_back(5));
        // A copy redefined leaves the class.
        assert!(!safe("mov %r3, %r2\nldxb %r3, [%r1+2]\nja j", 11));
        // Equal on one way in, one apart on the other: not equal after the join.
        assert!(!safe("mov %r3, %r2\njeq %r4, 0, j\nadd %r3, 1\nja j", 11));
        assert!(safe("mov %r3, %r2\njeq %r4, 0, j\nadd %r3, 1\nadd %r2, 1\nja j", 12));
    }

    #[test]
    fn a_callee_starts_from_its_callers_values_and_needs_what_it_returns() {
        let src = "lddw %r1, 0\nmov %r2, %r10\nadd %r2, -8\nstxdw [%r2+0], %r1\nmov %r6, 5\ncall local f\nexit\n\
                   f: ldxdw %r3, [%r2+0]\nldxdw %r4, [%r10-8]\nmov %r0, 1\nexit";
        let a = analyse_src(src, Sizes::default());
        assert_eq!(a.facts[4].hint, Hint::Stack);
        assert!(a.facts[4].safe, "r10 - 8, eight bytes");
        // In the callee, r2 points into the caller's frame, the one below the callee's
        // own: inside the stack too, as only calls reach the callee.
        let f = 8;
        assert!(zero(&a, f, 1) && zero(&a, f, 2), "the caller's scalar and pointer");
        assert_eq!(a.facts[f].hint, Hint::Stack);
        assert!(a.facts[f].in_callee && !a.facts[5].in_callee);
        assert!(a.facts[f].safe, "the caller's frame, below the callee's");
        assert!(a.facts[f + 1].safe, "the callee's own frame");
        // At the call: the high halves the callee hands back as it got them (r1, r2,
        // r5: it defines r0, r3 and r4), none of r6-r9, which come back from the
        // frame the runtime saved.
        assert_eq!(a.facts[5].need_out, 0b10_0110, "{:#b}", a.facts[5].need_out);
    }

    /// A callee may reach down to the bottom of its caller's frame, no further; code
    /// that the entry function also reaches (by a jump) runs in the bottom frame, and
    /// gets its own frame only.
    #[test]
    fn callees_reach_their_callers_frame_and_no_further() {
        let callee = |jump_in: &str, at: i32| {
            let src = alloc::format!(
                "mov %r2, %r10\nadd %r2, {at}\n{jump_in}call local f\nexit\nf: ldxb %r3, [%r2+0]\nmov %r0, 0\nexit"
            );
            let a = analyse_src(&src, Sizes::default());
            let f = a.facts.len() - 3;
            (a.facts[f].safe, a.facts[f].in_callee)
        };
        assert_eq!(callee("", -512), (true, true), "the caller's lowest byte");
        assert_eq!(callee("", -1), (true, true), "the caller's highest");
        assert_eq!(callee("", -513), (false, true), "below the caller's frame");
        assert_eq!(callee("", 0), (true, true), "the caller's r10: the callee's frame's lowest byte");
        assert_eq!(callee("", 512), (false, true), "the callee's r10: past the top");
        assert_eq!(callee("jeq %r2, 0, f\n", -8), (false, false), "also reached from the entry function");
    }

    /// A doubleword store of a value below 2^32 over a slot that holds one already
    /// leaves the high word as it is: zero.
    #[test]
    fn a_slot_whose_high_word_is_zero_keeps_it() {
        let kept = |before: &str, stored: &str| {
            let a = analyse_src(&alloc::format!("{before}\n{stored}\nstxdw [%r10-16], %r2\nexit"), Sizes::default());
            a.facts[a.facts.len() - 2].hi_kept
        };
        let (small, big) = ("mov32 %r2, 7", "lddw %r2, 0x100000000");
        assert!(kept("stdw [%r10-16], 5", small), "both below 2^32");
        assert!(kept("mov %r3, 9\nstxdw [%r10-16], %r3", small));
        assert!(!kept("", small), "a slot nothing stored to: anything");
        assert!(!kept("lddw %r3, 0x500000000\nstxdw [%r10-16], %r3", small), "a high word set");
        assert!(!kept("stdw [%r10-16], 5", big), "a value at 2^32");
        assert!(!kept("stdw [%r10-16], 5\nstb [%r10-12], 1", small), "a byte of the high word written");
        assert!(!kept("stdw [%r10-16], 5\ncall 1", small), "a helper may write the frame");
        assert!(!kept("stdw [%r10-16], -1", small), "all ones");
        assert!(!kept("stdw [%r10-8], 5", small), "another slot");
    }

    /// How often each head's block is walked with `seeds` (pc, walks).
    fn walks(insns: &[Insn], seeds: &[u8]) -> Vec<(usize, u8)> {
        let mut out = Vec::new();
        analyse_with(insns, Sizes::default(), seeds, &[], Some(&mut out)).unwrap();
        out.iter().map(|h| (h.pc, h.walks)).collect()
    }

    #[test]
    fn with_its_seeds_every_block_is_walked_once() {
        // Nested loops, and clang's rotated loop: the way in jumps to the body's first
        // block (4), the test that closes the loop (2) comes before it.
        let nested = vm::asm::assemble(include_str!("../../tests/nested_loops.s")).unwrap();
        let rotated = vm::asm::assemble(
            "mov %r0, 0\nmov %r2, 0\nja body\nnext: jge %r2, 64, out\nbody: ldxb %r3, [%r1+0]\n\
             add %r0, %r3\nadd %r1, 1\nadd %r2, 1\nja next\nout: exit",
        )
        .unwrap();
        for insns in [&nested, &rotated] {
            assert!(walks(insns, &[]).iter().any(|&(_, w)| w > 1), "without seeds some block is walked again");
            let seeds = loop_seeds(insns, Sizes::default()).unwrap();
            assert_eq!(walks(insns, &seeds).iter().find(|&&(_, w)| w > 1), None, "{insns:?}");
        }
        // The rotated loop's first block has a seed of its own, besides the loop head's.
        let seeds = loop_seeds(&rotated, Sizes::default()).unwrap();
        let seeded: Vec<usize> = (0..rotated.len()).filter(|&pc| domain::seeds::find(&seeds, pc).is_some()).collect();
        assert_eq!(seeded, [3, 4]);
    }
}
