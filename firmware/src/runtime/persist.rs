//! The RAM kept across warm resets, for the state `device::persist` keeps there
//! (sequence numbers, images, the boot count).
//!
//! It lives in RAM that no section of the image covers (`_persist_start` ..
//! `_persist_end`, from the board's memory map), so neither the reset handler nor
//! QEMU's loader (which rewrites and zero-fills the image's segments on every reset)
//! touches it; a reset by SYSRESETREQ, the reset pin or a debugger keeps it, a power
//! cut does not. On the STM32L475 it is SRAM2, the RAM the chip keeps in standby.
use core::sync::atomic::{AtomicBool, Ordering};

unsafe extern "C" {
    static mut _persist_start: u8;
    static mut _persist_end: u8;
}

static TAKEN: AtomicBool = AtomicBool::new(false);

/// The area, once per boot (`None` after).
pub fn take_area() -> Option<&'static mut [u8]> {
    if TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    // SAFETY: the linker script reserves `_persist_start.._persist_end` for this
    // module alone and no section is placed there; TAKEN hands the slice out once.
    Some(unsafe {
        let start = core::ptr::addr_of_mut!(_persist_start);
        let len = core::ptr::addr_of_mut!(_persist_end) as usize - start as usize;
        core::slice::from_raw_parts_mut(start, len)
    })
}
