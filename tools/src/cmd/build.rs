//! `mbpf compile` (C to an eBPF object) and `mbpf pack` (object to an image layout).
use std::path::PathBuf;
use std::process::ExitCode;

use testbed::program::{BuildOptions, SourceKind};

#[derive(clap::Args)]
pub struct Compile {
    /// C source file, or a `no_std` Rust source (.rs).
    source: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    /// eBPF ISA version (v4 adds sdiv/smod, movsx, sign-extending loads, bswap).
    #[arg(long, default_value = testbed::compile::CLI_CPU, value_parser = ["v1", "v2", "v3", "v4"])]
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
        let obj = if SourceKind::of(&self.source) == SourceKind::Rust {
            testbed::compile::compile_rust(&self.source, work.path(), &self.cpu)?
        } else {
            testbed::compile::compile_c(&self.source, work.path(), &self.cpu, &self.defines, &self.includes)?
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
    /// Leave out the JIT's hints, loop-head seeds, liveness and homes (femto and extended carry
    /// them by default: the device's compile walks each loop once and checks the homes
    /// in place of allocating, to the same code).
    #[arg(long)]
    no_jit_hints: bool,
    #[arg(short, long)]
    output: PathBuf,
}

impl Pack {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let options = BuildOptions {
            layout: Some(super::parse_layout(&self.layout)?),
            helpers: super::parse_helpers(&self.helpers)?,
            entry: self.entry,
            jit_hints: !self.no_jit_hints,
            ..Default::default()
        };
        let work = tempfile::tempdir()?;
        let built = testbed::program::build(&self.object, &options, work.path())?;
        super::write(&self.output, &built.bytes)?;
        println!(
            "{}: {} bytes, {} layout, {} instruction slots, {} bytes of JIT hints",
            self.output.display(),
            built.bytes.len(),
            built.layout.name(),
            built.image.program.insns().len(),
            built.image.jit_hints.len()
        );
        Ok(ExitCode::SUCCESS)
    }
}
