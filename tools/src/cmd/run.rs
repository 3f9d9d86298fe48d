use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use testbed::firmware::Variant;
use testbed::program::BuildOptions;
use testbed::Node;

/// Prints a run's result and costs, as text or JSON.
pub fn print_response(answer: &proto::RunResponse, json: bool) {
    let c = &answer.costs;
    let insns = |counts: u64| counts * c.insns_per_count as u64;
    if json {
        let v = serde_json::json!({
            "result": answer.result,
            "failure": answer.failure.as_ref().map(|f| serde_json::json!({"kind": format!("{:?}", f.kind), "pc": f.pc, "message": f.message})),
            "costs": {
                "load_insns": insns(c.load_counts), "verify_insns": insns(c.verify_counts),
                "compile_insns": insns(c.compile_counts), "exec_insns": insns(c.exec_counts),
                "executed_ebpf": c.executed, "code_size": c.code_size,
                "load_cycles": c.load_cycles, "verify_cycles": c.verify_cycles,
                "compile_cycles": c.compile_cycles, "exec_cycles": c.exec_cycles,
                "compile_memory": c.compile_memory,
            },
        });
        println!("{v}");
        return;
    }
    match (&answer.result, &answer.failure) {
        (Some(r), _) => println!("result:   {r} ({r:#x})"),
        (_, Some(f)) => println!(
            "failed:   {:?}{}: {}",
            f.kind,
            f.pc.map(|p| format!(" at instruction {p}")).unwrap_or_default(),
            f.message
        ),
        _ => println!("no result"),
    }
    println!("costs (guest instructions, ±{} per figure):", c.insns_per_count);
    println!(
        "  load     {}\n  verify   {}\n  compile  {}\n  execute  {}",
        insns(c.load_counts),
        insns(c.verify_counts),
        insns(c.compile_counts),
        insns(c.exec_counts)
    );
    if let Some(bytes) = c.compile_memory {
        println!("  the compile held {bytes} bytes of heap at most");
    }
    if let Some(cycles) = c.exec_cycles {
        // Only a chip's cycle counter gives these (QEMU has none).
        let show = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
        println!(
            "core cycles (the chip's cycle counter):\n  load     {}\n  verify   {}\n  compile  {}\n  execute  {cycles}",
            show(c.load_cycles),
            show(c.verify_cycles),
            show(c.compile_cycles)
        );
    }
    if c.executed > 0 {
        println!(
            "  eBPF instructions executed: {} ({:.1} guest instructions each)",
            c.executed,
            insns(c.exec_counts) as f64 / c.executed as f64
        );
    }
}

#[derive(clap::Args)]
pub struct Cmd {
    /// The program: eBPF assembly (`.s`, `.asm`), a C or Rust source, an eBPF object,
    /// or an image/bytecode file.
    program: PathBuf,
    /// A testbed device (firmware with `unsigned-run`); without it, one is booted in QEMU.
    #[arg(long)]
    device: Option<String>,
    /// Image layout to send (or of the image given): text, femto, extended, elf; by
    /// default text for assembly, femto for sources and objects, found from an image.
    #[arg(long)]
    layout: Option<String>,
    /// Input memory: a file, or hex bytes with `hex:` in front.
    #[arg(long)]
    input: Option<String>,
    /// Allowed helpers (names or ids), comma separated.
    #[arg(long, value_delimiter = ',')]
    helpers: Vec<String>,
    #[arg(long, default_value_t = 0)]
    budget: u64,
    /// eBPF ISA version for C and Rust sources.
    #[arg(long, default_value = testbed::compile::CLI_CPU, value_parser = ["v1", "v2", "v3", "v4"])]
    cpu: String,
    #[arg(long, value_enum, default_value = "interp")]
    engine: proto::Engine,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Reads `--input`: `hex:0a0b..` or a file path.
pub fn read_input(arg: Option<&str>) -> anyhow::Result<Vec<u8>> {
    match arg {
        None => Ok(Vec::new()),
        Some(s) if s.starts_with("hex:") => {
            let digits: String = s[4..].chars().filter(|c| !c.is_whitespace()).collect();
            hex::decode(digits).context("bad hex input")
        }
        Some(path) => super::read(std::path::Path::new(path)),
    }
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let helpers = super::parse_helpers(&self.helpers)?;
        let layout = self.layout.as_deref().map(super::parse_layout).transpose()?;
        let work = tempfile::tempdir()?;
        let built = testbed::program::build(
            &self.program,
            &BuildOptions { layout, helpers, cpu: self.cpu.clone(), ..Default::default() },
            work.path(),
        )?;
        let req = proto::RunRequest {
            layout: built.layout as u8,
            image: built.bytes,
            input: read_input(self.input.as_deref())?,
            helpers,
            budget: self.budget,
            engine: self.engine,
        };
        let rt = tokio::runtime::Runtime::new()?;
        let (answer, _node, _dir) = rt.block_on(async {
            let (mut client, node, dir) = match &self.device {
                Some(uri) => (super::device::Device::open(uri)?, None, None),
                None => {
                    let dir = tempfile::Builder::new().prefix("mbpf-run-").tempdir()?;
                    let node = testbed::qemu::boot_ready(
                        "m4",
                        testbed::firmware::Board::Mps2An386,
                        Variant::Testbed,
                        dir.path(),
                        Duration::from_secs(30),
                    )
                    .await?;
                    (super::device::Device::open(&format!("coap://{}", node.coap_addr()))?, Some(node), Some(dir))
                }
            };
            let bytes = client.request(coap_lite::RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await?;
            let answer: proto::RunResponse = proto::decode(&bytes).context("malformed answer from the device")?;
            anyhow::Ok((answer, node, dir))
        })?;
        print_response(&answer, self.json);
        Ok(if answer.failure.is_none() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}
