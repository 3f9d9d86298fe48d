//! Every seed (`seeds/`) and every finding kept (`regressions/TARGET/`) through its
//! target, with the heap counted as in the fuzzer's `jit_compile`.
use std::path::Path;

#[global_allocator]
static ALLOC: mbpf_fuzz::counting::Counting = mbpf_fuzz::counting::Counting;

type Target = fn(&[u8]);

/// Each target with the seed folders the fuzzer starts it from (as `ci/fuzz` does).
const TARGETS: &[(&str, Target, &[&str])] = &[
    ("verify_interp", mbpf_fuzz::targets::verify_interp, &["programs"]),
    ("jit_compile", mbpf_fuzz::targets::jit_compile, &["programs"]),
    ("image_load", mbpf_fuzz::targets::image_load, &["images"]),
    ("suit_envelope", mbpf_fuzz::targets::suit_envelope, &["envelopes"]),
    ("proto_decode", mbpf_fuzz::targets::proto_decode, &["payloads"]),
    ("edhoc_responder", mbpf_fuzz::targets::edhoc_responder, &["edhoc"]),
    ("oscore_unprotect", mbpf_fuzz::targets::oscore_unprotect, &["oscore"]),
    ("device_requests", mbpf_fuzz::targets::device_requests, &["requests"]),
];

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    files
}

/// One test, so that heap counting sees one compile at a time.
#[test]
fn every_seed_and_every_kept_finding_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for (name, target, seeds) in TARGETS {
        let mut inputs = files(&root.join("regressions").join(name));
        for seed in *seeds {
            inputs.extend(files(&root.join("seeds").join(seed)));
        }
        for input in inputs {
            let bytes = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&bytes));
            assert!(outcome.is_ok(), "{name} fails on {}", input.display());
            ran += 1;
        }
    }
    assert!(ran > 300, "only {ran} inputs");
}
