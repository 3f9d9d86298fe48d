//! A [`Platform`] on the host (feature `fake`), for tests and the fuzzer: a clock that
//! advances by one count per reading, a console kept in memory, a file server that is
//! a map from URI to bytes, a heap of a fixed size, the persistent area as a vector,
//! and background runs and sensors as plain tables.
//!
//! Programs run on the interpreter with a few helpers (`memcpy`, the CoAP response
//! helpers, `strlen`). A JIT run compiles for real (`jit::compile_hinted`, so the
//! compiler sees every program a request can bring), then runs on the interpreter:
//! Thumb-2 code does not run on the host, and the engines agree (the differential
//! tests on the device show it).
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;

use proto::{Costs, Failure, FailureKind, RunState, RunningInfo};
use vm::helpers::id;
use vm::image::Image;
use vm::{HelperError, HelperId, HelperSet, Helpers, Memory, Vm};

use crate::run::{self, CoapResponse, Run};
use crate::{FetchError, Phase, Platform, StartError, SLOT_COUNT};

/// The fake device's state, all of it open to the test that owns it.
pub struct FakePlatform {
    clock: Cell<u64>,
    /// Every console line, in order.
    pub console: RefCell<Vec<String>>,
    /// The file server: URI → file.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Heap bytes free, as [`Platform::heap_free`] reports them.
    pub heap_free: usize,
    /// The RAM kept across resets (`None`: the board keeps none).
    pub persist: Option<Vec<u8>>,
    /// Background runs by slot.
    pub running: [Option<RunningInfo>; SLOT_COUNT],
    pub sensors: [i16; 2],
    pub reset_requested: bool,
    /// Compiles done, and runs on each engine.
    pub compiles: usize,
    pub runs: usize,
}

impl Default for FakePlatform {
    fn default() -> Self {
        Self {
            clock: Cell::new(0),
            console: RefCell::new(Vec::new()),
            files: BTreeMap::new(),
            heap_free: 256 * 1024,
            persist: Some(alloc::vec![0; 16 * 1024]),
            running: [const { None }; SLOT_COUNT],
            sensors: [2150, 4500],
            reset_requested: false,
            compiles: 0,
            runs: 0,
        }
    }
}

impl FakePlatform {
    /// The same device after a warm reset: the persistent area and the file server
    /// stay, everything else starts afresh.
    pub fn reset(&self) -> Self {
        Self { files: self.files.clone(), persist: self.persist.clone(), ..Self::default() }
    }
}

impl Platform for FakePlatform {
    type Code = Vec<u8>;
    const CORE_CLOCK_HZ: u32 = 25_000_000;
    const INSNS_PER_COUNT: u32 = 1;

    fn now(&self) -> u64 {
        let t = self.clock.get() + 1;
        self.clock.set(t);
        t
    }

    fn log(&self, line: fmt::Arguments<'_>) {
        self.console.borrow_mut().push(alloc::format!("{line}"));
    }

    fn heap_free(&self) -> usize {
        self.heap_free
    }

    fn measure<R>(&self, _phase: Phase, f: impl FnOnce() -> R) -> (R, crate::Measured) {
        let t0 = self.now();
        let r = f();
        (r, crate::Measured { counts: self.now() - t0, cycles: None })
    }

    async fn fetch(&mut self, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
        if !uri.starts_with("coap://") {
            return Err(FetchError::BadUri);
        }
        match self.files.get(uri) {
            Some(file) if file.len() > max => Err(FetchError::TooLarge),
            Some(file) => Ok(file.clone()),
            None => Err(FetchError::Status(4, 4)),
        }
    }

    fn persist_area(&mut self) -> Option<&mut [u8]> {
        self.persist.as_deref_mut()
    }

    fn info(&self) -> proto::Info {
        proto::Info {
            board: String::from("fake"),
            build_id: String::from("host"),
            features: Vec::new(),
            slots: 0,
            version: String::from(env!("CARGO_PKG_VERSION")),
            addresses: Vec::new(),
            memory: None,
            boot_count: None,
        }
    }

