//! Load → verify → execute, with each phase's cost read from SysTick.
use alloc::string::ToString;
use alloc::vec::Vec;

use proto::{Costs, Failure, FailureKind};
use vm::image::Image;
use vm::memory::Region;
use vm::{HelperSet, Memory, RegionKind, Vm, VmErrorKind};

use super::helpers::{DeviceHelpers, Namespace};
use crate::time_driver::core_clock_counts;

/// Budget when the request gives none.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

fn failure(kind: FailureKind, pc: Option<usize>, message: impl ToString) -> Failure {
    Failure { kind, pc: pc.map(|p| p as u32), message: message.to_string() }
}

pub fn costs() -> Costs {
    Costs { core_clock_hz: crate::board::SYSTICK_HZ, insns_per_count: crate::board::INSNS_PER_COUNT, ..Costs::default() }
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

/// Buffers whose size the program or request decides are reserved fallibly, so
/// running out of heap is an answer, not a crash.
pub fn zeroed(len: usize) -> Result<Vec<u8>, Failure> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| failure(FailureKind::OutOfMemory, None, "out of memory"))?;
    v.resize(len, 0);
    Ok(v)
}

/// Loads and verifies an image; the costs of both phases go into `costs`.
#[cfg(feature = "unsigned-run")]
pub fn load(layout: u8, bytes: &[u8], allowed: &HelperSet, costs: &mut Costs) -> Result<Image, Failure> {
    use vm::image::{ImageError, Layout};
    let layout = Layout::from_id(layout).ok_or_else(|| failure(FailureKind::BadRequest, None, "unknown layout id"))?;
    let t0 = core_clock_counts();
    let image = Image::load(layout, bytes).map_err(|e: ImageError| failure(FailureKind::Load, None, e))?;
    let t1 = core_clock_counts();
    crate::markers::verify_begin();
    let verified = vm::verify(&image.program, allowed);
    crate::markers::verify_end();
    let t2 = core_clock_counts();
    costs.load_counts = t1 - t0;
    costs.verify_counts = t2 - t1;
    verified.map_err(|e| failure(FailureKind::Verify, Some(e.pc), e.kind))?;
    Ok(image)
}

/// Runs a loaded image once on the interpreter.
pub fn execute(image: &Image, input: &mut [u8], allowed: HelperSet, budget: u64, namespace: Namespace, costs: &mut Costs) -> Result<u64, Failure> {
    let mut stack = zeroed(vm::interp::stack_size_for(&image.program))?;
    let mut data = zeroed(image.data.len())?;
    data.copy_from_slice(&image.data);
    let mut memory = Memory::new().with(Region::read_write(RegionKind::Stack, &mut stack));
    if !input.is_empty() {
        memory.add(Region::read_write(RegionKind::Input, input));
    }
    if !data.is_empty() {
        memory.add(Region::read_write(RegionKind::Data, &mut data));
    }
    if !image.rodata.is_empty() {
        memory.add(Region::read_only(RegionKind::Rodata, &image.rodata));
    }
    let mut helpers = DeviceHelpers { namespace };
    let budget = if budget == 0 { DEFAULT_BUDGET } else { budget };
    let mut vm = Vm::new(&image.program, memory, &mut helpers, allowed).with_budget(budget);
    costs.code_size = (image.program.insns().len() * vm::Insn::SIZE) as u32;
    let t0 = core_clock_counts();
    crate::markers::exec_begin();
    let result = vm.run();
    crate::markers::exec_end();
    costs.exec_counts = core_clock_counts() - t0;
    costs.executed = vm.executed();
    result.map_err(|e| vm_failure(&e))
}

/// `POST /run`: an unsigned image from the request, run once.
#[cfg(feature = "unsigned-run")]
pub fn run_request(req: proto::RunRequest) -> proto::RunResponse {
    let mut costs = costs();
    let allowed = HelperSet::from_ids(req.helpers.iter().map(|&h| h as u32));
    let outcome = (|| {
        let image = load(req.layout, &req.image, &allowed, &mut costs)?;
        let mut input = req.input;
        match req.engine {
            proto::Engine::Interp => execute(&image, &mut input, allowed, req.budget, Namespace::Scratch, &mut costs),
            proto::Engine::Jit => {
                let code = super::jit_exec::compile(&image, &mut costs)?;
                super::jit_exec::execute(&image, &code, &mut input, allowed, req.budget, Namespace::Scratch, &mut costs)
            }
        }
    })();
    match outcome {
        Ok(r0) => proto::RunResponse { result: Some(r0), failure: None, costs },
        Err(f) => proto::RunResponse { result: None, failure: Some(f), costs },
    }
}
