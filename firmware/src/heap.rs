//! The global allocator: a bounded heap, so that running out of memory is an error
//! the firmware answers with, not a crash; and a scratch arena for a compile.
//!
//! The heap is embedded-alloc's first-fit list. An allocation there walks the free
//! list, so what it costs depends on everything allocated and freed before: the same
//! program compiled after another request took a different number of instructions.
//! A compile allocates a dozen tables and frees them all at its end, so it runs in
//! [`with_scratch`]: one block of the heap taken for the compile and given back
//! whole. Inside it, blocks are bumped from a pointer, or taken from the lowest hole
//! that fits (what the compile freed below the pointer: the analysis's states are
//! freed before the allocator's tables are made, under the tables that stay;
//! `device::scratch` keeps the books, tested on the host); both depend only on what
//! this compile did, so its allocations cost the same after any history, and it needs
//! about its live tables' size, not the sum of all it ever allocated (a fifth less
//! for SHA-256). (Written here: bump allocators such as bumpalo are allocator objects
//! for `allocator_api` collections, not a scope of the global allocator the `jit`
//! crate's plain `Vec`s could use.)
use core::alloc::{GlobalAlloc, Layout};
use core::cell::RefCell;
use core::mem::MaybeUninit;
use critical_section::Mutex;
use device::scratch::Arena;
use embedded_alloc::LlffHeap as Heap;

/// Heap size in bytes: the board's setting.
pub use crate::board::settings::HEAP_SIZE;

#[global_allocator]
static ALLOCATOR: Allocator = Allocator { heap: Heap::empty(), scratch: Mutex::new(RefCell::new(Arena::NONE)) };

struct Allocator {
    heap: Heap,
    scratch: Mutex<RefCell<Arena>>,
}

impl Allocator {
    fn with<R>(&self, f: impl FnOnce(&mut Arena) -> R) -> R {
        critical_section::with(|cs| f(&mut self.scratch.borrow_ref_mut(cs)))
    }
}

// SAFETY: blocks come from the heap (itself a `GlobalAlloc`) or from the scratch block,
// which the heap gave out and which is not given back while one of its blocks is
// live ([`with_scratch`]'s contract); scratch blocks never overlap: each is taken
// from past `next` or from inside a hole, and a range becomes a hole or lies past
// `next` again only when its block is freed (or shrunk: its tail).
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
        let p = ptr as usize;
        let scratch = self.with(|s| {
            let owned = s.owns(p);
            if owned {
                s.free(p, p + layout.size());
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
        // A scratch block shrinks where it is (its tail freed); the topmost one also
        // grows where it is, up to the end of the block.
        let in_place = self.with(|s| s.owns(p) && s.resize_in_place(p, layout.size(), new_size));
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
/// what `work` made and the bytes it held at most (the block's high mark and what did
/// not fit; `None` without a block), allocating from the heap; then gives the block
/// back. With no block to be had (not enough heap in one piece, or a scratch in use
/// already) both simply run on the heap. (Generic only here: taking and giving back
/// the block are out of line, one copy of each in flash.)
///
/// Every allocation made while `work` runs comes from the block, an interrupt
/// handler's too: none of the firmware's handlers allocates (the drivers' buffers are
/// static), and one that did must not keep its block past this call.
///
/// # Safety
/// What `keep` returns must hold nothing allocated during `work`: `keep` copies what is
/// kept out of it and drops the rest.
pub unsafe fn with_scratch<T, U>(
    bytes: usize,
    work: impl FnOnce() -> T,
    keep: impl FnOnce(T, Option<usize>) -> U,
) -> U {
    let block = take_scratch(bytes);
    let made = work();
    let held = ALLOCATOR.with(|s| {
        s.taking = false;
        block.map(|_| s.held())
    });
    let kept = keep(made, held);
    // SAFETY: by the contract nothing allocated in the block is live any more.
    unsafe { give_back_scratch(block) };
    kept
}

/// Takes a block of `bytes` from the heap and makes it the scratch, if it can; when
/// the heap has no piece that large (its free space in pieces), the largest of
/// `bytes` less eighths that it has, down to 1 KiB: a work that needs less than it
/// asked for then still runs in a block. (Before the caller's markers: the tries
/// count in no phase.)
#[inline(never)]
fn take_scratch(bytes: usize) -> Option<(*mut u8, Layout)> {
    if ALLOCATOR.with(|s| s.is_set()) {
        return None;
    }
    let (mut size, step) = (bytes & !7, ((bytes / 8) & !7).max(8));
    let least = size.clamp(8, 1024);
    let (block, layout) = loop {
        let layout = Layout::from_size_align(size, 8).ok().filter(|_| size >= least)?;
        // From the heap through the global allocator (no scratch is taking), so that
        // the heap's own code is not inlined here a second time.
        // SAFETY: a non-zero size.
        let block = unsafe { alloc::alloc::alloc(layout) };
        if !block.is_null() {
            break (block, layout);
        }
        size = size.checked_sub(step)?;
    };
    let (start, bytes) = (block as usize, layout.size());
    ALLOCATOR.with(|s| *s = Arena::new(start, bytes));
    Some((block, layout))
}

/// Gives the scratch block back to the heap.
///
/// # Safety
/// No block allocated in it may be live.
#[inline(never)]
unsafe fn give_back_scratch(block: Option<(*mut u8, Layout)>) {
    if let Some((block, layout)) = block {
        ALLOCATOR.with(|s| *s = Arena::NONE);
        // SAFETY: the block `take_scratch` got from the heap, with its layout.
        unsafe { alloc::alloc::dealloc(block, layout) };
    }
}
