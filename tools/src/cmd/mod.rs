//! One module per subcommand: a clap `Cmd` and its `run`.
pub mod asm;
pub mod bridge;
pub mod build;
pub mod config;
pub mod conformance;
pub mod device;
pub mod disasm;
pub mod footprint;
pub mod info;
pub mod jit;
pub mod keys;
pub mod probe;
pub mod run;
pub mod serve;
pub mod sign;
pub mod suit_show;
pub mod verify;

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use vm::image::Layout;

/// A program file as the commands that show or check one take it (see
/// [`testbed::program::load`]), as the image it is or makes.
pub fn load_image(path: &Path, layout: Option<&str>) -> anyhow::Result<vm::image::Image> {
    let layout = layout.map(parse_layout).transpose()?;
    Ok(testbed::program::load(path, layout)?)
}

/// A layout by name.
pub fn parse_layout(name: &str) -> anyhow::Result<Layout> {
    Layout::from_name(name).with_context(|| format!("unknown layout `{name}` (text, femto, extended, elf)"))
}

/// A helper list: names or ids.
pub fn parse_helpers(list: &[String]) -> anyhow::Result<vm::HelperSet> {
    Ok(testbed::program::parse_helpers(list)?)
}

/// Writes to stdout through `print`; a reader that stops early (`| head`) is not an
/// error.
pub fn print_lines(print: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match print(&mut out) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

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
