//! `mbpf jit`: compile a program for the Cortex-M4 on the host and show the code.
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;

#[derive(clap::Args)]
pub struct Cmd {
    /// eBPF assembly (.s), a clang object (.o, relocations resolved), an image or raw
    /// bytecode.
    program: PathBuf,
    /// The image layout (text, femto, extended, elf); by default found from the file.
    #[arg(long)]
    layout: Option<String>,
    /// Print the Thumb-2 code, disassembled by LLVM (llvm-mc), under each eBPF instruction.
    #[arg(long)]
    disasm: bool,
}

/// Disassembles Thumb-2 bytes with llvm-mc, one line per instruction.
fn disassemble(code: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut child = Command::new(testbed::compile::find_llvm_mc()?)
        .args(["--disassemble", "--triple=thumbv7em-none-eabihf"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run llvm-mc")?;
    child.stdin.take().context("stdin")?.write_all(jit::listing::llvm_mc_input(code).as_bytes())?;
    let out = child.wait_with_output()?;
    Ok(jit::listing::llvm_mc_output(&String::from_utf8_lossy(&out.stdout)))
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // An image's .rodata/.data sizes are known, as on the device: accesses proven
        // inside them are compiled without checks.
        let image = super::load_image(&self.program, self.layout.as_deref())?;
        let (program, sizes) = (&image.program, jit::Sizes::of(&image));
        let bytes = program.to_bytes();
        vm::verify(program, &vm::HelperSet::all()).context("the verifier rejects the program")?;
        // As the device compiles it: with the hints the image brings, if any.
        let (compiled, held) = testbed::live_peak::measure(|| jit::compile_hinted(program, sizes, &image.jit_hints));
        let compiled = compiled?;
        let ratio = compiled.code.len() as f64 / bytes.len() as f64;
        super::print_lines(|out| {
            writeln!(
                out,
                "{} bytes of eBPF -> {} bytes of Thumb-2 ({ratio:.2} per byte)",
                bytes.len(),
                compiled.code.len()
            )?;
            writeln!(
                out,
                "the compile held {held} bytes at most (a device's compile holds within about 10 % of that)"
            )?;
            match (image.jit_hints.len(), jit::hints::homes_pass(program, sizes, &image.jit_hints)) {
                (0, _) => writeln!(out, "the image brings no JIT hints")?,
                (n, pass) => {
                    let parts = jit::hints::split(&image.jit_hints);
                    let homes = match (parts.homes.map(<[u8]>::len), pass) {
                        (Some(h), Some(true)) => format!(", homes {h} B: they pass the check"),
                        (Some(h), _) => format!(", homes {h} B: they fail the check, allocated here"),
                        (None, _) => String::new(),
                    };
                    let (states, live) = (parts.seeds.len(), parts.live.len());
                    writeln!(
                        out,
                        "the image brings {n} bytes of JIT hints (loop heads' states {states} B, liveness {live} B{homes})"
                    )?
                }
            }
            if self.disasm {
                self.print_disasm(out, program, &compiled)?;
            }
            Ok(())
        })?;
        Ok(ExitCode::SUCCESS)
    }

    fn print_disasm(
        &self,
        out: &mut dyn Write,
        program: &vm::Program,
        compiled: &jit::Compiled,
    ) -> std::io::Result<()> {
        let lines = disassemble(&compiled.code).map_err(std::io::Error::other)?;
        out.write_all(jit::listing::listing(program, compiled, &lines).as_bytes())
    }
}
