//! `mbpf probe`: boards on the desk through their debug probe (probe-rs as a library,
//! `testbed::probe`): the attached probes, a firmware image's flashing plan, flashing.
use std::path::PathBuf;
use std::process::ExitCode;

use testbed::firmware::{Board, Variant};
use testbed::probe::FlashPlan;

#[derive(clap::Subcommand)]
pub enum Probe {
    /// The debug probes attached now (their serial numbers go in a hardware map).
    List,
    /// What flashing an image does to the board's chip: regions, bytes, erased sectors.
    Plan(Image),
    /// Flash an image onto a board, verify it and reset the board.
    Flash {
        #[command(flatten)]
        image: Image,
        /// The probe's serial number (`mbpf probe list`).
        #[arg(long)]
        probe: String,
    },
}

#[derive(clap::Args)]
pub struct Image {
    /// The board: b-l475e-iot01a, nucleo-f439zi, nrf52840-dk.
    #[arg(long)]
    board: Board,
    /// A firmware ELF; without it, the board's `--variant` image is built (or cached).
    firmware: Option<PathBuf>,
    #[arg(long, value_parser = ["default", "interp", "testbed"], default_value = "default")]
    variant: String,
}

impl Image {
    fn path(&self) -> anyhow::Result<PathBuf> {
        Ok(match &self.firmware {
            Some(p) => p.clone(),
            None => {
                let variant: Variant = self.variant.parse().map_err(anyhow::Error::msg)?;
                testbed::firmware::build(&testbed::repo_root(), self.board, variant)?
            }
        })
    }
}

impl Probe {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Probe::List => {
                let probes = testbed::probe::attached_probes();
                if probes.is_empty() {
                    println!("no debug probe attached");
                }
                for serial in probes {
                    println!("{serial}");
                }
            }
            Probe::Plan(image) => {
                let path = image.path()?;
                let plan = FlashPlan::of_elf(image.board, &path)?;
                println!("{} on {} (boots from {:#010x})", path.display(), plan.chip, plan.entry);
                for r in &plan.regions {
                    let (first, last) = (r.sectors.first(), r.sectors.last());
                    println!(
                        "  {}: {} bytes at {:#010x}..{:#010x}; erases {} sectors, {:#010x}..{:#010x} ({} bytes)",
                        r.algorithm,
                        r.bytes,
                        r.data.start,
                        r.data.end,
                        r.sectors.len(),
                        first.map_or(0, |s| s.start),
                        last.map_or(0, |s| s.end),
                        plan.erased()
                    );
                }
            }
            Probe::Flash { image, probe } => {
                let path = image.path()?;
                // The plan refuses an image for another chip before the probe is touched.
                FlashPlan::of_elf(image.board, &path)?;
                let mut session = testbed::probe::attach(image.board, &probe)?;
                testbed::probe::flash(&mut session, &path)?;
                testbed::probe::reset(&mut session)?;
                println!("flashed {} onto {} ({probe}) and reset it", path.display(), image.board);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
