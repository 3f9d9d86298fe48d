//! `mbpf compile` (C to an eBPF object) and `mbpf pack` (object to an image layout).
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vm::image::{Image, Layout};

#[derive(clap::Args)]
pub struct Compile {
    /// C source file, or a `no_std` Rust source (.rs).
    source: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    /// eBPF ISA version (v4 adds sdiv/smod, movsx, sign-extending loads, bswap).
    #[arg(long, default_value = "v3", value_parser = ["v1", "v2", "v3", "v4"])]
    cpu: String,
    /// Preprocessor defines, `NAME` or `NAME=VALUE` (repeatable).
    #[arg(short = 'D', long = "define")]
    defines: Vec<String>,
    /// Extra include folders (repeatable); `mbpf_helpers.h` is always found.
    #[arg(short = 'I', long = "include")]
    includes: Vec<PathBuf>,
}

impl Compile {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let work = tempfile::tempdir()?;
        // clang's diagnostics go straight to stderr.
        let obj = if self.source.extension().is_some_and(|e| e == "rs") {
            tools::compile::compile_rust(&self.source, work.path())?
        } else {
            tools::compile::compile_c_with(&self.source, work.path(), &self.cpu, &self.defines, &self.includes)?
        };
        super::write(&self.output, &obj)?;
        println!("{}: {} bytes (eBPF ELF object, cpu {})", self.output.display(), obj.len(), self.cpu);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Pack {
    /// A clang eBPF object (from `mbpf compile` or clang -target bpf).
    object: PathBuf,
    #[arg(long, value_parser = ["text", "femto", "extended", "elf"])]
    layout: String,
    /// Allowed helpers (names or ids), comma separated; carried by the extended layout.
    #[arg(long, value_delimiter = ',')]
    helpers: Vec<String>,
    /// The entry function (default: `entry` or `main`, else the only global function).
    #[arg(long)]
    entry: Option<String>,
    #[arg(short, long)]
    output: PathBuf,
}

impl Pack {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let obj = super::read(&self.object)?;
        let layout = Layout::from_name(&self.layout).context("layout")?;
        let mut image = vm::image::elf::load(&obj, self.entry.as_deref()).with_context(|| format!("{}", self.object.display()))?;
        let helpers = super::verify::parse_helpers(&self.helpers)?;
        image.helpers = Some(helpers);
        vm::verify(&image.program, &helpers).context("the verifier rejects the program (is every helper it calls in --helpers?)")?;
        let bytes = if layout == Layout::Elf { obj } else { image.emit(layout)? };
        // What we wrote must load back as the same program.
        let back = Image::load(layout, &bytes)?;
        anyhow::ensure!(back.program.insns().len() == image.program.insns().len(), "internal error: the packed image does not load back");
        super::write(&self.output, &bytes)?;
        println!("{}: {} bytes, {} layout, {} instruction slots", self.output.display(), bytes.len(), layout.name(), image.program.insns().len());
        Ok(ExitCode::SUCCESS)
    }
}
