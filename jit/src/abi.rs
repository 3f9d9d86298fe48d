//! The contract between generated code and the runtime that runs it.
//!
//! Generated code is `extern "C" fn(ctx: *mut Ctx) -> u32` (AAPCS). It keeps `ctx` in
//! r7 and the budget in lr. eBPF register halves live in ARM registers r4-r6, r8-r11 (see
//! [`crate::regalloc`]) or in `ctx.regs` (8 bytes each); the runtime
//! only reads and writes `ctx.regs`, and generated code stores and reloads the halves
//! it keeps in ARM registers around every runtime call that uses them. Runtime
//! functions are called through the pointers in `ctx`, always with `ctx` as the first
//! argument. [`Context`] is the layout, defined once: the offsets generated code uses
//! are derived from it, and the runtime embeds it at the start of its own context.
//!
//! Return value: [`STATUS_EXIT`] (r0 of the program is in `ctx.regs[0]`),
//! [`STATUS_FAULT`] (the runtime recorded the fault), [`STATUS_BUDGET`] (the
//! backward-branch budget ran out).

/// The context generated code runs against, as the runtime lays it out. Every field
/// is a fixed-width integer (the runtime functions as their 32-bit code addresses), so
/// the layout is the device's on any host that compiles for it.
#[repr(C, align(8))]
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// eBPF r0-r10 (and spare slots), 8 bytes each.
    pub regs: [u64; 16],
    /// Backward branches and calls left. Generated code keeps it in lr and parks it
    /// here across calls.
    pub budget: u32,
    /// bpf-to-bpf call depth (0 in the entry function).
    pub depth: u32,
    /// The address of `.data`.
    pub data_base: u32,
    /// The address of `.rodata`.
    pub rodata_base: u32,
    /// `rt_mem(ctx, addr_lo, addr_hi, meta) -> u32`: the address to access, or 0 after
    /// recording a fault. `meta = len | write << 4 | pc << 8`.
    pub rt_mem: u32,
    /// The address of [`HELPER_ENTRIES`] words, each an `entry(ctx, pc) -> u32` that
    /// runs a helper for the call at `pc` and returns a status, [`STATUS_CONTINUE`] to
    /// go on. Entry [`RT_HELPER_ENTRY`] is the runtime's `rt_helper`, which runs the
    /// helper the call names (its immediate, or for `callx` its register's value);
    /// the entry of an id below [`HELPER_ENTRIES`] runs that one helper (or is
    /// `rt_helper`), so that a `call imm` goes straight to its helper.
    pub helper_entries: u32,
    /// `rt_alu(ctx, pc) -> u32`: applies the ALU instruction at `pc` to `regs`.
    pub rt_alu: u32,
    /// `rt_call(ctx, pc) -> u32`: enters a bpf-to-bpf call (saves r6-r10, new frame).
    pub rt_call: u32,
    /// `rt_ret(ctx) -> u32`: leaves a call (restores r6-r10 in `regs`); generated code
    /// then returns to the call site itself.
    pub rt_ret: u32,
    /// `rt_atomic(ctx, pc) -> u32`: runs the atomic instruction at `pc`.
    pub rt_atomic: u32,
    /// The stack pointer after the prologue, so that a fault deep in bpf-to-bpf calls
    /// leaves with the right frame.
    pub saved_sp: u32,
    /// Indexed by [write][region][size]: the region's base and `size - len + 1` (0 when
    /// no access of that length fits, or the region is absent or, for writes,
    /// read-only). An access of `len` bytes at `a` is inside when `a - base < limit`
    /// (unsigned). Misses go to `rt_mem`, which knows every region, so a window only
    /// needs to be right when it says yes.
    pub windows: [[[[u32; 2]; 4]; 4]; 2],
    /// Indexed by [write][size]: a window as above, of the region the last access that
    /// missed its window hit (`rt_mem` fills it), for accesses whose region the
    /// analysis could not tell (a pointer reloaded from the stack, say): like the
    /// interpreter's last-region cache.
    pub learned: [[[u32; 2]; 4]; 2],
}

