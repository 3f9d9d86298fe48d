//! The forward analysis: block heads, then value ranges by abstract interpretation
//! over [`super::domain`], kept at block heads and widened at loop heads.
use alloc::vec::Vec;

use vm::opcode::*;
use vm::Insn;

use super::domain::{self, access_len, proven, refine, seeds, transfer, Abs, Abs::*, Pairs, State, U32};
use super::{bit, is_cond_jump, try_filled, Facts, Hint, OutOfMemory, RegSet, Sizes};

/// Whether some instruction may set register `k` to a value below a bound its operands
/// need not be under: anything but a constant or a 64-bit add, subtraction, multiply,
/// OR, XOR, shift left or negation (a 32-bit operation, a copy, a load, a mask, a shift
/// right, a quotient, a remainder, a helper's or an atomic operation's result). Such a
/// value may stay below 2^32 however often it is stepped: the widest 32-bit bound holds.
#[inline(never)]
fn bounded_anywhere(insns: &[Insn], k: u8) -> bool {
    const UNBOUNDED: [u8; 8] = [OP_ADD, OP_SUB, OP_MUL, OP_OR, OP_XOR, OP_LSH, OP_ARSH, OP_NEG];
    insns.iter().any(|i| match i.class() {
        CLS_ALU | CLS_LDX => i.dst() == k,
        CLS_ALU64 => i.dst() == k && i.opc != MOV64_IMM && !UNBOUNDED.contains(&(i.opc & OP_MASK)),
        CLS_STX => i.opc & MODE_MASK == MODE_ATOMIC && (i.src() == k || k == 0),
        CLS_JMP => i.opc & OP_MASK == CALL && k == 0,
        _ => false,
    })
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
    th: Option<&Thresholds>,
    sizes: Sizes,
    compared: RegSet,
    grown: &mut u32,
) -> bool {
    // A narrowed register that other values follow (slots, relations) narrows them in
    // a copy; alone, it replaces the incoming value as the registers are joined.
    let mut narrowed;
    let (s, over) = match over {
        Some((r, v)) if s.related(r) => {
            narrowed = *s;
            narrowed.narrow(r, v);
            (&narrowed, None)
        }
        over => (s, over),
    };
    // Equalities first: they are read from the values before these are joined.
    let mut changed = (old.has_classes() || s.has_classes()) && old.join_classes(s);
    // Most edges bring the registers a head already has (this runs at every jump of
    // every compile): one comparison, then the registers one by one.
    if over.is_some() || old.regs != s.regs {
        for (k, o) in old.regs.iter_mut().enumerate() {
            let v = match over {
                Some((r, v)) if r == k => v,
                _ => s[k],
            };
            if v == *o {
                continue; // the common case: most registers are the same on every edge
            }
            // A counter may pass two thresholds (`k - 1` and `k` of `jgt k`) after a
            // first step, a pointer into `.rodata` or `.data` the last places accesses
            // of a few sizes fit.
            let mut times = *grown >> (2 * k) & 3;
            let allowed = if compared & 1 << k != 0 || v.in_sized_region() { 3 } else { 1 };
            changed |= grow(o, v, &mut times, allowed, th.map(|t| (t, bit(k as u8))), sizes);
            *grown = (*grown & !(3 << (2 * k))) | times << (2 * k);
        }
    }
    // Slots are kept where both states have them (by offset). A slot in a counter's
    // class gets a counter's thresholds.
    let mut j = 0;
    while j < old.slots().len() {
        let counter = old.slot_class_regs(j) & compared != 0;
        let o = old.slot_mut(j);
        match s.slots().iter().find(|n| n.off == o.off) {
            Some(n) => {
                if n.val != o.val {
                    let mut times = o.grown as u32;
                    let allowed = if counter || n.val.in_sized_region() { 3 } else { 1 };
                    let th = th.map(|t| (t, t.slot_regs(o.off)));
                    changed |= grow(&mut o.val, n.val, &mut times, allowed, th, sizes);
                    o.grown = times as u8;
                }
                j += 1;
            }
            None => {
                old.drop_slot(j);
                changed = true;
            }
        }
    }
    changed | (old.has_lins() && old.join_lins(s))
}

