//! `mbpf sign`: a signed SUIT manifest (Ed25519) for an image and a slot.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};

#[derive(clap::Args)]
pub struct Cmd {
    /// The image file (already packed).
    image: PathBuf,
    /// Signing key from `mbpf keygen` (Ed25519, or ES256; default: `key` in mbpf.toml).
    #[arg(long)]
    key: Option<PathBuf>,
    #[arg(long)]
    slot: u8,
    /// The image's layout: text, femto, extended, elf.
    #[arg(long, default_value = "femto")]
    layout: String,
    /// Allowed helpers (names or ids), comma separated.
    #[arg(long, value_delimiter = ',')]
    helpers: Vec<String>,
    /// Where the device will fetch the image (default: coap://10.0.2.2:5683/<image file name>).
    #[arg(long)]
    uri: Option<String>,
    /// The file server root: the last sequence number per slot is kept there, so each
    /// new manifest for a slot is higher than the last (default: `root` in mbpf.toml,
    /// else the current folder).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Use this sequence number instead of the next one.
    #[arg(long)]
    sequence: Option<u64>,
    /// Output file (default: <image>.suit).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

use testbed::publish::{next_sequence, record_sequence};

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let image = super::read(&self.image)?;
        let config = super::config::Config::load()?;
        let key_path =
            self.key.clone().or(config.key).context("no signing key: pass --key or set `key` in mbpf.toml")?;
        let key = testbed::keys::read_signing_key(&key_path)?;
        let root = self.root.clone().or(config.root).unwrap_or_else(|| PathBuf::from("."));
        let layout = vm::image::Layout::from_name(&self.layout)
            .with_context(|| format!("unknown layout `{}` (text, femto, extended, elf)", self.layout))?;
        // Refuse to sign what the device would refuse to load.
        vm::image::Image::load(layout, &image)
            .with_context(|| format!("{} is not a valid {} image", self.image.display(), layout.name()))?;
        let helpers = super::parse_helpers(&self.helpers)?;
        let name = self.image.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let sequence = match self.sequence {
            Some(s) => s,
            None => next_sequence(&root, self.slot)?,
        };
        let update = SlotUpdate {
            slot: self.slot,
            sequence,
            vendor_id: VENDOR_ID.to_vec(),
            class_id: CLASS_ID_MPS2_AN386.to_vec(),
            image_digest: suit::sha256(&image),
            image_size: image.len() as u64,
            uri: self.uri.unwrap_or_else(|| format!("coap://10.0.2.2:{}/{name}", proto::COAP_PORT)),
            layout: layout as u8,
            helpers: helpers.to_id_bytes(),
        };
        let envelope = key.sign_manifest(&suit::build::manifest(&update));
        let output = self.output.unwrap_or_else(|| PathBuf::from(format!("{}.suit", self.image.display())));
        super::write(&output, &envelope)?;
        record_sequence(&root, self.slot, sequence)?;
        println!(
            "{}: slot {}, sequence {}, {} bytes, image sha256 {}",
            output.display(),
            self.slot,
            sequence,
            envelope.len(),
            hex::encode(update.image_digest)
        );
        Ok(ExitCode::SUCCESS)
    }
}
