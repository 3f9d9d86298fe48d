//! Device commands over CoAP: `deploy`, `exec`, `slots`, `erase`.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use coap_lite::RequestType;
use testbed::coap_client::{CoapClient, CoapError, Credentials};
use testbed::file_server::FileServer;
use testbed::program::BuildOptions;
use testbed::serial::{open_device, Console, DeviceLink};

#[derive(clap::Args)]
pub struct DeviceArg {
    /// The device: coap://HOST:PORT (UDP), serial:///dev/ttyACM0[?baud=N] (a board's
    /// serial port) or serial+tcp://HOST:PORT (a serial line on TCP: QEMU, FIT IoT-LAB,
    /// Renode) (default: `device` in mbpf.toml).
    #[arg(long)]
    device: Option<String>,
    /// Time to wait for the first answer; doubled at each retransmission (RFC 7252).
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    /// Retransmissions before giving up.
    #[arg(long, default_value_t = 4)]
    retries: u32,
    /// Authenticate as this EDHOC identity (`mbpf keygen --alg edhoc`); every request
    /// but `/info` is OSCORE-protected in the context EDHOC makes (default: `identity`
    /// in mbpf.toml, else the repository's test client, which default firmware accepts).
    #[arg(long)]
    identity: Option<std::path::PathBuf>,
    /// The device's EDHOC credential (`.ccs`), which it must present (default:
    /// `device_credential` in mbpf.toml).
    #[arg(long)]
    device_credential: Option<std::path::PathBuf>,
}

/// A CoAP client of a device, and the serial bridge that reaches it (if any), which
/// lives as long as the client.
pub struct Device {
    client: CoapClient,
    _link: DeviceLink,
}

impl Device {
    /// Opens `uri` as the repository's test client (which default firmware accepts); a
    /// serial device's console lines go to stderr.
    pub fn open(uri: &str) -> anyhow::Result<Device> {
        let link = open_device(uri, Console::Stderr("device: ".into()))?;
        let client = CoapClient::for_testbed(link.coap_addr).context("the repository's test EDHOC client")?;
        Ok(Device { client, _link: link })
    }
}

impl std::ops::Deref for Device {
    type Target = CoapClient;
    fn deref(&self) -> &CoapClient {
        &self.client
    }
}

impl std::ops::DerefMut for Device {
    fn deref_mut(&mut self) -> &mut CoapClient {
        &mut self.client
    }
}

impl DeviceArg {
    pub fn client(&self) -> anyhow::Result<Device> {
        let retransmit = testbed::coap_client::Retransmit {
            ack_timeout: std::time::Duration::from_millis(self.timeout_ms),
            max_retransmit: self.retries,
        };
        let config = super::config::Config::load()?;
        let device = match &self.device {
            Some(d) => d.clone(),
            None => config
                .device
                .clone()
                .context("no device: pass --device coap://HOST:PORT or set `device` in mbpf.toml")?,
        };
        let mut device = Device::open(&device)?;
        device.client = device.client.with_retransmit(retransmit);
        let identity = self.identity.clone().or(config.identity);
        let device_credential = self.device_credential.clone().or(config.device_credential);
        match (identity, device_credential) {
            (Some(identity), Some(credential)) => {
                let credentials = Credentials {
                    identity: testbed::keys::EdhocIdentity::read(&identity)?,
                    device: testbed::keys::read_credential(&credential)?,
                };
                device.client = device.client.with_credentials(credentials);
            }
            (None, None) => {}
            _ => anyhow::bail!(
                "EDHOC needs both an identity and the device's credential (--identity, --device-credential)"
            ),
        }
        Ok(device)
    }
}

/// Turns a device's 4.xx/5.xx answer into an error that shows its reason.
fn device_error(e: CoapError) -> anyhow::Error {
    match e {
        CoapError::Status { addr, path, code, payload } => {
            anyhow::anyhow!("device {addr} refused /{path} ({code}): {}", String::from_utf8_lossy(&payload))
        }
        e => e.into(),
    }
}

