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
        }
        Ok(ExitCode::SUCCESS)
    }
}
