//! `mbpf footprint`: a firmware image's flash and RAM, in all and per crate.
use std::path::PathBuf;
use std::process::ExitCode;

use testbed::firmware::Variant;
use testbed::footprint::Footprint;

#[derive(clap::Args)]
pub struct Cmd {
    /// A firmware ELF; without it, the `--variant` image is built (or taken from the cache).
    firmware: Option<PathBuf>,
    #[arg(long, value_parser = ["default", "interp", "testbed"], default_value = "default")]
    variant: String,
    /// The board to build for: mps2-an386, b-l475e-iot01a, nucleo-f439zi, nrf52840-dk.
    #[arg(long, default_value = "mps2-an386")]
    board: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Instead of the crates: this crate's code by the source file it was written in,
    /// code inlined from one file into another's function counted where it was written
    /// (`--files jit`).
    #[arg(long, value_name = "CRATE")]
    files: Option<String>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let path = match self.firmware {
            Some(p) => p,
            None => {
                let variant: Variant = self.variant.parse().map_err(anyhow::Error::msg)?;
                let board: testbed::firmware::Board = self.board.parse().map_err(anyhow::Error::msg)?;
                testbed::firmware::build(&testbed::repo_root(), board, variant)?
            }
        };
        if let Some(krate) = &self.files {
            return files(&path, krate, self.json);
        }
        let footprint = Footprint::of_elf(&path)?;
        if self.json {
            let json = serde_json::to_string(&footprint)?;
            super::print_lines(|out| writeln!(out, "{json}"))?;
            return Ok(ExitCode::SUCCESS);
        }
        let kib = |b: u64| format!("{:.1}", b as f64 / 1024.0);
        super::print_lines(|out| {
            writeln!(out, "{}", path.display())?;
            writeln!(out, "{:<24} {:>10} {:>10}", "crate", "flash KiB", "RAM KiB")?;
            for (name, cost) in footprint.rows() {
                writeln!(out, "{:<24} {:>10} {:>10}", name, kib(cost.flash), kib(cost.ram))?;
            }
            writeln!(out, "{:<24} {:>10} {:>10}", "total", kib(footprint.total.flash), kib(footprint.total.ram))
        })?;
        Ok(ExitCode::SUCCESS)
    }
}

/// `--files`: a crate's code by source file, largest first.
fn files(path: &std::path::Path, krate: &str, json: bool) -> anyhow::Result<ExitCode> {
    let by_file = testbed::footprint::code_by_file(path, krate)?;
    if by_file.is_empty() {
        anyhow::bail!("{}: no code of a crate named {krate}", path.display());
    }
    if json {
        let json = serde_json::to_string(&by_file)?;
        super::print_lines(|out| writeln!(out, "{json}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows: Vec<(&String, &u64)> = by_file.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    super::print_lines(|out| {
        writeln!(out, "{}", path.display())?;
        writeln!(out, "{:<32} {:>8}", format!("{krate} source file"), "bytes")?;
        for (file, bytes) in &rows {
            writeln!(out, "{file:<32} {bytes:>8}")?;
        }
        writeln!(out, "{:<32} {:>8}", "total", by_file.values().sum::<u64>())
    })?;
    Ok(ExitCode::SUCCESS)
}
