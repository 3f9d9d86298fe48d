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
    // llvm-mc reads bytes as text; a 32-bit instruction starts with a halfword whose
    // top five bits are 0b11101, 0b11110 or 0b11111.
    let mut lines = String::new();
    let mut at = 0;
    while at + 1 < code.len() {
        let hw = u16::from_le_bytes([code[at], code[at + 1]]);
        let n = if hw >> 11 >= 0b11101 { 4 } else { 2 };
        let bytes: Vec<String> = code[at..(at + n).min(code.len())].iter().map(|b| format!("0x{b:02x}")).collect();
        lines.push_str(&bytes.join(" "));
        lines.push('\n');
        at += n;
    }
    let mut child = Command::new(testbed::compile::find_llvm_mc()?)
        .args(["--disassemble", "--triple=thumbv7em-none-eabihf"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run llvm-mc")?;
    child.stdin.take().context("stdin")?.write_all(lines.as_bytes())?;
    let out = child.wait_with_output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().replace('\t', " "))
        .filter(|l| !l.is_empty() && !l.starts_with('.'))
        .collect())
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // An image's .rodata/.data sizes are known, as on the device: accesses proven
        // inside them are compiled without checks.
        let (program, sizes) = super::load_program(&self.program, self.layout.as_deref())?;
        let bytes = program.to_bytes();
        vm::verify(&program, &vm::HelperSet::all()).context("the verifier rejects the program")?;
        let compiled = jit::compile_for(&program, sizes)?;
        let ratio = compiled.code.len() as f64 / bytes.len() as f64;
        super::print_lines(|out| {
            writeln!(
                out,
                "{} bytes of eBPF -> {} bytes of Thumb-2 ({ratio:.2} per byte)",
                bytes.len(),
                compiled.code.len()
            )?;
            if self.disasm {
                self.print_disasm(out, &program, &compiled)?;
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
        // Walk the code in instruction order, printing each eBPF instruction at its offset.
        let mut at = 0usize;
        let mut pc = 0usize;
        let insns = program.insns();
        for line in lines {
            while pc < insns.len() && compiled.insn_offsets[pc] as usize == at {
                writeln!(out, "{pc:>5}: {}", vm::disasm::disassemble_insn(&insns[pc], insns.get(pc + 1)))?;
                pc += if vm::verifier::is_wide(insns[pc].opc) { 2 } else { 1 };
            }
            let size = if is_narrow(code_at(&compiled.code, at)) { 2 } else { 4 };
            writeln!(out, "       {at:>5}  {line}")?;
            at += size;
        }
        Ok(())
    }
}

fn code_at(code: &[u8], at: usize) -> u16 {
    code.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]])).unwrap_or(0)
}

fn is_narrow(hw: u16) -> bool {
    hw >> 11 < 0b11101
}
