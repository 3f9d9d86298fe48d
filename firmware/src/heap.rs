//! The global allocator: a bounded heap, so that running out of memory is an error
//! the firmware answers with, not a crash.
use core::mem::MaybeUninit;
use embedded_alloc::LlffHeap as Heap;

/// Heap size in bytes: the board's setting.
pub use crate::board::settings::HEAP_SIZE;

#[global_allocator]
static HEAP: Heap = Heap::empty();

pub fn init() {
    // In `.uninit`, which the reset handler does not zero: the allocator needs no
    // zeroed memory, and on an emulator untouched RAM costs the host nothing.
    #[link_section = ".uninit.mbpf_heap"]
    static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once at boot, before any allocation; HEAP_MEM is used by nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) }
}

/// Bytes still free.
pub fn free() -> usize {
    HEAP.free()
}
