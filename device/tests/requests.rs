//! The device's request handling on the host, over the fake platform: the OSCORE
//! gate, signed pulls with rollback protection across a reset, the caches, and bad
//! input. Each refusal checks that slots, sequence numbers, background runs, sensors
//! and the reset flag are as they were.
use coap_lite::{MessageClass, Packet, RequestType, ResponseType};
use device::fake::{self, block_on, Client, FakePlatform};
use device::Device;
use proto::paths;

type FakeDevice = Device<FakePlatform, u8>;

/// `mov r0, 42; exit` in the Femto layout (id 1).
fn answer_42() -> Vec<u8> {
    let bytes = [[0xb7, 0, 0, 0, 42, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0]].concat();
    let program = vm::Program::from_bytes(&bytes).unwrap();
    let image =
        vm::image::Image { program, data: vec![], rodata: vec![], helpers: None, functions: vec![], jit_hints: vec![] };
    image.emit(vm::image::Layout::Femto).unwrap()
}

fn boot(platform: FakePlatform) -> FakeDevice {
    Device::boot(platform, fake::test_config())
}

/// Everything a request could change.
#[derive(Debug, PartialEq)]
struct State {
    slots: Vec<proto::SlotInfo>,
    running: Vec<proto::RunningInfo>,
    sensors: [i16; 2],
    reset_requested: bool,
}

fn state(device: &mut FakeDevice) -> State {
    State {
        slots: device.ctx.slots.list(),
        running: device::Platform::running(&device.ctx.platform),
        sensors: device.ctx.platform.sensors,
        reset_requested: device.ctx.platform.reset_requested,
    }
}

/// An unprotected request and its answer.
fn plain(device: &mut FakeDevice, mid: u16, method: RequestType, path: &str, payload: &[u8]) -> Packet {
    let bytes = fake::request(mid, method, path, payload).to_bytes().unwrap();
    Packet::from_bytes(&block_on(device.handle(&bytes, 0)).expect("an answer")).unwrap()
}

fn code(c: ResponseType) -> MessageClass {
    MessageClass::Response(c)
}

fn pull(client: &mut Client, device: &mut FakeDevice, uri: &str) -> (MessageClass, Vec<u8>) {
    let payload = proto::encode(&proto::PullRequest { manifest_uri: uri.into() });
    client.call(device, 0, RequestType::Post, paths::PULL, &payload).expect("an answer")
}

fn exec(client: &mut Client, device: &mut FakeDevice, slot: u8, engine: proto::Engine) -> proto::RunResponse {
    let payload = proto::encode(&proto::ExecRequest { slot, engine, input: vec![], budget: 0, helpers: None });
    let (c, body) = client.call(device, 0, RequestType::Post, paths::EXEC, &payload).expect("an answer");
    assert_eq!(c, code(ResponseType::Changed), "{}", String::from_utf8_lossy(&body));
    proto::decode(&body).unwrap()
}

#[test]
fn unprotected_requests_reach_only_the_open_paths_and_change_nothing() {
    let mut platform = FakePlatform::default();
    let manifest = fake::publish(&mut platform, 0, 5, 1, &[], &answer_42());
    let mut device = boot(platform);
    let info = plain(&mut device, 1, RequestType::Get, paths::INFO, &[]);
    assert_eq!(info.header.code, code(ResponseType::Content));
    let info: proto::Info = proto::decode(&info.payload).unwrap();
    assert_eq!((info.slots, info.boot_count), (4, Some(1)));
    let core = plain(&mut device, 2, RequestType::Get, paths::WELL_KNOWN_CORE, &[]);
    let links = String::from_utf8(core.payload).unwrap();
    assert!(links.contains("</pull>;osc") && links.contains("</info>,"), "{links}");

    let before = state(&mut device);
    let requests: [(&str, Vec<u8>); 6] = [
        (paths::PULL, proto::encode(&proto::PullRequest { manifest_uri: manifest })),
        (paths::ERASE, proto::encode(&proto::EraseRequest { slot: 0 })),
        (paths::SENSOR, proto::encode(&proto::SensorRequest { index: 0, value: -1 })),
        (paths::RESET, vec![]),
        (paths::START, proto::encode(&proto::StartRequest { slot: 0, input: vec![], budget: 0 })),
        (paths::microbpf::SHORT_EXECUTION, b"0000".to_vec()),
    ];
    for (i, (path, payload)) in requests.iter().enumerate() {
        let answer = plain(&mut device, 10 + i as u16, RequestType::Post, path, payload);
        assert_eq!(answer.header.code, code(ResponseType::Unauthorized), "/{path}");
    }
    assert_eq!(state(&mut device), before);
    assert!(!device.ctx.platform.console.borrow().iter().any(|l| l.contains("pull")), "a refused pull fetched");
}

