use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::Context;
use tools::coap_client::CoapClient;
use tools::conformance::{self, Outcome, TestCase};
use tools::firmware::{self, Variant};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The interpreter, on this host.
    Interp,
    /// The interpreter on the emulated Cortex-M4 (QEMU mps2-an386, started and stopped here).
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

/// Where cases run: this process, or a device behind a CoAP client.
enum Target {
    Host,
    Device { rt: tokio::runtime::Runtime, client: CoapClient, engine: proto::Engine, _node: tools::qemu::QemuNode, _dir: tempfile::TempDir },
}

impl Target {
    fn start(engine: Engine) -> anyhow::Result<Self> {
        let proto_engine = match engine {
            Engine::Interp => return Ok(Target::Host),
            Engine::InterpM4 => proto::Engine::Interp,
            Engine::Jit => proto::Engine::Jit,
        };
        let fw = firmware::build(&firmware::repo_root(), Variant::Testbed)?;
        let dir = tempfile::Builder::new().prefix("mbpf-conformance-").tempdir()?;
        let rt = tokio::runtime::Runtime::new()?;
        let mut node = tools::qemu::boot("m4", &fw, dir.path())?;
        let info = rt.block_on(node.wait_ready(Duration::from_secs(30)))?;
        let needed = if proto_engine == proto::Engine::Jit { "jit" } else { "unsigned-run" };
        anyhow::ensure!(info.features.iter().any(|f| f == needed), "the device has no `{needed}` feature (features: {})", info.features.join(", "));
        anyhow::ensure!(info.features.iter().any(|f| f == "unsigned-run"), "the device cannot run unsigned images");
        let client = CoapClient::new(node.coap_addr());
        Ok(Target::Device { rt, client, engine: proto_engine, _node: node, _dir: dir })
    }

    fn run(&mut self, case: &TestCase) -> Outcome {
        match self {
            Target::Host => conformance::run_interp(case),
            Target::Device { rt, client, engine, .. } => rt.block_on(conformance::run_on_device(client, case, *engine)),
        }
    }
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let dir = self.dir.unwrap_or_else(conformance::default_suite_dir);
        let files = conformance::list_cases(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        anyhow::ensure!(!files.is_empty(), "no .data files in {}", dir.display());
        let mut target = Target::start(self.engine)?;
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
            let outcome = target.run(&case);
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
