use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Cmd {
    /// eBPF assembly (.s), a clang object (.o), an image or raw bytecode.
    input: PathBuf,
    /// The image layout (text, femto, extended, elf); by default found from the file.
    #[arg(long)]
    layout: Option<String>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let program = super::load_image(&self.input, self.layout.as_deref())?.program;
        super::print_lines(|out| {
            for line in vm::disasm::disassemble(program.insns()) {
                writeln!(out, "{line}")?;
            }
            Ok(())
        })?;
        Ok(ExitCode::SUCCESS)
    }
}
