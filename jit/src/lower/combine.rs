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
//! loading at its end reads the same bytes. The runs are found once, by the register
//! allocator (`crate::patterns::assembled_loads`: their partial values take no
//! register); this compiles them. Written by hand: a pattern over the analysis' facts
//! (proven accesses, liveness), which no library knows.
use vm::opcode::*;

use super::{Lower, Val};
use crate::patterns::Assembled;
use crate::thumb2::encode::*;
use crate::thumb2::regs::*;

impl Lower<'_> {
    /// Compiles the run starting at `self.pc` if it is one (see the module doc).
    pub(super) fn fuse_loads(&mut self) -> bool {
        // The opcode first: this runs for every instruction.
        matches!(self.insns[self.pc].opc, LDXB | LDXH | LDXW) && self.combine_run()
    }

    /// (Out of line: flash is scarce.)
    #[inline(never)]
    #[cfg_attr(target_os = "none", optimize(size))]
    fn combine_run(&mut self) -> bool {
        // The allocator found the runs (in slot order); one may start here.
        let at = self.pc;
        while self.alloc.assembled.get(self.next_run).is_some_and(|r| r.0 < at) {
            self.next_run += 1;
        }
        let Some((_, run)) = self.alloc.assembled.get(self.next_run).filter(|r| r.0 == at) else {
            return false;
        };
        let Assembled { end, outputs, values, last_def } = run.clone();
        let first = self.insns[at];
        let base = first.src();
        // The base where the run starts, and the displacement its offsets (from the
        // first load's) take.
        let (mut b, bias) = self.address(base, 0, 1, false);
        let bias = bias + first.off as i32;
        // A destination may be the base's register (the base is dead by then): the base
        // moves to r2 first, which no destination is.
        let mut clash = false;
        for r in (0..11u8).filter(|&r| outputs & 1 << r != 0) {
            self.at(last_def[r as usize]);
            clash |= self.lo_dst(r, R0) == b || self.hi_dst(r, R1) == b;
        }
        if clash {
            self.put_def(mov_reg16(R2, b), R2);
            b = R2;
        }
        for r in (0..11u8).filter(|&r| outputs & 1 << r != 0) {
            let Some(w) = values[r as usize] else { continue };
            self.at(last_def[r as usize]);
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
        self.at(end);
        self.skip_until = end + 1;
        true
    }
}
