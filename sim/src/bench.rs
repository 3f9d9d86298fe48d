//! The `bench` step: build a kernel at each data size, deploy it with a signed pull,
//! run it on each engine, check the result, and record the device's costs.
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use coap_lite::RequestType;
use serde::Serialize;
use tools::coap_client::CoapClient;
use vm::image::{Image, Layout};

use crate::scenario::{BenchStep, EngineName, Kernel};

/// One run of one build on one engine.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub node: String,
    pub kernel: String,
    pub data_size: usize,
    pub engine: String,
    pub result: Option<u64>,
    pub expected: u64,
    pub ok: bool,
    pub error: Option<String>,
    /// Guest instructions (SysTick counts × 40 under -icount shift=0).
    pub exec_insns: u64,
    pub compile_insns: u64,
    /// eBPF instructions executed (interpreter only; the JIT does not count them).
    pub executed_ebpf: u64,
    pub bytecode_bytes: usize,
    /// Bytes of code run: bytecode for the interpreter, machine code for the JIT.
    pub code_bytes: u32,
}

/// The data a build gets: a fixed pattern, so every run and every engine sees the same.
pub fn data(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 + 3) as u8).collect()
}

pub fn fletcher16(data: &[u8]) -> u64 {
    let (mut a, mut b) = (0u64, 0u64);
    for &x in data {
        a = (a + x as u64) % 255;
        b = (b + a) % 255;
    }
    (b << 8) | a
}

fn header(data: &[u8]) -> String {
    // volatile: the compiler must load every byte, not fold the sum at compile time.
    let mut h = format!("#define DATA_SIZE {}\nstatic const volatile uint8_t bench_data[DATA_SIZE] = {{", data.len());
    for (i, b) in data.iter().enumerate() {
        if i % 16 == 0 {
            h.push_str("\n   ");
        }
        let _ = write!(h, " {b},");
    }
    h.push_str("\n};\n");
    h
}

pub struct Bench<'a> {
    pub repo: &'a Path,
    pub work: &'a Path,
    pub server_root: &'a Path,
    /// `coap://10.0.2.2:PORT` as the device sees the file server.
    pub base_uri: String,
    pub key: tools::publish::SigningKey,
}

impl Bench<'_> {
    pub async fn run(&self, step: &BenchStep, device: &mut CoapClient) -> anyhow::Result<Vec<BenchResult>> {
        let mut out = Vec::new();
        let source = self.repo.join(&step.source);
        for &size in &step.data_sizes {
            let data = data(size);
            let expected = match step.kernel {
                Kernel::Fletcher16 => fletcher16(&data),
            };
            let dir = self.work.join(format!("build-{size}"));
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("bench_data.h"), header(&data))?;
            let obj = tools::compile::compile_c_with(&source, &dir, "v3", &[], &[dir.clone()])?;
            let image = Image::load(Layout::Elf, &obj).with_context(|| format!("{}", source.display()))?;
            let bytes = image.emit(Layout::Femto)?;
            let stem = source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let name = format!("{stem}-{size}.femto");
            let publication = tools::publish::Publication {
                root: self.server_root,
                base_uri: &self.base_uri,
                name: &name,
                image: &bytes,
                layout: Layout::Femto,
                slot: step.slot,
                helpers: &[],
                key: &self.key,
            };
            let (manifest_uri, _) = tools::publish::publish(&publication)?;
            let pull = proto::PullRequest { manifest_uri };
            device.request(RequestType::Post, proto::paths::PULL, &proto::encode(&pull)).await.with_context(|| format!("pulling {name}"))?;
            for &engine in &step.engines {
                let req = proto::ExecRequest {
                    slot: step.slot,
                    engine: match engine {
                        EngineName::Interp => proto::Engine::Interp,
                        EngineName::Jit => proto::Engine::Jit,
                    },
                    input: Vec::new(),
                    budget: 0,
                    helpers: None,
                };
                let answer = device.request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req)).await?;
                let r: proto::RunResponse = proto::decode(&answer).context("malformed exec answer")?;
                let per = r.costs.insns_per_count as u64;
                out.push(BenchResult {
                    node: step.node.clone(),
                    kernel: format!("{:?}", step.kernel).to_lowercase(),
                    data_size: size,
                    engine: format!("{engine:?}").to_lowercase(),
                    result: r.result,
                    expected,
                    ok: r.result == Some(expected),
                    error: r.failure.map(|f| format!("{:?}: {}", f.kind, f.message)),
                    exec_insns: r.costs.exec_counts * per,
                    compile_insns: r.costs.compile_counts * per,
                    executed_ebpf: r.costs.executed,
                    bytecode_bytes: image.program.insns().len() * vm::Insn::SIZE,
                    code_bytes: r.costs.code_size,
                });
            }
        }
        Ok(out)
    }
}

/// `bench.csv`: one row per run.
pub fn csv(results: &[BenchResult]) -> String {
    let mut s = String::from("node,kernel,data_size,engine,ok,result,exec_insns,compile_insns,executed_ebpf,bytecode_bytes,code_bytes\n");
    for r in results {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{}",
            r.node, r.kernel, r.data_size, r.engine, r.ok, r.result.map(|v| v.to_string()).unwrap_or_default(), r.exec_insns, r.compile_insns, r.executed_ebpf, r.bytecode_bytes, r.code_bytes
        );
    }
    s
}

/// The markdown table of `report.md`: interpreter against JIT, per kernel and size.
pub fn table(results: &[BenchResult]) -> String {
    let mut s = String::from(
        "| kernel | bytes | interpreter (insns) | JIT (insns) | interp / JIT | JIT compile (insns) | bytecode | JIT code | insns per eBPF insn (interp) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut keys: Vec<(String, usize)> = results.iter().map(|r| (r.kernel.clone(), r.data_size)).collect();
    keys.dedup();
    for (kernel, size) in keys {
        let find = |e: &str| results.iter().find(|r| r.kernel == kernel && r.data_size == size && r.engine == e);
        let (i, j) = (find("interp"), find("jit"));
        let cell = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
        let ratio = match (i, j) {
            (Some(i), Some(j)) if j.exec_insns > 0 => format!("{:.2}x", i.exec_insns as f64 / j.exec_insns as f64),
            _ => "—".into(),
        };
        let per = i.filter(|i| i.executed_ebpf > 0).map(|i| format!("{:.1}", i.exec_insns as f64 / i.executed_ebpf as f64)).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            s,
            "| {kernel} | {size} | {} | {} | {ratio} | {} | {} | {} | {per} |",
            cell(i.map(|r| r.exec_insns)),
            cell(j.map(|r| r.exec_insns)),
            cell(j.map(|r| r.compile_insns)),
            cell(i.map(|r| r.bytecode_bytes as u64)),
            cell(j.map(|r| r.code_bytes as u64)),
        );
    }
    s
}