    fn compile(&mut self, image: &Image, _costs: &mut Costs) -> Result<Self::Code, Failure> {
        self.compiles += 1;
        match jit::compile_hinted(&image.program, jit::Sizes::of(image), &image.jit_hints) {
            Ok(compiled) => Ok(compiled.code),
            Err(jit::JitError::OutOfMemory) => Err(run::failure(FailureKind::OutOfMemory, None, "out of memory")),
            Err(e) => Err(run::failure(FailureKind::Unsupported, None, e)),
        }
    }

    fn execute(&mut self, run: Run<'_, '_, Self::Code>) -> Result<u64, Failure> {
        self.runs += 1;
        let budget = if run.budget == 0 { run::DEFAULT_BUDGET } else { run.budget };
        let mut helpers = FakeHelpers { coap: run.coap };
        let mut vm = Vm::new(&run.image.program, run.memory, &mut helpers, run.allowed).with_budget(budget);
        let result = vm.run();
        run.costs.executed = vm.executed();
        result.map_err(|e| run::vm_failure(&e))
    }

    fn start(
        &mut self,
        slot: u8,
        _image: Arc<Image>,
        _helpers: HelperSet,
        _input: Vec<u8>,
        _budget: u64,
    ) -> Result<(), StartError> {
        let entry = self.running.get_mut(usize::from(slot)).ok_or(StartError::NoTask)?;
        if matches!(entry, Some(RunningInfo { state: RunState::Running, .. })) {
            return Err(StartError::AlreadyRunning);
        }
        *entry = Some(RunningInfo { slot, state: RunState::Running, executed: 0, result: None, failure: None });
        Ok(())
    }

    fn stop(&mut self, slot: u8) -> bool {
        match self.running.get_mut(usize::from(slot)).and_then(Option::as_mut) {
            Some(run) if run.state == RunState::Running => {
                run.state = RunState::Stopped;
                true
            }
            _ => false,
        }
    }

    fn running(&self) -> Vec<RunningInfo> {
        self.running.iter().flatten().cloned().collect()
    }

    fn set_sensor(&mut self, index: u8, value: i16) -> bool {
        match self.sensors.get_mut(usize::from(index)) {
            Some(s) => {
                *s = value;
                true
            }
            None => false,
        }
    }

    fn request_reset(&mut self) {
        self.reset_requested = true;
    }

    #[cfg(feature = "unsigned-run")]
    fn run_unsigned(&mut self, request: proto::RunRequest) -> proto::RunResponse {
        let mut costs = run::costs::<Self>();
        let outcome = (|| {
            let layout = vm::image::Layout::from_id(request.layout)
                .ok_or_else(|| run::failure(FailureKind::BadRequest, None, "unknown layout id"))?;
            let image = Image::load(layout, &request.image).map_err(|e| run::failure(FailureKind::Load, None, e))?;
            vm::verify(&image.program, &request.helpers)
                .map_err(|e| run::failure(FailureKind::Verify, Some(e.pc), e.kind))?;
            let mut buffers = run::Buffers::for_image(&image, request.input.clone())?;
            self.execute(Run {
                engine: run::Engine::Interp,
                image: &image,
                code: None,
                memory: buffers.memory(&image),
                allowed: request.helpers,
                budget: request.budget,
                slot: 0,
                coap: None,
                costs: &mut costs,
            })
        })();
        match outcome {
            Ok(r0) => proto::RunResponse { result: Some(r0), failure: None, costs, input: Vec::new() },
            Err(f) => proto::RunResponse { result: None, failure: Some(f), costs, input: Vec::new() },
        }
    }

    #[cfg(feature = "bench")]
    fn native(&mut self, _request: &proto::NativeRequest) -> proto::RunResponse {
        let failure = run::unsupported("the fake has no native kernels");
        proto::RunResponse { result: None, failure: Some(failure), costs: run::costs::<Self>(), input: Vec::new() }
    }
}

/// The fake's helpers: `memcpy`, `strlen` and the CoAP response helpers.
struct FakeHelpers<'r> {
    coap: Option<&'r mut CoapResponse>,
}

