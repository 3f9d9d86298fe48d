//! Running JIT-compiled programs: the runtime side of `jit::abi`.
//!
//! The generated code calls back into the functions below for memory checks, helpers,
//! the ALU operations it does not inline, atomics and bpf-to-bpf calls. Each callback
//! applies the interpreter's own rules (`vm::Memory`, `vm::interp::apply_*`), so the two
//! engines agree. This is the only module besides the drivers with `unsafe` code:
//! calling generated code, and reaching the run's state from a callback through the
//! `ctx` pointer the generated code passes back.
use crate::markers::{measure, Phase};
use alloc::vec::Vec;

use jit::abi;
use proto::{Costs, Failure, FailureKind};
use vm::image::Image;
use vm::memory::{Access, MemFault};
use vm::opcode::{CALL_REG, MODE_ATOMIC};
use vm::{
    HelperError, HelperSet, Helpers, Insn, Memory, RegionKind, VmError, VmErrorKind, MAX_CALL_DEPTH, STACK_FRAME_SIZE,
};

use super::helpers::{self, DeviceHelpers, HELPERS};

/// Machine code ready to run, run where the compiler left it (Thumb code needs
/// halfword alignment, which every heap block has; checked before running).
pub struct Code {
    bytes: Vec<u8>,
    /// The `.rodata`/`.data` sizes it was compiled for: accesses proven inside them
    /// are not checked, so it must only run with regions of exactly these sizes.
    sizes: jit::Sizes,
}

impl Code {
    /// Bytes of machine code.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

/// Compiles a program, measuring the cost. The compiler takes what heap it needs and
/// fails softly (`OutOfMemory`) when there is not enough; a compile that leaves less
/// than a run needs is refused the same way.
pub fn compile(image: &Image, costs: &mut Costs) -> Result<Code, Failure> {
    let bytecode = image.program.insns().len() * vm::Insn::SIZE;
    let out_of_memory = || Failure {
        kind: FailureKind::OutOfMemory,
        pc: None,
        message: alloc::format!("not enough memory to compile {bytecode} bytes of bytecode"),
    };
    let sizes = jit::Sizes::of(image);
    // The compiler's tables live in a scratch block (`heap::with_scratch`): the same
    // compile costs the same whatever the heap went through before it. The code is
    // copied out, exactly as long as it is: it is kept as long as its image.
    let scratch = (SCRATCH_FIXED + SCRATCH_PER_SLOT * image.program.insns().len())
        .min(crate::heap::free().saturating_sub(RUN_RESERVE));
    let work = || measure(Phase::Compile, || jit::compile_hinted(&image.program, sizes, &image.jit_hints));
    let keep = |(compiled, cost): (Result<jit::Compiled, jit::JitError>, _), held: Option<usize>| {
        let code = compiled.and_then(|c| {
            let mut code = Vec::new();
            code.try_reserve_exact(c.code.len()).map_err(|_| jit::JitError::OutOfMemory)?;
            code.extend_from_slice(&c.code);
            Ok(code)
        });
        (code, cost, held)
    };
    // SAFETY: `keep` copies the code to the heap and drops all the compile made.
    let (compiled, cost, held) = unsafe { crate::heap::with_scratch(scratch, work, keep) };
    cost.record(Phase::Compile, costs);
    costs.compile_memory = held.and_then(|h| u32::try_from(h).ok());
    let code = match compiled {
        Ok(code) => code,
        Err(jit::JitError::OutOfMemory) => return Err(out_of_memory()),
        Err(e) => return Err(Failure { kind: FailureKind::Unsupported, pc: None, message: alloc::format!("{e}") }),
    };
    if crate::heap::free() < RUN_RESERVE {
        return Err(out_of_memory());
    }
    costs.code_size = code.len() as u32;
    Ok(Code { bytes: code, sizes })
}

/// Heap a compile must leave free: the run's stack, data and input, and the answer.
const RUN_RESERVE: usize = 16 * 1024;

/// The scratch block a compile asks for: its tables take about this much a slot, and
/// the code buffer and fixed tables the rest. (A compile that needs more takes the
/// rest from the heap.)
const SCRATCH_PER_SLOT: usize = 128;
const SCRATCH_FIXED: usize = 4 * 1024;

#[derive(Clone, Copy)]
struct Frame {
    saved: [u64; 5],
}

/// What the callbacks need. Lifetimes are erased to 'static while the code runs; the
/// value lives on `execute`'s stack frame for exactly that time.
struct Env {
    memory: Memory<'static>,
    helpers: &'static mut DeviceHelpers,
    allowed: HelperSet,
    insns: &'static [Insn],
    frames: Vec<Frame>,
    stack_top: u64,
    error: Option<VmError>,
}

/// The runtime's context: the one generated code knows ([`abi::Context`]) first, the
/// runtime's own state after it.
#[repr(C)]
struct Ctx {
    jit: abi::Context,
    env: *mut Env,
}

const _: () = assert!(core::mem::offset_of!(Ctx, jit) == 0);

impl core::ops::Deref for Ctx {
    type Target = abi::Context;

