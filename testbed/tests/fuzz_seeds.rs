//! The fuzz targets' seed corpora (`fuzz/seeds/`) are what this generator makes from
//! the project's own inputs: the conformance suite's programs, images of every
//! layout, the SUIT draft's examples and signed manifests of the device profile, and
//! the device API's payloads and CoAP messages. A seed that goes stale fails here;
//! `MBPF_WRITE_SEEDS=1` writes them anew.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use coap_lite::{CoapOption, MessageClass, Packet, RequestType};
use proto::coap::block::Block;
use testbed::conformance;
use vm::image::{Image, Layout};

type Corpus = BTreeMap<String, Vec<u8>>;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Conformance programs, raw (the targets' mode byte 0).
fn programs() -> Corpus {
    let mut corpus = Corpus::new();
    for path in conformance::list_cases(&conformance::default_suite_dir()).unwrap() {
        let case = conformance::TestCase::load(&path).unwrap();
        if let Ok(code) = case.bytecode() {
            corpus.insert(format!("conformance-{}", case.name), [&[0u8][..], &code].concat());
        }
    }
    corpus
}

/// Each layout's encoding of conformance programs, and the clang objects of the
/// test programs (the ELF layout).
fn images() -> Corpus {
    let mut corpus = Corpus::new();
    for name in ["lddw", "call_local", "stack", "jit-bounce", "mem-len"] {
        let path = conformance::default_suite_dir().join(format!("{name}.data"));
        let Ok(case) = conformance::TestCase::load(&path) else { continue };
        let program = vm::Program::from_bytes(&case.bytecode().unwrap()).unwrap();
        let image = Image {
            program,
            data: vec![1, 2, 3, 4],
            rodata: b"hello\0".to_vec(),
            helpers: Some(vm::HelperSet::from_ids([2, 0x10])),
            functions: vec![],
            jit_hints: vec![],
        };
        for layout in [Layout::Text, Layout::Femto, Layout::Extended] {
            let plain = Image { data: vec![], rodata: vec![], helpers: None, ..image.clone() };
            let bytes = image.emit(layout).or_else(|_| plain.emit(layout)).unwrap();
            corpus.insert(format!("{}-{name}", layout.name()), [&[layout as u8][..], &bytes].concat());
        }
    }
    // A loop with the JIT's hints (as `mbpf pack` writes them by default).
    let src = "mov %r2, 0\nmov %r0, 0\nl: ldxb %r3, [%r1+0]\nadd %r0, %r3\nadd %r1, 1\nadd %r2, 1\njlt %r2, 8, l\nexit";
    let program = vm::Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
    let mut image =
        Image { program, data: vec![], rodata: vec![], helpers: None, functions: vec![], jit_hints: vec![] };
    for layout in [Layout::Femto, Layout::Extended] {
        let bytes = testbed::program::pack(&mut image, layout, true).unwrap();
        assert!(!image.jit_hints.is_empty(), "a loop has hints");
        corpus.insert(format!("{}-seeded-loop", layout.name()), [&[layout as u8][..], &bytes].concat());
    }
    let out = tempfile::tempdir().unwrap();
    for name in ["calls_only", "data_rodata_calls", "read_temperature"] {
        let src = repo().join(format!("programs/tests/{name}.c"));
        let object = testbed::compile::compile_c(&src, out.path(), "v4", &[], &[]).unwrap();
        corpus.insert(format!("elf-{name}"), [&[Layout::Elf as u8][..], &object].concat());
    }
    corpus
}

/// The SUIT draft's examples and signed envelopes of the device profile.
fn envelopes() -> Corpus {
    let mut corpus = Corpus::new();
    let dir = std::env::var_os("SUIT_EXAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/suit_examples"));
    for n in 0..=5 {
        let text = std::fs::read_to_string(dir.join(format!("example{n}.txt"))).unwrap();
        for (i, block) in text.split("~~~").enumerate().filter(|(i, _)| i % 2 == 1) {
            // The hex dumps among the blocks (the others are CBOR diagnostic notation).
            let body = block.split_once('\n').map_or("", |(_, rest)| rest);
            if !body.trim().is_empty() && body.chars().all(|c| c.is_ascii_hexdigit() || c.is_whitespace()) {
                corpus.insert(format!("example{n}-{i}"), hex(body));
            }
        }
    }
    let key = testbed::keys::testbed_key().unwrap();
    for (slot, layout) in [(0u8, 1u8), (3, 3)] {
        let update = suit::profile::SlotUpdate {
            slot,
            sequence: 1_700_000_000 + slot as u64,
            vendor_id: suit::profile::VENDOR_ID.to_vec(),
            class_id: suit::profile::CLASS_ID_MPS2_AN386.to_vec(),
            image_digest: suit::sha256(b"image"),
            image_size: 5,
            uri: "coap://10.0.2.2/image".into(),
            layout,
            helpers: vec![2, 0x10],
        };
        corpus.insert(format!("profile-slot{slot}"), key.sign_manifest(&suit::build::manifest(&update)));
    }
    corpus
}