impl Helpers for FakeHelpers<'_> {
    fn call(&mut self, helper: HelperId, a: &[u64; 5], mem: &mut Memory<'_>) -> Result<u64, HelperError> {
        match helper {
            id::MEMCPY => {
                let n = a[2].min(64 * 1024);
                let src = mem.slice(a[1], n)?.to_vec();
                mem.slice_mut(a[0], n)?.copy_from_slice(&src);
                Ok(a[0])
            }
            id::STRLEN => Ok(mem.c_str(a[0], 256)?.len() as u64),
            id::GCOAP_RESP_INIT..=id::COAP_GET_PDU => {
                let resp =
                    self.coap.as_deref_mut().ok_or(HelperError::BadArgument("this run answers no CoAP request"))?;
                match helper {
                    // As on the device: a response code is 2.xx to 5.xx.
                    id::GCOAP_RESP_INIT => match u8::try_from(a[1]) {
                        Ok(code) if (2..=5).contains(&(code >> 5)) => {
                            resp.code = Some(code);
                            Ok(0)
                        }
                        _ => Err(HelperError::BadArgument("a response code is 2.xx to 5.xx")),
                    },
                    id::COAP_ADD_FORMAT => {
                        resp.format =
                            Some(u16::try_from(a[1]).map_err(|_| HelperError::BadArgument("bad content format"))?);
                        Ok(0)
                    }
                    id::COAP_GET_PDU => Ok(resp.buf),
                    _ => Ok(0),
                }
            }
            other => Err(HelperError::Unknown(other)),
        }
    }
}

/// Runs a future of the fake device to its end. Nothing under [`FakePlatform`] waits
/// (its file server answers at once), so one poll finishes it; a future that is still
/// pending after it is a bug in the fake.
pub fn block_on<F: core::future::Future>(future: F) -> F::Output {
    let mut future = core::pin::pin!(future);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        core::task::Poll::Ready(output) => output,
        core::task::Poll::Pending => panic!("a future under the fake platform waited"),
    }
}

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            nibble(pair[0]) << 4 | nibble(pair.get(1).copied().unwrap_or(b'0'))
        })
        .collect()
}

fn array32(bytes: &[u8]) -> [u8; 32] {
    core::array::from_fn(|i| bytes.get(i).copied().unwrap_or(0))
}

/// The repository's throw-away keys (`keys/`): the manifest signing key the testbed
/// trusts, and the EDHOC identities of the device and its client.
pub mod test_keys {
    pub const SIGNING_KEY: &str = include_str!("../../keys/testbed.key");
    pub const SIGNING_KEY_PUB: &str = include_str!("../../keys/testbed.key.pub");
    pub const EDHOC_DEVICE_KEY: &str = include_str!("../../keys/edhoc-device.key");
    pub const EDHOC_DEVICE_CCS: &str = include_str!("../../keys/edhoc-device.key.ccs");
    pub const EDHOC_CLIENT_KEY: &str = include_str!("../../keys/edhoc-client.key");
    pub const EDHOC_CLIENT_CCS: &str = include_str!("../../keys/edhoc-client.key.ccs");
}

/// A device configuration with the test keys, as the testbed firmware is built: made
/// at the first call and kept for the life of the process (a [`crate::Device`]
/// borrows it for `'static`).
pub fn test_config() -> &'static crate::Config {
    use alloc::boxed::Box;
    use core::sync::atomic::{AtomicPtr, Ordering};
    static CONFIG: AtomicPtr<crate::Config> = AtomicPtr::new(core::ptr::null_mut());
    let made = CONFIG.load(Ordering::Acquire);
    if !made.is_null() {
        // SAFETY: a non-null pointer here came from `Box::into_raw` below and is never
        // freed or written again.
        return unsafe { &*made };
    }
    let trusted: &'static [[u8; 32]] = Box::leak(Box::new([array32(&hex(test_keys::SIGNING_KEY_PUB))]));
    let client: &'static [u8] = Box::leak(hex(test_keys::EDHOC_CLIENT_CCS).into_boxed_slice());
    let config = Box::into_raw(Box::new(crate::Config {
        trusted_keys: trusted,
        edhoc_key: array32(&hex(test_keys::EDHOC_DEVICE_KEY)),
        edhoc_credential: Box::leak(hex(test_keys::EDHOC_DEVICE_CCS).into_boxed_slice()),
        edhoc_clients: Box::leak(Box::new([client])),
        max_image: 8 * 1024,
        heap_reserve: 12 * 1024,
    }));
    // Another thread may have made one first: use that one (this one stays leaked).
    let kept = match CONFIG.compare_exchange(core::ptr::null_mut(), config, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => config,
        Err(first) => first,
    };
    // SAFETY: `kept` came from `Box::into_raw` and is never freed or written again.
    unsafe { &*kept }
}

