use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub struct Cmd {
    /// Bytecode file (raw instruction slots).
    input: PathBuf,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let bytes = super::read(&self.input)?;
        let program = vm::Program::from_bytes(&bytes).with_context(|| format!("{}", self.input.display()))?;
        for line in vm::disasm::disassemble(program.insns()) {
            println!("{line}");
        }
        Ok(ExitCode::SUCCESS)
    }
}