/// A field's offset, as the 12-bit (at most) immediate of a load or store.
const fn at(offset: usize) -> u16 {
    assert!(offset < 4096);
    offset as u16
}

pub const REGS: u16 = at(core::mem::offset_of!(Context, regs));
pub const BUDGET: u16 = at(core::mem::offset_of!(Context, budget));
pub const DEPTH: u16 = at(core::mem::offset_of!(Context, depth));
pub const DATA_BASE: u16 = at(core::mem::offset_of!(Context, data_base));
pub const RODATA_BASE: u16 = at(core::mem::offset_of!(Context, rodata_base));
pub const RT_MEM: u16 = at(core::mem::offset_of!(Context, rt_mem));
pub const HELPER_ENTRIES_AT: u16 = at(core::mem::offset_of!(Context, helper_entries));
pub const RT_ALU: u16 = at(core::mem::offset_of!(Context, rt_alu));
pub const RT_CALL: u16 = at(core::mem::offset_of!(Context, rt_call));
pub const RT_RET: u16 = at(core::mem::offset_of!(Context, rt_ret));
pub const RT_ATOMIC: u16 = at(core::mem::offset_of!(Context, rt_atomic));
pub const SAVED_SP: u16 = at(core::mem::offset_of!(Context, saved_sp));
pub const WINDOWS: u16 = at(core::mem::offset_of!(Context, windows));
pub const LEARNED: u16 = at(core::mem::offset_of!(Context, learned));
/// Size of the context; the runtime may keep its own state after it.
pub const CTX_SIZE: u16 = at(core::mem::size_of::<Context>());

/// Regions with a window, in table order.
pub const WINDOW_REGIONS: [vm::RegionKind; 4] =
    [vm::RegionKind::Input, vm::RegionKind::Rodata, vm::RegionKind::Data, vm::RegionKind::Stack];
/// Access lengths with a window, in table order.
pub const WINDOW_LENS: [u32; 4] = [1, 2, 4, 8];
/// The offset of one window entry in the context.
pub const fn window(write: bool, region: usize, len_index: usize) -> u16 {
    WINDOWS + ((write as u16 * 4 + region as u16) * 4 + len_index as u16) * 8
}

/// The offset of one learned window in the context.
pub const fn learned(write: bool, len_index: usize) -> u16 {
    LEARNED + (write as u16 * 4 + len_index as u16) * 8
}

pub const STATUS_CONTINUE: u32 = 0;
pub const STATUS_EXIT: u32 = 0;
pub const STATUS_FAULT: u32 = 1;
pub const STATUS_BUDGET: u32 = 2;
/// From `rt_helper`: the helper ended the program (e.g. `unwind`); r0 is set.
pub const STATUS_HELPER_EXIT: u32 = 3;

/// Helper ids with an entry in `ctx.helper_entries`: below every id `vm::HelperSet`
/// allows (256); the runtime's table is this long.
pub const HELPER_ENTRIES: usize = 128;

/// The entry that is `rt_helper` (no helper has id 0): `callx`, and ids past the
/// table, call through it.
pub const RT_HELPER_ENTRY: u32 = 0;

/// `meta` flag of `rt_mem` for a write.
pub const MEM_WRITE: u32 = 1 << 4;

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets generated code was built against (and the device measured with).
    #[test]
    fn the_layout_is_the_devices() {
        let fields = [REGS, BUDGET, DEPTH, DATA_BASE, RODATA_BASE, RT_MEM, HELPER_ENTRIES_AT, RT_ALU, RT_CALL, RT_RET];
        assert_eq!(fields, [0, 128, 132, 136, 140, 144, 148, 152, 156, 160]);
        assert_eq!([RT_ATOMIC, SAVED_SP, WINDOWS, LEARNED], [164, 168, 172, 428]);
        assert_eq!(window(true, 3, 3), WINDOWS + 2 * 4 * 4 * 8 - 8);
        assert_eq!(learned(true, 3), CTX_SIZE - 8 - 4);
        assert_eq!(CTX_SIZE, 496);
    }
}
