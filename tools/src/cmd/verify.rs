use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Cmd {
    /// eBPF assembly (.s), a clang object (.o), an image or raw bytecode.
    input: PathBuf,
    /// The image layout (text, femto, extended, elf); by default found from the file.
    #[arg(long)]
    layout: Option<String>,
    /// Allowed helper ids or names, comma separated (default: none).
    #[arg(long, value_delimiter = ',')]
    helpers: Vec<String>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let program = super::load_image(&self.input, self.layout.as_deref())?.program;
        let allowed = super::parse_helpers(&self.helpers)?;
        match vm::verify(&program, &allowed) {
            Ok(()) => {
                println!("{}: ok, {} instruction slots", self.input.display(), program.insns().len());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                let insns = program.insns();
                let text = vm::disasm::disassemble_insn(&insns[e.pc.min(insns.len() - 1)], insns.get(e.pc + 1));
                eprintln!("{}: rejected: {e}\n  {:>5}: {text}", self.input.display(), e.pc);
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