/// The API's payloads (first byte: which decoder) and CoAP messages.
fn payloads() -> Corpus {
    let mut corpus = Corpus::new();
    let mut add = |name: &str, which: u8, bytes: Vec<u8>| {
        corpus.insert(name.to_string(), [&[which][..], &bytes].concat());
    };
    add("pull", 0, proto::encode(&proto::PullRequest { manifest_uri: "coap://10.0.2.2/m/0".into() }));
    add(
        "exec",
        3,
        proto::encode(&proto::ExecRequest {
            slot: 1,
            engine: proto::Engine::Jit,
            input: vec![1, 2, 3],
            budget: 1000,
            helpers: Some(vm::HelperSet::from_ids([2])),
        }),
    );
    add("erase", 4, proto::encode(&proto::EraseRequest { slot: 2 }));
    add("start", 5, proto::encode(&proto::StartRequest { slot: 0, input: vec![9; 4], budget: 0 }));
    add("stop", 6, proto::encode(&proto::StopRequest { slot: 0 }));
    add("sensor", 8, proto::encode(&proto::SensorRequest { index: 1, value: -40 }));
    add(
        "run",
        9,
        proto::encode(&proto::RunRequest {
            layout: 1,
            image: vec![0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
            input: vec![],
            helpers: vm::HelperSet::empty(),
            budget: 0,
            engine: proto::Engine::Interp,
        }),
    );
    add("native", 12, proto::encode(&proto::NativeRequest { kernel: "crc32".into(), data_size: 640 }));
    add("block", 13, Block { num: 3, more: true, szx: 6 }.encode().as_slice().to_vec());
    add("uri", 13, b"coap://10.0.2.2:5683/m/0".to_vec());
    let mut packet = proto::coap::request::Request {
        method: RequestType::Get,
        path: "m/0",
        payload: b"",
        block2: Some(Block { num: 1, more: false, szx: 6 }),
    }
    .to_packet(7, &[1, 2]);
    proto::coap::proxy::to_proxy(&mut packet, "coap://10.0.2.2:5683/m/0");
    add("coap-proxy", 14, packet.to_bytes().unwrap());
    let mut answer = Packet::new();
    answer.header.code = MessageClass::Response(coap_lite::ResponseType::Content);
    answer.add_option(CoapOption::Block2, Block { num: 0, more: true, szx: 2 }.encode().as_slice().to_vec());
    answer.payload = vec![0xaa; 64];
    add("coap-block2", 15, answer.to_bytes().unwrap());
    corpus
}

/// EDHOC requests as the fuzz target's device sees them: a genuine message_1, and the
/// genuine message_3 of the handshake the target begins (the same identities and
/// generator seeds as `fuzz/src/targets.rs`).
fn edhoc() -> Corpus {
    use rand_chacha::rand_core::SeedableRng;
    let device = testbed::keys::EdhocIdentity::read(&testbed::keys::edhoc_device_path()).unwrap();
    let client = testbed::keys::EdhocIdentity::read(&testbed::keys::edhoc_client_path()).unwrap();
    let mut responder = auth::Responder::new(
        rand_chacha::ChaCha20Rng::seed_from_u64(1),
        device.private_key,
        device.credential(),
        vec![client.credential()],
    );
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let (initiator, request_1) = auth::Initiator::start(&mut rng, client.private_key, client.credential(), 1).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    let (request_3, _) = initiator.finish(&message_2, device.credential()).unwrap();
    let mut corpus = Corpus::new();
    corpus.insert("message_1".into(), request_1);
    corpus.insert("message_3".into(), request_3.clone());
    corpus.insert("message_3-unknown-connection".into(), [&[0x17], &request_3[1..]].concat());
    corpus.insert("message_3-truncated".into(), request_3[..request_3.len() / 2].to_vec());
    corpus
}

/// Requests protected by the client's end of the `oscore_unprotect` target's context
/// (`device::fake::fixed_material`, as `fuzz/src/targets.rs` uses it).
fn oscore() -> Corpus {
    let mut client = auth::oscore::SecurityContext::new(&device::fake::fixed_material(false)).unwrap();
    let mut corpus = Corpus::new();
    let requests = [
        ("info", vec![]),
        ("erase", proto::encode(&proto::EraseRequest { slot: 1 })),
        ("app/1", vec![0x55; 300]),
        ("slots", vec![]),
    ];
    for (i, (path, payload)) in requests.into_iter().enumerate() {
        let request = proto::coap::request::Request {
            method: if payload.is_empty() { RequestType::Get } else { RequestType::Post },
            path,
            payload: &payload,
            block2: None,
        };
        let packet = request.to_packet(i as u16, &[i as u8]);
        let (protected, _) = auth::oscore::protect_request(&mut client, &packet).unwrap();
        corpus.insert(format!("request-{i}-{}", path.replace('/', "-")), protected.to_bytes().unwrap());
    }
    corpus
}

/// Record sequences for `device_requests` (`fuzz/src/targets.rs`): `[kind, len lo, len
/// hi, CoAP message]`, kind 0 raw and 1 OSCORE-protected by the target's client, 2 a
/// reset and 3 an EDHOC handshake. The manifests are those the target's file server
/// holds (`device::fake::manifest_uri`).
fn requests() -> Corpus {
    use device::fake::manifest_uri;
    let message = |kind: u8, method: RequestType, path: &str, payload: &[u8]| {
        let request = proto::coap::request::Request { method, path, payload, block2: None };
        let bytes = request.to_packet(0x100 + path.len() as u16, &[kind]).to_bytes().unwrap();
        [&[kind][..], &(bytes.len() as u16).to_le_bytes(), &bytes].concat()
    };
    let (get, post) = (RequestType::Get, RequestType::Post);
    let pull = |slot, sequence| proto::encode(&proto::PullRequest { manifest_uri: manifest_uri(slot, sequence) });
    let exec =
        |slot, engine| proto::encode(&proto::ExecRequest { slot, engine, input: vec![1, 2], budget: 0, helpers: None });
    let mut corpus = Corpus::new();
    corpus
        .insert("open-paths".into(), [message(0, get, "info", b""), message(0, get, ".well-known/core", b"")].concat());
    corpus.insert("unprotected-pull".into(), message(0, post, "pull", &pull(0, 5)));
    corpus.insert("edhoc-junk".into(), message(0, post, ".well-known/edhoc", &[0xf5, 0x03, 0x58, 0x20]));
    corpus.insert(
        "pull-exec-reset-replay".into(),
        [
            message(1, post, "pull", &pull(0, 5)),
            message(1, post, "exec", &exec(0, proto::Engine::Jit)),
            vec![2],
            message(1, get, "slots", b""),
            message(1, post, "pull", &pull(0, 4)),
        ]
        .concat(),
    );
    corpus.insert(
        "pull-app".into(),
        [
            message(1, post, "pull", &pull(1, 1)),
            message(1, post, "app/1", b"hello"),
            message(1, post, "app/1/jit", b""),
            message(1, post, "with_coap_pkt", b"0002"),
        ]
        .concat(),
    );
    corpus.insert(
        "pull-missing-image".into(),
        [
            message(1, post, "pull", &pull(3, 1)),
            message(1, post, "erase", &proto::encode(&proto::EraseRequest { slot: 0 })),
        ]
        .concat(),
    );
    corpus.insert(
        "background".into(),
        [
            message(1, post, "pull", &pull(0, 5)),
            message(1, post, "start", &proto::encode(&proto::StartRequest { slot: 0, input: vec![], budget: 0 })),
            message(5, get, "running", b""),
            message(1, post, "stop", &proto::encode(&proto::StopRequest { slot: 0 })),
            message(1, post, "sensor", &proto::encode(&proto::SensorRequest { index: 1, value: 7 })),
            message(1, post, "reset", b""),
        ]
        .concat(),
    );
    corpus.insert(
        "microbpf".into(),
        [
            message(1, post, "suit/pull", b"fd000000000000000000000000000001|manifest|0|0000|"),
            message(1, post, "short-execution", b"0000"),
            message(1, post, "long-running", b"0002"),
            message(1, get, "running_vm", b""),
        ]
        .concat(),
    );
    corpus.insert(
        "run".into(),
        message(
            1,
            post,
            "run",
            &proto::encode(&proto::RunRequest {
                layout: 1,
                image: vec![0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
                input: vec![],
                helpers: vm::HelperSet::empty(),
                budget: 0,
                engine: proto::Engine::Interp,
            }),
        ),
    );
    corpus.insert("handshake".into(), [vec![3 | 1 << 3], message(1, get, "slots", b"")].concat());
    corpus
}

fn check(dir: &Path, corpus: &Corpus) -> Vec<String> {
    let write = std::env::var_os("MBPF_WRITE_SEEDS").is_some();
    if write {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut stale = Vec::new();
    for (name, bytes) in corpus {
        let path = dir.join(name);
        if write {
            std::fs::write(&path, bytes).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(path.display().to_string());
        }
    }
    let on_disk = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    if on_disk != corpus.len() {
        stale.push(format!("{}: {on_disk} files, {} generated", dir.display(), corpus.len()));
    }
    stale
}

#[test]
fn the_committed_seed_corpora_are_the_generated_ones() {
    let seeds = repo().join("fuzz/seeds");
    let mut stale = Vec::new();
    for (name, corpus) in [
        ("programs", programs()),
        ("images", images()),
        ("envelopes", envelopes()),
        ("payloads", payloads()),
        ("edhoc", edhoc()),
        ("oscore", oscore()),
        ("requests", requests()),
    ] {
        assert!(corpus.len() >= 4, "{name}: only {} seeds", corpus.len());
        stale.extend(check(&seeds.join(name), &corpus));
    }
    assert!(stale.is_empty(), "stale seeds (MBPF_WRITE_SEEDS=1 writes them): {stale:#?}");
}
