//! The contract between generated code and the runtime that runs it.
//!
//! Generated code is `extern "C" fn(ctx: *mut Ctx) -> u32` (AAPCS). It keeps `ctx` in
//! r7 and the budget in lr. eBPF register halves live in ARM registers r4-r6, r8-r11 (see
//! [`crate::regalloc`]) or in `ctx.regs` (r0 at offset 0, 8 bytes each); the runtime
//! only reads and writes `ctx.regs`, and generated code stores and reloads the halves
//! it keeps in ARM registers around every runtime call that uses them. Runtime
//! functions are called through the pointers in `ctx`, always with `ctx` as the first
//! argument. The runtime defines `Ctx` with exactly these offsets (it asserts them).
//!
//! Return value: [`STATUS_EXIT`] (r0 of the program is in `ctx.regs[0]`),
//! [`STATUS_FAULT`] (the runtime recorded the fault), [`STATUS_BUDGET`] (the
//! backward-branch budget ran out).

/// `regs: [u64; 16]`.
pub const REGS: u16 = 0;
/// `budget: u32`: backward branches and calls left. Generated code keeps it in lr and
/// parks it here across calls.
pub const BUDGET: u16 = 128;
/// `depth: u32`: bpf-to-bpf call depth (0 in the entry function).
pub const DEPTH: u16 = 132;
/// `data_base: u32`, `rodata_base: u32`: addresses of `.data` and `.rodata`.
pub const DATA_BASE: u16 = 136;
pub const RODATA_BASE: u16 = 140;
/// `rt_mem(ctx, addr_lo, addr_hi, meta) -> u32`: the address to access, or 0 after
/// recording a fault. `meta = len | write << 4 | pc << 8`.
pub const RT_MEM: u16 = 144;
/// `rt_helper(ctx, pc) -> u32`: runs `call imm` / `callx` at `pc`; returns a status,
/// [`STATUS_CONTINUE`] to go on.
pub const RT_HELPER: u16 = 148;
/// `rt_alu(ctx, pc) -> u32`: applies the ALU instruction at `pc` to `ctx.regs`.
pub const RT_ALU: u16 = 152;
/// `rt_call(ctx, pc) -> u32`: enters a bpf-to-bpf call (saves r6-r10, new frame).
pub const RT_CALL: u16 = 156;
/// `rt_ret(ctx) -> u32`: leaves a call (restores r6-r10 in `ctx.regs`); generated
/// code then returns to the call site itself.
pub const RT_RET: u16 = 160;
/// `rt_atomic(ctx, pc) -> u32`: runs the atomic instruction at `pc`.
pub const RT_ATOMIC: u16 = 164;
/// `saved_sp: u32`: the stack pointer after the prologue, so that a fault deep in
/// bpf-to-bpf calls leaves with the right frame.
pub const SAVED_SP: u16 = 168;
/// `windows: [[[(u32, u32); 4]; 4]; 2]`, indexed by [write][region][size]: the
/// region's base and `size - len + 1` (0 when no access of that length fits, or the
/// region is absent or, for writes, read-only). An access of `len` bytes at `a` is
/// inside when `a - base < limit` (unsigned). Misses go to `rt_mem`, which knows every
/// region, so a window only needs to be right when it says yes.
pub const WINDOWS: u16 = 172;
/// Regions with a window, in table order.
pub const WINDOW_REGIONS: [vm::RegionKind; 4] =
    [vm::RegionKind::Input, vm::RegionKind::Rodata, vm::RegionKind::Data, vm::RegionKind::Stack];
/// Access lengths with a window, in table order.
pub const WINDOW_LENS: [u32; 4] = [1, 2, 4, 8];
/// `learned: [[(u32, u32); 4]; 2]`, indexed by [write][size]: a window as above, of
/// the region the last access that missed its window hit (`rt_mem` fills it), for
/// accesses whose region the analysis could not tell (a pointer reloaded from the
/// stack, say): like the interpreter's last-region cache.
pub const LEARNED: u16 = WINDOWS + 2 * 4 * 4 * 8;
/// Size of the part of `Ctx` generated code knows about.
pub const CTX_SIZE: u16 = LEARNED + 2 * 4 * 8;

/// The offset of one window entry in `Ctx`.
pub const fn window(write: bool, region: usize, len_index: usize) -> u16 {
    WINDOWS + ((write as u16 * 4 + region as u16) * 4 + len_index as u16) * 8
}

/// The offset of one learned window in `Ctx`.
pub const fn learned(write: bool, len_index: usize) -> u16 {
    LEARNED + (write as u16 * 4 + len_index as u16) * 8
}

pub const STATUS_CONTINUE: u32 = 0;
pub const STATUS_EXIT: u32 = 0;
pub const STATUS_FAULT: u32 = 1;
pub const STATUS_BUDGET: u32 = 2;
/// From `rt_helper`: the helper ended the program (e.g. `unwind`); r0 is set.
pub const STATUS_HELPER_EXIT: u32 = 3;

/// `meta` flag of `rt_mem` for a write.
pub const MEM_WRITE: u32 = 1 << 4;
