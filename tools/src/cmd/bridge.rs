//! `mbpf bridge`: the host's end of a device's serial line, kept open, so that any CoAP
//! client (mbpf, libcoap's coap-client, aiocoap) reaches the device over UDP.
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use testbed::serial::{Bridge, Console, SerialAddr};

#[derive(clap::Args)]
pub struct Cmd {
    /// The serial line: serial:///dev/ttyACM0[?baud=N] or serial+tcp://HOST:PORT.
    line: String,
    /// The UDP address to serve the device's CoAP on.
    #[arg(long, default_value = "127.0.0.1:5683")]
    listen: SocketAddr,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let line = SerialAddr::parse(&self.line).with_context(|| {
            format!("`{}` is not a serial line (serial:///dev/TTY, serial+tcp://HOST:PORT)", self.line)
        })??;
        let bridge =
            Bridge::start_listening(&line, Console::Stderr(String::new()), Duration::from_secs(5), self.listen)?;
        eprintln!("bridge: {line} on coap://{} (Ctrl-C to stop)", bridge.coap_addr());
        loop {
            std::thread::park();
        }
    }
}
