use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Cmd {
    #[command(flatten)]
    device: super::device::DeviceArg,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Runtime::new()?;
        let info = rt.block_on(async { anyhow::Ok(self.device.client()?.info().await?) })?;
        if self.json {
            let v = serde_json::json!({
                "board": info.board, "build_id": info.build_id, "features": info.features,
                "slots": info.slots, "version": info.version, "addresses": info.addresses,
                "memory": info.memory.map(|m| serde_json::json!({
                    "heap_size": m.heap_size, "heap_free": m.heap_free,
                    "stack_size": m.stack_size, "stack_peak": m.stack_peak,
                })),
                "boot_count": info.boot_count,
            });
            println!("{v}");
        } else {
            println!(
                "board:    {}\nfirmware: {} ({})\nfeatures: {}\nslots:    {}\naddress:  {}",
                info.board,
                info.version,
                info.build_id,
                info.features.join(", "),
                info.slots,
                info.addresses.join(", ")
            );
            if let Some(m) = info.memory {
                let kib = |b: u32| f64::from(b) / 1024.0;
                println!(
                    "memory:   heap {:.1} of {:.1} KiB free, stack {:.1} of {:.1} KiB at its deepest",
                    kib(m.heap_free),
                    kib(m.heap_size),
                    kib(m.stack_peak),
                    kib(m.stack_size)
                );
            }
            if let Some(n) = info.boot_count {
                println!("boots:    {n} (since its kept state was started afresh)");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