#[test]
fn a_ping_is_answered_with_a_reset_and_changes_nothing() {
    let mut device = boot(FakePlatform::default());
    let before = state(&mut device);
    let reset = block_on(device.handle(&proto::coap::ping(0x4242), 0)).expect("a Reset");
    assert!(proto::coap::is_pong(&reset, 0x4242), "{reset:02x?}");
    // An empty message of another type is not a ping and gets no answer.
    assert_eq!(block_on(device.handle(&[0x50, 0x00, 0x42, 0x43], 0)), None);
    assert_eq!(state(&mut device), before);
}

#[test]
fn a_pull_survives_a_reset_and_an_older_sequence_is_refused_after_it() {
    let mut platform = FakePlatform::default();
    let image = answer_42();
    let newer = fake::publish(&mut platform, 2, 5, 1, &[], &image);
    let older = fake::publish(&mut platform, 2, 4, 1, &[], &image);
    let mut device = boot(platform);
    let mut client = Client::with_fixed_context(&mut device).unwrap();
    assert_eq!(pull(&mut client, &mut device, &newer).0, code(ResponseType::Changed));
    assert_eq!(exec(&mut client, &mut device, 2, proto::Engine::Interp).result, Some(42));
    assert_eq!(exec(&mut client, &mut device, 2, proto::Engine::Jit).result, Some(42));
    assert_eq!(device.ctx.platform.compiles, 1);

    // A warm reset: the persistent area stays, security contexts do not.
    let mut device = boot(device.ctx.platform.reset());
    let slot = &device.ctx.slots.list()[2];
    assert!(slot.loaded && slot.sequence == 5, "{slot:?}");
    assert_eq!(device.ctx.slots.boot_count(), 2);
    let (c, _) = client.call(&mut device, 0, RequestType::Get, paths::SLOTS, &[]).unwrap();
    assert_eq!(c, code(ResponseType::Unauthorized), "a context from before the reset still works");

    let mut client = Client::handshake(&mut device, 0, 1, 3).unwrap();
    let before = state(&mut device);
    let (c, why) = pull(&mut client, &mut device, &older);
    assert_eq!(c, code(ResponseType::Forbidden));
    assert!(String::from_utf8_lossy(&why).contains("sequence number 4 is not above 5"));
    assert_eq!(state(&mut device), before);
    assert_eq!(exec(&mut client, &mut device, 2, proto::Engine::Interp).result, Some(42));
}

