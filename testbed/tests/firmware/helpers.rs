//! Device helpers on the emulated M4: the sensor registry (values set by the host),
//! GPIO, and their argument checks.

use super::common;
use testbed::Node;

use coap_lite::RequestType;
use testbed::coap_client::CoapClient;
use testbed::firmware::Variant;

async fn run(c: &mut CoapClient, asm: &str, helpers: &[u8], engine: proto::Engine) -> proto::RunResponse {
    let image = vm::asm::assemble(asm).unwrap().iter().flat_map(vm::Insn::encode).collect();
    let req = proto::RunRequest {
        layout: 0,
        image,
        input: vec![],
        helpers: vm::HelperSet::from_id_bytes(helpers),
        budget: 0,
        engine,
    };
    proto::decode(&c.request(RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.unwrap()).unwrap()
}

/// Finds the temperature sensor by type, reads it into a phydat on the stack, returns val[0].
const READ_TEMP: &str =
    "mov %r1, 0x82\ncall 0x31\nmov %r1, %r0\nmov %r2, %r10\nadd %r2, -8\ncall 0x32\nldxsh %r0, [%r10-8]\nexit";

#[tokio::test(flavor = "multi_thread")]
async fn sensors_and_gpio_through_helpers() {
    let (mut node, _logs) = common::boot("helpers", Variant::Testbed).await;
    let mut c = CoapClient::for_testbed(node.coap_addr()).unwrap();
    let set = |v: i16| proto::encode(&proto::SensorRequest { index: 0, value: v });

    for engine in [proto::Engine::Interp, proto::Engine::Jit] {
        c.request(RequestType::Post, proto::paths::SENSOR, &set(1234)).await.unwrap();
        assert_eq!(run(&mut c, READ_TEMP, &[0x31, 0x32], engine).await.result, Some(1234));
        c.request(RequestType::Post, proto::paths::SENSOR, &set(-500)).await.unwrap();
        assert_eq!(run(&mut c, READ_TEMP, &[0x31, 0x32], engine).await.result, Some(-500i64 as u64));
        // saul_read_temp into a u32 on the stack.
        let r =
            run(&mut c, "mov %r1, 1\nmov %r2, %r10\nadd %r2, -4\ncall 0x34\nldxw %r0, [%r10-4]\nexit", &[0x34], engine)
                .await;
        assert_eq!(r.result, Some(-500i32 as u32 as u64));
        // A pointer outside the program's memory is the helper's typed error.
        let r = run(&mut c, "mov %r1, 1\nmov %r2, 16\ncall 0x32\nexit", &[0x32], engine).await;
        assert_eq!(r.failure.unwrap().kind, proto::FailureKind::Helper);
        // GPIO: set LED 1, read it back; pin 5 is not an LED.
        let r = run(
            &mut c,
            "mov %r1, 0\nmov %r2, 1\nmov %r3, 1\ncall 0x72\nmov %r1, 0\nmov %r2, 1\ncall 0x71\nexit",
            &[0x71, 0x72],
            engine,
        )
        .await;
        assert_eq!(r.result, Some(1));
        let r = run(&mut c, "mov %r1, 0\nmov %r2, 5\nmov %r3, 1\ncall 0x72\nexit", &[0x72], engine).await;
        assert_eq!(r.failure.unwrap().kind, proto::FailureKind::Helper);
    }
    // An unknown sensor index is refused.
    let bad = proto::encode(&proto::SensorRequest { index: 9, value: 1 });
    assert!(c.request(RequestType::Post, proto::paths::SENSOR, &bad).await.is_err());
    assert!(node.crashed().is_none());
    node.stop();
}

/// Stores keys 0..64 with value key + 100 in the local store, overwrites key 0 with 7,
/// and returns key 5's value.
const FILL_KV: &str = "mov %r6, 0
l: mov %r1, %r6
mov %r2, %r6
add %r2, 100
call 0x10
add %r6, 1
jne %r6, 64, l
mov %r1, 0
mov %r2, 7
call 0x10
mov %r1, 5
mov %r2, %r10
add %r2, -4
call 0x12
ldxw %r0, [%r10-4]
exit";

#[tokio::test(flavor = "multi_thread")]
async fn a_full_key_value_store_takes_updates_and_refuses_new_keys() {
    let (mut node, _logs) = common::boot("kv", Variant::Testbed).await;
    let mut c = CoapClient::for_testbed(node.coap_addr()).unwrap();
    // 64 keys fill the namespace; updating one of them still works.
    // (With a global key stored first: a namespace's count is its own entries only.)
    let global_1 = "mov %r1, 1\nmov %r2, 5\ncall 0x11\nexit";
    assert_eq!(run(&mut c, global_1, &[0x11], proto::Engine::Interp).await.result, Some(0));
    assert_eq!(run(&mut c, FILL_KV, &[0x10, 0x12], proto::Engine::Interp).await.result, Some(105));
    let fetch_0 = "mov %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 0x12\nldxw %r0, [%r10-4]\nexit";
    for engine in [proto::Engine::Interp, proto::Engine::Jit] {
        // A 65th key is the helper's typed error, and loses nothing stored.
        let r = run(&mut c, "mov %r1, 64\nmov %r2, 1\ncall 0x10\nexit", &[0x10], engine).await;
        assert_eq!(r.failure.unwrap().kind, proto::FailureKind::Helper);
        assert_eq!(run(&mut c, fetch_0, &[0x12], engine).await.result, Some(7));
    }
    // The global namespace has room of its own, and its key 0 is not the local one.
    let global = "mov %r1, 0\nmov %r2, 99\ncall 0x11\nmov %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 0x13\n\
                  ldxw %r0, [%r10-4]\nexit";
    assert_eq!(run(&mut c, global, &[0x11, 0x13], proto::Engine::Interp).await.result, Some(99));
    assert_eq!(run(&mut c, fetch_0, &[0x12], proto::Engine::Interp).await.result, Some(7));
    assert!(node.crashed().is_none());
    node.stop();
}

/// Returns local key 0 as it was, then stores `value` there.
fn swap_local_0(value: u32) -> String {
    format!(
        "mov %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 0x12\nldxw %r6, [%r10-4]\n\
         mov %r1, 0\nmov %r2, {value}\ncall 0x10\nmov %r0, %r6\nexit"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn each_slot_keeps_its_own_key_value_namespace() {
    let mut b = common::Bench::start().await;
    let key = common::testbed_key();
    let global = common::image_of("mov %r1, 0\nmov %r2, 33\ncall 0x11\nexit");
    b.pull(&b.publish_to(3, "g.femto", &global, 1, &[0x11], &key)).await.unwrap();
    for (slot, value) in [(1u8, 11), (2, 22)] {
        let image = common::image_of(&swap_local_0(value));
        b.pull(&b.publish_to(slot, &format!("s{slot}.femto"), &image, 1, &[0x10, 0x12], &key)).await.unwrap();
    }
    let mut exec = async |slot: u8| b.exec_slot(slot, proto::Engine::Interp).await.result;
    // Global key 0 is 33; each slot's key 0 is its own.
    assert_eq!(exec(3).await, Some(0));
    assert_eq!(exec(1).await, Some(0), "slot 1 reads the global key");
    assert_eq!(exec(2).await, Some(0), "slot 2 reads slot 1's key");
    assert_eq!(exec(1).await, Some(11), "slot 1 lost its key");
    assert_eq!(exec(2).await, Some(22));
    assert!(b.node.crashed().is_none());
    b.stop();
}

/// Formats `value` with `digits` (fmt_s16_dfp) on the stack and returns a hash of the
/// text with its length in the top byte.
fn fmt_s16_dfp_program(value: i16, digits: i32) -> String {
    format!(
        "mov %r1, %r10\nadd %r1, -32\nmov %r2, {value}\nmov %r3, {digits}\ncall 0x50\n\
         mov %r6, %r0\nmov %r7, 0\nmov %r0, 0\n\
         l: jge %r7, %r6, done\nmov %r1, %r10\nadd %r1, -32\nadd %r1, %r7\nldxb %r2, [%r1+0]\n\
         mul %r0, 31\nadd %r0, %r2\nadd %r7, 1\nja l\n\
         done: lsh %r6, 56\nxor %r0, %r6\nexit"
    )
}

/// What `fmt_s16_dfp` must write: RIOT's fixed-point text, `value * 10^-digits`.
fn fmt_s16_dfp_reference(value: i16, digits: i32) -> String {
    if digits <= 0 {
        return (value as i64 * 10i64.pow(digits.unsigned_abs())).to_string();
    }
    let div = 10u32.pow(digits as u32);
    let a = u32::from(value.unsigned_abs());
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}.{:0width$}", a / div, a % div, width = digits as usize)
}

#[tokio::test(flavor = "multi_thread")]
async fn fixed_point_text_for_every_digit_count() {
    let (mut node, _logs) = common::boot("fmt", Variant::Testbed).await;
    let mut c = CoapClient::for_testbed(node.coap_addr()).unwrap();
    for value in [0i16, 5, -5, 99, 100, -101, 12345, i16::MAX, i16::MIN] {
        for digits in -7..=7 {
            let text = fmt_s16_dfp_reference(value, digits);
            let expected =
                text.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)) ^ (text.len() as u64) << 56;
            let r = run(&mut c, &fmt_s16_dfp_program(value, digits), &[0x50], proto::Engine::Interp).await;
            assert_eq!(r.result, Some(expected), "{value} with {digits} digits: {text}");
        }
    }
    // Digits beyond ±7 are the helper's typed error.
    let r = run(&mut c, &fmt_s16_dfp_program(1, 8), &[0x50], proto::Engine::Interp).await;
    assert_eq!(r.failure.unwrap().kind, proto::FailureKind::Helper);
    assert!(node.crashed().is_none());
    node.stop();
}

