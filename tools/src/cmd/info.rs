use std::process::ExitCode;

use tools::coap_client::{parse_device_uri, CoapClient};

#[derive(clap::Args)]
pub struct Cmd {
    /// The device, e.g. coap://127.0.0.1:5683.
    #[arg(long)]
    device: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let addr = parse_device_uri(&self.device)?;
        let rt = tokio::runtime::Runtime::new()?;
        let info = rt.block_on(CoapClient::new(addr).info())?;
        if self.json {
            let v = serde_json::json!({
                "board": info.board, "build_id": info.build_id, "features": info.features,
                "slots": info.slots, "version": info.version,
            });
            println!("{v}");
        } else {
            println!("board:    {}\nfirmware: {} ({})\nfeatures: {}\nslots:    {}", info.board, info.version, info.build_id, info.features.join(", "), info.slots);
        }
        Ok(ExitCode::SUCCESS)
    }
}
