//! The JIT against the interpreter, both on the emulated Cortex-M4: random valid
//! programs (loops, calls, helper calls, memory accesses inside and outside the
//! regions, every ALU and jump kind) must give the same r0, the same failure and the
//! same memory. 10,000 programs per CI run with a fixed seed; `MBPF_DIFF_COUNT` and
//! `MBPF_DIFF_SEED` run more or others.
use std::time::Duration;

use coap_lite::RequestType;
use tools::coap_client::CoapClient;
use tools::firmware::{self, Variant};
use vm::testgen::{program, Rng};

/// memcpy and unwind: helpers whose effects are the same on both engines and leave no
/// state behind between runs.
const HELPERS: &[i32] = &[0x02, 0x05];
const BUDGET: u64 = 20_000;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run(client: &mut CoapClient, image: &[u8], input: &[u8], engine: proto::Engine) -> Result<proto::RunResponse, String> {
    let req = proto::RunRequest { layout: 0, image: image.to_vec(), input: input.to_vec(), helpers: HELPERS.iter().map(|&h| h as u8).collect(), budget: BUDGET, engine };
    let bytes = client.request(RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.map_err(|e| format!("{engine:?}: {e}"))?;
    proto::decode(&bytes).map_err(|e| format!("{engine:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn jit_and_interpreter_agree_on_random_programs() {
    let count = env("MBPF_DIFF_COUNT", 10_000);
    let seed = env("MBPF_DIFF_SEED", 0x6d62_7066);
    let fw = firmware::build(&firmware::repo_root(), Variant::Testbed).unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut node = tools::qemu::boot("diff", &fw, logs.path()).unwrap();
    node.wait_ready(Duration::from_secs(30)).await.unwrap();
    let mut client = CoapClient::new(node.coap_addr())
        .with_retransmit(tools::coap_client::Retransmit { ack_timeout: Duration::from_secs(2), max_retransmit: 1 });
    let mut rng = Rng::new(seed);
    let (mut compared, mut rejected, mut faulted, mut mismatches) = (0, 0, 0, Vec::new());
    for n in 0..count {
        let len = 1 + (rng.next_u64() % 24) as usize;
        let insns = program(&mut rng, len, HELPERS);
        let image: Vec<u8> = insns.iter().flat_map(vm::Insn::encode).collect();
        let input: Vec<u8> = (0..32).map(|_| rng.next_u64() as u8).collect();
        let text = || vm::disasm::disassemble(&insns).join("\n  ");
        let lost = |e: String, node: &mut tools::qemu::QemuNode| {
            let console = std::fs::read_to_string(node.console_log()).unwrap_or_default();
            let tail: Vec<&str> = console.lines().rev().take(5).collect();
            panic!("device lost on program {n} ({e}); crash: {:?}\n  {}\nconsole tail: {tail:?}", node.crashed(), text())
        };
        let a = match run(&mut client, &image, &input, proto::Engine::Interp).await {
            Ok(a) => a,
            Err(e) => lost(e, &mut node),
        };
        if a.failure.as_ref().is_some_and(|f| f.kind == proto::FailureKind::Verify) {
            rejected += 1;
            continue;
        }
        let b = match run(&mut client, &image, &input, proto::Engine::Jit).await {
            Ok(b) => b,
            Err(e) => lost(e, &mut node),
        };
        compared += 1;
        let kind = |r: &proto::RunResponse| r.failure.as_ref().map(|f| f.kind);
        let budget = kind(&a) == Some(proto::FailureKind::Budget);
        // The budget counts instructions in the interpreter and backward branches and
        // calls in the JIT: a program stopped by it is compared by kind only.
        let same = if budget || kind(&b) == Some(proto::FailureKind::Budget) {
            budget && kind(&b) == Some(proto::FailureKind::Budget)
        } else {
            a.result == b.result && kind(&a) == kind(&b) && a.failure.as_ref().map(|f| f.pc) == b.failure.as_ref().map(|f| f.pc) && a.input == b.input
        };
        if a.failure.is_some() {
            faulted += 1;
        }
        if !same {
            mismatches.push(format!("program {n}:\n  {}\n  interp: {:?} {:?}\n  jit:    {:?} {:?}", text(), a.result, a.failure, b.result, b.failure));
            if mismatches.len() >= 5 {
                break;
            }
        }
    }
    node.stop();
    eprintln!("differential: {compared} compared ({faulted} ended in a failure), {rejected} rejected by the verifier, {} mismatches, seed {seed:#x}", mismatches.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
    assert!(compared as u64 >= count / 2, "only {compared} of {count} programs verified");
}
