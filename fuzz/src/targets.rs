//! One function per fuzz target: what it does with the fuzzer's bytes and what must
//! hold. The binaries in `fuzz_targets/` call these, and so do the regression tests
//! (`tests/regressions.rs`) on every seed and every finding kept.
use coap_lite::Packet;
use minicbor::{Decode, Encode};
use vm::image::{Image, Layout};
use vm::memory::Region;
use vm::RegionKind;

use crate::{allowed, program, FuzzHelpers};

/// The interpreter's budget per run: loops end by it.
const BUDGET: u64 = 20_000;

/// Bytes → program → verifier → interpreter (budget-bounded): whatever the verifier
/// accepts runs to an end or a typed error, never a panic.
pub fn verify_interp(data: &[u8]) {
    let Some(program) = program(data) else { return };
    if vm::verify(&program, &allowed()).is_err() {
        return;
    }
    let mut stack = vec![0u8; vm::interp::stack_size_for(&program)];
    let mut input: Vec<u8> = data.iter().rev().take(64).copied().collect();
    let memory = vm::Memory::new()
        .with(Region::read_write(RegionKind::Stack, &mut stack))
        .with(Region::read_write(RegionKind::Input, &mut input));
    let mut helpers = FuzzHelpers;
    let mut machine = vm::Vm::new(&program, memory, &mut helpers, allowed()).with_budget(BUDGET);
    let _ = machine.run();
    assert!(machine.executed() <= BUDGET + 1, "the budget bounds a run: {}", machine.executed());
}

/// The four image loaders (text, femto, extended, ELF through `object`): any bytes give
/// an image or a typed error, and a verified program's JIT hints, whatever they are,
/// compile; an image that loads re-encodes to one with the same program, functions,
/// helpers and hints, and its data and rodata first (the encoder pads
/// both to 8 bytes and appends function names to rodata).
pub fn image_load(data: &[u8]) {
    let Some((&id, bytes)) = data.split_first() else { return };
    let Some(layout) = Layout::from_id(id % 4) else { return };
    let Ok(image) = Image::load(layout, bytes) else { return };
    let verified = vm::verify(&image.program, &image.helpers.unwrap_or_else(allowed)).is_ok();
    let _ = image.local_calls();
    // Seeds are the JIT's to check: any bytes may come with a program.
    if verified && !image.jit_hints.is_empty() {
        let _ = jit::compile_hinted(&image.program, jit::Sizes::of(&image), &image.jit_hints);
    }
    if layout != Layout::Elf {
        // A text image is bare bytecode: one whose code refers to .data has none to
        // write back (the verifier refuses it too).
        let again = match image.emit(layout) {
            Ok(again) => again,
            Err(vm::image::ImageError::LayoutCannotCarry { .. }) if layout == Layout::Text => return,
            // Nor can an extended image whose calls go outside the program (unverified).
            Err(vm::image::ImageError::Malformed(_)) if layout == Layout::Extended => return,
            Err(e) => panic!("a loaded {layout:?} image does not re-encode: {e}"),
        };
        let back = Image::load(layout, &again).expect("a re-encoded image loads");
        assert_eq!(back.program, image.program, "{layout:?} round trip: program");
        assert_eq!(back.functions, image.functions, "{layout:?} round trip: functions");
        assert_eq!(back.helpers, image.helpers, "{layout:?} round trip: helpers");
        assert_eq!(back.jit_hints, image.jit_hints, "{layout:?} round trip: JIT hints");
        assert!(back.data.starts_with(&image.data), "{layout:?} round trip: data");
        assert!(back.data[image.data.len()..].iter().all(|&b| b == 0), "{layout:?} round trip: data padding");
        assert!(back.rodata.starts_with(&image.rodata), "{layout:?} round trip: rodata");
    }
}

/// The project's test key (keys/), so that a mutated envelope of a real one reaches
/// the signature check with the right key.
fn public_key() -> [u8; 32] {
    let hex = include_str!("../../keys/testbed.key.pub").trim();
    core::array::from_fn(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("the test key is hex"))
}

