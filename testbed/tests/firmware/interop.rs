//! Interoperability with a CoAP implementation the project did not write: libcoap's
//! `coap-client-notls` (Debian package libcoap3-bin) against the device in QEMU and
//! against mbpf's Block2 file server.

use super::common;
use testbed::Node;

use std::process::Command;

use testbed::file_server::FileServer;
use testbed::firmware::Variant;

const CLIENT: &str = "coap-client-notls";

fn run_client(args: &[&str]) -> std::process::Output {
    Command::new(CLIENT).args(args).output().unwrap_or_else(|e| panic!("{CLIENT}: {e}; run ci/setup (libcoap3-bin)"))
}

fn coap_client(args: &[&str]) -> Vec<u8> {
    let out = run_client(args);
    assert!(out.status.success(), "{CLIENT} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn libcoap_reads_the_device_info_and_resources_and_is_refused_the_rest() {
    let (mut node, _logs) = common::boot("interop", Variant::Default).await;
    let base = format!("coap://127.0.0.1:{}", node.coap_addr().port());
    let addr = base.clone();
    let info = tokio::task::spawn_blocking(move || coap_client(&["-m", "get", "-B", "3", &format!("{addr}/info")]))
        .await
        .unwrap();
    let info: proto::Info = proto::decode(&info).expect("libcoap received the CBOR /info");
    assert_eq!(info.board, common::board().name());
    // Confirmable (default) and non-confirmable (-N) requests both get answers: the
    // resource list (open), and a refusal of the slots, which need OSCORE.
    let addr = base.clone();
    let core = tokio::task::spawn_blocking(move || {
        coap_client(&["-m", "get", "-N", "-B", "3", &format!("{addr}/.well-known/core")])
    })
    .await
    .unwrap();
    let core = String::from_utf8(core).unwrap();
    assert!(core.contains("</info>,") && core.contains("</slots>;osc") && core.contains("</pull>;osc"), "{core}");
    assert!(!core.contains("</info>;osc") && !core.contains("</.well-known/edhoc>;osc"), "{core}");
    let addr = base.clone();
    let slots = tokio::task::spawn_blocking(move || run_client(&["-m", "get", "-B", "3", &format!("{addr}/slots")]))
        .await
        .unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&slots.stdout), String::from_utf8_lossy(&slots.stderr));
    assert!(shown.contains("4.01"), "libcoap, unprotected, got /slots: {shown}");
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
