//! `mbpf` subcommands that need no device, including their error cases.
use assert_cmd::Command;
use predicates::prelude::*;

fn mbpf() -> Command {
    Command::cargo_bin("mbpf").unwrap()
}

const PROGRAM: &str = "mov %r0, 0\nloop:\nadd %r0, 3\njlt %r0, 30, loop\nexit\n";

#[test]
fn asm_then_disasm_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.s");
    let bin = dir.path().join("p.bin");
    std::fs::write(&src, PROGRAM).unwrap();
    mbpf().arg("asm").arg(&src).arg("-o").arg(&bin).assert().success();
    assert_eq!(std::fs::read(&bin).unwrap().len(), 4 * 8);
    mbpf().arg("disasm").arg(&bin).assert().success().stdout("mov %r0, 0\nadd %r0, 3\njlt %r0, 0x1e, -2\nexit\n");
}

#[test]
fn asm_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("bad.s");
    std::fs::write(&src, "mov %r0, 1\nfrobnicate %r1\n").unwrap();
    mbpf()
        .arg("asm")
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("x"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.s").and(predicate::str::contains("line 2")));
    mbpf()
        .arg("asm")
        .arg(dir.path().join("missing.s"))
        .arg("-o")
        .arg("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn verify_accepts_good_code_and_shows_the_rejected_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("p.bin");
    // call 0x20 (now_ms) then exit.
    std::fs::write(&bin, [0x85, 0, 0, 0, 0x20, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    mbpf()
        .arg("verify")
        .arg(&bin)
        .arg("--helpers")
        .arg("now_ms")
        .assert()
        .success()
        .stdout(predicate::str::contains("ok"));
    mbpf().arg("verify").arg(&bin).assert().failure().stderr(
        predicate::str::contains("instruction 0: helper 0x20 is not in the program's allow-list")
            .and(predicate::str::contains("call 32")),
    );
    mbpf()
        .arg("verify")
        .arg(&bin)
        .arg("--helpers")
        .arg("no_such_helper")
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown helper `no_such_helper`"));
    std::fs::write(&bin, [0x95, 0, 0]).unwrap();
    mbpf().arg("verify").arg(&bin).assert().failure().stderr(predicate::str::contains("not a multiple of 8"));
}

#[test]
fn keygen_sign_and_suit_show() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mbpf().current_dir(d).args(["keygen", "-o", "a.key"]).assert().success();
    mbpf()
        .current_dir(d)
        .args(["keygen", "-o", "a.key"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    mbpf().current_dir(d).args(["keygen", "-o", "b.key"]).assert().success();
    std::fs::write(d.join("p.s"), PROGRAM).unwrap();
    mbpf().current_dir(d).args(["asm", "p.s", "-o", "p.bin"]).assert().success();

    // Sequence numbers rise per slot, kept in the server root.
    mbpf()
        .current_dir(d)
        .args(["sign", "p.bin", "--key", "a.key", "--slot", "3", "--layout", "text", "-o", "one.suit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sequence 1"));
    mbpf()
        .current_dir(d)
        .args(["sign", "p.bin", "--key", "a.key", "--slot", "3", "--layout", "text", "-o", "two.suit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sequence 2"));
    mbpf()
        .current_dir(d)
        .args(["sign", "p.bin", "--key", "a.key", "--slot", "4", "--layout", "text", "-o", "other.suit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sequence 1"));

    mbpf().current_dir(d).args(["suit", "show", "two.suit", "--key", "a.key.pub"]).assert().success().stdout(
        predicate::str::contains("sequence number 2")
            .and(predicate::str::contains("signature check (Ed25519, a.key.pub): valid"))
            .and(predicate::str::contains("uri: \"coap://10.0.2.2:5683/p.bin\"")),
    );
    mbpf()
        .current_dir(d)
        .args(["suit", "show", "two.suit", "--key", "b.key.pub"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("bad signature"));

    // ES256 keys sign too (for SUIT consumers other than mbpf devices).
    mbpf().current_dir(d).args(["keygen", "--alg", "es256", "-o", "e.key"]).assert().success();
    mbpf()
        .current_dir(d)
        .args(["sign", "p.bin", "--key", "e.key", "--slot", "3", "--layout", "text", "-o", "es.suit"])
        .assert()
        .success();
    mbpf().current_dir(d).args(["suit", "show", "es.suit", "--key", "e.key.pub"]).assert().success().stdout(
        predicate::str::contains("alg -7 (ES256)")
            .and(predicate::str::contains("signature check (ES256, e.key.pub): valid")),
    );
    mbpf()
        .current_dir(d)
        .args(["suit", "show", "es.suit", "--key", "a.key.pub"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("unsupported signature algorithm -7"));

    // A file that is not a valid image of the layout is not signed.
    std::fs::write(d.join("junk.bin"), b"junk").unwrap();
    mbpf()
        .current_dir(d)
        .args(["sign", "junk.bin", "--key", "a.key", "--slot", "1", "--layout", "femto"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a valid femto image"));
    mbpf()
        .current_dir(d)
        .args(["sign", "p.bin", "--key", "p.s", "--slot", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not an Ed25519 secret key"));
    mbpf()
        .current_dir(d)
        .args(["suit", "show", "p.bin"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a SUIT envelope"));
}

#[test]
fn conformance_on_a_folder_of_cases_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.data"), "-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n").unwrap();
    std::fs::write(dir.path().join("wrong.data"), "-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n").unwrap();
    mbpf().arg("conformance").arg(dir.path()).assert().failure().stdout(
        predicate::str::contains("FAIL wrong: expected 0x3, got 0x2")
            .and(predicate::str::contains("1 passed, 1 failed")),
    );
    mbpf()
        .arg("conformance")
        .arg(dir.path().join("nowhere"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot list"));
}

#[test]
fn jit_disasm_shows_thumb2_under_each_ebpf_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.s");
    std::fs::write(&src, PROGRAM).unwrap();
    mbpf().arg("jit").arg(&src).arg("--disasm").assert().success().stdout(
        predicate::str::contains("bytes of Thumb-2")
            .and(predicate::str::contains("push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}"))
            .and(predicate::str::contains("    2: jlt %r0, 0x1e, -2"))
            .and(predicate::str::contains("pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}")),
    );
    // And what the compile held, counted: a loop's tables are some hundreds of bytes.
    let out = mbpf().arg("jit").arg(&src).assert().success().get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    let held: usize = out
        .split("the compile held ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no compile memory in {out}"));
    assert!((256..64 * 1024).contains(&held), "{out}");
    std::fs::write(&src, "ja +5\nexit\n").unwrap();
    mbpf().arg("jit").arg(&src).assert().failure().stderr(predicate::str::contains("verifier"));
}

#[test]
fn packed_images_bring_jit_hints_that_change_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = d.join("sum.c");
    std::fs::write(
        &src,
        "#include <stdint.h>\nuint64_t entry(uint8_t *p) { uint64_t s = 0; for (int i = 0; i < 64; i++) s += p[i]; return s; }\n",
    )
    .unwrap();
    mbpf().arg("compile").arg(&src).arg("-o").arg(d.join("sum.o")).assert().success();
    let pack = |extra: &[&str], out: &str| {
        let args = [&["pack", "--layout", "femto"][..], extra, &["-o"]].concat();
        let shown =
            mbpf().args(args).arg(d.join(out)).arg(d.join("sum.o")).assert().success().get_output().stdout.clone();
        String::from_utf8(shown).unwrap()
    };
    assert!(!pack(&[], "seeded.femto").contains(" 0 bytes of JIT hints"));
    assert!(pack(&["--no-jit-hints"], "plain.femto").contains(" 0 bytes of JIT hints"));
    let jit = |file: &str| {
        let out = mbpf().args(["jit", "--disasm"]).arg(d.join(file)).assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    };
    let (seeded, plain) = (jit("seeded.femto"), jit("plain.femto"));
    assert!(seeded.contains("bytes of JIT hints (loop heads' states "), "{seeded}");
    assert!(seeded.contains("B: they pass the check)"), "{seeded}");
    assert!(plain.contains("the image brings no JIT hints"), "{plain}");
    // (The compile holds less with them: the homes are checked, not allocated.)
    let code = |listing: &str| {
        listing
            .lines()
            .filter(|l| !l.contains("JIT hints") && !l.contains("the compile held"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(code(&seeded), code(&plain), "the hints changed the code");
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn compile_and_pack_every_layout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = repo().join("programs/tests/data_rodata_calls.c");
    mbpf()
        .arg("compile")
        .arg(&src)
        .arg("-o")
        .arg(d.join("p.o"))
        .assert()
        .success()
        .stdout(predicate::str::contains("eBPF ELF object"));
    for layout in ["femto", "extended", "elf"] {
        mbpf()
            .arg("pack")
            .arg(d.join("p.o"))
            .args(["--layout", layout, "--helpers", "strlen", "-o"])
            .arg(d.join(format!("p.{layout}")))
            .assert()
            .success();
    }
    // .rodata/.data cannot go into the text layout: a clear error, not a broken image.
    mbpf()
        .arg("pack")
        .arg(d.join("p.o"))
        .args(["--layout", "text", "--helpers", "strlen", "-o"])
        .arg(d.join("p.text"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot carry .data or .rodata"));
    // A helper the program calls but the list does not allow.
    mbpf()
        .arg("pack")
        .arg(d.join("p.o"))
        .args(["--layout", "femto", "-o"])
        .arg(d.join("x"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("helper 0x52"));
    // The extended layout carries the helper list; the femto one is signed and shown.
    let ext = std::fs::read(d.join("p.extended")).unwrap();
    assert_eq!(*ext.last().unwrap(), 0x52);
    // disasm, verify and jit read the object and every image, found from the file
    // (the extended layout shares the femto magic: named), to the same program.
    let text = |args: &[&str], file: &str| {
        String::from_utf8(mbpf().args(args).arg(d.join(file)).assert().success().get_output().stdout.clone()).unwrap()
    };
    let from_object = text(&["disasm"], "p.o");
    assert!(from_object.contains("exit"), "{from_object}");
    assert_eq!(text(&["disasm"], "p.femto"), from_object);
    assert_eq!(text(&["disasm", "--layout", "extended"], "p.extended"), from_object);
    assert!(text(&["verify", "--helpers", "strlen"], "p.femto").contains("ok"));
    // (The femto image brings the JIT's hints, the object none: the code is the same.)
    let code = |listing: String| {
        listing
            .lines()
            .filter(|l| !l.contains("JIT hints") && !l.contains("the compile held"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(code(text(&["jit"], "p.femto")), code(text(&["jit"], "p.o")));
    mbpf()
        .args(["disasm", "--layout", "elf"])
        .arg(d.join("p.femto"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot load it in the elf layout"));
    // clang's own diagnostics pass through.
    std::fs::write(d.join("bad.c"), "int entry(void) { return undeclared; }").unwrap();
    mbpf()
        .arg("compile")
        .arg(d.join("bad.c"))
        .arg("-o")
        .arg(d.join("bad.o"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("undeclared"));
    // Without a clang, the error says what to install.
    mbpf()
        .env("MBPF_CLANG", "/nonexistent/clang")
        .arg("compile")
        .arg(&src)
        .arg("-o")
        .arg(d.join("q.o"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot run"));
}

#[test]
fn mbpf_toml_supplies_defaults_that_flags_override() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sub = d.join("work/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    mbpf().current_dir(d).args(["keygen", "-o", "cfg.key"]).assert().success();
    std::fs::write(d.join("mbpf.toml"), "key = \"cfg.key\"\nroot = \"served\"\n").unwrap();
    std::fs::create_dir_all(d.join("served")).unwrap();
    std::fs::write(sub.join("p.s"), PROGRAM).unwrap();
    mbpf().current_dir(&sub).args(["asm", "p.s", "-o", "p.bin"]).assert().success();
    // No --key, no --root: both come from the mbpf.toml two folders up.
    mbpf()
        .current_dir(&sub)
        .args(["sign", "p.bin", "--slot", "1", "--layout", "text"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sequence 1"));
    assert!(d.join("served/.mbpf/slot1.sequence").is_file());
    // A flag wins over the file.
    mbpf()
        .current_dir(&sub)
        .args(["sign", "p.bin", "--slot", "1", "--layout", "text", "--root", "."])
        .assert()
        .success()
        .stdout(predicate::str::contains("sequence 1"));
    // Without a device anywhere, the error says where to give one.
    mbpf()
        .current_dir(&sub)
        .args(["exec", "--slot", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("pass --device"));
    // A typo in the file is an error naming the key.
    std::fs::write(d.join("mbpf.toml"), "devise = \"x\"\n").unwrap();
    mbpf()
        .current_dir(&sub)
        .args(["exec", "--slot", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("devise"));
}

#[test]
fn a_rust_program_compiles_packs_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("f.o");
    mbpf().arg("compile").arg(repo().join("programs/rust/fletcher16.rs")).arg("-o").arg(&obj).assert().success();
    // Run it on the host VM: the entry is found by name (it is not first in .text).
    let image = vm::image::Image::load(vm::image::Layout::Elf, &std::fs::read(&obj).unwrap()).unwrap();
    vm::verify(&image.program, &vm::HelperSet::empty()).unwrap();
    let mut input: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    let (mut a, mut b) = (0u64, 0u64);
    for &x in &input {
        a = (a + x as u64) % 255;
        b = (b + a) % 255;
    }
    let mut stack = vec![0u8; vm::interp::stack_size_for(&image.program)];
    let memory = vm::Memory::new()
        .with(vm::memory::Region::read_write(vm::RegionKind::Stack, &mut stack))
        .with(vm::memory::Region::read_write(vm::RegionKind::Input, &mut input));
    let r = vm::Vm::new(&image.program, memory, &mut vm::NoHelpers, vm::HelperSet::empty()).run().unwrap();
    assert_eq!(r, (b << 8) | a);
}

#[tokio::test]
async fn serve_answers_blockwise_and_logs_each_request() {
    let root = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    std::fs::write(root.path().join("img.bin"), &data).unwrap();
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = assert_cmd::cargo::cargo_bin("mbpf");
    let mut child = tokio::process::Command::new(bin)
        .arg("serve")
        .arg(root.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut client = testbed::coap_client::CoapClient::new(format!("127.0.0.1:{port}").parse().unwrap());
    assert_eq!(client.get_blockwise("img.bin").await.unwrap(), data);
    assert!(client.get_blockwise("../etc/passwd").await.is_err());
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("img.bin") && log.contains("block=2"), "{log}");
}

#[test]
fn c_compiles_for_cpu_v4_by_default_so_signed_division_works() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sdiv.c");
    let obj = dir.path().join("sdiv.o");
    std::fs::write(&src, "int entry(void *ctx) { volatile int a = -7, b = 2; return a / b + 10; }\n").unwrap();
    mbpf().arg("compile").arg(&src).arg("-o").arg(&obj).assert().success().stdout(predicate::str::contains("cpu v4"));
    // The object holds a signed division (sdiv: BPF_DIV with off = 1).
    let text = mbpf().arg("disasm").arg(&obj).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&text).contains("sdiv"), "{}", String::from_utf8_lossy(&text));
    mbpf()
        .args(["compile", "--cpu", "v3"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .assert()
        .failure()
        .stderr(predicate::str::contains("signed division"));
}

#[test]
fn a_function_falling_into_the_next_is_refused_with_its_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("fall.s");
    let bin = dir.path().join("fall.bin");
    std::fs::write(&src, "mov %r0, 0x12345678\ncall local next\nnext:\nexit\n").unwrap();
    mbpf().arg("asm").arg(&src).arg("-o").arg(&bin).assert().success();
    mbpf()
        .arg("verify")
        .arg(&bin)
        .assert()
        .failure()
        .stderr(predicate::str::contains("fall from one function into the next").and(predicate::str::contains("1")));
}

#[test]
fn footprint_gives_a_crates_code_by_source_file() {
    // `mbpf` itself is an ELF with line information; the `jit` crate is linked in.
    let bin = assert_cmd::cargo::cargo_bin("mbpf");
    let out = mbpf().arg("footprint").arg(&bin).args(["--files", "jit", "--json"]).assert().success();
    let by_file: std::collections::BTreeMap<String, u64> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(by_file.get("lower/mod.rs").is_some_and(|&b| b > 0), "{by_file:?}");
    let table = mbpf().arg("footprint").arg(&bin).args(["--files", "jit"]).assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    assert!(table.contains("jit source file") && table.contains("lower/mod.rs"), "{table}");
    let total: u64 = by_file.values().sum();
    let last: Vec<&str> = table.lines().last().unwrap_or("").split_whitespace().collect();
    assert_eq!(last, ["total", total.to_string().as_str()], "{table}");
    mbpf()
        .arg("footprint")
        .arg(&bin)
        .args(["--files", "no_such_crate"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no code of a crate named no_such_crate"));
}
