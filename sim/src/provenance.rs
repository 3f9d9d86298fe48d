//! What a result was produced from: source revision, firmware image, emulator,
//! toolchain and scenario file.
use std::path::Path;
use std::process::Command;

use serde::Serialize;

use testbed::{firmware, qemu};

#[derive(Debug, Serialize)]
pub struct Provenance {
    pub git_revision: String,
    /// The image of the first node's firmware variant.
    pub firmware_sha256: String,
    /// Every firmware variant the run booted: variant -> image sha256.
    pub firmware_images: std::collections::BTreeMap<String, String>,
    /// Whether guest instructions were counted exactly by the plugin (else SysTick).
    pub plugin: bool,
    pub qemu_version: String,
    pub toolchain: String,
    pub scenario_sha256: String,
    pub host: String,
}

fn first_line(cmd: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(cmd).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim().to_string())
}

pub fn collect(
    repo: &Path,
    firmwares: &[(String, std::path::PathBuf)],
    scenario: &Path,
    plugin: bool,
) -> anyhow::Result<Provenance> {
    let rev = first_line("git", &["rev-parse", "HEAD"], repo).unwrap_or_else(|| "unknown".into());
    let dirty =
        first_line("git", &["status", "--porcelain", "--untracked-files=no"], repo).is_some_and(|s| !s.is_empty());
    let toolchain = if Path::new("/usr/bin/rustc").exists() {
        first_line("/usr/bin/rustc", &["--version"], repo)
    } else {
        first_line("rustc", &["--version"], repo)
    };
    Ok(Provenance {
        git_revision: if dirty { format!("{rev}-dirty") } else { rev },
        firmware_sha256: match firmwares.first() {
            Some((_, path)) => firmware::sha256_file(path)?,
            None => String::new(),
        },
        firmware_images: firmwares
            .iter()
            .map(|(v, p)| Ok((v.clone(), firmware::sha256_file(p)?)))
            .collect::<anyhow::Result<_>>()?,
        plugin,
        qemu_version: qemu::version(),
        toolchain: toolchain.unwrap_or_else(|| "unknown".into()),
        scenario_sha256: firmware::sha256_file(scenario)?,
        host: first_line("uname", &["-srm"], repo).unwrap_or_default(),
    })
}

/// The current UTC time, RFC 3339 to the second.
pub fn utc_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    now.format(&fmt).unwrap_or_else(|_| "unknown-time".into())
}
