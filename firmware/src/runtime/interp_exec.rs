//! The interpreter's runner, and what every engine shares: load → verify → execute,
//! with each phase's cost read from SysTick; `POST /run`'s unsigned images.
use crate::markers::{self, measure};
use alloc::string::ToString;
use alloc::vec::Vec;

use proto::{Costs, Failure, FailureKind};
use vm::image::Image;
use vm::memory::Region;
use vm::{HelperSet, Memory, RegionKind, Vm, VmErrorKind};

use super::helpers::DeviceHelpers;
#[cfg(feature = "unsigned-run")]
use super::helpers::Namespace;

/// Budget when the request gives none.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

fn failure(kind: FailureKind, pc: Option<usize>, message: impl ToString) -> Failure {
    Failure { kind, pc: pc.map(|p| p as u32), message: message.to_string() }
}

pub fn unsupported(message: &str) -> Failure {
    failure(FailureKind::Unsupported, None, message)
}

pub fn costs() -> Costs {
    Costs {
        core_clock_hz: crate::board::SYSTICK_HZ,
        insns_per_count: crate::board::INSNS_PER_COUNT,
        ..Costs::default()
    }
}

pub fn vm_failure(e: &vm::VmError) -> Failure {
    let kind = match e.kind {
        VmErrorKind::Memory(_) => FailureKind::Memory,
        VmErrorKind::BudgetExhausted => FailureKind::Budget,
        VmErrorKind::CallDepthExceeded(_) => FailureKind::CallDepth,
        VmErrorKind::HelperNotAllowed(_) | VmErrorKind::Helper { .. } => FailureKind::Helper,
        _ => FailureKind::Other,
    };
    failure(kind, Some(e.pc), &e.kind)
}

/// Loads and verifies an image; the costs of both phases go into `costs`.
#[cfg(feature = "unsigned-run")]
pub fn load(layout: u8, bytes: &[u8], allowed: &HelperSet, costs: &mut Costs) -> Result<Image, Failure> {
    use vm::image::{ImageError, Layout};
    let layout = Layout::from_id(layout).ok_or_else(|| failure(FailureKind::BadRequest, None, "unknown layout id"))?;
    let (image, load_counts) = measure(markers::Phase::Load, || Image::load(layout, bytes));
    let image = image.map_err(|e: ImageError| failure(FailureKind::Load, None, e))?;
    let (verified, verify_counts) = measure(markers::Phase::Verify, || vm::verify(&image.program, allowed));
    costs.load_counts = load_counts;
    costs.verify_counts = verify_counts;
    verified.map_err(|e| failure(FailureKind::Verify, Some(e.pc), e.kind))?;
    Ok(image)
}

/// The buffers of one run: the stack, a copy of `.data`, and the input.
pub struct Buffers {
    pub stack: Vec<u8>,
    pub data: Vec<u8>,
    pub input: Vec<u8>,
}

impl Buffers {
    /// Fresh buffers for `image` (fallible: out of memory is an answer, not a crash).
    pub fn for_image(image: &Image, input: Vec<u8>) -> Result<Self, Failure> {
        let mut b = Self { stack: Vec::new(), data: Vec::new(), input };
        b.prepare(image)?;
        Ok(b)
    }

    /// Sizes and clears the stack and `.data` for `image`, reusing the allocations.
    pub fn prepare(&mut self, image: &Image) -> Result<(), Failure> {
        let oom = |_| failure(FailureKind::OutOfMemory, None, "out of memory");
        let stack = vm::interp::stack_size_for(&image.program);
        self.stack.clear();
        self.stack.try_reserve_exact(stack).map_err(oom)?;
        self.stack.resize(stack, 0);
        self.data.clear();
        self.data.try_reserve_exact(image.data.len()).map_err(oom)?;
        self.data.extend_from_slice(&image.data);
        Ok(())
    }

    /// The program's memory: stack first (the most used region), then input, `.data`
    /// and `.rodata`.
    pub fn memory<'a>(&'a mut self, image: &'a Image) -> Memory<'a> {
        let mut memory = Memory::new().with(Region::read_write(RegionKind::Stack, &mut self.stack));
        if !self.input.is_empty() {
            memory.add(Region::read_write(RegionKind::Input, &mut self.input));
        }
        if !self.data.is_empty() {
            memory.add(Region::read_write(RegionKind::Data, &mut self.data));
        }
        if !image.rodata.is_empty() {
            memory.add(Region::read_only(RegionKind::Rodata, &image.rodata));
        }
        memory
    }
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
    let (result, counts) = measure(markers::Phase::Exec, || vm.run());
    costs.exec_counts = counts;
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
    let mut costs = costs();
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
