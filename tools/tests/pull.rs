//! Signed pulls on the default firmware in QEMU: a good image installs and runs;
//! every kind of bad update is refused with a reason and leaves the slot unchanged.
use std::time::Duration;

use coap_lite::RequestType;
use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};
use tools::coap_client::{CoapClient, CoapError};
use tools::file_server::FileServer;
use tools::firmware::{self, Variant};
use vm::image::{Image, Layout};

fn testbed_key() -> ed25519_dalek::SigningKey {
    let text = std::fs::read_to_string(firmware::repo_root().join("keys/testbed.key")).unwrap();
    let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&text.trim()[2 * i..2 * i + 2], 16).unwrap()).collect();
    ed25519_dalek::SigningKey::from_bytes(&bytes.try_into().unwrap())
}

/// A femto image of a small program returning `value`.
fn image(value: i32) -> Vec<u8> {
    let insns = vm::asm::assemble(&format!("mov %r0, {value}\nexit")).unwrap();
    let bytes: Vec<u8> = insns.iter().flat_map(vm::Insn::encode).collect();
    Image::load(Layout::Text, &bytes).unwrap().emit(Layout::Femto).unwrap()
}

struct Bench {
    root: tempfile::TempDir,
    port: u16,
    device: CoapClient,
}

impl Bench {
    /// Writes `image` as `name` and a manifest for it (`image_for_manifest` is what the
    /// manifest describes, so the two can differ on purpose).
    fn publish(&self, name: &str, image: &[u8], image_for_manifest: &[u8], sequence: u64, key: &ed25519_dalek::SigningKey) -> String {
        std::fs::write(self.root.path().join(name), image).unwrap();
        let update = SlotUpdate {
            slot: 1,
            sequence,
            vendor_id: VENDOR_ID.to_vec(),
            class_id: CLASS_ID_MPS2_AN386.to_vec(),
            image_digest: suit::sha256(image_for_manifest),
            image_size: image_for_manifest.len() as u64,
            uri: format!("coap://10.0.2.2:{}/{name}", self.port),
            layout: Layout::Femto as u8,
            helpers: vec![],
        };
        let manifest = format!("{name}.suit");
        std::fs::write(self.root.path().join(&manifest), suit::build::sign_ed25519(&suit::build::manifest(&update), key)).unwrap();
        format!("coap://10.0.2.2:{}/{manifest}", self.port)
    }

    async fn pull(&mut self, uri: &str) -> Result<proto::PullResponse, (String, String)> {
        let req = proto::PullRequest { manifest_uri: uri.to_string() };
        match self.device.request(RequestType::Post, proto::paths::PULL, &proto::encode(&req)).await {
            Ok(bytes) => Ok(proto::decode(&bytes).unwrap()),
            Err(CoapError::Status { code, payload, .. }) => Err((code, String::from_utf8_lossy(&payload).into_owned())),
            Err(e) => panic!("{e}"),
        }
    }

    async fn slot1(&mut self) -> proto::SlotInfo {
        let slots: Vec<proto::SlotInfo> = proto::decode(&self.device.get(proto::paths::SLOTS).await.unwrap()).unwrap();
        slots.into_iter().find(|s| s.slot == 1).unwrap()
    }

    async fn exec(&mut self) -> Option<u64> {
        let req = proto::ExecRequest { slot: 1, engine: proto::Engine::Interp, input: vec![], budget: 0 };
        let bytes = self.device.request(RequestType::Post, proto::paths::EXEC, &proto::encode(&req)).await.ok()?;
        proto::decode::<proto::RunResponse>(&bytes).unwrap().result
    }
}

fn expect_refused(r: Result<proto::PullResponse, (String, String)>, code: &str, reason: &str) {
    match r {
        Err((c, why)) => {
            assert!(c.contains(code), "expected {code}, got {c}: {why}");
            assert!(why.contains(reason), "expected a reason with `{reason}`, got `{why}`");
        }
        Ok(r) => panic!("pull was accepted: {r:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_pulls_install_and_bad_updates_leave_the_slot_unchanged() {
    let fw = firmware::build(&firmware::repo_root(), Variant::Default).unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut node = tools::qemu::boot("pull", &fw, logs.path()).unwrap();
    let info = node.wait_ready(Duration::from_secs(30)).await.unwrap();
    assert_eq!(info.slots, 4);
    assert!(!info.features.iter().any(|f| f == "unsigned-run"), "the default firmware must not run unsigned images");

    let root = tempfile::tempdir().unwrap();
    let server = FileServer::bind("127.0.0.1:0".parse().unwrap(), root.path()).await.unwrap();
    let port = server.local_addr().unwrap().port();
    let server = server.spawn();
    let mut b = Bench { root, port, device: CoapClient::new(node.coap_addr()) };
    let key = testbed_key();

    // A good update installs and runs.
    let good = image(42);
    let first = b.publish("good.femto", &good, &good, 5, &key);
    let r = b.pull(&first).await.unwrap();
    assert_eq!((r.slot, r.sequence, r.image_size as usize), (1, 5, good.len()));
    assert_eq!(b.exec().await, Some(42));
    let installed = b.slot1().await;
    assert_eq!(installed.image_sha256, suit::sha256(&good).to_vec());

    let other = image(7);
    // Wrong key.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    expect_refused(b.pull(&b.publish("a.femto", &other, &other, 6, &stranger)).await, "4.01", "signature");
    // Bad signature: a trusted signature over another manifest, spliced in.
    let uri = b.publish("b.femto", &other, &other, 6, &key);
    let path = b.root.path().join("b.femto.suit");
    let mut env = std::fs::read(&path).unwrap();
    let n = env.len();
    env[n - 3] ^= 0x01; // inside the manifest: its digest no longer matches
    std::fs::write(&path, env).unwrap();
    expect_refused(b.pull(&uri).await, "4.00", "digest");
    // Image digest mismatch: the served image is not the one signed.
    let mut tampered = other.clone();
    tampered[40] ^= 0xff;
    expect_refused(b.pull(&b.publish("c.femto", &tampered, &other, 6, &key)).await, "4.00", "digest does not match");
    // Truncated image.
    expect_refused(b.pull(&b.publish("d.femto", &other[..other.len() - 8], &other, 6, &key)).await, "4.00", "bytes, the manifest says");
    // Oversized image (longer than the manifest says).
    let mut longer = other.clone();
    longer.extend_from_slice(&[0u8; 2000]);
    expect_refused(b.pull(&b.publish("e.femto", &longer, &other, 6, &key)).await, "4.00", "larger than the manifest says");
    // An image larger than a slot.
    let huge = vec![0u8; 70 * 1024];
    expect_refused(b.pull(&b.publish("f.femto", &huge, &huge, 6, &key)).await, "4.13", "a slot holds");
    // Replay: the first manifest again, and a new one with an old sequence number.
    expect_refused(b.pull(&first).await, "4.03", "not above 5");
    expect_refused(b.pull(&b.publish("g.femto", &other, &other, 4, &key)).await, "4.03", "not above 5");
    // A missing manifest.
    expect_refused(b.pull(&format!("coap://10.0.2.2:{port}/nothing.suit")).await, "5.04", "refused");

    // After all of that the slot holds the first image, unchanged.
    assert_eq!(b.slot1().await, installed);
    assert_eq!(b.exec().await, Some(42));

    // A newer, good update replaces it.
    let r = b.pull(&b.publish("h.femto", &other, &other, 6, &key)).await.unwrap();
    assert_eq!(r.sequence, 6);
    assert_eq!(b.exec().await, Some(7));
    assert!(node.crashed().is_none());
    server.abort();
    node.stop();
}
