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

/// Parses helper names or ids (decimal or 0x-hex).
pub fn parse_helpers(list: &[String]) -> anyhow::Result<vm::HelperSet> {
    let mut set = vm::HelperSet::empty();
    for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let id = match vm::helpers::helper_id(item) {
            Some(id) => id,
            None => {
                let parsed = match item.strip_prefix("0x") {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => item.parse(),
                };
                parsed.map_err(|_| anyhow::anyhow!("unknown helper `{item}` (give a name such as `printf` or an id)"))?
            }
        };
        anyhow::ensure!(id < 256, "helper id {id} is out of range (0..256)");
        set.insert(id);
    }
    Ok(set)
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (program, _) = super::load_program(&self.input, self.layout.as_deref())?;
        let allowed = parse_helpers(&self.helpers)?;
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
