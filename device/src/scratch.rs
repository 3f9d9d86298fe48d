//! The bookkeeping of a scratch block, the arena the firmware's global allocator hands
//! a compile's (and a load's, a verification's) blocks out of (`firmware/src/heap.rs`):
//! addresses only, no memory touched, so that it is tested here on the host. Blocks are
//! bumped from a top pointer, or taken from the lowest hole that fits (what was freed
//! below the top), so that a work needs about what it holds at once, not all it ever
//! allocated; both depend only on what the work did since the block was taken, so its
//! allocations cost the same after any history of the heap around it.
use core::alloc::Layout;

/// Holes a scratch block keeps track of; a freed block past them is lost until the
/// block is given back (a compile frees a few tables below others, not more).
pub const HOLES: usize = 8;

/// The scratch block `[start, end)`: `next` is the first byte never handed out since
/// the last free at the top, `holes[..holes_len]` the freed ranges below it
/// (`(start, end)`, lowest first, none touching another or `next`). While `taking`,
/// blocks come from it; frees of its blocks only make holes until it is given back.
pub struct Arena {
    start: usize,
    end: usize,
    next: usize,
    holes: [(usize, usize); HOLES],
    holes_len: usize,
    /// Blocks are taken from it (cleared when the work is done: frees then wait for
    /// the block's return).
    pub taking: bool,
    /// The highest `next` has been.
    high: usize,
    /// Bytes that did not fit and came from the heap.
    spilled: usize,
}

impl Arena {
    /// No block.
    pub const NONE: Arena =
        Arena { start: 0, end: 0, next: 0, holes: [(0, 0); HOLES], holes_len: 0, taking: false, high: 0, spilled: 0 };

    /// A block of `[start, start + bytes)`, taking.
    pub fn new(start: usize, bytes: usize) -> Arena {
        Arena { start, end: start + bytes, next: start, high: start, taking: true, ..Arena::NONE }
    }

    /// A block is set (taken and not given back).
    pub fn is_set(&self) -> bool {
        self.end != 0
    }

    /// The bytes the work held at most: the highest the top has been, and what did
    /// not fit.
    pub fn held(&self) -> usize {
        self.high - self.start + self.spilled
    }

    /// `p` is in the block.
    pub fn owns(&self, p: usize) -> bool {
        (self.start..self.end).contains(&p)
    }

    /// A block of `layout` from the scratch, if it is taking and the block fits: from
    /// the lowest hole it fits in, or else from `next`.
    #[inline(always)]
    pub fn take(&mut self, layout: Layout) -> Option<usize> {
        if !self.taking {
            return None;
        }
        let fit = |from: usize, to: usize| {
            let at = from.checked_add(layout.align() - 1)? & !(layout.align() - 1);
            at.checked_add(layout.size()).filter(|&e| e <= to).map(|e| (at, e))
        };
        for k in 0..self.holes_len {
            let (from, to) = self.holes[k];
            if let Some((at, e)) = fit(from, to) {
                // What alignment skipped stays unused until the block is given back.
                if e == to {
                    self.holes.copy_within(k + 1..self.holes_len, k);
                    self.holes_len -= 1;
                } else {
                    self.holes[k].0 = e;
                }
                return Some(at);
            }
        }
        let Some((at, e)) = fit(self.next, self.end) else {
            self.spilled += layout.size();
            return None;
        };
        self.next = e;
        self.high = self.high.max(e);
        Some(at)
    }

    /// Frees `[from, to)`: the top moves down (over the hole under it, if one ends
    /// there), or the range joins the holes. Once the block no longer takes, nothing
    /// is taken from it again: what is freed then waits for the block's return.
    pub fn free(&mut self, from: usize, to: usize) {
        if from == to || !self.taking {
            return;
        }
        if to == self.next {
            // The highest hole is the only one that can end under the top block.
            match self.holes_len.checked_sub(1) {
                Some(k) if self.holes[k].1 == from => {
                    self.next = self.holes[k].0;
                    self.holes_len = k;
                }
                _ => self.next = from,
            }
            return;
        }
        // The first hole above the range; the one before it, if any, is below.
        let above = self.holes[..self.holes_len].iter().position(|h| h.0 >= to).unwrap_or(self.holes_len);
        let joins_below = above > 0 && self.holes[above - 1].1 == from;
        let joins_above = above < self.holes_len && self.holes[above].0 == to;
        match (joins_below, joins_above) {
            (true, true) => {
                self.holes[above - 1].1 = self.holes[above].1;
                self.holes.copy_within(above + 1..self.holes_len, above);
                self.holes_len -= 1;
            }
            (true, false) => self.holes[above - 1].1 = to,
            (false, true) => self.holes[above].0 = from,
            // A new hole; with no room for it, the range is lost until the block is
            // given back.
            (false, false) if self.holes_len < HOLES => {
                self.holes.copy_within(above..self.holes_len, above + 1);
                self.holes[above] = (from, to);
                self.holes_len += 1;
            }
            (false, false) => {}
        }
    }

