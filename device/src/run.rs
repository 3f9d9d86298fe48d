//! What every engine's run shares: the buffers a program runs in, the failures a run
//! reports, and [`Run`], one run handed to the platform's engines.
use alloc::string::ToString;
use alloc::vec::Vec;

use proto::{Costs, Failure, FailureKind};
use vm::image::Image;
use vm::memory::Region;
use vm::{HelperSet, Memory, RegionKind, VmErrorKind};

use crate::Platform;

/// Budget when the request gives none.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

pub fn failure(kind: FailureKind, pc: Option<usize>, message: impl ToString) -> Failure {
    Failure { kind, pc: pc.map(|p| p as u32), message: message.to_string() }
}

pub fn unsupported(message: &str) -> Failure {
    failure(FailureKind::Unsupported, None, message)
}

/// Costs with the platform's clock figures, before anything is measured.
pub fn costs<P: Platform>() -> Costs {
    Costs { core_clock_hz: P::CORE_CLOCK_HZ, insns_per_count: P::INSNS_PER_COUNT, ..Costs::default() }
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

/// The engine a run goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Interp,
    Jit,
}

/// One run of a loaded, verified program, for [`Platform::execute`].
pub struct Run<'r, 'm, C> {
    pub engine: Engine,
    pub image: &'r Image,
    /// The compiled code, for [`Engine::Jit`].
    pub code: Option<&'r C>,
    pub memory: Memory<'m>,
    pub allowed: HelperSet,
    /// Instructions allowed; 0 for [`DEFAULT_BUDGET`].
    pub budget: u64,
    /// The slot whose key-value namespace the helpers use.
    pub slot: u8,
    /// Set when the program answers a CoAP request through the CoAP helpers.
    pub coap: Option<&'r mut CoapResponse>,
    pub costs: &'r mut Costs,
}

/// What a program answering a CoAP request has set through the CoAP helpers.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoapResponse {
    /// The response code (RFC 7252 §12.1: class << 5 | detail), once set.
    pub code: Option<u8>,
    pub format: Option<u16>,
    /// Address of the response buffer (returned by `coap_get_pdu`).
    pub buf: u64,
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
