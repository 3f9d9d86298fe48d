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

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use vm::image::{Image, Layout};

/// A program file as the commands that show or check one take it: eBPF assembly
/// (`.s`/`.asm`), or an image in `layout` (by default found from the file: a clang
/// object by its ELF magic, a Femto-Containers image by its header magic (the
/// extended layout has the same magic: name it), else raw bytecode). Returns the
/// program and the `.rodata`/`.data` sizes the image brings.
pub fn load_program(path: &Path, layout: Option<&str>) -> anyhow::Result<(vm::Program, ::jit::Sizes)> {
    let name = || path.display().to_string();
    if layout.is_none() && path.extension().is_some_and(|e| e == "s" || e == "asm") {
        let src = String::from_utf8(read(path)?).with_context(|| format!("{}: not UTF-8 text", name()))?;
        let insns = vm::asm::assemble(&src).with_context(name)?;
        return Ok((vm::Program::from_insns(insns).with_context(name)?, ::jit::Sizes::default()));
    }
    let bytes = read(path)?;
    let layout = match layout {
        Some(name) => Layout::from_name(name).with_context(|| format!("unknown layout `{name}` (text, femto, extended, elf)"))?,
        None if bytes.starts_with(b"\x7fELF") => Layout::Elf,
        None if bytes.get(..4).is_some_and(|m| [vm::image::femto::MAGIC, vm::image::femto::MAGIC_MICROBPF].contains(&u32::from_le_bytes([m[0], m[1], m[2], m[3]]))) => Layout::Femto,
        None => Layout::Text,
    };
    let image = Image::load(layout, &bytes).with_context(|| format!("{}: cannot load it in the {} layout", name(), layout.name()))?;
    let sizes = ::jit::Sizes { rodata: image.rodata.len() as u32, data: image.data.len() as u32 };
    Ok((image.program, sizes))
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
