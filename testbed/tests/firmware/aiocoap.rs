//! Interoperability of EDHOC and OSCORE with a stack the project did not write: aiocoap
//! (`aiocoap[oscore]` with lakers-python, installed by `ci/setup` into `target/venv`)
//! authenticates with EDHOC and runs a slot through an OSCORE-protected `/exec`; with a
//! credential the device does not know it is refused, and nothing changes.
use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::*;
use testbed::keys::{ccs_path, edhoc_client_path, edhoc_device_path, EdhocIdentity};
use testbed::Node;

/// The virtual environment's Python (`MBPF_PYTHON` overrides it).
fn python() -> PathBuf {
    std::env::var_os("MBPF_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/bin/python"))
}

/// aiocoap's answer to one request as `client` (a key file with its `.ccs`): whether it
/// succeeded, and what the script printed.
async fn aiocoap(uri: String, client: PathBuf, path: &'static str, payload: Vec<u8>) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/firmware/aiocoap_client.py");
    let python = python();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(&python)
            .arg(script)
            .args(["--uri", &uri, "--path", path, "--payload-hex", &hex::encode(payload)])
            .arg("--key")
            .arg(&client)
            .arg("--credential")
            .arg(ccs_path(&client))
            .arg("--device-credential")
            .arg(ccs_path(&edhoc_device_path()))
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}; run ci/setup (aiocoap in target/venv)", python.display()));
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn aiocoap_authenticates_with_edhoc_and_runs_a_slot_over_oscore() {
    let mut b = Bench::start().await;
    let uri = format!("coap://127.0.0.1:{}", b.node.coap_addr().port());
    let manifest = b.publish("good.femto", &image(42), &image(42), 3, &testbed_key());
    b.pull(&manifest).await.unwrap();
    let before = b.slot1().await;
    let exec = proto::encode(&proto::ExecRequest {
        slot: 1,
        engine: proto::Engine::Interp,
        input: vec![],
        budget: 0,
        helpers: None,
    });

    // The repository's test client, which the firmware accepts.
    let (ok, out) = aiocoap(uri.clone(), edhoc_client_path(), proto::paths::EXEC, exec.clone()).await;
    assert!(ok, "aiocoap as the test client: {out}");
    let payload = out.lines().find_map(|l| l.strip_prefix("PAYLOAD ")).unwrap_or_else(|| panic!("{out}"));
    let run: proto::RunResponse = proto::decode(&hex::decode(payload).unwrap()).unwrap();
    assert_eq!(run.result, Some(42), "{out}");

    // A client the firmware was not built with: refused at message_3, no context, no run.
    let dir = tempfile::tempdir().unwrap();
    let stranger = dir.path().join("stranger.key");
    EdhocIdentity::generate("stranger", &[0x33]).write(&stranger).unwrap();
    let (ok, out) = aiocoap(uri.clone(), stranger, proto::paths::EXEC, exec).await;
    assert!(!ok, "aiocoap as a stranger was served: {out}");
    assert!(out.contains("4.01") || out.contains("Unauthorized"), "{out}");
    assert_eq!(b.slot1().await, before);

    // Without OSCORE at all (a plain CoAP client): refused.
    let erase = proto::encode(&proto::EraseRequest { slot: 1 });
    let plain = b.node.coap_addr();
    let mut plain = testbed::coap_client::CoapClient::new(plain);
    let refused = plain.request(coap_lite::RequestType::Post, proto::paths::ERASE, &erase).await;
    assert!(
        matches!(&refused, Err(testbed::coap_client::CoapError::Status { code, .. }) if code == "4.01"),
        "{refused:?}"
    );
    assert_eq!(b.slot1().await, before);
    assert!(b.node.crashed().is_none());
    b.stop();
}
