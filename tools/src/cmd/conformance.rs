use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::Context;
use testbed::coap_client::CoapClient;
use testbed::conformance::{self, Outcome, TestCase};
use testbed::firmware::Variant;
use testbed::{Node, Target};

#[derive(clap::Args)]
pub struct Cmd {
    /// The suite's tests folder (default: $BPF_CONFORMANCE_DIR, else ../shared/bpf_conformance/tests).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "interp")]
    engine: proto::Engine,
    /// Where the engine runs: `host` (the interpreter only) or a node target
    /// (`qemu/mps2-an386`, `qemu/b-l475e-iot01a`), booted and stopped here (default: host for the interpreter,
    /// qemu/mps2-an386 for the others).
    #[arg(long)]
    on: Option<String>,
    /// Print every test, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

/// Where cases run: this process, or a device behind a CoAP client.
enum Runner {
    Host,
    Device(Box<DeviceRunner>),
}

struct DeviceRunner {
    rt: tokio::runtime::Runtime,
    client: CoapClient,
    engine: proto::Engine,
    _node: testbed::qemu::QemuNode,
    _dir: tempfile::TempDir,
}

impl Runner {
    fn start(engine: proto::Engine, on: Option<&str>) -> anyhow::Result<Self> {
        let target = match on {
            Some("host") => None,
            Some(name) => Some(name.parse::<Target>().map_err(anyhow::Error::msg)?),
            None if engine == proto::Engine::Interp => None,
            None => Some(Target::QEMU_MPS2),
        };
        let Some(target) = target else {
            anyhow::ensure!(
                engine == proto::Engine::Interp,
                "only the interpreter runs on the host; give --on {}",
                Target::QEMU_MPS2
            );
            return Ok(Runner::Host);
        };
        anyhow::ensure!(
            target.is_qemu(),
            "conformance runs on the QEMU targets (qemu/mps2-an386, qemu/b-l475e-iot01a), not {target}"
        );
        let dir = tempfile::Builder::new().prefix("mbpf-conformance-").tempdir()?;
        let rt = tokio::runtime::Runtime::new()?;
        let node = rt.block_on(testbed::qemu::boot_ready(
            "m4",
            target.board(),
            Variant::Testbed,
            dir.path(),
            Duration::from_secs(30),
        ))?;
        let mut client = CoapClient::for_testbed(node.coap_addr())?;
        let info = rt.block_on(client.info())?;
        let needed = match engine {
            proto::Engine::Interp => "unsigned-run",
            proto::Engine::Jit => "jit",
            proto::Engine::Rbpf => "rbpf",
        };
        anyhow::ensure!(
            info.features.iter().any(|f| f == needed),
            "the device has no `{needed}` feature (features: {})",
            info.features.join(", ")
        );
        anyhow::ensure!(info.features.iter().any(|f| f == "unsigned-run"), "the device cannot run unsigned images");
        Ok(Runner::Device(Box::new(DeviceRunner { rt, client, engine, _node: node, _dir: dir })))
    }

    fn run(&mut self, case: &TestCase) -> Outcome {
        match self {
            Runner::Host => conformance::run_interp(case),
            Runner::Device(d) => d.rt.block_on(conformance::run_on_device(&mut d.client, case, d.engine)),
        }
    }
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let dir = self.dir.unwrap_or_else(conformance::default_suite_dir);
        let files = conformance::list_cases(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        anyhow::ensure!(!files.is_empty(), "no .data files in {}", dir.display());
        let mut target = Runner::start(self.engine, self.on.as_deref())?;
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