/// Stores global key 3 through `callx` (4), then through `call 0x11` (5), and returns
/// what `call 0x13` reads back: the JIT takes the first to `rt_helper`, the others to
/// their helpers' own entries.
const STORE_BOTH_WAYS: &str = "mov %r6, 0x11\nmov %r1, 3\nmov %r2, 4\ncall %r6\nmov %r1, 3\nmov %r2, 5\ncall 0x11\n\
                               mov %r1, 3\nmov %r2, %r10\nadd %r2, -4\ncall 0x13\nldxw %r0, [%r10-4]\nexit";

#[tokio::test(flavor = "multi_thread")]
async fn a_helper_the_run_does_not_allow_or_the_device_lacks_stops_the_run_at_its_call() {
    let (mut node, _logs) = common::boot("calls", Variant::Testbed).await;
    let mut c = CoapClient::for_testbed(node.coap_addr()).unwrap();
    let failure = |r: proto::RunResponse| {
        let f = r.failure.expect("the run fails");
        assert_eq!(f.kind, proto::FailureKind::Helper, "{f:?}");
        (f.pc, f.message)
    };
    for engine in [proto::Engine::Interp, proto::Engine::Jit] {
        assert_eq!(run(&mut c, STORE_BOTH_WAYS, &[0x11, 0x13], engine).await.result, Some(5), "{engine:?}");
        // `callx` of a helper the list leaves out (the verifier cannot see its id).
        let callx = "mov %r6, 0x11\nmov %r1, 3\nmov %r2, 4\ncall %r6\nexit";
        let (pc, message) = failure(run(&mut c, callx, &[0x13], engine).await);
        assert_eq!(pc, Some(3), "{engine:?}: {message}");
        assert!(message.contains("0x11 is not allowed"), "{engine:?}: {message}");
        // Helpers allowed but not on this device: one with an id in the JIT's table of
        // entries, one past it.
        for id in [0x61, 0xc8] {
            let (pc, message) = failure(run(&mut c, &format!("call {id}\nexit"), &[id as u8], engine).await);
            assert_eq!(pc, Some(0), "{engine:?}: {message}");
            assert!(message.contains(&format!("helper {id:#x} is not implemented")), "{engine:?}: {message}");
        }
    }
    assert!(node.crashed().is_none());
    node.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_may_narrow_the_helpers_its_slot_was_granted() {
    let mut b = common::Bench::start().await;
    let image = common::image_of(STORE_BOTH_WAYS);
    b.pull(&b.publish_with("both.femto", &image, 1, &[0x11, 0x13], &common::testbed_key())).await.unwrap();
    for engine in [proto::Engine::Interp, proto::Engine::Jit] {
        let mut exec = async |helpers: Option<&[u32]>| {
            b.exec_slot_allowing(1, engine, helpers.map(|h| vm::HelperSet::from_ids(h.iter().copied()))).await
        };
        assert_eq!(exec(None).await.result, Some(5), "{engine:?}");
        // Without 0x13 the run ends at `call 0x13`, after both stores.
        let f = exec(Some(&[0x11])).await.failure.expect("fetch_global is not allowed");
        assert_eq!((f.kind, f.pc), (proto::FailureKind::Helper, Some(10)), "{engine:?}: {f:?}");
        assert!(f.message.contains("0x13 is not allowed"), "{engine:?}: {f:?}");
        // With neither, at the first call, `callx`.
        let f = exec(Some(&[])).await.failure.expect("store_global is not allowed");
        assert_eq!((f.kind, f.pc), (proto::FailureKind::Helper, Some(3)), "{engine:?}: {f:?}");
    }
    assert!(b.node.crashed().is_none());
    b.stop();
}
