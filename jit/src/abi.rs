//! The contract between generated code and the runtime that runs it.
//!
//! Generated code is `extern "C" fn(ctx: *mut Ctx) -> u32` (AAPCS). It keeps `ctx` in
//! r11, the eBPF registers in `ctx.regs` (r0 at offset 0, 8 bytes each), and calls
//! runtime functions through the pointers in `ctx`, always with `ctx` as the first
//! argument. The runtime defines `Ctx` with exactly these offsets (it asserts them).
//!
//! Return value: [`STATUS_EXIT`] (r0 of the program is in `ctx.regs[0]`),
//! [`STATUS_FAULT`] (the runtime recorded the fault), [`STATUS_BUDGET`] (the
//! backward-branch budget ran out).

/// `regs: [u64; 16]`.
pub const REGS: u16 = 0;
/// `budget: u32`: backward branches and calls left.
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
/// `rt_ret(ctx) -> u32`: leaves a call; returns the code address (Thumb bit set) of
/// the instruction after the call.
pub const RT_RET: u16 = 160;
/// `rt_atomic(ctx, pc) -> u32`: runs the atomic instruction at `pc`.
pub const RT_ATOMIC: u16 = 164;
/// `in_base: u32`, `in_size: u32`: the input region, checked inline (other regions
/// go through `rt_mem`); size 0 when there is none.
pub const IN_BASE: u16 = 168;
pub const IN_SIZE: u16 = 172;
/// `ro_size: u32`: the size of `.rodata` (which starts at `rodata_base`), checked
/// inline for loads; 0 when there is none.
pub const RO_SIZE: u16 = 176;
/// Size of the part of `Ctx` generated code knows about.
pub const CTX_SIZE: u16 = 180;

pub const STATUS_CONTINUE: u32 = 0;
pub const STATUS_EXIT: u32 = 0;
pub const STATUS_FAULT: u32 = 1;
pub const STATUS_BUDGET: u32 = 2;
/// From `rt_helper`: the helper ended the program (e.g. `unwind`); r0 is set.
pub const STATUS_HELPER_EXIT: u32 = 3;

/// `meta` flag of `rt_mem` for a write.
pub const MEM_WRITE: u32 = 1 << 4;
