//! One module per subcommand: a clap `Cmd` and its `run`.
pub mod asm;
pub mod build;
pub mod conformance;
pub mod device;
pub mod disasm;
pub mod info;
pub mod jit;
pub mod keys;
pub mod run;
pub mod serve;
pub mod sign;
pub mod suit_show;
pub mod verify;

use std::path::Path;

use anyhow::Context;

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a file, naming it in the error.
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Logs to stderr (`MBPF_LOG` sets the filter; info by default).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MBPF_LOG").unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
}
