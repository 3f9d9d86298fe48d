//! Puts `memory.x` on the linker path and stamps the build id into the firmware.
use std::{env, fs, path::PathBuf, process::Command};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-env-changed=MBPF_BUILD_ID");

    // The build id names the source the firmware was built from: the git revision,
    // with `-dirty` when the work tree had uncommitted changes.
    let build_id = env::var("MBPF_BUILD_ID").ok().unwrap_or_else(|| {
        let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
        if dirty == Some(true) { format!("{rev}-dirty") } else { rev }
    });
    println!("cargo:rustc-env=MBPF_BUILD_ID={build_id}");
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
