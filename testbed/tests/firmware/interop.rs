//! Interoperability with a CoAP implementation the project did not write: libcoap's
//! `coap-client-notls` (Debian package libcoap3-bin) against the device in QEMU and
//! against mbpf's Block2 file server.

use super::common;
use testbed::Node;

use std::process::Command;

use testbed::file_server::FileServer;
use testbed::firmware::Variant;

const CLIENT: &str = "coap-client-notls";

fn coap_client(args: &[&str]) -> Vec<u8> {
    let out = Command::new(CLIENT)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{CLIENT}: {e}; run ci/setup (libcoap3-bin)"));
    assert!(out.status.success(), "{CLIENT} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn libcoap_reads_the_device_info_and_slots() {
    let (mut node, _logs) = common::boot("interop", Variant::Default).await;
    let base = format!("coap://127.0.0.1:{}", node.coap_addr().port());
    let addr = base.clone();
    let info = tokio::task::spawn_blocking(move || coap_client(&["-m", "get", "-B", "3", &format!("{addr}/info")]))
        .await
        .unwrap();
    let info: proto::Info = proto::decode(&info).expect("libcoap received the CBOR /info");
    assert_eq!(info.board, common::board().name());
    // Confirmable (default) and non-confirmable (-N) requests both get answers.
    let addr = base.clone();
    let slots =
        tokio::task::spawn_blocking(move || coap_client(&["-m", "get", "-N", "-B", "3", &format!("{addr}/slots")]))
            .await
            .unwrap();
    let slots: Vec<proto::SlotInfo> = proto::decode(&slots).unwrap();
    assert_eq!(slots.len(), 4);
    node.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn libcoap_fetches_a_large_file_blockwise_from_mbpf_serve() {
    let root = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(root.path().join("image.bin"), &data).unwrap();
    let server = FileServer::bind("127.0.0.1:0".parse().unwrap(), root.path()).await.unwrap();
    let uri = format!("coap://127.0.0.1:{}/image.bin", server.local_addr().unwrap().port());
    let task = server.spawn();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("got.bin");
    let file_arg = file.to_string_lossy().into_owned();
    tokio::task::spawn_blocking(move || coap_client(&["-m", "get", "-B", "3", "-b", "1024", "-o", &file_arg, &uri]))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), data);
    task.abort();
}
