//! Values clang assembles from narrow loads: eBPF has no unaligned load, so a
//! little- or big-endian word read from bytes (`p[0] | p[1] << 8 | ...`, or a
//! `memcpy` into an integer) becomes a run of `ldxb`, shifts by whole bytes and ORs.
//! The M4's `ldr`/`ldrh` take any alignment: the run becomes one load per value it
//! leaves behind (and a `rev` for big-endian ones).
//!
//! Across a straight run (no jump into it) of loads, shifts left by whole bytes, ORs
//! and register moves, each register's value is followed as eight byte lanes: zero, a
//! loaded byte (by its offset from the run's one base register) or anything else. The
//! longest prefix of the run after which every register it wrote that is still read
//! holds 1, 2, 4 or 8 consecutive bytes in order (or reversed) is compiled as those
//! loads alone, at its end. Only loads the analysis proved inside their region are
//! taken, so none faults and moving them changes nothing; the run stores nothing, so
//! loading at its end reads the same bytes. Written by hand: a pattern over this
//! lowering's facts (proven accesses, homes), which no library knows.
use vm::opcode::*;

use super::{Lower, Val};
use crate::thumb2::encode::*;
use crate::thumb2::regs::*;

/// Byte lanes of a 64-bit value, one byte each, lowest first: 0 (a zero byte), [`ANY`]
/// or `1 + BACK + k` for the loaded byte at offset `k` from the run's first load
/// (loads reach `|k| <= BACK - 8`, so that a word's lanes stay codes). One machine word: shifts by bytes are shifts, moves are copies.
type Lanes = u64;
const ANY: u8 = 0xff;
const BACK: i32 = 120;
/// A value nothing is known of.
const UNKNOWN: Lanes = u64::MAX;

/// At most this many slots are followed from a run's first load.
const MAX_RUN: usize = 64;

/// What a register holds after a run: `len` bytes from `off` (from the first load's
/// offset), in order or reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Whole {
    off: i32,
    len: u8,
    reversed: bool,
}

/// A run's prefix that can be taken: its last slot, the registers read after it, their
/// values and their last definitions.
struct Prefix {
    end: usize,
    outputs: u16,
    values: [Option<Whole>; 11],
    last_def: [usize; 11],
}

fn whole(v: Lanes) -> Option<Whole> {
    let lane = |k: usize| (v >> (8 * k)) as u8;
    let len = (0..8).find(|&k| lane(k) == 0).unwrap_or(8);
    if !matches!(len, 1 | 2 | 4 | 8) || (len < 8 && v >> (8 * len) != 0) || (0..len).any(|k| lane(k) == ANY) {
        return None;
    }
    let run = |step: i32| (0..len).all(|k| lane(k) as i32 == lane(0) as i32 + step * k as i32);
    let off = |k: usize| lane(k) as i32 - 1 - BACK;
    if run(1) {
        Some(Whole { off: off(0), len: len as u8, reversed: false })
    } else if run(-1) {
        Some(Whole { off: off(len - 1), len: len as u8, reversed: true })
    } else {
        None
    }
}

/// Lanes 4-7 cleared for a 32-bit operation.
fn narrowed(v: Lanes, alu32: bool) -> Lanes {
    if alu32 {
        v & 0xffff_ffff
    } else {
        v
    }
}

/// `a | b`: unknown wherever one byte meets another.
fn or(a: Lanes, b: Lanes) -> Lanes {
    if (0..8).any(|k| (a >> (8 * k)) as u8 != 0 && (b >> (8 * k)) as u8 != 0) {
        UNKNOWN
    } else {
        a | b
    }
}

