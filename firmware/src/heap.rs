//! The global allocator: a bounded heap, so that running out of memory is an error
//! the firmware answers with, not a crash; and a scratch arena for a compile.
//!
//! The heap is embedded-alloc's first-fit list. An allocation there walks the free
//! list, so what it costs depends on everything allocated and freed before: the same
//! program compiled after another request took a different number of instructions.
//! A compile allocates a dozen tables and frees them all at its end, so it runs in
//! [`with_scratch`]: one block of the heap taken for the compile, handed out by
//! bumping a pointer (the topmost block freed or grown in place), given back whole.
//! The compile's own allocations then cost the same few instructions after any
//! history. (Written here: bump allocators such as bumpalo are allocator objects for
//! `allocator_api` collections, not a scope of the global allocator the `jit` crate's
//! plain `Vec`s could use.)
use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::mem::MaybeUninit;
use critical_section::Mutex;
use embedded_alloc::LlffHeap as Heap;

/// Heap size in bytes: the board's setting.
pub use crate::board::settings::HEAP_SIZE;

#[global_allocator]
static ALLOCATOR: Allocator = Allocator { heap: Heap::empty(), scratch: Mutex::new(Cell::new(Scratch::NONE)) };

struct Allocator {
    heap: Heap,
    scratch: Mutex<Cell<Scratch>>,
}

/// The scratch block `[start, end)`: `next` is its first free byte, `last` the start
/// of its topmost block (0: none to free or grow in place). While `taking`, blocks
/// come from it; until it is given back, frees of its blocks do nothing.
#[derive(Clone, Copy)]
struct Scratch {
    start: usize,
    end: usize,
    next: usize,
    last: usize,
    taking: bool,
}

impl Scratch {
    const NONE: Scratch = Scratch { start: 0, end: 0, next: 0, last: 0, taking: false };

    fn owns(&self, p: usize) -> bool {
        (self.start..self.end).contains(&p)
    }

    /// A block of `layout` from the scratch, if it is taking and the block fits.
    fn take(&mut self, layout: Layout) -> Option<usize> {
        if !self.taking {
            return None;
        }
        let at = self.next.checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let end = at.checked_add(layout.size())?;
        if end > self.end {
            return None;
        }
        (self.last, self.next) = (at, end);
        Some(at)
    }
}

impl Allocator {
    fn with<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        critical_section::with(|cs| {
            let cell = self.scratch.borrow(cs);
            let mut s = cell.get();
            let r = f(&mut s);
            cell.set(s);
            r
        })
    }
}

// SAFETY: blocks come from the heap (itself a `GlobalAlloc`) or from the scratch block,
// which the heap gave out and which is not given back while one of its blocks is
// live ([`with_scratch`]'s contract); scratch blocks never overlap: each starts at or
// past `next`, and only the topmost one moves `next` back or grows.
unsafe impl GlobalAlloc for Allocator {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.with(|s| s.take(layout)) {
            Some(p) => p as *mut u8,
            // SAFETY: the caller's layout, as it came.
            None => unsafe { self.heap.alloc(layout) },
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let scratch = self.with(|s| {
            let owned = s.owns(ptr as usize);
            if owned && ptr as usize == s.last {
                (s.next, s.last) = (s.last, 0);
            }
            owned
        });
        if !scratch {
            // SAFETY: a heap block, freed as the caller says.
            unsafe { self.heap.dealloc(ptr, layout) }
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = ptr as usize;
        // The topmost scratch block grows or shrinks where it is.
        let in_place = self.with(|s| {
            let fits = s.owns(p) && p == s.last && p.checked_add(new_size).is_some_and(|e| e <= s.end);
            if fits {
                s.next = p + new_size;
            }
            fits
        });
        if in_place {
            return ptr;
        }
        // Elsewhere: a new block (from the scratch while it takes), the bytes copied.
        // SAFETY: `new_size` with the old alignment is a valid layout (the caller's
        // contract); both blocks are live while copying and do not overlap.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let q = self.alloc(new_layout);
            if !q.is_null() {
                core::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            q
        }
    }
}

pub fn init() {
    // In `.uninit`, which the reset handler does not zero: the allocator needs no
    // zeroed memory, and on an emulator untouched RAM costs the host nothing.
    #[link_section = ".uninit.mbpf_heap"]
    static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once at boot, before any allocation; HEAP_MEM is used by nothing else.
    unsafe { ALLOCATOR.heap.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) }
}

/// Bytes still free.
pub fn free() -> usize {
    ALLOCATOR.heap.free()
}

/// Runs `work` with its allocations in a scratch block of up to `bytes` taken from the
/// heap (what does not fit there comes from the heap, as without one), then `keep` on
/// what `work` made, allocating from the heap; then gives the block back. With no block
/// to be had (not enough heap in one piece, or a scratch in use already) both simply
/// run on the heap. (Generic only here: taking and giving back the block are out of
/// line, one copy of each in flash.)
///
/// Every allocation made while `work` runs comes from the block, an interrupt
/// handler's too: none of the firmware's handlers allocates (the drivers' buffers are
/// static), and one that did must not keep its block past this call.
///
/// # Safety
/// What `keep` returns must hold nothing allocated during `work`: `keep` copies what is
/// kept out of it and drops the rest.
pub unsafe fn with_scratch<T, U>(bytes: usize, work: impl FnOnce() -> T, keep: impl FnOnce(T) -> U) -> U {
    let block = take_scratch(bytes);
    let made = work();
    ALLOCATOR.with(|s| s.taking = false);
    let kept = keep(made);
    // SAFETY: by the contract nothing allocated in the block is live any more.
    unsafe { give_back_scratch(block) };
    kept
}

/// Takes a block of `bytes` from the heap and makes it the scratch, if it can.
#[inline(never)]
fn take_scratch(bytes: usize) -> Option<(*mut u8, Layout)> {
    let busy = ALLOCATOR.with(|s| s.end != 0);
    let layout = Layout::from_size_align(bytes, 8).ok().filter(|_| bytes > 0 && !busy)?;
    // From the heap through the global allocator (no scratch is taking), so that the
    // heap's own code is not inlined here a second time.
    // SAFETY: a non-zero size.
    let block = unsafe { alloc::alloc::alloc(layout) };
    let start = (!block.is_null()).then_some(block as usize)?;
    ALLOCATOR.with(|s| *s = Scratch { start, end: start + bytes, next: start, last: 0, taking: true });
    Some((block, layout))
}

/// Gives the scratch block back to the heap.
///
/// # Safety
/// No block allocated in it may be live.
#[inline(never)]
unsafe fn give_back_scratch(block: Option<(*mut u8, Layout)>) {
    if let Some((block, layout)) = block {
        ALLOCATOR.with(|s| *s = Scratch::NONE);
        // SAFETY: the block `take_scratch` got from the heap, with its layout.
        unsafe { alloc::alloc::dealloc(block, layout) };
    }
}
