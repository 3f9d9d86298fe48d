//! The `mbpf` binary against the default firmware in QEMU: deploy a C example, run it
//! on each engine, use every device subcommand, and fail a deploy signed with the
//! wrong key (the device's reason is shown).

use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use testbed::firmware::Variant;
use testbed::Node;

fn mbpf() -> Command {
    Command::cargo_bin("mbpf").unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_exec_and_device_commands_end_to_end() {
    let logs = tempfile::tempdir().unwrap();
    let mut node = testbed::qemu::boot_ready(
        "e2e",
        testbed::firmware::Board::Mps2An386,
        Variant::Default,
        logs.path(),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let device = format!("coap://127.0.0.1:{}", node.coap_addr().port());
    let repo = testbed::repo_root();
    let work = tempfile::tempdir().unwrap();
    let dev = device.clone();
    let (repo2, work_path) = (repo.clone(), work.path().to_path_buf());

    // assert_cmd blocks: run the commands off the async runtime.
    tokio::task::spawn_blocking(move || {
        let device = dev;
        mbpf().args(["info", "--device", &device]).assert().success().stdout(
            predicate::str::contains("mps2-an386")
                .and(predicate::str::contains("jit"))
                .and(predicate::str::contains("10.0.2.15/24, fec0::15/64, fe80::5054:ff:fe12:3456/64")),
        );
        mbpf()
            .arg("deploy")
            .arg(repo2.join("programs/tests/data_rodata_calls.c"))
            .args(["--device", &device, "--slot", "2", "--helpers", "strlen", "--root"])
            .arg(work_path.join("root"))
            .assert()
            .success()
            .stdout(predicate::str::contains("slot 2 now holds sequence 1"));
        for engine in ["interp", "jit"] {
            mbpf()
                .args(["exec", "--device", &device, "--slot", "2", "--engine", engine])
                .assert()
                .success()
                .stdout(predicate::str::contains("result:   4306"));
        }
        mbpf()
            .args(["slots", "--device", &device])
            .assert()
            .success()
            .stdout(predicate::str::contains("2     loaded  femto"));
        // A run can narrow the helpers its manifest grants: without strlen the program fails.
        mbpf()
            .args(["exec", "--device", &device, "--slot", "2", "--helpers", "printf"])
            .assert()
            .failure()
            .stdout(predicate::str::contains("Helper").and(predicate::str::contains("0x52")));
        // Without a server root, each deploy's sequence number is UNIX time: a second
        // deploy to the same slot is newer than the first (issue #17).
        for _ in 0..2 {
            mbpf()
                .arg("deploy")
                .arg(repo2.join("programs/asm/fletcher16.s"))
                .args(["--device", &device, "--slot", "0"])
                .current_dir(&work_path)
                .assert()
                .success()
                .stdout(predicate::str::is_match(r"slot 0 now holds sequence 1[0-9]{9} \(").unwrap());
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        // A deploy signed with a key the device does not trust: refused, with its reason.
        mbpf().arg("keygen").arg("-o").arg(work_path.join("other.key")).assert().success();
        mbpf()
            .arg("deploy")
            .arg(repo2.join("programs/asm/fletcher16.s"))
            .args(["--device", &device, "--slot", "2", "--key"])
            .arg(work_path.join("other.key"))
            .arg("--root")
            .arg(work_path.join("root"))
            .assert()
            .failure()
            .stderr(predicate::str::contains("4.01").and(predicate::str::contains("signature")));
        // The slot is unchanged.
        mbpf()
            .args(["exec", "--device", &device, "--slot", "2"])
            .assert()
            .success()
            .stdout(predicate::str::contains("result:   4306"));
        // Through a file server that is already running (`mbpf serve`).
        let served = work_path.join("served");
        std::fs::create_dir_all(&served).unwrap();
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut serve = std::process::Command::new(assert_cmd::cargo::cargo_bin("mbpf"))
            .arg("serve")
            .arg(&served)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        mbpf()
            .arg("deploy")
            .arg(repo2.join("programs/asm/fletcher16.s"))
            .args(["--device", &device, "--slot", "3", "--server", &format!("coap://10.0.2.2:{port}"), "--root"])
            .arg(&served)
            .assert()
            .success()
            .stdout(
                predicate::str::contains("slot 3 now holds sequence 1").and(predicate::str::contains("serving:").not()),
            );
        let _ = serve.kill();
        let _ = serve.wait();
        mbpf()
            .args(["exec", "--device", &device, "--slot", "3", "--input", "hex:0102"])
            .assert()
            .success()
            .stdout(predicate::str::contains("result:   1027"));
        // Background programs.
        mbpf().args(["start", "--device", &device, "--slot", "2"]).assert().success();
        std::thread::sleep(Duration::from_millis(300));
        mbpf()
            .args(["running", "--device", &device])
            .assert()
            .success()
            .stdout(predicate::str::contains("returned 4306"));
        mbpf()
            .args(["stop", "--device", &device, "--slot", "2"])
            .assert()
            .failure()
            .stderr(predicate::str::contains("nothing runs in that slot"));
        mbpf().args(["erase", "--device", &device, "--slot", "2"]).assert().success();
        mbpf()
            .args(["exec", "--device", &device, "--slot", "2"])
            .assert()
            .failure()
            .stderr(predicate::str::contains("no program in that slot"));
    })
    .await
    .unwrap();
    assert!(node.crashed().is_none());
    node.stop();
}

#[test]
fn an_unreachable_device_names_the_uri_and_the_attempts() {
    // Nothing listens on this port; the client's retransmissions are the RFC's, so
    // cut the wait short with a short-lived socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    mbpf()
        .args(["info", "--device", &format!("coap://127.0.0.1:{port}"), "--timeout-ms", "50", "--retries", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!("no answer from coap://127.0.0.1:{port}/info after 2 attempts")));
}
