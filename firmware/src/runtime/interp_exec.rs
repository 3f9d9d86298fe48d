//! The interpreter's runner (each phase's cost read from SysTick), and `POST /run`'s
//! unsigned images. What every engine shares is `device::run`.
use crate::markers::{self, measure};
#[cfg(feature = "unsigned-run")]
use alloc::vec::Vec;

#[cfg(feature = "unsigned-run")]
use proto::FailureKind;
use proto::{Costs, Failure};
use vm::image::{Image, ImageError, Layout};
use vm::{HelperSet, Memory, Vm};

use super::helpers::DeviceHelpers;
#[cfg(feature = "unsigned-run")]
use super::helpers::Namespace;

#[cfg(feature = "unsigned-run")]
use device::run::{costs, failure, unsupported, Buffers};
use device::run::{vm_failure, DEFAULT_BUDGET};

/// Loads an image into a scratch block (`heap::with_scratch`), measured, and copies it
/// out: the count is the same whatever the heap went through before.
pub fn load_image(layout: Layout, bytes: &[u8]) -> (Result<Image, ImageError>, device::Measured) {
    // The copy out needs about the image's size besides the block.
    let room = crate::heap::free().saturating_sub(bytes.len() + SCRATCH_LEAVES);
    let work = || measure(markers::Phase::Load, || Image::load(layout, bytes));
    // SAFETY: `keep` clones the image or its error (owned vectors and strings, copied
    // deep) onto the heap and drops what the load made.
    unsafe {
        crate::heap::with_scratch((SCRATCH_FIXED + 2 * bytes.len()).min(room), work, |(image, cost), _| {
            (image.clone(), cost)
        })
    }
}

/// Verifies a program with its tables in a scratch block, measured.
pub fn verify_program(program: &vm::Program, allowed: &HelperSet) -> (Result<(), vm::VerifyError>, device::Measured) {
    let room = crate::heap::free().saturating_sub(SCRATCH_LEAVES);
    let work = || measure(markers::Phase::Verify, || vm::verify(program, allowed));
    // SAFETY: the verdict holds no heap block (a slot and a kind).
    unsafe { crate::heap::with_scratch((SCRATCH_FIXED + 8 * program.insns().len()).min(room), work, |v, _| v) }
}

/// What a scratch block for loading or verifying holds besides what grows with the
/// image, and the heap it leaves to everything else (what does not fit in the block
/// comes from there).
const SCRATCH_FIXED: usize = 1024;
const SCRATCH_LEAVES: usize = 16 * 1024;

/// Loads and verifies an image; the costs of both phases go into `costs`.
#[cfg(feature = "unsigned-run")]
pub fn load(layout: u8, bytes: &[u8], allowed: &HelperSet, costs: &mut Costs) -> Result<Image, Failure> {
    let layout = Layout::from_id(layout).ok_or_else(|| failure(FailureKind::BadRequest, None, "unknown layout id"))?;
    let (image, load) = load_image(layout, bytes);
    let image = image.map_err(|e: ImageError| failure(FailureKind::Load, None, e))?;
    let (verified, verify) = verify_program(&image.program, allowed);
    load.record(markers::Phase::Load, costs);
    verify.record(markers::Phase::Verify, costs);
    verified.map_err(|e| failure(FailureKind::Verify, Some(e.pc), e.kind))?;
    Ok(image)
}

/// Runs a loaded image once on the interpreter.
pub fn execute(
    image: &Image,
    memory: Memory<'_>,
    allowed: HelperSet,
    budget: u64,
    helpers: &mut DeviceHelpers,
    costs: &mut Costs,
) -> Result<u64, Failure> {
    let budget = if budget == 0 { DEFAULT_BUDGET } else { budget };
    let mut vm = Vm::new(&image.program, memory, helpers, allowed).with_budget(budget);
    costs.code_size = (image.program.insns().len() * vm::Insn::SIZE) as u32;
    let (result, cost) = measure(markers::Phase::Exec, || vm.run());
    cost.record(markers::Phase::Exec, costs);
    costs.executed = vm.executed();
    result.map_err(|e| vm_failure(&e))
}

/// The buffers `/run` executes in, allocated once: every run of the testbed sees the
/// same addresses, whichever engine runs it, so runs can be compared byte for byte.
#[cfg(feature = "unsigned-run")]
pub struct Arena(Buffers);

#[cfg(feature = "unsigned-run")]
impl Arena {
    pub fn new() -> Self {
        let mut b = Buffers { stack: Vec::new(), data: Vec::new(), input: Vec::new() };
        b.stack.reserve_exact(vm::STACK_FRAME_SIZE * vm::MAX_CALL_DEPTH);
        b.data.reserve_exact(4096);
        b.input.reserve_exact(1536);
        Self(b)
    }
}

/// `POST /run`: an unsigned image from the request, run once.
#[cfg(feature = "unsigned-run")]
pub fn run_request(req: proto::RunRequest, arena: &mut Arena) -> proto::RunResponse {
    let mut costs = costs::<crate::platform::Board>();
    let allowed = req.helpers;
    let b = &mut arena.0;
    b.input.clear();
    let outcome = (|| {
        b.input.try_reserve(req.input.len()).map_err(|_| failure(FailureKind::OutOfMemory, None, "out of memory"))?;
        b.input.extend_from_slice(&req.input);
        let image = load(req.layout, &req.image, &allowed, &mut costs)?;
        // Compile before preparing the buffers: only their addresses must not move.
        let code = match req.engine {
            proto::Engine::Jit => Some(super::jit_exec::compile(&image, &mut costs)?),
            proto::Engine::Interp => None,
            proto::Engine::Rbpf => return Err(unsupported("/run offers the interpreter and the JIT")),
        };
        b.prepare(&image)?;
        let memory = b.memory(&image);
        let mut helpers = DeviceHelpers::new(Namespace::Scratch);
        match &code {
            None => execute(&image, memory, allowed, req.budget, &mut helpers, &mut costs),
            Some(code) => super::jit_exec::execute(&image, code, memory, allowed, req.budget, &mut helpers, &mut costs),
        }
    })();
    let input = b.input.clone();
    match outcome {
        Ok(r0) => proto::RunResponse { result: Some(r0), failure: None, costs, input },
        Err(f) => proto::RunResponse { result: None, failure: Some(f), costs, input },
    }
}
