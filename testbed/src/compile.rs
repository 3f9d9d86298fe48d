//! Compiling C and `no_std` Rust to eBPF objects: clang for C, Debian's rustc (bitcode
//! for `bpfel-unknown-none`) and the llc of its LLVM for Rust.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The eBPF ISA version programs are compiled for unless asked otherwise.
pub const DEFAULT_CPU: &str = "v3";
/// The eBPF ISA `mbpf` compiles for unless told: v4 (signed division, sign extension,
/// byte swaps), which both engines implement. The testbed's benchmarks stay on
/// [`DEFAULT_CPU`], so their figures stay comparable with the committed baseline.
pub const CLI_CPU: &str = "v4";

/// The first of `candidates` that runs (`--version`), or `$env_var` when set.
fn find_tool(env_var: &str, candidates: &[&str], hint: &str) -> Result<String> {
    if let Ok(c) = std::env::var(env_var) {
        return Ok(c);
    }
    for c in candidates {
        if Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Ok(c.to_string());
        }
    }
    Err(Error::MissingTool { tool: candidates[0].to_string(), hint: format!("{hint}, or set {env_var}") })
}

/// A clang with the eBPF target and cpu v3/v4: $MBPF_CLANG, else clang-19, clang-22, clang.
pub fn find_clang() -> Result<String> {
    find_tool("MBPF_CLANG", &["clang-19", "clang-22", "clang"], "install Debian's clang-19 (ci/setup does)")
}

/// LLVM's assembler/disassembler for Thumb-2: $MBPF_LLVM_MC, else llvm-mc-19, -22, llvm-mc.
pub fn find_llvm_mc() -> Result<String> {
    find_tool("MBPF_LLVM_MC", &["llvm-mc-19", "llvm-mc-22", "llvm-mc"], "install Debian's llvm-19 (ci/setup does)")
}

/// The folder holding `mbpf_helpers.h`.
pub fn include_dir() -> PathBuf {
    crate::repo_root().join("programs/include")
}

/// Runs `cmd`, which must succeed; its diagnostics pass through to stderr.
fn run(cmd: &mut Command, program: &str, hint: &'static str, what: &Path) -> Result<()> {
    let status = cmd.status().map_err(|source| Error::Spawn { program: program.to_string(), hint, source })?;
    if !status.success() {
        return Err(Error::ToolFailed {
            program: program.to_string(),
            message: format!("cannot compile {}", what.display()),
        });
    }
    Ok(())
}

/// Compiles a C source to an eBPF object in `out_dir`, for eBPF ISA `cpu` (`v1`..`v4`),
/// with `NAME=VALUE` defines and extra include folders.
pub fn compile_c(src: &Path, out_dir: &Path, cpu: &str, defines: &[String], includes: &[PathBuf]) -> Result<Vec<u8>> {
    let clang = find_clang()?;
    let obj = out_dir.join(format!("{}.o", src.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default()));
    let mut cmd = Command::new(&clang);
    cmd.args(["-target", "bpf", "-O2", "-ffreestanding", "-g0", "-c"])
        .arg(format!("-mcpu={cpu}"))
        .arg("-I")
        .arg(include_dir());
    for d in defines {
        cmd.arg(format!("-D{d}"));
    }
    for i in includes {
        cmd.arg("-I").arg(i);
    }
    cmd.arg(src).arg("-o").arg(&obj);
    run(
        &mut cmd,
        &clang,
        "install Debian's clang-19 (ci/setup does), or point MBPF_CLANG at a clang with the BPF target",
        src,
    )?;
    std::fs::read(&obj).map_err(Error::file("read", obj))
}

/// The rustc that has `core` for `bpfel-unknown-none` (Debian's, with the package
/// libstd-rust-web-dev-bpf), and the `llc` of the same LLVM major version.
fn rust_bpf_toolchain() -> Result<(String, String)> {
    let rustc = std::env::var("MBPF_RUSTC").unwrap_or_else(|_| "/usr/bin/rustc".into());
    let hint = "install Debian's rustc-web (ci/setup does), or set MBPF_RUSTC";
    let spawn = |source| Error::Spawn { program: rustc.clone(), hint, source };
    let libdir = Command::new(&rustc)
        .args(["--target", "bpfel-unknown-none", "--print", "target-libdir"])
        .output()
        .map_err(spawn)?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
    let has_core = std::fs::read_dir(&libdir)
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
        .unwrap_or(false);
    if !has_core {
        return Err(Error::MissingTool {
            tool: format!("`core` for bpfel-unknown-none in {rustc}"),
            hint: "install Debian's libstd-rust-web-dev-bpf (ci/setup does)".into(),
        });
    }
    let version = Command::new(&rustc).arg("-vV").output().map_err(spawn)?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let major = version
        .lines()
        .find_map(|l| l.strip_prefix("LLVM version: "))
        .and_then(|v| v.split('.').next())
        .ok_or_else(|| Error::ToolFailed {
            program: rustc.clone(),
            message: "it does not say which LLVM it uses".into(),
        })?
        .to_string();
    let llc = find_tool(
        "MBPF_LLC",
        &[&format!("llc-{major}"), "llc"],
        &format!("install Debian's llvm-{major} (ci/setup does)"),
    )?;
    Ok((rustc, llc))
}

/// Compiles a `no_std` Rust source to an eBPF object: rustc emits LLVM bitcode for
/// this target, llc turns it into the object.
pub fn compile_rust(src: &Path, out_dir: &Path, cpu: &str) -> Result<Vec<u8>> {
    let (rustc, llc) = rust_bpf_toolchain()?;
    let stem = src.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let bitcode = out_dir.join(format!("{stem}.bc"));
    let obj = out_dir.join(format!("{stem}.o"));
    let mut cmd = Command::new(&rustc);
    cmd.args([
        "--target",
        "bpfel-unknown-none",
        "--crate-type",
        "lib",
        "--emit",
        "obj",
        "-C",
        "opt-level=2",
        "-C",
        "panic=abort",
    ]);
    cmd.arg("-C").arg(format!("target-cpu={cpu}"));
    cmd.arg(src).arg("-o").arg(&bitcode);
    run(&mut cmd, &rustc, "install Debian's rustc-web (ci/setup does)", src)?;
    let mut cmd = Command::new(&llc);
    cmd.args(["-march=bpfel", &format!("-mcpu={cpu}"), "-filetype=obj"]).arg(&bitcode).arg("-o").arg(&obj);
    run(&mut cmd, &llc, "install Debian's llvm-22 (ci/setup does)", &bitcode)?;
    std::fs::read(&obj).map_err(Error::file("read", obj))
}
