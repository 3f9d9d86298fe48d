//! Loading, verifying and compiling cost the same whatever the heap went through
//! before: their tables live in a scratch block (`firmware/src/heap.rs`), not in the
//! first-fit heap whose free list any earlier request reshapes. Benchmarks and merged
//! shards rely on it: the same image loaded and compiled in two scenarios, or after a
//! longer history, must count the same. And a compile needs about the tables it holds
//! at once, not all it ever allocated: what it frees is taken again.
use super::common;

use coap_lite::RequestType;
use testbed::coap_client::CoapClient;
use testbed::firmware::Variant;
use testbed::Node;

/// `store_global`: its entries stay on the heap between runs.
const STORE_GLOBAL: u32 = 0x11;

async fn run(client: &mut CoapClient, asm: &str, engine: proto::Engine) -> proto::RunResponse {
    let req = proto::RunRequest {
        layout: 0,
        image: vm::asm::assemble(asm).unwrap().iter().flat_map(vm::Insn::encode).collect(),
        input: Vec::new(),
        helpers: vm::HelperSet::from_ids([STORE_GLOBAL]),
        budget: 1_000_000,
        engine,
    };
    let bytes = client.request(RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.unwrap();
    proto::decode(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_load_verify_and_compile_cost_the_same_after_any_heap_history() {
    let (mut node, logs) = common::boot("compile-cost", Variant::Testbed).await;
    let mut client = CoapClient::for_testbed(node.coap_addr()).unwrap();
    // A loop with a counter, a pointer and a helper call: every pass of the JIT works.
    let program = "mov %r6, 0\nmov %r7, 0\nmov %r8, %r10\nadd %r8, -64\n\
                   stxdw [%r8+0], %r6\nldxdw %r1, [%r8+0]\nadd %r7, %r1\nadd %r6, 1\n\
                   jlt %r6, 20, -5\nmov %r1, 1000\nmov %r2, %r7\ncall 0x11\nmov %r0, %r7\nexit";
    let counts = |r: &proto::RunResponse| {
        assert_eq!(r.result, Some(190), "{r:?}");
        (r.costs.load_counts, r.costs.verify_counts, r.costs.compile_counts, r.costs.compile_memory)
    };
    let first = counts(&run(&mut client, program, proto::Engine::Jit).await);
    assert!(first.0 > 0 && first.1 > 0 && first.2 > 0 && first.3 > Some(0), "{first:?}");
    // Reshape the heap: key-value entries that stay, allocated between the buffers of
    // requests of several sizes, some of them compiles.
    for round in 0..6u32 {
        let keys = 3 + 2 * round;
        let store = format!(
            "mov %r6, {}\nmov %r1, %r6\nmov %r2, %r6\ncall 0x11\nadd %r6, 1\njlt %r6, {}, -5\nmov %r0, 0\nexit",
            100 * round,
            100 * round + keys
        );
        let padding = "mov %r0, 0\n".repeat(20 * round as usize);
        let engine = if round % 2 == 0 { proto::Engine::Interp } else { proto::Engine::Jit };
        assert_eq!(run(&mut client, &format!("{padding}{store}"), engine).await.result, Some(0));
    }
    for _ in 0..2 {
        let again = counts(&run(&mut client, program, proto::Engine::Jit).await);
        assert_eq!(again, first, "(load, verify, compile, compile memory) after other requests");
    }
    assert!(node.crashed().is_none());
    drop(logs);
}

/// The most bytes the host's compile of `image` holds at once (the test binary's
/// allocator is `testbed::live_peak::LivePeak`).
fn host_live_peak(image: &vm::image::Image) -> usize {
    let (compiled, peak) =
        testbed::live_peak::measure(|| jit::compile_hinted(&image.program, jit::Sizes::of(image), &image.jit_hints));
    assert!(compiled.is_ok(), "{:?}", compiled.err());
    peak
}

#[tokio::test(flavor = "multi_thread")]
async fn a_compile_needs_about_its_live_tables_not_all_it_ever_allocated() {
    // SHA-256 (bpf-to-bpf calls, 401 slots): the analysis's states are freed before
    // the allocator makes its tables, under tables that stay.
    let repo = testbed::repo_root();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bench_data.h"), proto::bench::data_header(640)).unwrap();
    let elf = testbed::compile::compile_c(
        &repo.join("programs/bench/sha256.c"),
        dir.path(),
        "v3",
        &[],
        &[dir.path().to_path_buf()],
    )
    .unwrap();
    let femto = vm::image::Image::load(vm::image::Layout::Elf, &elf).unwrap().emit(vm::image::Layout::Femto).unwrap();
    let live = host_live_peak(&vm::image::Image::load(vm::image::Layout::Femto, &femto).unwrap());

    let mut bench = common::Bench::start().await;
    let uri = bench.publish("sha256.bin", &femto, &femto, 1, &common::testbed_key());
    bench.pull(&uri).await.unwrap();
    let answer = bench.exec_with(proto::Engine::Jit).await;
    assert!(answer.failure.is_none(), "{answer:?}");
    let held = answer.costs.compile_memory.expect("a JIT run that compiled says what it held") as usize;
    // The device's tables are no larger than the host's (32-bit words where the host
    // has 64); alignment skipped inside holes and the code buffer's growth add a
    // little. Holding all it ever allocated, the device needed 30 % over the host's
    // live peak.
    assert!(
        held * 100 <= live * 115 && held * 100 >= live * 80,
        "the device's compile held {held} bytes; the host's live tables peak at {live}"
    );
    assert!(bench.node.crashed().is_none());
    bench.stop();
}
