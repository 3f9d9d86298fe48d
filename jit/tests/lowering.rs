//! Golden tests of lowering, as Cranelift's filetests: each `lowering/*.s` file is an
//! eBPF program, then the listing the JIT must produce for it (each eBPF instruction
//! with the Thumb-2 it became, disassembled by LLVM's `llvm-mc`). A lowering change
//! shows up here as a diff to review, on the host, without QEMU.
//!
//! `MBPF_BLESS=1 cargo test -p jit --test lowering` rewrites the expected listings
//! from what the JIT produces now; review the diff before committing it.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A case whose program is a file of the repository says so in a line of its own
/// (`# program: programs/asm/fletcher16.s`), instead of holding a copy.
const PROGRAM: &str = "# program: ";

/// The line that separates a case's program from its expected listing.
const SEPARATOR: &str = "# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)";

fn llvm_mc() -> String {
    if let Ok(tool) = std::env::var("MBPF_LLVM_MC") {
        return tool;
    }
    ["llvm-mc-19", "llvm-mc-22", "llvm-mc"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("no llvm-mc: install Debian's llvm-19 (ci/setup does) or set MBPF_LLVM_MC")
        .to_string()
}

/// One line per Thumb-2 instruction of `code`, as LLVM disassembles it.
fn disassemble(code: &[u8]) -> Vec<String> {
    let mut child = Command::new(llvm_mc())
        .args(["--disassemble", "--triple=thumbv7em-none-eabihf"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("llvm-mc runs");
    child.stdin.take().unwrap().write_all(jit::listing::llvm_mc_input(code).as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    jit::listing::llvm_mc_output(&String::from_utf8_lossy(&out.stdout))
}

/// The listing the JIT produces for `source` (eBPF assembly). `lddwr` (an image's
/// `.rodata` reference) has no assembler syntax: a case writes `lddw %rN, 0x7ead0000 +
/// offset`, patched here.
fn lower(source: &str) -> String {
    let mut insns = vm::asm::assemble(source).expect("the case assembles");
    for i in insns.iter_mut().filter(|i| i.opc == vm::opcode::LDDW && i.imm >> 16 == 0x7ead) {
        i.opc = vm::opcode::LDDWR;
        i.imm &= 0xffff;
    }
    let program = vm::Program::from_insns(insns).unwrap();
    vm::verify(&program, &vm::HelperSet::all()).expect("the case verifies");
    let compiled = jit::compile_for(&program, jit::Sizes::default()).expect("the case compiles");
    jit::listing::listing(&program, &compiled, &disassemble(&compiled.code))
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lowering");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_case_lowers_to_its_expected_listing() {
    let bless = std::env::var_os("MBPF_BLESS").is_some();
    let files = cases();
    assert!(files.len() >= 8, "the lowering cases are missing");
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (source, expected) = match text.split_once(SEPARATOR) {
            Some((s, e)) => (s.to_string(), e.trim_start_matches('\n').to_string()),
            None => (text.clone(), String::new()),
        };
        let program = match source.lines().find_map(|l| l.strip_prefix(PROGRAM)) {
            Some(file) => {
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file.trim())).unwrap()
            }
            None => source.clone(),
        };
        let got: String = lower(&program).lines().map(|l| format!("# {l}\n")).collect();
        if got == expected {
            continue;
        }
        if bless {
            std::fs::write(&path, format!("{}\n{SEPARATOR}\n{got}", source.trim_end())).unwrap();
            continue;
        }
        let (line, want, have) = expected
            .lines()
            .zip(got.lines().chain(std::iter::repeat("<end>")))
            .enumerate()
            .find(|(_, (w, h))| w != h)
            .map(|(n, (w, h))| (n + 1, w.to_string(), h.to_string()))
            .unwrap_or((
                expected.lines().count() + 1,
                "<end>".into(),
                got.lines().nth(expected.lines().count()).unwrap_or("").into(),
            ));
        failures.push(format!("{}: listing line {line}\n  expected: {want}\n  got:      {have}", path.display()));
    }
    assert!(
        failures.is_empty(),
        "lowering changed (review, then re-bless with MBPF_BLESS=1 cargo test -p jit --test lowering):\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_changed_expectation_is_caught() {
    let source = "mov %r0, 1\nexit\n";
    let listing = lower(source);
    assert!(listing.contains("    0: mov %r0, 1\n"), "{listing}");
    assert_ne!(listing, lower("mov %r0, 2\nexit\n"));
}
