use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tools::conformance::{self, Outcome, TestCase};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The interpreter, on this host.
    Interp,
    /// The interpreter on the emulated Cortex-M4 (needs the firmware's test endpoint).
    InterpM4,
    /// The JIT on the emulated Cortex-M4.
    Jit,
}

#[derive(clap::Args)]
pub struct Cmd {
    /// The suite's tests folder (default: $BPF_CONFORMANCE_DIR, else ../shared/bpf_conformance/tests).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "interp")]
    engine: Engine,
    /// Print every test, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if self.engine != Engine::Interp {
            anyhow::bail!("engine not available in this build: only `--engine interp` runs today (interp-m4 and jit need the device-side runner)");
        }
        let dir = self.dir.unwrap_or_else(conformance::default_suite_dir);
        let files = conformance::list_cases(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        anyhow::ensure!(!files.is_empty(), "no .data files in {}", dir.display());
        let (mut passed, mut failed) = (0, 0);
        for file in files {
            let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let case = match TestCase::load(&file) {
                Ok(c) => c,
                Err(e) => {
                    println!("FAIL {name}: {e}");
                    failed += 1;
                    continue;
                }
            };
            let outcome = conformance::run_interp(&case);
            if outcome.matches(&case) {
                passed += 1;
                if self.verbose {
                    println!("PASS {name}");
                }
            } else {
                failed += 1;
                let want = match (&case.result, &case.error) {
                    (_, Some(e)) => format!("error `{e}`"),
                    (Some(r), _) => format!("{r:#x}"),
                    _ => String::new(),
                };
                let got = match outcome {
                    Outcome::Returned(r) => format!("{r:#x}"),
                    Outcome::Failed(e) => e,
                };
                println!("FAIL {name}: expected {want}, got {got}");
            }
        }
        println!("{passed} passed, {failed} failed");
        Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}