/// SUIT: envelope, COSE_Sign1 and manifest decoding, the digest and signature checks
/// and the device profile, on any bytes: typed errors, never a panic.
pub fn suit_envelope(data: &[u8]) {
    let _ = suit::cose::CoseSign1::decode(data);
    let _ = suit::Manifest::decode(data).map(|m| suit::profile::SlotUpdate::from_manifest(&m));
    let Ok(envelope) = suit::Envelope::decode(data) else { return };
    let _ = envelope.check_digest();
    let _ = envelope.verify_ed25519(&public_key());
    let _ = envelope.verify_es256(&[4; 65]);
    if let Ok(manifest) = suit::Manifest::decode(&envelope.manifest) {
        let _ = suit::profile::SlotUpdate::from_manifest(&manifest);
        for key in 0..16 {
            if let Some(commands) = manifest.sequence(key) {
                suit::manifest::walk(commands, &mut |_| {});
            }
        }
    }
}

fn round_trip<T>(bytes: &[u8])
where
    T: for<'b> Decode<'b, ()> + Encode<()> + PartialEq + core::fmt::Debug,
{
    let Ok(value) = proto::decode::<T>(bytes) else { return };
    let again = proto::encode(&value);
    assert_eq!(proto::decode::<T>(&again).ok().as_ref(), Some(&value), "CBOR round trip");
}

/// Every `proto` decoder the device or the host runs on received bytes: the CBOR
/// payloads of the API, CoAP messages with their Block2 and Proxy-Uri options, and
/// block-wise reassembly. A payload that decodes re-encodes to one that decodes equal.
pub fn proto_decode(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 16 {
        0 => round_trip::<proto::PullRequest>(bytes),
        1 => round_trip::<proto::PullResponse>(bytes),
        2 => round_trip::<proto::SlotInfo>(bytes),
        3 => round_trip::<proto::ExecRequest>(bytes),
        4 => round_trip::<proto::EraseRequest>(bytes),
        5 => round_trip::<proto::StartRequest>(bytes),
        6 => round_trip::<proto::StopRequest>(bytes),
        7 => round_trip::<proto::RunningInfo>(bytes),
        8 => round_trip::<proto::SensorRequest>(bytes),
        9 => round_trip::<proto::RunRequest>(bytes),
        10 => round_trip::<proto::RunResponse>(bytes),
        11 => round_trip::<proto::Info>(bytes),
        12 => round_trip::<proto::NativeRequest>(bytes),
        13 => {
            let _ = proto::coap::block::Block::decode(bytes);
            if let Ok(uri) = core::str::from_utf8(bytes) {
                if let Ok(parsed) = proto::coap::proxy::CoapUri::parse(uri) {
                    let _ = parsed.socket_addr();
                }
            }
        }
        _ => {
            let Ok(packet) = Packet::from_bytes(bytes) else { return };
            let _ = proto::coap::block::Block::of(&packet);
            let _ = proto::coap::proxy::forwarded(&packet);
            let mut reassembly = proto::coap::block::Reassembly::new(4096);
            let _ = reassembly.push(&packet.payload, proto::coap::block::Block::of(&packet));
        }
    }
}

/// The JIT on any verified program: no panic, the code within `jit::code_bound`; and,
/// when the binary counts its heap ([`crate::counting`]), under any heap limit below the
/// compile's peak (one the input picks) the compile fails with `OutOfMemory`, never
/// aborts: the device compiles with what heap it has.
pub fn jit_compile(data: &[u8]) {
    let Some(program) = program(data) else { return };
    if vm::verify(&program, &allowed()).is_err() {
        return;
    }
    let code_bound = jit::code_bound(program.insns());
    let (compiled, peak) = crate::counting::peak(|| jit::compile_for(&program, jit::Sizes::default()));
    if let Some(peak) = peak.filter(|&p| p > 0) {
        // A limit from the input's bytes, so that the fuzzer explores where it bites.
        let pick = data.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
        let limit = pick % peak;
        if let Some(limited) = crate::counting::within(limit, || jit::compile_for(&program, jit::Sizes::default())) {
            assert!(
                matches!(limited, Err(jit::JitError::OutOfMemory)),
                "with {limit} of the {peak} bytes the compile takes: {:?}",
                limited.map(|c| c.code.len())
            );
        }
    }
    if let Ok(compiled) = compiled {
        assert!(compiled.code.len() <= code_bound, "{} code bytes above the bound {code_bound}", compiled.code.len());
        assert_eq!(compiled.insn_offsets.len(), program.insns().len());
    }
}

