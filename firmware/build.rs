//! Puts the board's memory map on the linker path as `memory.x` and stamps the build
//! id into the firmware.
use std::{env, fs, path::PathBuf, process::Command};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // Exactly one `board-*` feature: it names the memory map and the board module.
    let boards: Vec<&str> = ["mps2-an386", "b-l475e-iot01a", "nucleo-f439zi", "nrf52840-dk"]
        .into_iter()
        .filter(|b| env::var_os(format!("CARGO_FEATURE_BOARD_{}", b.to_uppercase().replace('-', "_"))).is_some())
        .collect();
    let [board] = boards[..] else {
        panic!("select exactly one board feature (board-mps2-an386, board-b-l475e-iot01a, board-nucleo-f439zi, board-nrf52840-dk); got {boards:?}")
    };
    // The STM32L475's testbed firmware moves its stack to SRAM2, for a larger heap.
    let stm32_testbed = board == "b-l475e-iot01a" && env::var_os("CARGO_FEATURE_BENCH").is_some();
    let memory = if stm32_testbed { format!("memory/{board}-testbed.x") } else { format!("memory/{board}.x") };
    fs::copy(&memory, out.join("memory.x")).unwrap_or_else(|e| panic!("copy {memory}: {e}"));
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo:rerun-if-env-changed=MBPF_BUILD_ID");

    // The build id names the source the firmware was built from: the git revision,
    // with `-dirty` when the work tree had uncommitted changes.
    let build_id = env::var("MBPF_BUILD_ID").ok().unwrap_or_else(|| {
        let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
        if dirty == Some(true) {
            format!("{rev}-dirty")
        } else {
            rev
        }
    });
    println!("cargo:rustc-env=MBPF_BUILD_ID={build_id}");
    trusted_keys(&out);
    edhoc_identities(&out);
    addresses();
    native_kernels(&out);
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Writes `trusted_keys.rs`: the Ed25519 public keys the device accepts manifests from.
fn trusted_keys(out: &std::path::Path) {
    println!("cargo:rerun-if-env-changed=MBPF_TRUSTED_KEYS");
    let paths: Vec<PathBuf> = match env::var("MBPF_TRUSTED_KEYS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').map(|p| PathBuf::from(p.trim())).collect(),
        _ => vec![PathBuf::from("../keys/testbed.key.pub")],
    };
    let mut code = String::from(
        "/// Ed25519 public keys whose manifests this firmware accepts.\npub const TRUSTED_KEYS: &[[u8; 32]] = &[\n",
    );
    for p in &paths {
        println!("cargo:rerun-if-changed={}", p.display());
        let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("trusted key {}: {e}", p.display()));
        let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "{} is not an Ed25519 public key (64 hex digits)",
            p.display()
        );
        let bytes: Vec<String> = (0..32).map(|i| format!("0x{}", &hex[2 * i..2 * i + 2])).collect();
        code.push_str(&format!("    [{}],\n", bytes.join(", ")));
    }
    code.push_str("];\n");
    fs::write(out.join("trusted_keys.rs"), code).expect("write trusted_keys.rs");
}

/// The node's addresses, set at build time (defaults: QEMU user networking's).
/// Checked here, so the firmware's parse of them cannot fail.
fn addresses() {
    let settings = [
        ("MBPF_IPV4", "10.0.2.15/24", true),
        ("MBPF_IPV4_GATEWAY", "10.0.2.2", false),
        ("MBPF_IPV6", "fec0::15/64", true),
        ("MBPF_IPV6_GATEWAY", "fec0::2", false),
    ];
    for (name, default, with_prefix) in settings {
        println!("cargo:rerun-if-env-changed={name}");
        let value = env::var(name).unwrap_or_else(|_| default.to_string());
        let (addr, prefix) = match value.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (value.as_str(), None),
        };
        let is_v6 = name.starts_with("MBPF_IPV6");
        let addr_ok =
            if is_v6 { addr.parse::<std::net::Ipv6Addr>().is_ok() } else { addr.parse::<std::net::Ipv4Addr>().is_ok() };
        let max = if is_v6 { 128 } else { 32 };
        let prefix_ok = match (with_prefix, prefix) {
            (true, Some(p)) => p.parse::<u8>().is_ok_and(|p| p <= max),
            (false, None) => true,
            _ => false,
        };
        assert!(
            addr_ok && prefix_ok,
            "{name}={value}: want {}",
            if with_prefix { "ADDRESS/PREFIX" } else { "ADDRESS" }
        );
        println!("cargo:rustc-env={name}={value}");
    }
}

