//! `mbpf`: the host CLI for eBPF on microcontrollers. Each subcommand is a module of
//! `cmd/`; what they share with `sim` (nodes, firmware, the file server, publishing,
//! the program pipeline) is the `testbed` library.
use clap::{Parser, Subcommand};

mod cmd;

/// Counts what a piece of work holds at once (`mbpf jit` reports its compile's).
#[global_allocator]
static LIVE_PEAK: testbed::live_peak::LivePeak = testbed::live_peak::LivePeak;

#[derive(Parser)]
#[command(name = "mbpf", version, about = "Assemble, check, run and deploy eBPF programs for microcontrollers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile C to an eBPF object with clang.
    Compile(cmd::build::Compile),
    /// Pack an eBPF object into an image layout (text, femto, extended, elf).
    Pack(cmd::build::Pack),
    /// Assemble eBPF text into bytecode.
    Asm(cmd::asm::Cmd),
    /// Disassemble bytecode into eBPF text.
    Disasm(cmd::disasm::Cmd),
    /// Verify bytecode (the same checks the device runs before execution).
    Verify(cmd::verify::Cmd),
    /// Compile a program for the Cortex-M4 on this host; --disasm shows the code.
    Jit(cmd::jit::Cmd),
    /// Run the bpf_conformance suite on an engine.
    Conformance(cmd::conformance::Cmd),
    /// Ask a device what it is (GET /info).
    Info(cmd::info::Cmd),
    /// Run a program once on a testbed device (booted in QEMU unless --device is given).
    Run(cmd::run::Cmd),
    /// Make an Ed25519 signing key pair.
    Keygen(cmd::keys::Cmd),
    /// Write a signed SUIT manifest for an image and a slot.
    Sign(cmd::sign::Cmd),
    /// Serve a folder over CoAP (Block2) for devices to pull from.
    Serve(cmd::serve::Cmd),
    /// Build, sign and serve a program, and make a device pull it into a slot.
    Deploy(cmd::device::Deploy),
    /// Run a device's slot once.
    Exec(cmd::device::Exec),
    /// List a device's slots.
    Slots(cmd::device::Slots),
    /// Empty a device's slot.
    Erase(cmd::device::Erase),
    /// Reset a device (SYSRESETREQ): what it keeps across resets comes back, the boot
    /// count goes up.
    Reset(cmd::device::Reset),
    /// Run a device's slot in the background.
    Start(cmd::device::Start),
    /// Stop a device's background program.
    Stop(cmd::device::Stop),
    /// List a device's background programs.
    Running(cmd::device::Running),
    /// Bridge a device's serial line (slipmux) to a UDP port, for any CoAP client.
    Bridge(cmd::bridge::Cmd),
    /// A firmware image's flash and RAM, in all and per crate.
    Footprint(cmd::footprint::Cmd),
    /// SUIT manifests.
    #[command(subcommand)]
    Suit(cmd::suit_show::Suit),
    /// Boards on the desk through their debug probe: list, flashing plan, flash.
    #[command(subcommand)]
    Probe(cmd::probe::Probe),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile(c) => c.run(),
        Command::Pack(c) => c.run(),
        Command::Asm(c) => c.run(),
        Command::Disasm(c) => c.run(),
        Command::Verify(c) => c.run(),
        Command::Conformance(c) => c.run(),
        Command::Jit(c) => c.run(),
        Command::Info(c) => c.run(),
        Command::Run(c) => c.run(),
        Command::Keygen(c) => c.run(),
        Command::Serve(c) => c.run(),
        Command::Bridge(c) => c.run(),
        Command::Deploy(c) => c.run(),
        Command::Exec(c) => c.run(),
        Command::Slots(c) => c.run(),
        Command::Erase(c) => c.run(),
        Command::Reset(c) => c.run(),
        Command::Start(c) => c.run(),
        Command::Stop(c) => c.run(),
        Command::Running(c) => c.run(),
        Command::Sign(c) => c.run(),
        Command::Footprint(c) => c.run(),
        Command::Suit(cmd::suit_show::Suit::Show(c)) => c.run(),
        Command::Probe(c) => c.run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