#[derive(clap::Args)]
pub struct Deploy {
    /// A C source (.c), a `no_std` Rust source (.rs), eBPF assembly (.s), an eBPF
    /// object (.o) or a packed image.
    program: PathBuf,
    #[command(flatten)]
    device: DeviceArg,
    #[arg(long)]
    slot: u8,
    /// Layout of the image to make (or of the image given): text, femto, extended, elf.
    #[arg(long)]
    layout: Option<String>,
    /// Allowed helpers (names or ids), comma separated.
    #[arg(long, value_delimiter = ',')]
    helpers: Vec<String>,
    /// eBPF ISA version for C and Rust sources (v4: signed division, sign extension,
    /// byte swaps; both engines run it).
    #[arg(long, default_value = testbed::compile::CLI_CPU, value_parser = ["v1", "v2", "v3", "v4"])]
    cpu: String,
    /// Ed25519 signing key (default: `key` in mbpf.toml, else the repository's test
    /// key, keys/testbed.key).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Server root: image, manifest and sequence numbers are kept here (default: `root`
    /// in mbpf.toml, else a fresh folder under the system's temp folder, and the
    /// sequence number is UNIX time in seconds).
    #[arg(long)]
    root: Option<PathBuf>,
    /// The host's address as the device sees it (QEMU user networking: 10.0.2.2).
    #[arg(long, default_value = "10.0.2.2")]
    host_address: String,
    /// Use a file server that is already running (e.g. `mbpf serve ROOT`), as the device
    /// sees it: coap://HOST:PORT. The files are written into --root, which it must serve.
    #[arg(long, requires = "root")]
    server: Option<String>,
}

impl Deploy {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let config = super::config::Config::load()?;
        let key_path = self.key.clone().or(config.key).unwrap_or_else(testbed::keys::testbed_key_path);
        let key = testbed::keys::read_signing_key(&key_path)?;
        let tmp;
        let root = match self.root.clone().or(config.root).as_ref() {
            Some(r) => {
                std::fs::create_dir_all(r)?;
                r.clone()
            }
            None => {
                tmp = tempfile::Builder::new().prefix("mbpf-deploy-").tempdir()?;
                // No root remembers the last sequence number: take UNIX time in
                // seconds, as SUIT tools commonly do, so each deploy is newer than the
                // last (one a second per slot).
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
                testbed::publish::record_sequence(tmp.path(), self.slot, now.saturating_sub(1))?;
                tmp.path().to_path_buf()
            }
        };
        let options = BuildOptions {
            layout: self.layout.as_deref().map(super::parse_layout).transpose()?,
            helpers: super::parse_helpers(&self.helpers)?,
            cpu: self.cpu.clone(),
            ..Default::default()
        };
        let work = tempfile::tempdir()?;
        let built = testbed::program::build(&self.program, &options, work.path())?;
        let (layout, image) = (built.layout, &built.bytes);
        let stem =
            self.program.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "program".into());
        let image_name = format!("slot{}-{stem}.{}", self.slot, layout.name());
        println!("image:    {image_name} ({} bytes, {} layout)", image.len(), layout.name());

        let rt = tokio::runtime::Runtime::new()?;
        let answer = rt.block_on(async {
            // Our own server on a free port, unless one was given.
            let (base_uri, server) = match &self.server {
                Some(uri) => (uri.trim_end_matches('/').to_string(), None),
                None => {
                    let server = FileServer::bind("127.0.0.1:0".parse()?, &root).await?;
                    let port = server.local_addr()?.port();
                    (format!("coap://{}:{port}", self.host_address), Some(server.spawn()))
                }
            };
            let helpers = built.helper_ids();
            let publication = testbed::publish::Publication {
                root: &root,
                base_uri: &base_uri,
                name: &image_name,
                image,
                layout,
                slot: self.slot,
                helpers: &helpers,
                key: &key,
            };
            let (manifest_uri, sequence) = testbed::publish::publish(&publication)?;
            println!("manifest: {image_name}.suit (sequence {sequence}, signed with {})", key_path.display());
            let req = proto::PullRequest { manifest_uri };
            let mut client = self.device.client()?;
            let result = client.request(RequestType::Post, proto::paths::PULL, &proto::encode(&req)).await;
            if let Some(server) = server {
                server.abort();
            }
            anyhow::Ok(result)
        })?;
        let answer = answer.map_err(device_error)?;
        let resp: proto::PullResponse = proto::decode(&answer).context("malformed pull answer")?;
        println!(
            "device:   slot {} now holds sequence {} ({} bytes; pull took {} guest instructions)",
            resp.slot,
            resp.sequence,
            resp.image_size,
            resp.counts * resp.insns_per_count as u64
        );
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Exec {
    #[command(flatten)]
    device: DeviceArg,
    #[arg(long)]
    slot: u8,
    #[arg(long, value_enum, default_value = "interp")]
    engine: proto::Engine,
    /// Input memory: a file, or hex bytes with `hex:` in front.
    #[arg(long)]
    input: Option<String>,
    #[arg(long, default_value_t = 0)]
    budget: u64,
    /// Narrow the helpers this run may call (names or ids, comma separated); the slot's
    /// signed manifest still bounds them.
    #[arg(long, value_delimiter = ',')]
    helpers: Option<Vec<String>>,
    #[arg(long)]
    json: bool,
}