#[test]
fn a_replayed_protected_request_is_refused_and_changes_nothing() {
    let mut device = boot(FakePlatform::default());
    let mut client = Client::with_fixed_context(&mut device).unwrap();
    let set = |value| proto::encode(&proto::SensorRequest { index: 0, value });
    let first = fake::request(7, RequestType::Post, paths::SENSOR, &set(100));
    let (replayed, answer) = client.send(&mut device, 0, &first);
    assert_eq!(answer.unwrap().0, code(ResponseType::Changed));
    let second = fake::request(8, RequestType::Post, paths::SENSOR, &set(200));
    assert_eq!(client.send(&mut device, 0, &second).1.unwrap().0, code(ResponseType::Changed));

    // From another peer the retransmission cache does not apply: the replay window does.
    let before = state(&mut device);
    let reply = Packet::from_bytes(&block_on(device.handle(&replayed, 1)).unwrap()).unwrap();
    assert_eq!(reply.header.code, code(ResponseType::Unauthorized));
    assert_eq!(state(&mut device), before);
    assert_eq!(device.ctx.platform.sensors[0], 200);
}

#[test]
fn a_retransmission_is_answered_again_without_running_twice() {
    let mut platform = FakePlatform::default();
    let manifest = fake::publish(&mut platform, 0, 1, 1, &[], &answer_42());
    let mut device = boot(platform);
    let mut client = Client::with_fixed_context(&mut device).unwrap();
    assert_eq!(pull(&mut client, &mut device, &manifest).0, code(ResponseType::Changed));
    let payload = proto::encode(&proto::ExecRequest {
        slot: 0,
        engine: proto::Engine::Interp,
        input: vec![],
        budget: 0,
        helpers: None,
    });
    let (sent, answer) = client.send(&mut device, 0, &fake::request(99, RequestType::Post, paths::EXEC, &payload));
    assert_eq!(answer.unwrap().0, code(ResponseType::Changed));
    let runs = device.ctx.platform.runs;
    let first = block_on(device.handle(&sent, 0));
    let again = block_on(device.handle(&sent, 0));
    assert!(first.is_some() && first == again);
    assert_eq!(device.ctx.platform.runs, runs, "a retransmission ran the program again");
}

#[test]
fn bad_input_gets_a_clear_refusal_and_loses_nothing() {
    let mut platform = FakePlatform::default();
    let good = fake::publish(&mut platform, 1, 3, 1, &[], &answer_42());
    let forged = fake::publish(&mut platform, 1, 9, 1, &[], &answer_42());
    // A flipped byte in the signed manifest: the signature no longer holds.
    let envelope = platform.files.get_mut(&forged).unwrap();
    let at = envelope.len() - 40;
    envelope[at] ^= 1;
    let mut device = boot(platform);
    let mut client = Client::with_fixed_context(&mut device).unwrap();
    assert_eq!(pull(&mut client, &mut device, &good).0, code(ResponseType::Changed));
    let before = state(&mut device);

    let refusals: [(&str, Vec<u8>, ResponseType); 6] = [
        (paths::EXEC, b"not cbor".to_vec(), ResponseType::BadRequest),
        (paths::PULL, proto::encode(&proto::PullRequest { manifest_uri: forged }), ResponseType::BadRequest),
        (
            paths::PULL,
            proto::encode(&proto::PullRequest { manifest_uri: "coap://[fd00::1]/none".into() }),
            ResponseType::GatewayTimeout,
        ),
        (paths::PULL, proto::encode(&proto::PullRequest { manifest_uri: "ftp://x".into() }), ResponseType::BadRequest),
        (paths::ERASE, proto::encode(&proto::EraseRequest { slot: 9 }), ResponseType::NotFound),
        (paths::microbpf::SHORT_EXECUTION, b"zz".to_vec(), ResponseType::BadRequest),
    ];
    for (path, payload, expected) in refusals {
        let (c, why) = client.call(&mut device, 0, RequestType::Post, path, &payload).unwrap();
        let why = String::from_utf8_lossy(&why);
        // A forged signature may also be told apart as an unauthorized manifest.
        let forged_ok = path == paths::PULL && c == code(ResponseType::Unauthorized);
        assert!(c == code(expected) || forged_ok, "/{path}: {c:?} {why}");
        assert!(!why.is_empty() || expected == ResponseType::NotFound, "/{path} says nothing");
    }
    assert_eq!(state(&mut device), before);
}