/// Where [`publish`] puts the manifest of `sequence` for `slot`.
pub fn manifest_uri(slot: u8, sequence: u64) -> String {
    alloc::format!("coap://[fd00::1]/manifest/{slot}/{sequence}")
}

/// Signs a manifest for `image` in `slot` with the test key and puts both on the
/// fake's file server; returns the manifest's URI ([`manifest_uri`]).
pub fn publish(
    platform: &mut FakePlatform,
    slot: u8,
    sequence: u64,
    layout: u8,
    helpers: &[u8],
    image: &[u8],
) -> String {
    let image_uri = alloc::format!("coap://[fd00::1]/image/{slot}/{sequence}");
    let update = suit::profile::SlotUpdate {
        slot,
        sequence,
        vendor_id: suit::profile::VENDOR_ID.to_vec(),
        class_id: suit::profile::CLASS_ID_MPS2_AN386.to_vec(),
        image_digest: suit::sha256(image),
        image_size: image.len() as u64,
        uri: image_uri,
        layout,
        helpers: helpers.to_vec(),
    };
    let key = ed25519_dalek::SigningKey::from_bytes(&array32(&hex(test_keys::SIGNING_KEY)));
    let envelope = suit::build::sign_ed25519(&suit::build::manifest(&update), &key);
    platform.files.insert(update.uri.clone(), image.to_vec());
    platform.files.insert(manifest_uri(slot, sequence), envelope);
    manifest_uri(slot, sequence)
}

/// A plain CoAP request: confirmable, `mid` as message id and token.
pub fn request(mid: u16, method: coap_lite::RequestType, path: &str, payload: &[u8]) -> coap_lite::Packet {
    let mut packet = coap_lite::Packet::new();
    packet.header.set_type(coap_lite::MessageType::Confirmable);
    packet.header.code = coap_lite::MessageClass::Request(method);
    packet.header.message_id = mid;
    packet.set_token(mid.to_be_bytes().to_vec());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        packet.add_option(coap_lite::CoapOption::UriPath, segment.as_bytes().to_vec());
    }
    packet.payload = payload.to_vec();
    packet
}

/// A client of the fake device with an OSCORE security context: its requests go out
/// protected and its answers come back unprotected, as `mbpf` sends and reads them.
pub struct Client {
    context: auth::oscore::SecurityContext,
    mid: u16,
}

/// Fixed OSCORE keying material for tests and fuzzing, from the device's side or the
/// client's (sender and recipient ids swapped): a context without a handshake.
pub fn fixed_material(device_side: bool) -> auth::OscoreMaterial {
    let (ours, theirs) = (alloc::vec![0x00], alloc::vec![0x01]);
    let (sender_id, recipient_id) = if device_side { (theirs, ours) } else { (ours, theirs) };
    auth::OscoreMaterial {
        master_secret: [7; 16],
        master_salt: [9; 8],
        sender_id,
        recipient_id,
        client_kid: Vec::new(),
    }
}

/// What a client got back: the (inner) response's code and payload.
pub type Reply = (coap_lite::MessageClass, Vec<u8>);

