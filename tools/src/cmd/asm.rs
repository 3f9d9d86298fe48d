use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub struct Cmd {
    /// Assembly source file.
    input: PathBuf,
    /// Where to write the bytecode.
    #[arg(short, long)]
    output: PathBuf,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let src = String::from_utf8(super::read(&self.input)?).context("source is not UTF-8")?;
        let insns = vm::asm::assemble(&src).with_context(|| format!("{}", self.input.display()))?;
        let bytes: Vec<u8> = insns.iter().flat_map(vm::Insn::encode).collect();
        super::write(&self.output, &bytes)?;
        Ok(ExitCode::SUCCESS)
    }
}
