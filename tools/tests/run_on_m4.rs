//! `mbpf run` against the testbed firmware in QEMU (booted and stopped by mbpf).
use assert_cmd::Command;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fletcher16(data: &[u8]) -> u64 {
    let (mut a, mut b) = (0u64, 0u64);
    for &x in data {
        a = (a + x as u64) % 255;
        b = (b + a) % 255;
    }
    (b << 8) | a
}

fn run_fletcher(engine: &str, data: &[u8]) -> serde_json::Value {
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let out = Command::cargo_bin("mbpf")
        .unwrap()
        .arg("run")
        .arg(repo().join("programs/asm/fletcher16.s"))
        .args(["--engine", engine, "--json", "--input"])
        .arg(format!("hex:{hex}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn fletcher16_runs_on_the_emulated_m4_with_costs() {
    let data: Vec<u8> = (0..512u32).map(|i| (i * 13 + 5) as u8).collect();
    let v = run_fletcher("interp", &data);
    assert_eq!(v["result"].as_u64(), Some(fletcher16(&data)));
    // 4 setup + 512 iterations of 8 + the final compare and 4 = 4105 eBPF instructions.
    assert_eq!(v["costs"]["executed_ebpf"].as_u64(), Some(4 + 512 * 8 + 5));
    assert!(v["costs"]["exec_insns"].as_u64().unwrap() > 0);
    assert!(v["costs"]["verify_insns"].as_u64().unwrap() > 0);
}

#[test]
fn the_jit_agrees_with_the_interpreter_and_is_faster() {
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    let interp = run_fletcher("interp", &data);
    let jit = run_fletcher("jit", &data);
    assert_eq!(jit["result"], interp["result"]);
    assert_eq!(jit["result"].as_u64(), Some(fletcher16(&data)));
    let (j, i) = (jit["costs"]["exec_insns"].as_u64().unwrap(), interp["costs"]["exec_insns"].as_u64().unwrap());
    assert!(j * 2 < i, "jit {j} vs interpreter {i} guest instructions");
    assert!(jit["costs"]["compile_insns"].as_u64().unwrap() > 0);
    assert!(jit["costs"]["code_size"].as_u64().unwrap() > 0);
}

#[test]
fn a_memory_fault_on_the_device_is_a_typed_answer() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("oob.s");
    std::fs::write(&src, "lddw %r1, 0x20000000\nldxw %r0, [%r1+0]\nexit\n").unwrap();
    for engine in ["interp", "jit"] {
        let out = Command::cargo_bin("mbpf")
            .unwrap()
            .arg("run")
            .arg(&src)
            .args(["--json", "--engine", engine])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["failure"]["kind"], "Memory", "{engine}");
        assert_eq!(v["failure"]["pc"], 2, "{engine}");
        assert!(v["failure"]["message"].as_str().unwrap().contains("0x20000000"), "{engine}");
    }
}
