//! `renode/` nodes end to end against a test double of Renode (Renode cannot be
//! installed here): `tests/renode_double/renode` takes Renode's command line, reads the
//! generated script, runs the image it names in QEMU's STM32L475 with the UART on the
//! script's port, and answers the monitor protocol. What this proves is ours: the
//! script's ports and image, the headless start, the monitor dialogue, the serial
//! bridge to the UART socket, fault injection and clean-up. The nRF52840 platform and
//! Renode's own answers are not exercised (the image is the STM32L475's).
use std::time::Duration;

use testbed::firmware::{self, Board, Variant};
use testbed::renode::RenodeNode;
use testbed::{Fault, Node};

#[tokio::test(flavor = "multi_thread")]
async fn a_renode_node_boots_answers_counts_pauses_and_stops() {
    let double = testbed::repo_root().join("testbed/tests/renode_double");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![double];
    dirs.extend(std::env::split_paths(&path));
    // The only test in this binary: changing PATH races with nothing.
    std::env::set_var("PATH", std::env::join_paths(dirs).unwrap());

    let image = firmware::build(&testbed::repo_root(), Board::BL475eIot01a, Variant::Default).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = RenodeNode::boot("node-0", Board::Nrf52840Dk, &image, dir.path()).unwrap();
    let script = std::fs::read_to_string(dir.path().join("node-0.resc")).unwrap();
    assert!(script.contains(&format!("sysbus LoadELF @{}", image.display())), "{script}");

    let info = testbed::node::wait_ready(&mut node, Duration::from_secs(30)).await.unwrap();
    assert_eq!(info.board, "b-l475e-iot01a");
    let console = std::fs::read_to_string(dir.path().join("node-0.console.log")).unwrap();
    assert!(console.contains("coap: listening on slipmux"), "{console}");
    assert_eq!(node.executed_instructions().unwrap(), 123_456_789);
    assert_eq!(node.crashed(), None);
    node.inject(Fault::Freeze).unwrap();
    node.stop();
    // The double (and with it QEMU) is gone.
    assert!(node.crashed().is_none());
    let pids = std::process::Command::new("pgrep").args(["-f", &image.display().to_string()]).output().unwrap();
    assert!(pids.stdout.is_empty(), "a QEMU of this image is still running: {}", String::from_utf8_lossy(&pids.stdout));
}
