//! Building the firmware on demand and naming the exact image a run used.
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A firmware build variant (see `ci/build-firmware`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    #[default]
    /// The device server: signed programs only, on the interpreter or the JIT.
    Default,
    /// The device server without the JIT: every program runs on the interpreter (the
    /// JIT's flash left out, for parts that cannot hold both).
    Interp,
    /// Adds `POST /run` for unsigned images (conformance, benchmarks).
    Testbed,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Default, Variant::Interp, Variant::Testbed];

    /// The variant's name, as `ci/build-firmware` and scenario files spell it.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::Interp => "interp",
            Variant::Testbed => "testbed",
        }
    }
}

/// The one of `all` whose name is `s`, or an error naming `what` and every name.
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, what: &str, s: &str) -> std::result::Result<T, String> {
    all.iter().copied().find(|&t| name(t) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|&t| name(t)).collect();
        format!("unknown {what} `{s}` ({})", names.join(", "))
    })
}

impl std::str::FromStr for Variant {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        by_name(&Variant::ALL, Variant::name, "firmware variant", s)
    }
}

/// A board the firmware is built for (its `board-*` cargo feature).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize)]
pub enum Board {
    /// ARM MPS2 with the AN386 image: 4 MiB of RAM, CoAP over UDP on a LAN9118.
    #[default]
    #[serde(rename = "mps2-an386")]
    Mps2An386,
    /// ST B-L475E-IOT01A (STM32L475VG): 96 KiB of SRAM1, CoAP over slipmux on USART1.
    #[serde(rename = "b-l475e-iot01a")]
    BL475eIot01a,
    /// ST Nucleo-F439ZI (STM32F439ZI): CoAP over UDP on its Ethernet MAC.
    #[serde(rename = "nucleo-f439zi")]
    NucleoF439zi,
    /// Nordic nRF52840-DK: CoAP over slipmux on UART0.
    #[serde(rename = "nrf52840-dk")]
    Nrf52840Dk,
}

/// What a board's chip offers a firmware image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chip {
    /// The chip as probe-rs names it; `None` where no probe reaches it (an emulated
    /// board only).
    pub probe_rs: Option<&'static str>,
    /// Program memory (bytes).
    pub flash: u64,
    /// RAM for statics, heap and stack (bytes; the board's memory map keeps the rest
    /// for state kept across resets).
    pub ram: u64,
}

impl Board {
    pub const ALL: [Board; 4] = [Board::Mps2An386, Board::BL475eIot01a, Board::NucleoF439zi, Board::Nrf52840Dk];

    /// The board's name, as `ci/build-firmware` and QEMU's `-M` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Board::Mps2An386 => "mps2-an386",
            Board::BL475eIot01a => "b-l475e-iot01a",
            Board::NucleoF439zi => "nucleo-f439zi",
            Board::Nrf52840Dk => "nrf52840-dk",
        }
    }

    /// Whether the board reaches the host over a serial line (else over UDP).
    pub fn serial(self) -> bool {
        matches!(self, Board::BL475eIot01a | Board::Nrf52840Dk)
    }

    /// The chip, as `firmware/memory/BOARD.x` maps it for the device firmware.
    pub fn chip(self) -> Chip {
        match self {
            Board::Mps2An386 => Chip { probe_rs: None, flash: 4 << 20, ram: (4 << 20) - (264 << 10) },
            Board::BL475eIot01a => Chip { probe_rs: Some("STM32L475VGTx"), flash: 1 << 20, ram: 96 << 10 },
            Board::NucleoF439zi => Chip { probe_rs: Some("STM32F439ZITx"), flash: 2 << 20, ram: 192 << 10 },
            Board::Nrf52840Dk => Chip { probe_rs: Some("nRF52840_xxAA"), flash: 1 << 20, ram: 240 << 10 },
        }
    }
}

impl std::fmt::Display for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Board {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        by_name(&Board::ALL, Board::name, "board", s)
    }
}