    fn deref(&self) -> &abi::Context {
        &self.jit
    }
}

impl core::ops::DerefMut for Ctx {
    fn deref_mut(&mut self) -> &mut abi::Context {
        &mut self.jit
    }
}

fn parts(ctx: *mut Ctx) -> (&'static mut Ctx, &'static mut Env) {
    // SAFETY: generated code passes back the `ctx` that `execute` gave it; `ctx` and the
    // `Env` it points to live on `execute`'s stack until the code returns, and the code
    // runs on this one thread, so nothing else holds a reference meanwhile.
    unsafe {
        let c = &mut *ctx;
        let e = &mut *c.env;
        (c, e)
    }
}

fn fail(env: &mut Env, pc: usize, kind: VmErrorKind) -> u32 {
    env.error = Some(VmError { pc, kind });
    abi::STATUS_FAULT
}

extern "C" fn rt_mem(ctx: *mut Ctx, lo: u32, hi: u32, meta: u32) -> u32 {
    let (c, env) = parts(ctx);
    let (len, write, pc) = ((meta & 0xf) as u64, meta & abi::MEM_WRITE != 0, (meta >> 8) as usize);
    let addr = lo as u64 | (hi as u64) << 32;
    let ok = if write { env.memory.slice_mut(addr, len).is_ok() } else { env.memory.slice(addr, len).is_ok() };
    if ok && lo != 0 {
        // Learn the region's window for this length and direction: the next access
        // there that the analysis could not place checks inline.
        if let (Some(r), Some(k)) = (
            env.memory.regions().iter().find(|r| addr.wrapping_sub(r.base()) < r.len() as u64),
            abi::WINDOW_LENS.iter().position(|&l| l as u64 == len),
        ) {
            c.learned[write as usize][k] = window_entry(r, len as u32);
        }
        lo
    } else {
        let access = if write { Access::Write } else { Access::Read };
        fail(env, pc, VmErrorKind::Memory(MemFault { addr, len, access }));
        0
    }
}

/// A helper's entry from generated code: `rt_helper`, or one for a single helper.
type HelperEntry = extern "C" fn(*mut Ctx, u32) -> u32;

/// Any helper call: the id read from the instruction at `pc` (`callx`'s register, or
/// an id with no entry of its own).
extern "C" fn rt_helper(ctx: *mut Ctx, pc: u32) -> u32 {
    let (c, env) = parts(ctx);
    let pc = pc as usize;
    let Some(&i) = env.insns.get(pc) else { return fail(env, pc, VmErrorKind::InvalidInstruction(0)) };
    let id = if i.opc == CALL_REG { c.regs[i.dst() as usize] } else { i.imm as u32 as u64 };
    if id > u32::MAX as u64 || !env.allowed.contains(id as u32) {
        return not_allowed(env, pc, id);
    }
    let [_, args @ .., _, _, _, _, _, _, _, _, _, _] = &c.regs;
    let result = env.helpers.call(id as u32, args, &mut env.memory);
    finish(c, env, pc, id as u32, result)
}

/// The entry of helper `ID`: `rt_helper` with the id and the function known, so
/// nothing is decoded or dispatched (`HELPER_ENTRIES` has it only if `HELPERS` does).
extern "C" fn helper_entry<const ID: u32>(ctx: *mut Ctx, pc: u32) -> u32 {
    let Some(helper) = (const { HELPERS[ID as usize] }) else { return rt_helper(ctx, pc) };
    let (c, env) = parts(ctx);
    // Checked here too: a run may narrow the helpers the program was verified with.
    if !env.allowed.contains(ID) {
        return not_allowed(env, pc as usize, ID as u64);
    }
    // r1-r5 where they are (no copy): r0, five arguments, r6-r10 and the spare slots.
    let [_, args @ .., _, _, _, _, _, _, _, _, _, _] = &c.regs;
    let result = helper(env.helpers, args, &mut env.memory);
    finish(c, env, pc as usize, ID, result)
}

/// A helper's result as r0 and the status.
#[inline(always)]
fn finish(c: &mut Ctx, env: &mut Env, pc: usize, id: u32, result: Result<u64, HelperError>) -> u32 {
    match result {
        Ok(v) => {
            c.regs[0] = v;
            abi::STATUS_CONTINUE
        }
        Err(e) => helper_stopped(c, env, pc, id, e),
    }
}

/// Per helper id, its entry (`ctx.helper_entries`).
static HELPER_ENTRIES: [HelperEntry; abi::HELPER_ENTRIES] = {
    macro_rules! entries {
        ($($name:ident => $f:expr),* $(,)?) => {{
            let mut t = [rt_helper as HelperEntry; abi::HELPER_ENTRIES];
            $(t[vm::helpers::id::$name as usize] = helper_entry::<{ vm::helpers::id::$name }>;)*
            t
        }};
    }
    helpers::device_helpers!(entries)
};

// The table's length, and entry `RT_HELPER_ENTRY` left to `rt_helper`.
const _: () = assert!(HELPERS.len() == abi::HELPER_ENTRIES && HELPERS[abi::RT_HELPER_ENTRY as usize].is_none());

// (Out of line, the paths that end a run: once, not in every helper's entry.)

#[inline(never)]
fn not_allowed(env: &mut Env, pc: usize, id: u64) -> u32 {
    fail(env, pc, VmErrorKind::HelperNotAllowed(id))
}

#[inline(never)]
fn helper_stopped(c: &mut Ctx, env: &mut Env, pc: usize, id: u32, error: HelperError) -> u32 {
    match error {
        HelperError::Exit(v) => {
            c.regs[0] = v;
            abi::STATUS_HELPER_EXIT
        }
        error => fail(env, pc, VmErrorKind::Helper { id, error }),
    }
}

extern "C" fn rt_alu(ctx: *mut Ctx, pc: u32) -> u32 {
    let (c, env) = parts(ctx);
    let pc = pc as usize;
    let Some(&i) = env.insns.get(pc) else { return fail(env, pc, VmErrorKind::InvalidInstruction(0)) };
    match vm::interp::apply_alu(&mut c.regs, i) {
        Ok(()) => abi::STATUS_CONTINUE,
        Err(kind) => fail(env, pc, kind),
    }
}

extern "C" fn rt_atomic(ctx: *mut Ctx, pc: u32) -> u32 {
    let (c, env) = parts(ctx);
    let pc = pc as usize;
    let Some(&i) = env.insns.get(pc).filter(|i| i.opc & MODE_ATOMIC == MODE_ATOMIC) else {
        return fail(env, pc, VmErrorKind::InvalidInstruction(0));
    };
    match vm::interp::apply_atomic(&mut env.memory, &mut c.regs, i) {
        Ok(()) => abi::STATUS_CONTINUE,
        Err(kind) => fail(env, pc, kind),
    }
}

extern "C" fn rt_call(ctx: *mut Ctx, pc: u32) -> u32 {
    let (c, env) = parts(ctx);
    let pc = pc as usize;
    if env.frames.len() + 1 >= MAX_CALL_DEPTH {
        return fail(env, pc, VmErrorKind::CallDepthExceeded(MAX_CALL_DEPTH));
    }
    let new_r10 = c.regs[10].wrapping_add(STACK_FRAME_SIZE as u64);
    if new_r10 > env.stack_top {
        return fail(env, pc, VmErrorKind::CallDepthExceeded(env.frames.len() + 1));
    }
    env.frames.push(Frame { saved: [c.regs[6], c.regs[7], c.regs[8], c.regs[9], c.regs[10]] });
    c.regs[10] = new_r10;
    c.depth += 1;
    abi::STATUS_CONTINUE
}

extern "C" fn rt_ret(ctx: *mut Ctx) -> u32 {
    let (c, env) = parts(ctx);
    // Generated code calls this only at depth > 0, so a frame is there.
    let f = env.frames.pop().unwrap_or(Frame { saved: [0; 5] });
    c.regs[6..11].copy_from_slice(&f.saved);
    c.depth = c.depth.saturating_sub(1);
    abi::STATUS_CONTINUE
}

/// One window: the region's base and `size - len + 1` (0 when nothing of `len` fits).
fn window_entry(region: &vm::Region, len: u32) -> [u32; 2] {
    [region.base() as u32, (region.len() as u32 + 1).saturating_sub(len)]
}

/// The inline-check table: for each region with a window, its base and, per access
/// length, `size - len + 1` (0: nothing of that length fits, or a write to a
/// read-only region).
fn windows(memory: &Memory) -> [[[[u32; 2]; 4]; 4]; 2] {
    let mut t = [[[[0u32; 2]; 4]; 4]; 2];
    for (write, table) in t.iter_mut().enumerate() {
        for (kind, row) in abi::WINDOW_REGIONS.iter().zip(table.iter_mut()) {
            let Some(region) = memory.region(*kind) else { continue };
            if write == 1 && !region.is_writable() {
                continue;
            }
            for (len, entry) in abi::WINDOW_LENS.iter().zip(row.iter_mut()) {
                *entry = window_entry(region, *len);
            }
        }
    }
    t
}

/// What compiled code assumes of the run's memory: `.rodata` and `.data` of the sizes
/// it was compiled for, and every region at least `jit::analysis::OFF_LIMIT` bytes
/// (plus a frame) away from both ends of the address space, so that pointers the
/// analysis tracks never wrap. Always so in RAM; refused otherwise, never assumed.
fn layout_fits(memory: &Memory, sizes: jit::Sizes) -> Result<(), Failure> {
    let len = |k| memory.region(k).map(|r| r.len()).unwrap_or(0) as u32;
    let margin = jit::analysis::OFF_LIMIT as u64 + STACK_FRAME_SIZE as u64;
    let far = memory.regions().iter().all(|r| r.base() >= margin && r.base() + r.len() as u64 + margin <= 1 << 32);
    if len(RegionKind::Rodata) != sizes.rodata || len(RegionKind::Data) != sizes.data || !far {
        return Err(Failure {
            kind: FailureKind::Other,
            pc: None,
            message: "memory layout differs from the one the code was compiled for".into(),
        });
    }
    Ok(())
}

/// Runs compiled code once: the same memory, helpers and budget rules as the
/// interpreter's `interp_exec::execute` (the budget counts backward jumps and calls).
pub fn execute(
    image: &Image,
    code: &Code,
    memory: Memory<'_>,
    allowed: HelperSet,
    budget: u64,
    helpers: &mut DeviceHelpers,
    costs: &mut Costs,
) -> Result<u64, Failure> {
    costs.code_size = code.len() as u32;
    let base_of = |m: &Memory, k| m.region(k).map(|r| r.base()).unwrap_or(0);
    let (stack_base, stack_len) =
        memory.region(RegionKind::Stack).map(|r| (r.base(), r.len() as u64)).unwrap_or((0, 0));
    let (input_base, input_len) =
        memory.region(RegionKind::Input).map(|r| (r.base(), r.len() as u64)).unwrap_or((0, 0));
    let mut regs = [0u64; 16];
    regs[1] = input_base;
    regs[2] = input_len;
    regs[10] = stack_base + stack_len.min(STACK_FRAME_SIZE as u64);
    let (data_base, rodata_base) =
        (base_of(&memory, RegionKind::Data) as u32, base_of(&memory, RegionKind::Rodata) as u32);

    layout_fits(&memory, code.sizes)?;

    let code_base = code.bytes.as_ptr() as usize as u32;
    if code_base & 1 != 0 {
        return Err(Failure {
            kind: FailureKind::Other,
            pc: None,
            message: "compiled code is not halfword-aligned".into(),
        });
    }
    // Room for every frame up front: `rt_call` runs inside the compiled code, where
    // an allocation must not fail.
    let mut frames = Vec::new();
    frames.try_reserve_exact(MAX_CALL_DEPTH).map_err(|_| Failure {
        kind: FailureKind::OutOfMemory,
        pc: None,
        message: "out of memory".into(),
    })?;
    // SAFETY: lifetimes are erased only for the duration of the call below; `env`,
    // `memory`'s buffers, `helpers`, `image` and `code` all outlive it.
    let mut env = unsafe {
        Env {
            memory: core::mem::transmute::<Memory<'_>, Memory<'static>>(memory),
            helpers: core::mem::transmute::<&mut DeviceHelpers, &'static mut DeviceHelpers>(helpers),
            allowed,
            insns: core::mem::transmute::<&[Insn], &'static [Insn]>(image.program.insns()),
            frames,
            stack_top: stack_base + stack_len,
            error: None,
        }
    };
    // The runtime functions go in as their code addresses (Thumb bit set).
    let mut ctx = Ctx {
        jit: abi::Context {
            regs,
            budget: if budget == 0 { u32::MAX } else { budget.min(u32::MAX as u64) as u32 },
            depth: 0,
            data_base,
            rodata_base,
            rt_mem: rt_mem as *const () as usize as u32,
            helper_entries: HELPER_ENTRIES.as_ptr() as usize as u32,
            rt_alu: rt_alu as *const () as usize as u32,
            rt_call: rt_call as *const () as usize as u32,
            rt_ret: rt_ret as *const () as usize as u32,
            rt_atomic: rt_atomic as *const () as usize as u32,
            saved_sp: 0,
            windows: windows(&env.memory),
            learned: [[[0; 2]; 4]; 2],
        },
        env: &mut env,
    };
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    // SAFETY: `code` holds Thumb-2 code that the JIT compiled from a verified program;
    // it follows the AAPCS, touches memory only through `ctx` and addresses `rt_mem`
    // approved, and returns a status. The Thumb bit makes the call enter Thumb state.
    let entry: extern "C" fn(*mut Ctx) -> u32 = unsafe { core::mem::transmute((code_base | 1) as usize) };
    let (status, cost) = measure(Phase::Exec, || entry(&mut ctx));
    cost.record(Phase::Exec, costs);
    match status {
        abi::STATUS_EXIT => Ok(ctx.regs[0]),
        abi::STATUS_BUDGET => {
            Err(Failure { kind: FailureKind::Budget, pc: None, message: "instruction budget exhausted".into() })
        }
        _ => Err(match env.error.take() {
            Some(e) => device::run::vm_failure(&e),
            None => Failure { kind: FailureKind::Other, pc: None, message: "JIT code stopped without a reason".into() },
        }),
    }
}
