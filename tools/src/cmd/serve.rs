//! `mbpf serve`: the CoAP file server devices pull from.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use testbed::file_server::FileServer;

#[derive(clap::Args)]
pub struct Cmd {
    /// The folder to serve (default: `root` in mbpf.toml).
    root: Option<PathBuf>,
    /// Address to listen on (QEMU guests reach the host's loopback as 10.0.2.2).
    #[arg(long, default_value = "127.0.0.1:5683")]
    listen: SocketAddr,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        super::init_logging();
        let root = match self.root {
            Some(r) => r,
            None => super::config::Config::load()?
                .root
                .ok_or_else(|| anyhow::anyhow!("no folder to serve: give ROOT or set `root` in mbpf.toml"))?,
        };
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            let server = FileServer::bind(self.listen, &root).await?;
            eprintln!("serving {} on coap://{}", root.display(), server.local_addr()?);
            tokio::select! {
                r = server.serve() => r.map_err(anyhow::Error::from),
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
        })?;
        Ok(ExitCode::SUCCESS)
    }
}