impl Lower<'_> {
    /// Compiles the run starting at `self.pc` if it is one (see the module doc).
    pub(super) fn fuse_loads(&mut self) -> bool {
        // The opcode first: this runs for every instruction. A run is followed once
        // (not again from each load inside it).
        matches!(self.insns[self.pc].opc, LDXB | LDXH | LDXW) && self.pc >= self.scanned_until && self.combine_run()
    }

    /// (Out of line: flash is scarce.)
    #[inline(never)]
    fn combine_run(&mut self) -> bool {
        let at = self.pc;
        let first = self.insns[at];
        let base = first.src();
        // First the run's extent, cheaply: most loads start none worth following.
        let (mut len, mut loads, mut ors) = (0, 0, 0);
        while let Some(&i) = self.insns.get(at + len).filter(|_| len < MAX_RUN) {
            if len > 0 && self.an.facts[at + len].is_head() {
                break;
            }
            match i.opc {
                LDXB | LDXH | LDXW => loads += (i.src() == base) as u32,
                OR64_REG | OR32_REG => ors += 1,
                LSH64_IMM | LSH32_IMM | MOV64_REG | MOV32_REG => {}
                _ => break,
            }
            len += 1;
        }
        if loads < 2 || ors == 0 {
            self.scanned_until = at + len;
            return false;
        }
        let mut regs = [UNKNOWN; 11];
        let (mut written, mut last_def, mut ors) = (0u16, [0usize; 11], 0);
        // The longest prefix so far that can be taken.
        let mut take: Option<Prefix> = None;
        let mut pc = at;
        while pc < at + len {
            let i = self.insns[pc];
            let (d, s) = (i.dst() as usize % 11, i.src() as usize % 11);
            let alu32 = i.class() == CLS_ALU;
            let v = match i.opc {
                LDXB | LDXH | LDXW => {
                    let k = i.off as i32 - first.off as i32;
                    if i.src() != base || written & 1 << base != 0 || !self.an.facts[pc].safe || k.abs() > BACK - 8 {
                        break;
                    }
                    let bytes = match i.opc {
                        LDXB => 1,
                        LDXH => 2,
                        _ => 4,
                    };
                    (0..bytes).fold(0, |v, j| v | ((1 + BACK + k + j) as u64) << (8 * j))
                }
                LSH64_IMM | LSH32_IMM if i.imm % 8 == 0 && (0..64).contains(&i.imm) => {
                    narrowed(regs[d] << i.imm, alu32)
                }
                OR64_REG | OR32_REG => {
                    ors += 1;
                    narrowed(or(regs[d], regs[s]), alu32)
                }
                MOV64_REG | MOV32_REG if i.off == 0 => narrowed(regs[s], alu32),
                _ => break,
            };
            regs[d] = v;
            written |= 1 << d;
            last_def[d] = pc;
            pc += 1;
            // Taken if something was assembled (loads and moves alone are left to the
            // other patterns), and every register written that is read on holds a
            // whole value, one of them wider than a load.
            if ors == 0 {
                continue;
            }
            let read_on = (self.an.live_lo_out(pc - 1) | self.an.facts[pc - 1].need_out) & written;
            let mut values = [None; 11];
            let (mut all, mut wide) = (true, false);
            for r in (0..11).filter(|&r| read_on & 1 << r != 0) {
                values[r] = whole(regs[r]);
                all &= values[r].is_some();
                wide |= values[r].is_some_and(|w| w.len > 1);
            }
            if all && wide {
                take = Some(Prefix { end: pc - 1, outputs: read_on, values, last_def });
            }
        }
        let Some(Prefix { end, outputs, values, last_def }) = take else {
            self.scanned_until = pc;
            return false;
        };
        // The base where the run starts, and the displacement its offsets (from the
        // first load's) take.
        let (mut b, bias) = self.address(base, 0, 1, false);
        let bias = bias + first.off as i32;
        // A destination may be the base's register (the base is dead by then): the base
        // moves to r2 first, which no destination is.
        let mut clash = false;
        for r in (0..11u8).filter(|&r| outputs & 1 << r != 0) {
            self.pc = last_def[r as usize];
            clash |= self.lo_dst(r, R0) == b || self.hi_dst(r, R1) == b;
        }
        if clash {
            self.put_def(mov_reg16(R2, b), R2);
            b = R2;
        }
        for r in (0..11u8).filter(|&r| outputs & 1 << r != 0) {
            let Some(w) = values[r as usize] else { continue };
            self.pc = last_def[r as usize];
            let (lo_at, hi_at) = if w.reversed { (w.off + 4, w.off) } else { (w.off, w.off + 4) };
            let rl = self.lo_dst(r, R0);
            let width = match w.len {
                1 => Width::Byte,
                2 => Width::Half,
                _ => Width::Word,
            };
            self.mem_op(true, width, rl, b, bias + if w.len == 8 { lo_at } else { w.off });
            match (w.reversed, w.len) {
                (true, 2) => self.put_def(rev(Rev::Rev16, rl, rl), rl),
                (true, _) => self.put_def(rev(Rev::Rev, rl, rl), rl),
                _ => {}
            }
            self.commit_lo(r, rl);
            if w.len < 8 {
                self.set_hi(r, Val::K(0));
            } else if self.hi_needed(r) {
                let rh = self.hi_dst(r, R1);
                self.mem_op(true, Width::Word, rh, b, bias + hi_at);
                if w.reversed {
                    self.put_def(rev(Rev::Rev, rh, rh), rh);
                }
                self.commit_hi(r, rh);
            }
        }
        self.pc = end;
        self.skip_until = end + 1;
        true
    }
}
