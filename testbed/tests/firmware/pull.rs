//! Signed pulls on the default firmware in QEMU: a good image installs and runs;
//! every kind of bad update is refused with a reason and leaves the slot unchanged.

use super::common::*;
use testbed::Node;

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
    let mut b = Bench::start().await;
    let info = b.device.info().await.unwrap();
    assert_eq!(info.slots, 4);
    assert!(!info.features.iter().any(|f| f == "unsigned-run"), "the default firmware must not run unsigned images");
    let port = b.port;
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
    expect_refused(
        b.pull(&b.publish("d.femto", &other[..other.len() - 8], &other, 6, &key)).await,
        "4.00",
        "bytes, the manifest says",
    );
    // Oversized image (longer than the manifest says).
    let mut longer = other.clone();
    longer.extend_from_slice(&[0u8; 2000]);
    expect_refused(
        b.pull(&b.publish("e.femto", &longer, &other, 6, &key)).await,
        "4.00",
        "larger than the manifest says",
    );
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

    // The costs of loading and verifying at pull time come with every run.
    let costs = b.exec_with(proto::Engine::Interp).await.costs;
    assert!(costs.load_counts > 0 && costs.verify_counts > 0, "{costs:?}");
    // The JIT runs the slot too; its code is compiled once and reused.
    let first_jit = b.exec_with(proto::Engine::Jit).await;
    assert_eq!(first_jit.result, Some(42));
    assert!(first_jit.costs.compile_counts > 0);
    let again = b.exec_with(proto::Engine::Jit).await;
    assert_eq!(again.result, Some(42));
    assert_eq!(again.costs.compile_counts, 0, "cached code is reused");

    // A newer, good update replaces it.
    let r = b.pull(&b.publish("h.femto", &other, &other, 6, &key)).await.unwrap();
    assert_eq!(r.sequence, 6);
    assert_eq!(b.exec().await, Some(7));
    // The new image is compiled afresh, not served from the old cache.
    let fresh = b.exec_with(proto::Engine::Jit).await;
    assert_eq!(fresh.result, Some(7));
    assert!(fresh.costs.compile_counts > 0);
    assert!(b.node.crashed().is_none());
    b.stop();
}
