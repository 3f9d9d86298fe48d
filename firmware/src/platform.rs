//! The device crate's [`device::Platform`] on this board: the console, SysTick, the
//! heap, pulls over the board's link, the interpreter and the JIT with the device
//! helpers, background tasks on the executor, and the RAM kept across resets. Also
//! what this build trusts ([`CONFIG`], from build.rs) and says of itself (`/info`).
use alloc::string::ToString;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

#[cfg(feature = "bench")]
use device::Buffers;
use device::{FetchError, Phase, Run, StartError};
use proto::{Costs, Failure, RunningInfo};
use vm::image::Image;
use vm::HelperSet;

use crate::board::settings::{HEAP_RESERVE, MAX_IMAGE};
use crate::runtime::helpers::{DeviceHelpers, Namespace};
use crate::runtime::{background, devices, interp_exec, jit_exec, persist};

include!(concat!(env!("OUT_DIR"), "/trusted_keys.rs"));
include!(concat!(env!("OUT_DIR"), "/edhoc_identities.rs"));

/// What this build trusts and holds.
pub static CONFIG: device::Config = device::Config {
    trusted_keys: TRUSTED_KEYS,
    edhoc_key: EDHOC_DEVICE_KEY,
    edhoc_credential: EDHOC_DEVICE_CCS,
    edhoc_clients: EDHOC_CLIENTS,
    max_image: MAX_IMAGE,
    heap_reserve: HEAP_RESERVE,
};

/// Set by `POST /reset`: the server resets the chip once the answer is out.
pub static RESET_REQUESTED: AtomicBool = AtomicBool::new(false);

/// The board under the device's request handling.
pub struct Board {
    pub net: crate::link::Net,
    pub spawner: embassy_executor::Spawner,
    /// The RAM kept across resets, taken once at boot.
    pub persist: Option<&'static mut [u8]>,
    /// The buffers of `POST /run`.
    #[cfg(feature = "unsigned-run")]
    pub arena: interp_exec::Arena,
}

impl Board {
    pub fn new(net: crate::link::Net, spawner: embassy_executor::Spawner) -> Self {
        Self {
            net,
            spawner,
            persist: persist::take_area(),
            #[cfg(feature = "unsigned-run")]
            arena: interp_exec::Arena::new(),
        }
    }
}

impl device::Platform for Board {
    type Code = jit_exec::Code;
    const CORE_CLOCK_HZ: u32 = crate::board::SYSTICK_HZ;
    const INSNS_PER_COUNT: u32 = crate::board::INSNS_PER_COUNT;

    fn now(&self) -> u64 {
        crate::time_driver::systick_counts()
    }

    fn log(&self, line: fmt::Arguments<'_>) {
        crate::println!("{line}");
    }

    fn heap_free(&self) -> usize {
        crate::heap::free()
    }

    fn measure<R>(&self, phase: Phase, f: impl FnOnce() -> R) -> (R, device::Measured) {
        crate::markers::measure(phase, f)
    }

    fn load(
        &self,
        layout: vm::image::Layout,
        bytes: &[u8],
    ) -> (Result<Image, vm::image::ImageError>, device::Measured) {
        interp_exec::load_image(layout, bytes)
    }

    fn verify(&self, program: &vm::Program, allowed: &HelperSet) -> (Result<(), vm::VerifyError>, device::Measured) {
        interp_exec::verify_program(program, allowed)
    }

    async fn fetch(&mut self, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
        crate::link::get(self.net, uri, max).await
    }

    fn persist_area(&mut self) -> Option<&mut [u8]> {
        self.persist.as_deref_mut()
    }

    fn info(&self) -> proto::Info {
        proto::Info {
            board: crate::board::NAME.to_string(),
            build_id: crate::BUILD_ID.to_string(),
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            slots: device::SLOT_COUNT as u8,
            version: env!("CARGO_PKG_VERSION").to_string(),
            addresses: crate::link::addresses(),
            memory: Some(proto::Memory {
                heap_size: crate::heap::HEAP_SIZE as u32,
                heap_free: crate::heap::free() as u32,
                stack_size: crate::stack::size() as u32,
                stack_peak: crate::stack::peak() as u32,
            }),
            boot_count: None,
        }
    }

    fn compile(&mut self, image: &Image, costs: &mut Costs) -> Result<Self::Code, Failure> {
        jit_exec::compile(image, costs)
    }

    fn execute(&mut self, run: Run<'_, '_, Self::Code>) -> Result<u64, Failure> {
        let mut helpers = DeviceHelpers::new(Namespace::Slot(run.slot));
        helpers.coap = run.coap.as_deref().copied();
        let outcome = match run.code {
            Some(code) => {
                jit_exec::execute(run.image, code, run.memory, run.allowed, run.budget, &mut helpers, run.costs)
            }
            None => interp_exec::execute(run.image, run.memory, run.allowed, run.budget, &mut helpers, run.costs),
        };
        if let (Some(out), Some(set)) = (run.coap, helpers.coap) {
            *out = set;
        }
        outcome
    }

    #[cfg(feature = "bench")]
    fn execute_rbpf(&mut self, image: &Image, buffers: &mut Buffers, costs: &mut Costs) -> Result<u64, Failure> {
        crate::runtime::rbpf_exec::execute(image, buffers, costs)
    }

    fn start(
        &mut self,
        slot: u8,
        image: Arc<Image>,
        helpers: HelperSet,
        input: Vec<u8>,
        budget: u64,
    ) -> Result<(), StartError> {
        background::start(self.spawner, slot, image, helpers, input, budget)
    }

    fn stop(&mut self, slot: u8) -> bool {
        background::stop(slot)
    }

    fn running(&self) -> Vec<RunningInfo> {
        background::list()
    }

    fn set_sensor(&mut self, index: u8, value: i16) -> bool {
        match devices::SENSORS.get(usize::from(index)) {
            Some(s) => {
                s.set(value);
                true
            }
            None => false,
        }
    }

    fn request_reset(&mut self) {
        RESET_REQUESTED.store(true, Ordering::Relaxed);
    }

    #[cfg(feature = "unsigned-run")]
    fn run_unsigned(&mut self, request: proto::RunRequest) -> proto::RunResponse {
        interp_exec::run_request(request, &mut self.arena)
    }

    #[cfg(feature = "bench")]
    fn native(&mut self, request: &proto::NativeRequest) -> proto::RunResponse {
        crate::native::run(request)
    }
}

/// What `/info` says this firmware offers.
const FEATURES: &[&str] = &[
    "coap",
    "edhoc",
    "oscore",
    #[cfg(feature = "link-udp")]
    "ipv4",
    #[cfg(feature = "link-udp")]
    "ipv6",
    #[cfg(feature = "link-serial")]
    "slipmux",
    "interp",
    #[cfg(feature = "jit")]
    "jit",
    #[cfg(feature = "microbpf-api")]
    "microbpf-api",
    #[cfg(feature = "unsigned-run")]
    "unsigned-run",
    #[cfg(feature = "bench")]
    "native",
    #[cfg(feature = "bench")]
    "rbpf",
];
