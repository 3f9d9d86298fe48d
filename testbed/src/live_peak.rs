//! The most heap a piece of work holds at once on this host: a program that installs
//! [`LivePeak`] as its global allocator measures a closure with [`measure`]. A JIT
//! compile here holds within a few percent of what the device's compile holds (its
//! tables are mostly 32-bit words on both), so `mbpf jit` tells a user whether a
//! program's compile fits a board's heap before it is deployed. (Written here: the
//! counting allocators on crates.io count a whole process, not one thread's work.)
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// `System`'s allocator, counting the bytes live on a thread inside [`measure`].
pub struct LivePeak;

thread_local! {
    /// (measuring, live, peak)
    static LIVE: Cell<(bool, usize, usize)> = const { Cell::new((false, 0, 0)) };
}

// SAFETY: every block comes from and goes back to `System`, as the caller asks; the
// counting touches only a thread-local `Cell` (no allocation).
unsafe impl GlobalAlloc for LivePeak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: a block `alloc` gave out, with its layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's block, layout and size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count(bytes: isize) {
    // `try_with`: a thread being torn down has no counter, and frees nonetheless.
    let _ = LIVE.try_with(|c| {
        if let (true, live, peak) = c.get() {
            let live = live.saturating_add_signed(bytes);
            c.set((true, live, peak.max(live)));
        }
    });
}

/// Runs `work` and returns what it made with the most bytes it held at once (blocks it
/// allocated and had not freed). Counts only with [`LivePeak`] installed as the global
/// allocator (`#[global_allocator]`); 0 without.
pub fn measure<R>(work: impl FnOnce() -> R) -> (R, usize) {
    LIVE.with(|c| c.set((true, 0, 0)));
    let made = work();
    let (_, _, peak) = LIVE.with(|c| c.replace((false, 0, 0)));
    (made, peak)
}

#[cfg(test)]
mod tests {
    #[global_allocator]
    static COUNTING: super::LivePeak = super::LivePeak;

    #[test]
    fn the_peak_is_what_was_live_at_once_not_all_that_was_allocated() {
        let ((), peak) = super::measure(|| {
            let a = vec![0u8; 1000];
            let b = vec![0u8; 500];
            drop(a);
            let mut c = vec![0u8; 700];
            c.resize(1400, 0);
            drop((b, c));
        });
        // 1,500 with a and b; then b and c grown to 1,400 (reallocated in place or not).
        assert_eq!(peak, 1900);
        let (v, peak) = super::measure(|| vec![1u32; 10]);
        assert_eq!((v.len(), peak), (10, 40), "what the work returns counts too");
    }
}
