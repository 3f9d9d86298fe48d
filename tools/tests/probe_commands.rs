//! `mbpf probe` without a probe attached: the plan is worked out from the ELF, and
//! flashing names the probe that is missing.
use std::process::Command;

fn mbpf(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mbpf")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn plan_and_flash_without_a_probe() {
    let (ok, out) = mbpf(&["probe", "plan", "--board", "nrf52840-dk"]);
    assert!(ok, "{out}");
    assert!(out.contains("on nRF52840_xxAA (boots from 0x00000000)") && out.contains("nrf52:"), "{out}");
    let (ok, out) = mbpf(&["probe", "flash", "--board", "b-l475e-iot01a", "--probe", "0672FF00"]);
    assert!(!ok);
    assert!(out.contains("probe 0672FF00 is not attached (attached probes: none)"), "{out}");
    let (ok, out) = mbpf(&["probe", "plan", "--board", "mps2-an386"]);
    assert!(!ok && out.contains("not supported: mps2-an386 through a probe"), "{out}");
}
