//! The forward analysis: block heads, then value ranges by abstract interpretation
//! over [`super::domain`], kept at block heads and widened at loop heads.
use alloc::vec::Vec;

use vm::opcode::*;
use vm::Insn;

use super::domain::{entry_state, proven, refine, transfer, Abs, Abs::*, State};
use super::{bit, is_cond_jump, try_filled, Facts, Hint, OutOfMemory, RegSet, Sizes};

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

/// Block heads (the entry, jump and call targets) numbered in `facts`, and the
/// thresholds loop heads widen to: the program's comparison constants (and one less),
/// the `.rodata` and `.data` sizes, sorted into `thresholds`. Returns the head count,
/// the thresholds' count, and the registers compared with a constant (counters).
#[inline(always)]
pub(super) fn heads(
    insns: &[Insn],
    sizes: Sizes,
    facts: &mut [Facts],
    thresholds: &mut [u32; 32],
) -> (u32, usize, RegSet) {
    // Block heads: the entry, jump and call targets. Thresholds: comparison constants.
    let mut heads = 0u32;
    let mut nt = 0;
    // Registers compared with a constant (counters): the ones thresholds are for.
    let mut compared: RegSet = 0;
    for (pc, &i) in insns.iter().enumerate() {
        // Jumps and local calls; exits and helper calls have no target.
        let target = i.jump_target(pc);
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
    thresholds[..nt + 2].sort_unstable();
    (heads, nt + 2, compared)
}

/// Value ranges: walks the blocks until no head's state changes, recording each
/// instruction's facts (known-zero high halves, proven accesses, region hints).
#[inline(always)]
pub(super) fn ranges(
    insns: &[Insn],
    sizes: Sizes,
    facts: &mut [Facts],
    heads: u32,
    thresholds: &[u32],
    compared: RegSet,
) -> Result<(), OutOfMemory> {
    let n = insns.len();
    let mut states: Vec<Option<State>> = try_filled(None, heads as usize)?;
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
                    again |= flow(&mut states, facts, t, &callee, None);
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
                again |= flow(&mut states, facts, target, s, on_taken.map(|v| (d, v)));
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
                            again |= flow(&mut states, facts, t, s, None);
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
                    again |= flow(&mut states, facts, next, &s, None);
                }
            } else {
                cur = None;
            }
            pc = next;
        }
    }
    Ok(())
}
