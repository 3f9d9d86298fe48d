//! A counting global allocator: a binary that installs it (`#[global_allocator]`)
//! lets [`peak`] measure the heap a closure takes at its highest, and [`within`] run
//! a closure under a heap limit (past it, allocations fail).
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub struct Counting;

static INSTALLED: AtomicBool = AtomicBool::new(false);
static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        if now > LIMIT.load(Ordering::Relaxed) {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// `f`'s result and the most heap in use while it ran, above what was in use before;
/// `None` when the binary does not count. One thread at a time.
pub fn peak<R>(f: impl FnOnce() -> R) -> (R, Option<usize>) {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = f();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (result, INSTALLED.load(Ordering::Relaxed).then_some(peak))
}

/// `f`'s result when allocations that would take the heap in use more than `limit`
/// above what was in use before fail; `None` when the binary does not count (no limit
/// then applies). One thread at a time.
pub fn within<R>(limit: usize, f: impl FnOnce() -> R) -> Option<R> {
    let before = IN_USE.load(Ordering::Relaxed);
    LIMIT.store(before.saturating_add(limit), Ordering::Relaxed);
    let result = f();
    LIMIT.store(usize::MAX, Ordering::Relaxed);
    INSTALLED.load(Ordering::Relaxed).then_some(result)
}
