//! The stack's size and its high-water mark. cortex-m-rt paints the stack region at
//! reset (feature `paint-stack`); the deepest word no longer holding the paint is
//! the deepest the stack has been.
extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

/// cortex-m-rt's `STACK_PAINT_VALUE`.
const PAINT: u32 = 0xCCCC_CCCC;

fn bounds() -> (usize, usize) {
    // Linker symbols: only their addresses are taken.
    (core::ptr::addr_of!(_stack_end) as usize, core::ptr::addr_of!(_stack_start) as usize)
}

/// Bytes between the end of the statics and the top of RAM.
pub fn size() -> usize {
    let (end, start) = bounds();
    start - end
}

/// The deepest the stack has been since reset, in bytes.
pub fn peak() -> usize {
    let (end, start) = bounds();
    let mut p = end;
    // SAFETY: every word in [end, start) is RAM of the stack region, readable.
    while p < start && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    start - p
}