/// Joins a different `v` into `o`, widened if it grew; `times`: how often it grew here
/// so far (counted up to 3), `allowed` of them to thresholds. True if `o` changed.
/// (Out of line: merges call it from two places, and flash is scarce.)
#[inline(never)]
fn grow(o: &mut Abs, v: Abs, times: &mut u32, allowed: u32, th: Option<(&Thresholds, RegSet)>, sizes: Sizes) -> bool {
    let j = o.join(v);
    if j == *o {
        return false;
    }
    let Some((th, regs)) = th else {
        *o = j;
        return true;
    };
    let (one, regs) = (regs, th.with_copies(regs));
    let before = *o;
    *o = if *times < allowed {
        o.widen(j, &th.vals[..th.n], regs, sizes)
    } else {
        // Past its thresholds, a counter below a register limit still stops below
        // 2^32 - 1 (its step then keeps it a 32-bit number).
        let below = th.vals[..th.n].iter().rev().take_while(|t| t.0 == U32 - 1).find(|t| t.1 & regs != 0);
        match below {
            Some(t) if matches!(j, Scalar(..)) => o.widen(j, core::slice::from_ref(t), regs, sizes),
            _ => o.widen_fully(j),
        }
    };
    // A value only ever stepped up by 64-bit adds (a register's, or a slot's that only
    // that register is spilled to and reloaded from), past its last threshold, would
    // pass the widest 32-bit bound at the next walk too: anything now saves that walk.
    if let (Scalar(_, h0, _), Scalar(_, h, _)) = (before, *o) {
        let climbing = one.is_power_of_two() && one & th.climbing != 0;
        if h > h0 && h > th.top(regs) && climbing && !bounded_anywhere(th.insns, one.trailing_zeros() as u8) {
            *o = Any;
        }
    }
    *times += u32::from(*times < 3);
    true
}

/// The bounds loop heads widen to, sorted, and which of them each register and spill
/// slot may stop at: the constants it is compared with (and one less), those a limit
/// it is compared with is set to, the `.rodata` and `.data` sizes. A counter then
/// passes no other loop's limits on its way to its own.
pub(super) struct Thresholds<'a> {
    /// Sorted, each with the registers it is for.
    vals: [(u32, RegSet); 32],
    n: usize,
    /// The registers each register is copied to or from: they stop where it does (a
    /// counter's copy one step behind).
    copies: [RegSet; 11],
    /// 8-byte frame slots (by offset) and the registers loaded from or stored to them:
    /// theirs apply.
    spills: [(i16, RegSet); 8],
    nspills: usize,
    /// Registers stepped upwards by 64-bit adds, all by one constant: once past their
    /// thresholds, no bound of 2^32 or less holds them unless some instruction sets
    /// them to a bounded value ([`bounded_anywhere`], asked only then: it is rare).
    climbing: RegSet,
    insns: &'a [Insn],
}

impl<'a> Thresholds<'a> {
    /// None yet, for [`heads`] to find in `insns`.
    pub(super) fn new(insns: &'a [Insn]) -> Self {
        Thresholds {
            vals: [(u32::MAX, 0); 32],
            n: 0,
            copies: [0; 11],
            spills: [(0, 0); 8],
            nspills: 0,
            climbing: 0,
            insns,
        }
    }

    /// `regs` and their copies: the registers whose thresholds apply to them. (Found
    /// when a value grows, which is rare: nothing is kept per register.)
    #[inline(never)]
    fn with_copies(&self, regs: RegSet) -> RegSet {
        let mut with = regs;
        for (k, &c) in self.copies.iter().enumerate() {
            if regs & bit(k as u8) != 0 {
                with |= c;
            }
        }
        with
    }

