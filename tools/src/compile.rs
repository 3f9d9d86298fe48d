//! Compiling C to eBPF objects with clang.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// The first of `candidates` that runs (`--version`), or `$env_var` when set.
fn find_tool(env_var: &str, candidates: &[&str], hint: &str) -> anyhow::Result<String> {
    if let Ok(c) = std::env::var(env_var) {
        return Ok(c);
    }
    for c in candidates {
        if Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Ok(c.to_string());
        }
    }
    anyhow::bail!("no {} found: {hint}, or set {env_var}", candidates[0])
}

/// A clang with the eBPF target and cpu v3/v4: $MBPF_CLANG, else clang-19, clang-22, clang.
pub fn find_clang() -> anyhow::Result<String> {
    find_tool("MBPF_CLANG", &["clang-19", "clang-22", "clang"], "install Debian's clang-19 (ci/setup does)")
}

/// LLVM's assembler/disassembler for Thumb-2: $MBPF_LLVM_MC, else llvm-mc-19, -22, llvm-mc.
pub fn find_llvm_mc() -> anyhow::Result<String> {
    find_tool("MBPF_LLVM_MC", &["llvm-mc-19", "llvm-mc-22", "llvm-mc"], "install Debian's llvm-19 (ci/setup does)")
}

/// The folder holding `mbpf_helpers.h`.
pub fn include_dir() -> PathBuf {
    crate::firmware::repo_root().join("programs/include")
}

/// Compiles `src` to an eBPF object in `out_dir`; clang's diagnostics pass through.
pub fn compile_c(src: &Path, out_dir: &Path) -> anyhow::Result<Vec<u8>> {
    compile_c_with(src, out_dir, "v3", &[], &[])
}

/// As [`compile_c`], with a cpu version, `NAME=VALUE` defines and extra include folders.
pub fn compile_c_with(src: &Path, out_dir: &Path, cpu: &str, defines: &[String], includes: &[PathBuf]) -> anyhow::Result<Vec<u8>> {
    let clang = find_clang()?;
    let obj = out_dir.join(format!("{}.o", src.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default()));
    let mut cmd = Command::new(&clang);
    cmd.args(["-target", "bpf", "-O2", "-ffreestanding", "-g0", "-c"]).arg(format!("-mcpu={cpu}")).arg("-I").arg(include_dir());
    for d in defines {
        cmd.arg(format!("-D{d}"));
    }
    for i in includes {
        cmd.arg("-I").arg(i);
    }
    let status = cmd.arg(src).arg("-o").arg(&obj).status().with_context(|| format!("cannot run {clang}: install Debian's clang-19 (ci/setup does), or point MBPF_CLANG at a clang with the BPF target"))?;
    anyhow::ensure!(status.success(), "{clang} failed to compile {}", src.display());
    std::fs::read(&obj).with_context(|| format!("cannot read {}", obj.display()))
}

/// The rustc that has `core` for `bpfel-unknown-none` (Debian's, with the package
/// libstd-rust-web-dev-bpf), and the `llc` of the same LLVM major version.
fn rust_bpf_toolchain() -> anyhow::Result<(String, String)> {
    let rustc = std::env::var("MBPF_RUSTC").unwrap_or_else(|_| "/usr/bin/rustc".into());
    let libdir = Command::new(&rustc).args(["--target", "bpfel-unknown-none", "--print", "target-libdir"]).output().with_context(|| format!("cannot run {rustc}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
    let has_core = std::fs::read_dir(&libdir).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))).unwrap_or(false);
    anyhow::ensure!(has_core, "{rustc} has no `core` for bpfel-unknown-none: install Debian's libstd-rust-web-dev-bpf (ci/setup does)");
    let version = Command::new(&rustc).arg("-vV").output().with_context(|| format!("cannot run {rustc}"))?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let major = version
        .lines()
        .find_map(|l| l.strip_prefix("LLVM version: "))
        .and_then(|v| v.split('.').next())
        .context("rustc does not say which LLVM it uses")?
        .to_string();
    let llc = find_tool("MBPF_LLC", &[&format!("llc-{major}"), "llc"], &format!("install Debian's llvm-{major} (ci/setup does)"))?;
    Ok((rustc, llc))
}

/// Compiles a `no_std` Rust source to an eBPF object: rustc emits LLVM bitcode for
/// this target, llc turns it into the object.
pub fn compile_rust(src: &Path, out_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let (rustc, llc) = rust_bpf_toolchain()?;
    let stem = src.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let bitcode = out_dir.join(format!("{stem}.bc"));
    let obj = out_dir.join(format!("{stem}.o"));
    let status = Command::new(&rustc)
        .args(["--target", "bpfel-unknown-none", "--crate-type", "lib", "--emit", "obj", "-C", "opt-level=2", "-C", "panic=abort", "-C", "target-cpu=v3"])
        .arg(src)
        .arg("-o")
        .arg(&bitcode)
        .status()
        .with_context(|| format!("cannot run {rustc}"))?;
    anyhow::ensure!(status.success(), "{rustc} failed to compile {}", src.display());
    let status = Command::new(&llc).args(["-march=bpfel", "-mcpu=v3", "-filetype=obj"]).arg(&bitcode).arg("-o").arg(&obj).status().with_context(|| format!("cannot run {llc}"))?;
    anyhow::ensure!(status.success(), "{llc} failed on {}", bitcode.display());
    std::fs::read(&obj).with_context(|| format!("cannot read {}", obj.display()))
}
