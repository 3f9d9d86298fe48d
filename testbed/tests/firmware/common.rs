//! Shared by the device tests: a booted default-firmware node, a file server and
//! signed updates of the device profile.
#![allow(dead_code)]
use std::time::Duration;

use coap_lite::RequestType;
use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};
use testbed::coap_client::{CoapClient, CoapError};
use testbed::file_server::FileServer;
use testbed::firmware::{Board, Variant};
pub use testbed::Node;
use vm::image::{Image, Layout};

/// The board these tests run on: `MBPF_TEST_BOARD` (default mps2-an386), so that CI
/// runs the same tests on each board.
pub fn board() -> Board {
    std::env::var("MBPF_TEST_BOARD").map_or(Board::Mps2An386, |b| b.parse().unwrap())
}

/// A node of `variant` firmware, booted and answering, with the folder its logs go to
/// (which must live as long as the node).
pub async fn boot(name: &str, variant: Variant) -> (testbed::qemu::QemuNode, tempfile::TempDir) {
    let logs = tempfile::tempdir().unwrap();
    let node = testbed::qemu::boot_ready(name, board(), variant, logs.path(), Duration::from_secs(30)).await.unwrap();
    (node, logs)
}

pub fn testbed_key() -> ed25519_dalek::SigningKey {
    match testbed::keys::testbed_key().unwrap() {
        testbed::keys::SigningKey::Ed25519(key) => key,
        testbed::keys::SigningKey::Es256(_) => panic!("the testbed key is Ed25519"),
    }
}

/// A femto image of a small program returning `value`.
pub fn image(value: i32) -> Vec<u8> {
    let insns = vm::asm::assemble(&format!("mov %r0, {value}\nexit")).unwrap();
    let bytes: Vec<u8> = insns.iter().flat_map(vm::Insn::encode).collect();
    Image::load(Layout::Text, &bytes).unwrap().emit(Layout::Femto).unwrap()
}

pub struct Bench {
    pub root: tempfile::TempDir,
    pub port: u16,
    pub device: CoapClient,
    pub node: testbed::qemu::QemuNode,
    server: tokio::task::JoinHandle<testbed::Result<()>>,
    _logs: tempfile::TempDir,
}

impl Bench {
    /// Writes `image` as `name` and a manifest for it (`image_for_manifest` is what the
    /// manifest describes, so the two can differ on purpose).
    pub fn publish(
        &self,
        name: &str,
        image: &[u8],
        image_for_manifest: &[u8],
        sequence: u64,
        key: &ed25519_dalek::SigningKey,
    ) -> String {
        self.publish_raw(1, name, image, image_for_manifest, sequence, &[], key)
    }

    /// Publishes a correctly signed image with a helper list, for slot 1.
    pub fn publish_with(
        &self,
        name: &str,
        image: &[u8],
        sequence: u64,
        helpers: &[u8],
        key: &ed25519_dalek::SigningKey,
    ) -> String {
        self.publish_raw(1, name, image, image, sequence, helpers, key)
    }

    /// Publishes a correctly signed image with a helper list, for any slot.
    pub fn publish_to(
        &self,
        slot: u8,
        name: &str,
        image: &[u8],
        sequence: u64,
        helpers: &[u8],
        key: &ed25519_dalek::SigningKey,
    ) -> String {
        self.publish_raw(slot, name, image, image, sequence, helpers, key)
    }

    #[allow(clippy::too_many_arguments)]
    fn publish_raw(
        &self,
        slot: u8,
        name: &str,
        served: &[u8],
        described: &[u8],
        sequence: u64,
        helpers: &[u8],
        key: &ed25519_dalek::SigningKey,
    ) -> String {
        std::fs::write(self.root.path().join(name), served).unwrap();
        let update = SlotUpdate {
            slot,
            sequence,
            vendor_id: VENDOR_ID.to_vec(),
            class_id: CLASS_ID_MPS2_AN386.to_vec(),
            image_digest: suit::sha256(described),
            image_size: described.len() as u64,
            uri: format!("coap://10.0.2.2:{}/{name}", self.port),
            layout: Layout::Femto as u8,
            helpers: helpers.to_vec(),
        };
        let manifest = format!("{name}.suit");
        std::fs::write(
            self.root.path().join(&manifest),
            suit::build::sign_ed25519(&suit::build::manifest(&update), key),
        )
        .unwrap();
        format!("coap://10.0.2.2:{}/{manifest}", self.port)
    }

    pub async fn pull(&mut self, uri: &str) -> Result<proto::PullResponse, (String, String)> {
        let req = proto::PullRequest { manifest_uri: uri.to_string() };
        match self.device.request(RequestType::Post, proto::paths::PULL, &proto::encode(&req)).await {
            Ok(bytes) => Ok(proto::decode(&bytes).unwrap()),
            Err(CoapError::Status { code, payload, .. }) => Err((code, String::from_utf8_lossy(&payload).into_owned())),
            Err(e) => panic!("{e}"),
        }
    }

    pub async fn slot1(&mut self) -> proto::SlotInfo {
        let slots: Vec<proto::SlotInfo> = proto::decode(&self.device.get(proto::paths::SLOTS).await.unwrap()).unwrap();
        slots.into_iter().find(|s| s.slot == 1).unwrap()
    }

    pub async fn exec(&mut self) -> Option<u64> {
        let req =
            proto::ExecRequest { slot: 1, engine: proto::Engine::Interp, input: vec![], budget: 0, helpers: None };
        let bytes = self.device.request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req)).await.ok()?;
        proto::decode::<proto::RunResponse>(&bytes).unwrap().result
    }
}

/// A femto image of any assembly program.
pub fn image_of(asm: &str) -> Vec<u8> {
    let insns = vm::asm::assemble(asm).unwrap();
    let bytes: Vec<u8> = insns.iter().flat_map(vm::Insn::encode).collect();
    Image::load(Layout::Text, &bytes).unwrap().emit(Layout::Femto).unwrap()
}

impl Bench {
    /// Boots the default firmware and starts a file server.
    pub async fn start() -> Self {
        Self::start_with(Variant::Default).await
    }

    /// A bench with a `variant` device (the device server's variants: `Default` or
    /// `Interp`).
    pub async fn start_with(variant: Variant) -> Self {
        let (node, logs) = boot("dev", variant).await;
        let root = tempfile::tempdir().unwrap();
        let server = FileServer::bind("127.0.0.1:0".parse().unwrap(), root.path()).await.unwrap();
        let port = server.local_addr().unwrap().port();
        let server = server.spawn();
        let device = CoapClient::for_testbed(node.coap_addr()).unwrap();
        Self { root, port, device, node, server, _logs: logs }
    }

    /// Runs slot 1 once on an engine.
    pub async fn exec_with(&mut self, engine: proto::Engine) -> proto::RunResponse {
        self.exec_slot(1, engine).await
    }

    /// Runs a slot once on an engine.
    pub async fn exec_slot(&mut self, slot: u8, engine: proto::Engine) -> proto::RunResponse {
        self.exec_slot_allowing(slot, engine, None).await
    }

    /// Runs a slot once on an engine, with the helpers the run allows (`None`: its
    /// manifest's).
    pub async fn exec_slot_allowing(
        &mut self,
        slot: u8,
        engine: proto::Engine,
        helpers: Option<vm::HelperSet>,
    ) -> proto::RunResponse {
        let req = proto::ExecRequest { slot, engine, input: vec![], budget: 0, helpers };
        let bytes = self.device.request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req)).await.unwrap();
        proto::decode(&bytes).unwrap()
    }

    pub fn stop(mut self) {
        self.server.abort();
        self.node.stop();
    }
}