    /// The largest threshold for any of `regs` (0 if none).
    fn top(&self, regs: RegSet) -> u32 {
        self.vals[..self.n].iter().rev().find(|t| t.1 & regs != 0).map_or(0, |t| t.0)
    }

    /// A slot no spill names (there were too many) may stop at any.
    fn slot_regs(&self, off: i16) -> RegSet {
        let mut spills = self.spills[..self.nspills].iter().filter(|s| s.0 == off).peekable();
        if spills.peek().is_none() {
            super::ALL
        } else {
            spills.fold(0, |m, s| m | s.1)
        }
    }
}

/// Block heads (the entry, jump and call targets) numbered in `facts`, and the
/// thresholds loop heads widen to (into `th`). Returns the head count, the loop
/// heads' count, the registers compared with a constant (counters), the pairs of
/// registers stepped in proportion (pointers and their counters), and whether some
/// access through r10 is deeper than 255 bytes.
#[inline(always)]
pub(super) fn heads<'a>(
    insns: &'a [Insn],
    sizes: Sizes,
    facts: &mut [Facts],
    th: &mut Thresholds<'a>,
) -> (u32, u32, RegSet, Pairs, bool) {
    // Block heads: the entry, jump and call targets. Thresholds: comparison constants,
    // with the registers they apply to (two places are kept for the sizes).
    let (mut heads, mut loop_heads) = (0u32, 0u32);
    // (Made in the caller's table: a table moved is copied.)
    let cand = &mut th.vals;
    let mut nt = 0;
    let mut spills = [(0i16, 0 as RegSet); 8];
    let mut nsp = 0;
    // Registers compared with a constant (counters): the ones thresholds are for, and
    // the registers copied to or from them (a counter's copy one step behind).
    let mut compared: RegSet = 0;
    let mut copies: [RegSet; 11] = [0; 11];
    // 32-bit copies, and the thresholds of remainders: the registers a remainder is
    // copied to (`mov32`, as a checksum keeps its sums) stop where it does.
    let mut copies32: [RegSet; 11] = [0; 11];
    let (mut remainders, mut nr) = ([0u8; 4], 0);
    // Registers compared with another as a limit (the greater side), the registers
    // compared with them, and the constants registers are set to: a limit held in a
    // register (`for (n = N; ...) for (i = 0; i < n; ...)`) is a threshold too.
    let (mut limits, mut counters): ([RegSet; 11], RegSet) = ([0; 11], 0);
    let mut consts = [(0u8, 0u32); 8];
    let mut nc = 0;
    // Constant steps, `(register, step)`, one per register (registers stepped by
    // different constants are set apart); registers used as an address, and registers
    // a jump compares: the pointers and counters relations may be kept for.
    let mut steps = [(0u8, 0i32); 8];
    let mut ns = 0;
    let mut stepped_unevenly: RegSet = 0;
    let (mut addresses, mut tested): (RegSet, RegSet) = (0, 0);
    // An access through r10 deeper than an 8-bit negative offset reaches.
    let mut deep_frame = false;
    if let Some(f) = facts.first_mut() {
        f.head = 0;
        heads = 1;
    }
    for (pc, &i) in insns.iter().enumerate() {
        // Jumps and local calls; exits and helper calls have no target.
        let target = i.jump_target(pc);
        if let Some(f) = target.and_then(|t| facts.get_mut(t)) {
            if f.head == u32::MAX {
                f.head = heads;
                heads += 1;
            }
            f.jumps_in = f.jumps_in.saturating_add(1);
            if target.is_some_and(|t| t <= pc) {
                loop_heads += u32::from(!f.back_target);
                f.back_target = true;
                // The loop's last latch so far (`succ` is the backward passes' and
                // free until then).
                f.succ[0] = pc as u32;
            }
        }
        // What each kind of instruction tells, in one dispatch (this runs at every
        // instruction of every compile).
        let mut spill = None;
        match i.class() {
            CLS_ALU64 | CLS_ALU => match i.opc {
                MOV32_REG if i.off == 0 && i.dst() < 11 && i.src() < 11 => {
                    copies32[i.dst() as usize] |= bit(i.src());
                    copies32[i.src() as usize] |= bit(i.dst());
                }
                MOV64_REG if i.dst() < 11 && i.src() < 11 => {
                    copies[i.dst() as usize] |= bit(i.src());
                    copies[i.src() as usize] |= bit(i.dst());
                }
                ADD64_IMM | SUB64_IMM if i.dst() < 11 && i.imm != 0 && i.imm != i32::MIN => {
                    let step = (i.dst(), if i.opc == ADD64_IMM { i.imm } else { -i.imm });
                    match steps[..ns].iter().find(|s| s.0 == step.0) {
                        Some(s) if s.1 != step.1 => stepped_unevenly |= bit(step.0),
                        Some(_) => {}
                        None if ns < steps.len() => {
                            steps[ns] = step;
                            ns += 1;
                        }
                        None => {}
                    }
                }
                // A remainder stays below its divisor: a sum reduced by it each time
                // round a loop (a checksum) stops there, not at a limit past it.
                MOD64_IMM | MOD32_IMM if i.off == 0 && i.imm > 0 && nt + 3 <= cand.len() - 2 => {
                    cand[nt] = (i.imm as u32 - 1, bit(i.dst()));
                    if nr < remainders.len() {
                        remainders[nr] = nt as u8;
                        nr += 1;
                    }
                    nt += 1;
                }
                MOV64_IMM | MOV32_IMM if i.imm > 0 && nc < consts.len() => {
                    consts[nc] = (i.dst(), i.imm as u32);
                    nc += 1;
                }
                _ => {}
            },
            CLS_LDX => {
                addresses |= bit(i.src());
                deep_frame |= i.src() == 10 && i.off < -255;
                spill = (i.opc == LDXDW && i.src() == 10).then_some(i.dst());
            }
            CLS_ST | CLS_STX => {
                addresses |= bit(i.dst());
                deep_frame |= i.dst() == 10 && i.off < -255;
                spill = (i.opc == STXDW && i.dst() == 10).then_some(i.src());
            }
            _ if is_cond_jump(i) => {
                tested |= bit(i.dst());
                if i.opc & SRC_X != 0 {
                    tested |= bit(i.src());
                    if i.dst() < 11 && i.src() < 11 {
                        let (limit, counter) = match i.opc & OP_MASK {
                            JGT | JGE | JSGT | JSGE => (i.dst(), i.src()),
                            _ => (i.src(), i.dst()),
                        };
                        limits[limit as usize] |= bit(counter);
                        // Below a limit that may be any 32-bit number, a counter stays
                        // below 2^32 - 1, and its step keeps it a 32-bit number.
                        if matches!(i.opc & OP_MASK, JLT | JGT) && nt + 3 <= cand.len() - 2 {
                            cand[nt] = (U32 - 1, bit(counter));
                            nt += 1;
                        }
                    }
                } else if i.imm >= 0 {
                    compared |= bit(i.dst());
                    if nt + 3 <= cand.len() - 2 {
                        let (k, r) = (i.imm as u32, bit(i.dst()));
                        cand[nt] = (k, r);
                        cand[nt + 1] = (k.saturating_sub(1), r);
                        nt += 2;
                        // A counter going down while above `k` stays at `k + 1` or more.
                        if matches!(i.opc & OP_MASK, JGT | JSGT) {
                            cand[nt] = (k.saturating_add(1), r);
                            nt += 1;
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(r) = spill {
            match spills[..nsp].iter().position(|s| s.0 == i.off) {
                Some(j) => spills[j].1 |= bit(r),
                None if nsp < spills.len() => {
                    spills[nsp] = (i.off, bit(r));
                    nsp += 1;
                }
                None => {}
            }
        }
    }
    for &k in &remainders[..nr] {
        let r = cand[k as usize].1.trailing_zeros() as usize;
        cand[k as usize].1 |= copies32[r % 11];
    }
    for &(r, c) in consts[..nc].iter().filter(|(r, _)| limits[*r as usize % 11] != 0) {
        let limited = limits[r as usize % 11];
        counters |= limited;
        if nt + 2 <= cand.len() - 2 {
            cand[nt] = (c, limited);
            cand[nt + 1] = (c - 1, limited);
            nt += 2;
        }
    }
    compared |= counters;
    for (k, c) in copies.iter().enumerate() {
        if compared & bit(k as u8) != 0 {
            compared |= c;
        }
    }
    cand[nt] = (sizes.rodata, super::ALL);
    cand[nt + 1] = (sizes.data, super::ALL);
    let n = nt + 2;
    // By insertion: a few entries, and no sort routine in the device's flash.
    for i in 1..n {
        let mut j = i;
        while j > 0 && cand[j - 1].0 > cand[j].0 {
            cand.swap(j - 1, j);
            j -= 1;
        }
    }
    // Registers stepped upwards, all by one constant.
    let up = steps[..ns].iter().filter(|s| s.1 > 0).fold(0, |m, s| m | bit(s.0)) & !stepped_unevenly;
    (th.n, th.copies, th.spills, th.nspills, th.climbing) = (n, copies, spills, nsp, up);
    (
        heads,
        loop_heads,
        compared,
        Pairs::of(&steps[..ns], addresses & !stepped_unevenly, tested & !stepped_unevenly),
        deep_frame,
    )
}

/// Loops that partly overlap another (one holds the other's head and not its last
/// latch) lose their last latch (`succ[0]`): [`ranges`] walks a loop again at once
/// from there, and two such loops would each restart the other's walk.
#[inline(never)]
pub(super) fn untangle(facts: &mut [Facts]) {
    // Each loop's head and last latch (past 16 loops none is untangled: the walk is
    // only slower, as before this rule).
    let (mut loops, mut n) = ([(0u32, 0u32); 16], 0);
    for (t, f) in facts.iter().enumerate() {
        if f.back_target {
            let Some(l) = loops.get_mut(n) else { return };
            *l = (t as u32, f.succ[0]);
            n += 1;
        }
    }
    let mut tangled = 0u32;
    for k in 0..n {
        for j in k + 1..n {
            let ((_, la), (b, lb)) = (loops[k], loops[j]);
            if b <= la && la < lb {
                tangled |= 1 << k | 1 << j;
            }
        }
    }
    for (k, &(t, _)) in loops[..n].iter().enumerate() {
        if let Some(f) = facts.get_mut(t as usize).filter(|_| tangled & 1 << k != 0) {
            f.succ[0] = u32::MAX;
        }
    }
}

/// Value ranges: walks the blocks until no head's state changes, recording each
/// instruction's facts (known-zero high halves, proven accesses, region hints). A head
/// with a seed in `seeds` ([`seeds`]: the state a run of this analysis ended with
/// there, if the program brought it) starts from it, joined with what first reaches
/// it; with `out`, every head's state and how often its block was walked are left
/// there in the end (none if the walks gave up on precision).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn ranges(
    insns: &[Insn],
    sizes: Sizes,
    facts: &mut [Facts],
    heads: u32,
    th: &Thresholds,
    compared: RegSet,
    pairs: &Pairs,
    seeds: &[u8],
    out: Option<&mut Vec<HeadState>>,
) -> Result<(), OutOfMemory> {
    let n = insns.len();
    // How often each head's block was walked (for the producer of seeds only).
    let mut walks: Vec<u8> = Vec::new();
    if out.is_some() {
        walks = try_filled(0, n)?;
    }
    let mut states: Vec<Option<State>> = try_filled(None, heads as usize)?;
    if n > 0 {
        domain::enter(&mut states[0]);
    }
    // Flows a state into `t` if it is a head; true if the head's state changed.
    let flow = |states: &mut Vec<Option<State>>,
                facts: &mut [Facts],
                t: usize,
                s: &State,
                over: Option<(usize, Abs)>|
     -> bool {
        let Some(h) = facts.get(t).map(|f| f.head as usize).filter(|&h| h != u32::MAX as usize) else { return false };
        let back = facts[t].back_target;
        // A head with a seed starts from the seed joined with this state (a join, no
        // widening): at least this state, whatever the seed says.
        let (old, th, first) = match &mut states[h] {
            Some(old) => (old, back.then_some(th), false),
            slot @ None => {
                // (Copied and decoded in place: a state is hundreds of bytes.)
                let new = slot.insert(*s);
                let seed = seeds::find(seeds, t);
                if seed.is_some_and(|body| seeds::decode_into(body, new)) {
                    (new, None, true)
                } else {
                    if seed.is_some() {
                        // (Not well-formed: not used.)
                        *new = *s;
                    }
                    if let Some((r, v)) = over {
                        new.narrow(r, v);
                    }
                    facts[t].dirty = true;
                    return true;
                }
            }
        };
        let changed = merge(old, s, over, th, sizes, compared, &mut facts[t].grown) | first;
        facts[t].dirty |= changed;
        changed
    };

    // Passes in program order over the blocks whose head state changed since they
    // were last walked, until none did. A block walked again records its facts again,
    // so the last walk of each leaves the final ones. (A head past the slot that
    // changed it is walked later in the same pass: only a way back asks for another.)
    if n > 0 {
        facts[0].dirty = true;
    }
    let zero_mask = |s: &State| s.regs.iter().enumerate().fold(0, |m, (k, v)| if v.hi_zero() { m | 1 << k } else { m });
    let mut passes = 0;
    let mut again = n > 0;
    // Loops walked again at once when their head grows, a bounded number of times (a
    // head grows a few times at most; this bounds the compile time whatever the shape).
    let mut restarts = 4 * heads as usize;
    // The head of the block being walked.
    let mut block = 0;
    while again {
        again = false;
        passes += 1;
        if passes == MAX_PASSES {
            // Give up on precision: only hints left everywhere (a lattice two high, so
            // the next walks settle it and record sound facts).
            for st in states.iter_mut().flatten() {
                for v in st.regs.iter_mut() {
                    *v = v.hint_only();
                }
                st[10] = Ptr(Hint::Stack, 0, 0);
                st.forget_slots();
                st.forget_rels();
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
                if let Some(w) = walks.get_mut(pc) {
                    *w = w.saturating_add(1);
                }
                block = pc;
                cur = states[head as usize];
                if let Some(s) = &mut cur {
                    if s.has_lins() {
                        s.follow_lins(None);
                    }
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
            if matches!(i.opc, MOD32_IMM | MOD64_IMM) && i.off == 0 {
                f.reduce_once = reduces_once(s[i.dst() as usize % 11], i.imm);
            }
            if let Some((base, write)) = access {
                let b = s[base as usize % 11];
                f.hint = b.hint();
                f.safe = proven(b, i.off, access_len(i) as u32, write, sizes, f.in_callee);
                f.hi_kept = write && i.opc & (MODE_MASK | SZ_MASK) == MODE_MEM | SZ_DW && {
                    let small = if i.class() == CLS_STX { s[i.src() as usize % 11].hi_zero() } else { i.imm >= 0 };
                    small && s.slot_value(b, i.off).is_some_and(|v| v.hi_zero())
                };
            }
            let mut falls_through = true;
            // The head a jump here made grow, if it did.
            let mut regrown = None;
            if i.is_local_call() {
                if let Some(t) = i.jump_target(pc) {
                    // The callee starts with the caller's registers (the VM passes them
                    // all as they are) and its own frame, one frame above the caller's.
                    let callee = s.callee_view();
                    again |= flow(&mut states, facts, t, &callee, None) && t <= pc;
                }
                // After the return r0-r5 are whatever the callee left; r6-r10 are
                // restored; the callee may have written the frame through pointers.
                for k in 0..6 {
                    s[k] = Any;
                    s.redefined(k);
                }
                s.forget_slots();
                zero &= !0b11_1111;
            } else if is_cond_jump(i) {
                let target = i.jump_target(pc).unwrap_or(usize::MAX);
                let d = i.dst() as usize % 11;
                let (on_taken, on_fall) =
                    if target == next { (None, None) } else { (refine(i, true, s), refine(i, false, s)) };
                let changed = flow(&mut states, facts, target, s, on_taken.map(|v| (d, v)));
                again |= changed && target <= pc;
                regrown = changed.then_some(target);
                if let Some(v) = on_fall {
                    zero |= s.narrow(d, v);
                }
            } else if matches!(i.class(), CLS_JMP | CLS_JMP32) {
                match i.opc & OP_MASK {
                    CALL => {
                        // Helpers may write memory through their arguments.
                        s[0] = Any;
                        s.redefined(0);
                        s.forget_slots();
                        zero &= !1;
                    }
                    JA => {
                        if let Some(t) = i.jump_target(pc) {
                            let changed = flow(&mut states, facts, t, s, None);
                            again |= changed && t <= pc;
                            regrown = changed.then_some(t);
                        }
                        falls_through = false;
                    }
                    _ => falls_through = false, // exit
                }
            } else {
                let hi = insns.get(pc + 1).map(|n| n.imm).unwrap_or(0);
                transfer(i, hi, s, f.safe, pairs);
                s[10] = Ptr(Hint::Stack, 0, 0); // read-only: always the frame's top
                zero = if i.opc & MODE_MASK == MODE_ATOMIC && i.class() == CLS_STX {
                    zero_mask(s)
                } else {
                    let d = i.dst() as usize % 11;
                    (zero & !bit(d as u8)) | if s[d].hi_zero() { bit(d as u8) } else { 0 }
                };
            }
            // A loop's head grew at its last latch: walk the loop again now, before what
            // follows it. The rest of this block, if the latch falls through, is walked
            // with it (its head made dirty), from the state the loop settles at, which
            // covers this one.
            if let Some(t) = regrown.filter(|&t| t <= pc && restarts > 0 && facts[t].succ[0] == pc as u32) {
                restarts -= 1;
                facts[block].dirty |= falls_through;
                cur = None;
                pc = t;
                continue;
            }
            if falls_through {
                if facts.get(next).is_some_and(|f| f.head != u32::MAX) {
                    flow(&mut states, facts, next, s, None);
                }
            } else {
                cur = None;
            }
            pc = next;
        }
    }
    // Seeds are worth sending only for a fixpoint the walks reached.
    if let Some(out) = out.filter(|_| passes < MAX_PASSES) {
        for (pc, f) in facts.iter().enumerate() {
            if let Some(state) = states.get(f.head as usize).and_then(Option::as_ref) {
                out.push(HeadState { pc, state: *state, walks: walks[pc], loop_head: f.back_target });
            }
        }
    }
    Ok(())
}

/// A block head's state at the end of the walks, how often its block was walked, and
/// whether a loop closes there.
pub(super) struct HeadState {
    pub pc: usize,
    pub state: State,
    pub walks: u8,
    pub loop_head: bool,
}

/// Whether `x % c` is `x - c` or `x` for every `x` in `v`, with `x` and `c` halfwords
/// (the lowering subtracts the low halfwords only). For a 64-bit remainder too: a
/// scalar is below 2^32 whole, and a negative immediate is no halfword.
fn reduces_once(v: Abs, c: i32) -> bool {
    matches!(v, Scalar(_, hi, _) if (1..65_536).contains(&c) && hi < 65_536 && (hi as u64) < 2 * c as u64)
}