fn hex_key(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("a test key is hex")).collect()
}

/// The repository's test identities, as the default firmware is built with them.
fn edhoc_identities() -> ([u8; 32], auth::Credential, [u8; 32], auth::Credential) {
    let key = |t: &str| -> [u8; 32] { hex_key(t).try_into().expect("a P-256 secret key") };
    let cred = |t: &str| auth::ccs::parse(&hex_key(t)).expect("a test credential");
    (
        key(include_str!("../../keys/edhoc-device.key")),
        cred(include_str!("../../keys/edhoc-device.key.ccs")),
        key(include_str!("../../keys/edhoc-client.key")),
        cred(include_str!("../../keys/edhoc-client.key.ccs")),
    )
}

/// The device's end of EDHOC on any request: an answer or a refusal, never a panic,
/// and a refusal adds no security context. Input that is not a message_1 goes to a
/// handshake begun with a genuine one (client generator seed 2, C_I 1; device seed 1),
/// so that a mutated message_3 reaches its parsing and checks.
pub fn edhoc_responder(data: &[u8]) {
    use rand_chacha::rand_core::SeedableRng;
    let (device_key, device, client_key, client) = edhoc_identities();
    let rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let mut responder = auth::Responder::new(rng, device_key, device, vec![client]);
    if data.first() != Some(&0xf5) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let (_, request_1) = auth::Initiator::start(&mut rng, client_key, client, 1).expect("a genuine message_1");
        responder.handle(&request_1).expect("the device answers a genuine message_1");
    }
    if responder.handle(data).is_err() {
        assert!(responder.contexts().is_empty(), "a refused request made a context");
    }
}

/// The OSCORE material both ends of the `oscore_unprotect` target use (the seeds in
/// `seeds/oscore` are requests protected under it by the client's end).
pub use device::fake::fixed_material as oscore_material;

/// The device's OSCORE on any datagram: a request that unprotects is answered
/// protected; anything else is a typed error, never a panic.
pub fn oscore_unprotect(data: &[u8]) {
    let Ok(mut device) = auth::oscore::SecurityContext::new(&oscore_material(true)) else {
        panic!("the target's context derives")
    };
    let Ok(request) = Packet::from_bytes(data) else { return };
    let _ = auth::oscore::request_kid(&request);
    if let Ok((inner, mut correlation)) = auth::oscore::unprotect_request(&mut device, &request) {
        let mut answer = inner.clone();
        answer.header.code = coap_lite::MessageClass::Response(coap_lite::ResponseType::Content);
        answer.clear_all_options();
        let _ = auth::oscore::protect_response(&mut device, &answer, &mut correlation);
    }
}

/// The fake device's file server for [`device_requests`]: signed manifests (with the
/// test key) and images for slots 0 and 1, an older sequence for slot 0, and a
/// manifest whose image is missing. Seeds pull them by these URIs.
fn device_files() -> &'static std::collections::BTreeMap<String, Vec<u8>> {
    static FILES: std::sync::OnceLock<std::collections::BTreeMap<String, Vec<u8>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let mut platform = device::fake::FakePlatform::default();
        let answer = program(&[0, 0xb7, 0, 0, 0, 42, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]).expect("a program");
        let plain = Image { program: answer, data: vec![], rodata: vec![], helpers: None, functions: vec![], jit_hints: vec![] };
        let femto = plain.emit(Layout::Femto).expect("the Femto layout carries it");
        device::fake::publish(&mut platform, 0, 5, Layout::Femto as u8, &[], &femto);
        device::fake::publish(&mut platform, 0, 4, Layout::Femto as u8, &[], &femto);
        let text = plain.emit(Layout::Text).expect("the text layout carries it");
        device::fake::publish(&mut platform, 1, 1, Layout::Text as u8, &[0x02, 0x40, 0x42, 0x43], &text);
        let lost = device::fake::publish(&mut platform, 3, 1, Layout::Femto as u8, &[], &femto);
        platform.files.remove(&lost.replace("/manifest/", "/image/"));
        platform.files
    })
}