impl Exec {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let helpers = self.helpers.as_deref().map(super::parse_helpers).transpose()?;
        let req = proto::ExecRequest {
            slot: self.slot,
            engine: self.engine,
            input: super::run::read_input(self.input.as_deref())?,
            budget: self.budget,
            helpers,
        };
        let rt = tokio::runtime::Runtime::new()?;
        let answer = rt.block_on(async {
            self.device
                .client()?
                .request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req))
                .await
                .map_err(device_error)
        })?;
        let resp: proto::RunResponse = proto::decode(&answer).context("malformed exec answer")?;
        super::run::print_response(&resp, self.json);
        Ok(if resp.failure.is_none() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}

#[derive(clap::Args)]
pub struct Slots {
    #[command(flatten)]
    device: DeviceArg,
}

impl Slots {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Runtime::new()?;
        let answer =
            rt.block_on(async { self.device.client()?.get(proto::paths::SLOTS).await.map_err(device_error) })?;
        let slots: Vec<proto::SlotInfo> = proto::decode(&answer).context("malformed slot list")?;
        println!("{:<5} {:<7} {:<9} {:>7} {:>9}  sha256", "slot", "state", "layout", "bytes", "sequence");
        for s in slots {
            let layout = vm::image::Layout::from_id(s.layout).map(|l| l.name()).unwrap_or("?");
            let (state, layout) = if s.loaded { ("loaded", layout) } else { ("empty", "-") };
            println!(
                "{:<5} {:<7} {:<9} {:>7} {:>9}  {}",
                s.slot,
                state,
                layout,
                s.image_size,
                s.sequence,
                hex::encode(s.image_sha256)
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Reset {
    #[command(flatten)]
    device: DeviceArg,
}

impl Reset {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            self.device.client()?.request(RequestType::Post, proto::paths::RESET, &[]).await.map_err(device_error)
        })?;
        println!("device resets (slots, sequence numbers and the boot count are kept)");
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Erase {
    #[command(flatten)]
    device: DeviceArg,
    #[arg(long)]
    slot: u8,
}

impl Erase {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            self.device
                .client()?
                .request(
                    RequestType::Post,
                    proto::paths::ERASE,
                    &proto::encode(&proto::EraseRequest { slot: self.slot }),
                )
                .await
                .map_err(device_error)
        })?;
        println!("slot {} erased", self.slot);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Start {
    #[command(flatten)]
    device: DeviceArg,
    #[arg(long)]
    slot: u8,
    /// Input memory: a file, or hex bytes with `hex:` in front.
    #[arg(long)]
    input: Option<String>,
    /// Total instruction budget (default: none; the program runs until it exits or is stopped).
    #[arg(long, default_value_t = 0)]
    budget: u64,
}

impl Start {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let req = proto::StartRequest {
            slot: self.slot,
            input: super::run::read_input(self.input.as_deref())?,
            budget: self.budget,
        };
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            self.device
                .client()?
                .request(RequestType::Post, proto::paths::START, &proto::encode(&req))
                .await
                .map_err(device_error)
        })?;
        println!("slot {} started", self.slot);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Stop {
    #[command(flatten)]
    device: DeviceArg,
    #[arg(long)]
    slot: u8,
}

impl Stop {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let req = proto::StopRequest { slot: self.slot };
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            self.device
                .client()?
                .request(RequestType::Post, proto::paths::STOP, &proto::encode(&req))
                .await
                .map_err(device_error)
        })?;
        println!("slot {} asked to stop", self.slot);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(clap::Args)]
pub struct Running {
    #[command(flatten)]
    device: DeviceArg,
}

impl Running {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Runtime::new()?;
        let answer =
            rt.block_on(async { self.device.client()?.get(proto::paths::RUNNING).await.map_err(device_error) })?;
        let list: Vec<proto::RunningInfo> = proto::decode(&answer).context("malformed list of background programs")?;
        println!("{:<5} {:<8} {:>14}  outcome", "slot", "state", "instructions");
        for r in list {
            let outcome = match (&r.result, &r.failure) {
                (Some(v), _) => format!("returned {v}"),
                (_, Some(f)) => format!("{:?}: {}", f.kind, f.message),
                _ => String::new(),
            };
            println!("{:<5} {:<8} {:>14}  {outcome}", r.slot, format!("{:?}", r.state).to_lowercase(), r.executed);
        }
        Ok(ExitCode::SUCCESS)
    }
}
