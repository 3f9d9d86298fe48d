//! mbpf device firmware: a CoAP server on a Cortex-M4 that will host eBPF programs.
//!
//! `main` is a short script: bring up the board, start the executor, then one task per
//! concern (the link to the host, the CoAP server). Board specifics live in `board/`,
//! hand-written drivers in `drivers/`, the host link in `link/`; everything else is
//! portable.
#![no_std]
#![no_main]

extern crate alloc;

mod board;
mod coap;
mod console;
mod cycles;
mod drivers;
mod executor;
mod heap;
mod link;
mod markers;
mod mem;
#[cfg(feature = "bench")]
mod native;
mod platform;
mod runtime;
mod stack;
mod time_driver;

use embassy_executor::Spawner;

/// The firmware's build id (git revision), stamped by `build.rs`.
pub const BUILD_ID: &str = env!("MBPF_BUILD_ID");

#[cortex_m_rt::entry]
fn main() -> ! {
    heap::init();
    runtime::helpers::init();
    let board = board::init();
    println!("mbpf firmware {} ({}) on {}", env!("CARGO_PKG_VERSION"), BUILD_ID, board::NAME);
    #[cfg(feature = "bench")]
    match mem::self_check() {
        Ok(cases) => println!("mem: block copies and fills agree with bytewise ones ({cases} cases)"),
        Err((n, d, s)) => println!("mem: wrong block copy or fill: {n} bytes to offset {d} from {s}"),
    }
    executor::run(move |spawner: Spawner| {
        let net = link::start(spawner, board);
        spawner.spawn(link::server(spawner, net).expect("the server task is spawned once"));
    })
}

/// A panic is a firmware bug, never a consequence of input. `ci/build-firmware` builds
/// with `panic=immediate-abort`: a panic is then a trap (`udf`) that ends in
/// [`HardFault`], and the code that formats panic messages and the messages themselves
/// are left out. This handler only runs in builds with a
/// prebuilt `core` (a rustup target), which keep the messages.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::write_panic(format_args!("PANIC: {info}\n"));
    halt()
}

/// Faults, and panics in `immediate-abort` builds: the faulting pc names the code (the
/// testbed looks it up in the image). Written here rather than by `panic!`, which
/// would trap again inside the handler and lock the core up.
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    // (sim and the tests treat a line that starts with PANIC: as a crash.)
    console::write_panic(format_args!("PANIC: hard fault at pc={:#010x} lr={:#010x}\n", frame.pc(), frame.lr()));
    halt()
}

fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