/// Everything a request could change on the device.
fn device_state(device: &device::Device<device::fake::FakePlatform, u8>) -> impl PartialEq + std::fmt::Debug {
    let platform = &device.ctx.platform;
    (device.ctx.slots.list(), device::Platform::running(platform), platform.sensors, platform.reset_requested)
}

/// The device's request handling (router, handlers, OSCORE gate, EDHOC, caches,
/// slots and their persistent state) on the fake platform, driven by a sequence of
/// records: `[kind, len lo, len hi, bytes...]`. Kind bits 0-1: 0 a raw datagram, 1 a
/// CoAP request sent OSCORE-protected by a client with a context, 2 a warm reset
/// (persistent state kept, contexts lost), 3 a genuine EDHOC handshake (once per
/// input, and only for kinds 0x03 and 0x0b, bit 3 picking C_I: a handshake costs a
/// hundred datagrams' time); bit 2: which of two peers sends it. Must hold: no panic, every answer is a
/// CoAP message, and no unprotected datagram changes slots, sequence numbers,
/// background runs, sensors or the reset flag.
pub fn device_requests(data: &[u8]) {
    use device::fake::{block_on, Client, FakePlatform};
    type Device = device::Device<FakePlatform, u8>;
    let boot = |platform: FakePlatform| -> Device { device::Device::boot(platform, device::fake::test_config()) };
    let mut platform = FakePlatform::default();
    platform.files = device_files().clone();
    let mut device = boot(platform);
    let Some(mut client) = Client::with_fixed_context(&mut device) else { panic!("the fixed context derives") };
    let mut handshaken = false;
    let mut rest = data;
    while let Some((&kind, tail)) = rest.split_first() {
        let peer = (kind >> 2) & 1;
        let (bytes, tail) = match kind & 3 {
            0 | 1 => {
                let len = match tail {
                    [lo, hi, ..] => usize::from(u16::from_le_bytes([*lo, *hi])),
                    _ => tail.len(),
                };
                let body = tail.get(2..).unwrap_or_default();
                body.split_at(len.min(body.len()))
            }
            _ => (&[][..], tail),
        };
        rest = tail;
        match kind & 3 {
            0 => {
                let before = device_state(&device);
                let protected =
                    Packet::from_bytes(bytes).is_ok_and(|p| p.get_option(coap_lite::CoapOption::Oscore).is_some());
                if let Some(reply) = block_on(device.handle(bytes, peer)) {
                    assert!(Packet::from_bytes(&reply).is_ok(), "the device sent a datagram that is not CoAP");
                }
                if !protected {
                    assert!(device_state(&device) == before, "an unprotected datagram changed the device");
                }
            }
            1 => {
                if let Ok(inner) = Packet::from_bytes(bytes) {
                    let _ = client.send(&mut device, peer, &inner);
                }
            }
            2 => {
                device = boot(device.ctx.platform.reset());
                let Some(fresh) = Client::with_fixed_context(&mut device) else { panic!("the fixed context derives") };
                client = fresh;
            }
            _ if !handshaken && kind & 0xf7 == 3 => {
                handshaken = true;
                if let Ok(fresh) = Client::handshake(&mut device, peer, u64::from(kind), (kind >> 3) & 1) {
                    client = fresh;
                }
            }
            _ => {}
        }
    }
}