    /// Resizes the block at `p` of `old` bytes to `new` where it is, if it can: a
    /// block shrinks (its tail freed); the topmost one also grows, up to the end.
    pub fn resize_in_place(&mut self, p: usize, old: usize, new: usize) -> bool {
        let (old_end, new_end) = (p + old, p.saturating_add(new));
        if new_end <= old_end {
            self.free(new_end, old_end);
            true
        } else if old_end == self.next && new_end <= self.end {
            self.next = new_end;
            self.high = self.high.max(new_end);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const START: usize = 0x2000_0000;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn what_is_freed_below_the_top_is_taken_again_lowest_first() {
        let mut a = Arena::new(START, 1000);
        let [x, y, z] = [100, 200, 100].map(|n| a.take(layout(n, 4)).unwrap());
        assert_eq!([x, y, z], [START, START + 100, START + 300]);
        a.free(x, x + 100);
        a.free(y, y + 200);
        // One hole of 300 below z: a block of 250 fits there, not past the top.
        assert_eq!(a.take(layout(250, 8)), Some(START));
        assert_eq!(a.take(layout(40, 8)), Some(START + 256), "the hole's rest, aligned");
        assert_eq!(a.take(layout(50, 4)), Some(START + 400), "too large for what is left: from the top");
        assert_eq!(a.held(), 450);
    }

    #[test]
    fn freeing_the_top_block_takes_the_hole_under_it_along() {
        let mut a = Arena::new(START, 1000);
        let [x, y, z] = [100, 200, 100].map(|n| a.take(layout(n, 4)).unwrap());
        a.free(y, y + 200);
        a.free(z, z + 100);
        // The top is back at the end of x: a block as large as y and z comes from there.
        assert_eq!(a.take(layout(300, 4)), Some(x + 100));
        assert_eq!(a.held(), 400, "the highest the top has been");
    }

    #[test]
    fn a_block_shrinks_anywhere_and_grows_only_at_the_top() {
        let mut a = Arena::new(START, 1000);
        let x = a.take(layout(100, 4)).unwrap();
        let y = a.take(layout(100, 4)).unwrap();
        assert!(!a.resize_in_place(x, 100, 150), "x has y above it");
        assert!(a.resize_in_place(y, 100, 900), "the top grows to the end");
        assert!(!a.resize_in_place(y, 900, 901), "not past it");
        assert!(a.resize_in_place(x, 100, 60), "its tail becomes a hole");
        assert_eq!(a.take(layout(40, 4)), Some(x + 60));
        assert!(a.resize_in_place(y, 900, 100), "the top shrinks");
        assert_eq!(a.take(layout(10, 1)), Some(y + 100));
    }

    #[test]
    fn what_does_not_fit_is_counted_and_nothing_is_taken_once_the_work_is_done() {
        let mut a = Arena::new(START, 256);
        assert!(a.take(layout(200, 8)).is_some());
        assert_eq!(a.take(layout(100, 8)), None);
        assert_eq!(a.held(), 300, "200 in the block, 100 from the heap");
        a.taking = false;
        assert_eq!(a.take(layout(8, 8)), None);
        assert_eq!(a.held(), 300, "a block not asked of it is not its");
        assert!(!Arena::NONE.is_set() && a.is_set());
    }

    /// Random works against the arena: every block it hands out lies in it, aligned,
    /// apart from every other live block; and it never holds more than all that was
    /// ever asked of it (the holes are reused: much less).
    #[test]
    fn blocks_never_overlap_over_random_works() {
        let mut seed = 0x6d62_7066_u64;
        let mut rand = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..200 {
            let size = 4096 + rand(4096);
            let mut a = Arena::new(START, size);
            let mut live: Vec<(usize, usize)> = Vec::new();
            let mut asked = 0;
            for _ in 0..300 {
                match rand(10) {
                    0..=4 => {
                        let (n, align) = (1 + rand(600), 1 << rand(4));
                        if let Some(p) = a.take(layout(n, align)) {
                            assert_eq!(p % align, 0);
                            live.push((p, p + n));
                        }
                        asked += n;
                    }
                    5..=7 if !live.is_empty() => {
                        let (p, e) = live.swap_remove(rand(live.len()));
                        a.free(p, e);
                    }
                    _ if !live.is_empty() => {
                        let k = rand(live.len());
                        let (p, e) = live[k];
                        let n = 1 + rand(800);
                        if a.resize_in_place(p, e - p, n) {
                            live[k] = (p, p + n);
                            asked += n;
                        }
                    }
                    _ => {}
                }
                for (k, &(p, e)) in live.iter().enumerate() {
                    assert!(a.owns(p) && e <= START + size, "{p:#x}..{e:#x} outside the block");
                    for &(q, f) in &live[k + 1..] {
                        assert!(e <= q || f <= p, "{p:#x}..{e:#x} overlaps {q:#x}..{f:#x}");
                    }
                }
            }
            assert!(a.held() <= asked);
            for (p, e) in live.drain(..) {
                a.free(p, e);
            }
        }
    }
}
