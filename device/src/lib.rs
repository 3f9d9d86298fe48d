//! The device's request handling, apart from any board: the CoAP server's message
//! step with its caches ([`server`]), the OSCORE gate and EDHOC ([`security`]), the
//! mbpf API's routes and handlers ([`api`]), µBPF's endpoints ([`microbpf`]), program
//! slots with signed pulls ([`slots`]), the state kept across resets ([`persist`]) and
//! the bookkeeping of the heap's scratch block ([`scratch`]).
//!
//! Everything here sees the device through [`Platform`]: its clock, console, heap,
//! the way to the file server, the engines that run programs and the tasks that run
//! them in the background. The firmware implements it on a board (embassy, the link,
//! the JIT's Thumb-2 code); host tests and the fuzzer implement it with a fake clock
//! and a fake file server, so the same router and handlers that face the network on
//! the device run, and are fuzzed, on the host (as smoltcp keeps its wire layer apart
//! from I/O).
#![no_std]

extern crate alloc;

pub mod api;
#[cfg(feature = "fake")]
pub mod fake;
#[cfg(feature = "microbpf-api")]
pub mod microbpf;
pub mod persist;
pub mod run;
pub mod scratch;
pub mod security;
pub mod server;
pub mod slots;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use proto::{Costs, Failure, RunningInfo};
use vm::image::{Image, ImageError, Layout};
use vm::HelperSet;

pub use proto::markers::Phase;

/// What one measured region cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measured {
    /// Core-clock counts (SysTick).
    pub counts: u64,
    /// Core cycles from the core's cycle counter, where it runs.
    pub cycles: Option<u64>,
}

impl Measured {
    /// Writes the cost into the fields of `phase` (a native run's are the run's).
    pub fn record(self, phase: Phase, costs: &mut Costs) {
        let (counts, cycles) = match phase {
            Phase::Load => (&mut costs.load_counts, &mut costs.load_cycles),
            Phase::Verify => (&mut costs.verify_counts, &mut costs.verify_cycles),
            Phase::Compile => (&mut costs.compile_counts, &mut costs.compile_cycles),
            Phase::Exec | Phase::Native => (&mut costs.exec_counts, &mut costs.exec_cycles),
        };
        (*counts, *cycles) = (self.counts, self.cycles);
    }
}
pub use run::{Buffers, CoapResponse, Run};
pub use server::Device;

/// Program slots on every board.
pub const SLOT_COUNT: usize = 4;

/// What a build of the device trusts and how much it holds: the board's settings and
/// the keys and credentials it was built with.
pub struct Config {
    /// Ed25519 public keys whose manifests are accepted.
    pub trusted_keys: &'static [[u8; 32]],
    /// The device's EDHOC static key (P-256) and its credential (CCS).
    pub edhoc_key: [u8; 32],
    pub edhoc_credential: &'static [u8],
    /// The credentials of the clients allowed to manage the device.
    pub edhoc_clients: &'static [&'static [u8]],
    /// The largest image a slot holds.
    pub max_image: usize,
    /// Heap that must stay free after a pull, for requests, answers and runs.
    pub heap_reserve: usize,
}

/// Why a file could not be fetched from the file server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    BadUri,
    Timeout,
    /// The server answered with an error code (its class and detail).
    Status(u8, u8),
    TooLarge,
    Malformed,
    Socket,
}

impl FetchError {
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::BadUri => "bad URI (want coap://ADDRESS:PORT/PATH)",
            FetchError::Timeout => "the file server did not answer",
            FetchError::Status(..) => "the file server refused the request",
            FetchError::TooLarge => "the file is larger than allowed",
            FetchError::Malformed => "malformed answer from the file server",
            FetchError::Socket => "no socket available",
        }
    }
}

/// Why a background program did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    AlreadyRunning,
    NoTask,
}

/// The device below the request handling: what a board (or a host fake) provides.
// One thread-mode executor runs every future on the device: no `Send` bounds.
#[allow(async_fn_in_trait)]
pub trait Platform {
    /// JIT-compiled code of one image, kept with its slot.
    type Code;

    /// The core clock's rate and guest instructions per count (reported with costs).
    const CORE_CLOCK_HZ: u32;
    const INSNS_PER_COUNT: u32;

    /// The core clock, in counts since boot.
    fn now(&self) -> u64;
    /// A line on the console.
    fn log(&self, line: fmt::Arguments<'_>);
    /// Heap bytes free.
    fn heap_free(&self) -> usize;
    /// Runs `f` as the measured `phase` and returns what it cost.
    fn measure<R>(&self, phase: Phase, f: impl FnOnce() -> R) -> (R, Measured);
    /// Loads an image, measured. (A board may load into scratch memory and copy the
    /// image out, so that the count does not depend on the heap's history.)
    fn load(&self, layout: Layout, bytes: &[u8]) -> (Result<Image, ImageError>, Measured) {
        self.measure(Phase::Load, || Image::load(layout, bytes))
    }
    /// Verifies a program, measured (in scratch memory too, where a board has it).
    fn verify(&self, program: &vm::Program, allowed: &HelperSet) -> (Result<(), vm::VerifyError>, Measured) {
        self.measure(Phase::Verify, || vm::verify(program, allowed))
    }
    /// Fetches a whole file (blockwise), refusing one longer than `max` bytes.
    async fn fetch(&mut self, uri: &str, max: usize) -> Result<Vec<u8>, FetchError>;
    /// RAM kept across warm resets, if the board keeps any ([`persist`]).
    fn persist_area(&mut self) -> Option<&mut [u8]>;
    /// What `/info` says of the board and build (slots and boot count are added here).
    fn info(&self) -> proto::Info;

    /// Compiles an image to machine code.
    fn compile(&mut self, image: &Image, costs: &mut Costs) -> Result<Self::Code, Failure>;
    /// Runs a program once on the interpreter, or on its compiled code.
    fn execute(&mut self, run: Run<'_, '_, Self::Code>) -> Result<u64, Failure>;
    /// Runs a program on the `rbpf` crate's interpreter, where the build has it.
    fn execute_rbpf(&mut self, _image: &Image, _buffers: &mut Buffers, _costs: &mut Costs) -> Result<u64, Failure> {
        Err(run::unsupported("this firmware has no rbpf engine (build with feature `bench`)"))
    }

    /// Starts a program in the background; one per slot at a time.
    fn start(
        &mut self,
        slot: u8,
        image: Arc<Image>,
        helpers: HelperSet,
        input: Vec<u8>,
        budget: u64,
    ) -> Result<(), StartError>;
    /// Asks a background program to stop; `false` if none runs in that slot.
    fn stop(&mut self, slot: u8) -> bool;
    /// The background programs.
    fn running(&self) -> Vec<RunningInfo>;
    /// Sets an emulated sensor's reading; `false` if there is no such sensor.
    fn set_sensor(&mut self, index: u8, value: i16) -> bool;
    /// Resets the device once the current answer is out (`POST /reset`).
    fn request_reset(&mut self);

    /// `POST /run`: an unsigned image from the request, run once.
    #[cfg(feature = "unsigned-run")]
    fn run_unsigned(&mut self, request: proto::RunRequest) -> proto::RunResponse;
    /// `POST /native`: a native benchmark kernel.
    #[cfg(feature = "bench")]
    fn native(&mut self, request: &proto::NativeRequest) -> proto::RunResponse;
}

/// Writes a line on the platform's console: `log!(platform, "...", args)`.
#[macro_export]
macro_rules! log {
    ($platform:expr, $($arg:tt)*) => {
        $crate::Platform::log(&*$platform, format_args!($($arg)*))
    };
}