impl Client {
    /// A client and device context made from fixed keying material, without a
    /// handshake: the device gets its end of the context directly.
    pub fn with_fixed_context<P: Copy + PartialEq>(device: &mut crate::Device<FakePlatform, P>) -> Option<Self> {
        device.ctx.security.put_back(auth::oscore::SecurityContext::new(&fixed_material(true)).ok()?);
        Some(Self { context: auth::oscore::SecurityContext::new(&fixed_material(false)).ok()?, mid: 0x4000 })
    }

    /// A client that runs a genuine EDHOC handshake with the device at
    /// `/.well-known/edhoc` (the test client's identity, C_I `c_i`).
    pub fn handshake<P: Copy + PartialEq>(
        device: &mut crate::Device<FakePlatform, P>,
        from: P,
        seed: u64,
        c_i: u8,
    ) -> Result<Self, auth::Refusal> {
        use rand_core::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let credential = auth::ccs::parse(&hex(test_keys::EDHOC_CLIENT_CCS))?;
        let device_credential = auth::ccs::parse(&hex(test_keys::EDHOC_DEVICE_CCS))?;
        let key = array32(&hex(test_keys::EDHOC_CLIENT_KEY));
        let (initiator, message_1) = auth::Initiator::start(&mut rng, key, credential, c_i)?;
        let mut mid = 0x2000 + u16::from(c_i) * 2;
        let mut post =
            |device: &mut crate::Device<FakePlatform, P>, payload: &[u8]| -> Result<Vec<u8>, auth::Refusal> {
                mid = mid.wrapping_add(1);
                let bytes = request(mid, coap_lite::RequestType::Post, proto::paths::EDHOC, payload)
                    .to_bytes()
                    .map_err(|_| auth::Refusal::Malformed("request"))?;
                let reply = block_on(device.handle(&bytes, from)).ok_or(auth::Refusal::Malformed("no answer"))?;
                let reply = coap_lite::Packet::from_bytes(&reply).map_err(|_| auth::Refusal::Malformed("answer"))?;
                match reply.header.code {
                    coap_lite::MessageClass::Response(coap_lite::ResponseType::Changed) => Ok(reply.payload),
                    _ => Err(auth::Refusal::Malformed("refused")),
                }
            };
        let message_2 = post(device, &message_1)?;
        let (message_3, confirming) = initiator.finish(&message_2, device_credential)?;
        let message_4 = post(device, &message_3)?;
        let material = confirming.complete(&message_4)?;
        let context = auth::oscore::SecurityContext::new(&material).map_err(|_| auth::Refusal::Malformed("context"))?;
        Ok(Self { context, mid: 0x4000 })
    }

    /// Protects `inner` and sends it from `from`; returns the protected datagram sent
    /// (for replays) and the unprotected answer, if there was one and it unprotects.
    pub fn send<P: Copy + PartialEq>(
        &mut self,
        device: &mut crate::Device<FakePlatform, P>,
        from: P,
        inner: &coap_lite::Packet,
    ) -> (Vec<u8>, Option<Reply>) {
        let Ok((outer, mut correlation)) = auth::oscore::protect_request(&mut self.context, inner) else {
            return (Vec::new(), None);
        };
        let Ok(bytes) = outer.to_bytes() else { return (Vec::new(), None) };
        let reply = block_on(device.handle(&bytes, from)).and_then(|r| coap_lite::Packet::from_bytes(&r).ok());
        let answer = reply.and_then(|reply| match reply.get_option(coap_lite::CoapOption::Oscore) {
            Some(_) => auth::oscore::unprotect_response(&mut self.context, &reply, &mut correlation)
                .ok()
                .map(|inner| (inner.header.code, inner.payload)),
            None => Some((reply.header.code, reply.payload)),
        });
        (bytes, answer)
    }

    /// A protected request: `method` on `path` with `payload`.
    pub fn call<P: Copy + PartialEq>(
        &mut self,
        device: &mut crate::Device<FakePlatform, P>,
        from: P,
        method: coap_lite::RequestType,
        path: &str,
        payload: &[u8],
    ) -> Option<Reply> {
        self.mid = self.mid.wrapping_add(1);
        self.send(device, from, &request(self.mid, method, path, payload)).1
    }
}