/// Benchmark firmware (feature `bench`): compiles each kernel of
/// `programs/bench/native.txt` for the Cortex-M4 with clang at every listed size,
/// links the objects, and writes `native_kernels.rs`, their table. Other builds get
/// an empty table.
fn native_kernels(out: &std::path::Path) {
    let mut table = String::from("/// Native kernels linked into this firmware: (name, data size, entry).\npub static NATIVE_KERNELS: &[NativeKernel] = &[\n");
    let mut externs = String::from("unsafe extern \"C\" {\n");
    if env::var_os("CARGO_FEATURE_BENCH").is_some() {
        let list_path = PathBuf::from("../programs/bench/native.txt");
        println!("cargo:rerun-if-changed={}", list_path.display());
        println!("cargo:rerun-if-changed=../programs/include/mbpf_helpers.h");
        println!("cargo:rerun-if-env-changed=MBPF_CLANG");
        let clang = env::var("MBPF_CLANG").unwrap_or_else(|_| "clang-19".into());
        let list = fs::read_to_string(&list_path).expect("read programs/bench/native.txt");
        let builds =
            proto::bench::parse_native_list(&list).unwrap_or_else(|e| panic!("programs/bench/native.txt: {e}"));
        for (kernel, sizes) in &builds {
            let kernel = kernel.as_str();
            let source = PathBuf::from(format!("../programs/bench/{kernel}.c"));
            println!("cargo:rerun-if-changed={}", source.display());
            for &size in sizes {
                let dir = out.join(format!("native/{kernel}-{size}"));
                fs::create_dir_all(&dir).expect("create native build folder");
                fs::write(dir.join("bench_data.h"), proto::bench::data_header(size)).expect("write bench_data.h");
                let symbol = proto::bench::native_symbol(kernel, size);
                let obj = dir.join(format!("{kernel}.o"));
                let status = Command::new(&clang)
                    .args(["--target=thumbv7em-none-eabihf", "-mcpu=cortex-m4", "-mfloat-abi=hard", "-mthumb", "-O2"])
                    .args(["-ffreestanding", "-fno-stack-protector", "-ffunction-sections", "-Wall", "-Werror"])
                    .arg(format!("-Dentry={symbol}"))
                    .arg("-DMBPF_NATIVE")
                    .arg("-I../programs/include")
                    .arg(format!("-I{}", dir.display()))
                    .arg("-c")
                    .arg(&source)
                    .arg("-o")
                    .arg(&obj)
                    .status()
                    .unwrap_or_else(|e| {
                        panic!("cannot run {clang} (install clang-19 with ci/setup, or set MBPF_CLANG): {e}")
                    });
                assert!(status.success(), "{clang} failed on {}", source.display());
                println!("cargo:rustc-link-arg={}", obj.display());
                externs.push_str(&format!("    fn {symbol}(ctx: *mut u8) -> u64;\n"));
                table.push_str(&format!(
                    "    NativeKernel {{ name: \"{kernel}\", data_size: {size}, entry: {symbol} }},\n"
                ));
            }
        }
    }
    externs.push_str("}\n");
    table.push_str("];\n");
    fs::write(out.join("native_kernels.rs"), externs + &table).expect("write native_kernels.rs");
}

fn hex_file(path: &std::path::Path, what: &str) -> Vec<u8> {
    println!("cargo:rerun-if-changed={}", path.display());
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{what} {}: {e}", path.display()));
    let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(hex.len() % 2 == 0 && hex.chars().all(|c| c.is_ascii_hexdigit()), "{} is not hex", path.display());
    (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0)).collect()
}

fn with_suffix(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Writes `edhoc_identities.rs`: the device's EDHOC key and credential
/// (`MBPF_EDHOC_DEVICE_KEY`, its credential at the same path + `.ccs`) and the
/// credentials of the clients it accepts (`MBPF_EDHOC_CLIENTS`, comma-separated
/// `.ccs` paths); the repository's test identities by default.
fn edhoc_identities(out: &std::path::Path) {
    println!("cargo:rerun-if-env-changed=MBPF_EDHOC_DEVICE_KEY");
    println!("cargo:rerun-if-env-changed=MBPF_EDHOC_CLIENTS");
    let device = env::var("MBPF_EDHOC_DEVICE_KEY")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .map_or_else(|| PathBuf::from("../keys/edhoc-device.key"), PathBuf::from);
    let clients: Vec<PathBuf> = match env::var("MBPF_EDHOC_CLIENTS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').map(|p| PathBuf::from(p.trim())).collect(),
        _ => vec![PathBuf::from("../keys/edhoc-client.key.ccs")],
    };
    let key = hex_file(&device, "EDHOC device key");
    assert!(key.len() == 32, "{} is not a P-256 secret key (64 hex digits)", device.display());
    let bytes = |b: &[u8]| b.iter().map(|x| format!("{x:#04x}")).collect::<Vec<_>>().join(", ");
    let mut code = format!(
        "/// The device's EDHOC static key and credential (CCS).\npub const EDHOC_DEVICE_KEY: [u8; 32] = [{}];\npub const EDHOC_DEVICE_CCS: &[u8] = &[{}];\n/// The credentials of the clients allowed to manage this device.\npub const EDHOC_CLIENTS: &[&[u8]] = &[\n",
        bytes(&key),
        bytes(&hex_file(&with_suffix(&device, ".ccs"), "EDHOC device credential"))
    );
    for c in &clients {
        code.push_str(&format!("    &[{}],\n", bytes(&hex_file(c, "EDHOC client credential"))));
    }
    code.push_str("];\n");
    fs::write(out.join("edhoc_identities.rs"), code).expect("write edhoc_identities.rs");
}