/// What a firmware image is built from: every file under these paths, plus the
/// build's environment settings.
const SOURCES: &[&str] = &[
    "firmware/src",
    "firmware/build.rs",
    "firmware/Cargo.toml",
    "firmware/Cargo.lock",
    "firmware/memory",
    "firmware/.cargo",
    "vm/src",
    "vm/Cargo.toml",
    "jit/src",
    "jit/Cargo.toml",
    "proto/src",
    "proto/Cargo.toml",
    "suit/src",
    "suit/Cargo.toml",
    "auth/src",
    "auth/Cargo.toml",
    "device/src",
    "device/Cargo.toml",
    "programs/bench",
    "programs/include",
    "keys",
    "ci/build-firmware",
];
const SETTINGS: &[&str] = &[
    "MBPF_TRUSTED_KEYS",
    "MBPF_EDHOC_DEVICE_KEY",
    "MBPF_EDHOC_CLIENTS",
    "MBPF_MICROBPF",
    "MBPF_IPV4",
    "MBPF_IPV4_GATEWAY",
    "MBPF_IPV6",
    "MBPF_IPV6_GATEWAY",
    "MBPF_CLANG",
];

/// The sha256 of the sources and settings a board's variant is built from.
pub fn source_hash(repo: &Path, board: Board, variant: Variant) -> Result<String> {
    fn walk(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                walk(&entry?.path(), files)?;
            }
        } else if path.is_file() {
            files.push(path.to_path_buf());
        }
        Ok(())
    }
    let mut files = Vec::new();
    for s in SOURCES {
        let path = repo.join(s);
        walk(&path, &mut files).map_err(Error::file("list", path))?;
    }
    files.sort();
    let mut h = Sha256::new();
    h.update(board.name());
    h.update(variant.name());
    for f in files {
        h.update(f.strip_prefix(repo).unwrap_or(&f).to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).map_err(Error::file("read", &f))?);
    }
    for k in SETTINGS {
        h.update(format!("{k}={}", std::env::var(k).unwrap_or_default()));
    }
    Ok(hex::encode(h.finalize()))
}

/// The firmware image of `variant` for `board`, built with `ci/build-firmware` unless
/// an image of the same sources is cached
/// (`firmware/target/images/firmware-BOARD-VARIANT-HASH.elf`).
pub fn build(repo: &Path, board: Board, variant: Variant) -> Result<PathBuf> {
    let hash = source_hash(repo, board, variant)?;
    let cached =
        repo.join(format!("firmware/target/images/firmware-{}-{}-{}.elf", board.name(), variant.name(), &hash[..16]));
    if cached.is_file() {
        tracing::debug!(image = %cached.display(), "cached firmware");
        return Ok(cached);
    }
    let script = repo.join("ci/build-firmware");
    let out = Command::new(&script).args([variant.name(), board.name()]).output().map_err(|source| Error::Spawn {
        program: script.display().to_string(),
        hint: "ci/build-firmware is part of the repository",
        source,
    })?;
    if !out.status.success() {
        return Err(Error::ToolFailed {
            program: "the firmware build".into(),
            message: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let path = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_string();
    let path = PathBuf::from(path);
    if !path.is_file() {
        let message = format!("it reported {}, which does not exist", path.display());
        return Err(Error::ToolFailed { program: "the firmware build".into(), message });
    }
    // Sources edited while building would make the name lie: cache only if unchanged.
    if source_hash(repo, board, variant)? == hash {
        // One cached image per board and variant: older ones go.
        let prefix = format!("firmware-{}-{}-", board.name(), variant.name());
        if let Ok(dir) = std::fs::read_dir(repo.join("firmware/target/images")) {
            for old in dir.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&prefix)) {
                let _ = std::fs::remove_file(old.path());
            }
        }
        std::fs::copy(&path, &cached).map_err(Error::file("cache the image as", &cached))?;
        return Ok(cached);
    }
    Ok(path)
}

/// The sha256 of a file, in hex: names the exact image a run used.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(Error::file("read", path))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}
