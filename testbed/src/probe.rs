//! Boards on the desk (`board/<board>`), through their debug probe with probe-rs used
//! as a library: the chip's target description, the flashing plan of a firmware ELF,
//! flashing, reset and halt. The board's link is its serial port (the serial bridge)
//! or its Ethernet address, as the hardware map gives it.
//!
//! Probe drivers: ST-LINK, CMSIS-DAP v2 and J-Link (USB bulk, through nusb); probe-rs's
//! HID CMSIS-DAP v1 driver is left out, as it needs a C library (hidapi), and none of
//! the three boards' probes needs it.
use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use object::read::elf::ProgramHeader;
use probe_rs::config::{MemoryRegion, Registry};
use probe_rs::flashing::{DownloadOptions, FlashLoader};
use probe_rs::probe::list::Lister;
use probe_rs::{Permissions, Session};

use crate::error::{Error, Result};
use crate::firmware::Board;
use crate::hardware_map::{Entry, Link};
use crate::node::{ConsoleWatch, Fault, Node};
use crate::serial::{Bridge, Console};

/// probe-rs's description of the board's chip.
pub fn target(board: Board) -> Result<probe_rs::Target> {
    let chip = board.chip().probe_rs.ok_or_else(|| Error::Unsupported { what: format!("{board} through a probe") })?;
    Registry::from_builtin_families()
        .get_target_by_name(chip)
        .map_err(|e| Error::ToolFailed { program: "probe-rs".into(), message: format!("target {chip}: {e}") })
}

/// One flash region the image writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashRegion {
    /// The flash algorithm probe-rs programs it with.
    pub algorithm: String,
    /// The addresses the image's data covers (from its first to its last byte).
    pub data: Range<u64>,
    /// Bytes of data written.
    pub bytes: u64,
    /// The sectors erased first: every sector the data touches.
    pub sectors: Vec<Range<u64>>,
}

/// What flashing an image does to a chip, worked out from the ELF and probe-rs's
/// target description alone (no probe needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashPlan {
    pub chip: String,
    /// The address of the vector table the core boots from (the lowest flash byte).
    pub entry: u64,
    pub regions: Vec<FlashRegion>,
}

impl FlashPlan {
    /// Bytes erased.
    pub fn erased(&self) -> u64 {
        self.regions.iter().flat_map(|r| &r.sectors).map(|s| s.end - s.start).sum()
    }

    pub fn of_elf(board: Board, elf: &Path) -> Result<FlashPlan> {
        let target = target(board)?;
        let bad = |message: String| Error::Firmware { firmware: elf.to_path_buf(), message };
        let bytes = std::fs::read(elf).map_err(Error::file("read", elf))?;
        let file = object::read::elf::ElfFile32::<object::Endianness>::parse(&*bytes)
            .map_err(|e| bad(format!("not a 32-bit ELF: {e}")))?;
        let endian = file.endian();
        // The loadable data at its load (physical) address: what goes into flash.
        let mut chunks: Vec<(u64, &[u8])> = Vec::new();
        for header in file.elf_program_headers() {
            if header.p_type(endian) != object::elf::PT_LOAD || header.p_filesz(endian) == 0 {
                continue;
            }
            let data = header.data(endian, &*bytes).map_err(|()| bad("a segment lies outside the file".into()))?;
            chunks.push((u64::from(header.p_paddr(endian)), data));
        }
        if chunks.is_empty() {
            return Err(bad("no loadable data".into()));
        }
        // probe-rs's own check that every byte lands in the chip's memory map.
        let mut loader = FlashLoader::new(target.memory_map.clone(), target.source().clone());
        for (address, data) in &chunks {
            loader
                .add_data(*address, data)
                .map_err(|e| bad(format!("probe-rs refuses it for {}: {e}", target.name)))?;
        }
        let mut regions: Vec<FlashRegion> = Vec::new();
        for (address, data) in &chunks {
            let range = *address..*address + data.len() as u64;
            let nvm = target
                .memory_map
                .iter()
                .find_map(|r| match r {
                    MemoryRegion::Nvm(n) if n.range.contains(&range.start) && !n.is_alias => Some(n),
                    _ => None,
                })
                .ok_or_else(|| {
                    bad(format!("{:#010x}..{:#010x} is not in {}'s flash", range.start, range.end, target.name))
                })?;
            let algorithm = target
                .flash_algorithms
                .iter()
                .filter(|a| a.flash_properties.address_range.contains(&range.start))
                .max_by_key(|a| a.default)
                .ok_or_else(|| bad(format!("no flash algorithm of {} covers {:#010x}", target.name, range.start)))?;
            let props = &algorithm.flash_properties;
            if range.end > nvm.range.end || range.end > props.address_range.end {
                return Err(bad(format!("{:#010x}..{:#010x} runs past the end of flash", range.start, range.end)));
            }
            let region = match regions.iter_mut().find(|r| r.algorithm == algorithm.name) {
                Some(r) => r,
                None => {
                    regions.push(FlashRegion {
                        algorithm: algorithm.name.clone(),
                        data: range.clone(),
                        bytes: 0,
                        sectors: Vec::new(),
                    });
                    regions.last_mut().expect("just pushed")
                }
            };
            region.data = region.data.start.min(range.start)..region.data.end.max(range.end);
            region.bytes += data.len() as u64;
            let touched = sectors(&props.address_range, &props.sectors)
                .into_iter()
                .filter(|s| s.start < range.end && range.start < s.end);
            region.sectors.extend(touched);
        }
        for region in &mut regions {
            region.sectors.sort_by_key(|s| s.start);
            region.sectors.dedup();
        }
        let entry = regions.iter().map(|r| r.data.start).min().unwrap_or_default();
        Ok(FlashPlan { chip: target.name.clone(), entry, regions })
    }
}

/// The sectors of a flash, from its sector descriptions (each size applies from its
/// offset up to the next description's).
fn sectors(flash: &Range<u64>, descriptions: &[probe_rs::config::SectorDescription]) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    for (i, d) in descriptions.iter().enumerate() {
        let end = descriptions.get(i + 1).map_or(flash.end - flash.start, |next| next.address);
        let mut at = d.address;
        while at < end && d.size > 0 {
            out.push(flash.start + at..flash.start + at + d.size);
            at += d.size;
        }
    }
    out
}

/// The serial numbers of the debug probes attached now.
pub fn attached_probes() -> Vec<String> {
    Lister::new().list_all().into_iter().filter_map(|p| p.serial_number).collect()
}

fn probe_error(what: &str) -> impl FnOnce(probe_rs::Error) -> Error + '_ {
    move |e| Error::ToolFailed { program: format!("probe-rs ({what})"), message: e.to_string() }
}

/// Opens the probe with serial number `probe` and attaches to the board's chip.
pub fn attach(board: Board, probe: &str) -> Result<Session> {
    let chip = board.chip().probe_rs.ok_or_else(|| Error::Unsupported { what: format!("{board} through a probe") })?;
    let info =
        Lister::new().list_all().into_iter().find(|p| p.serial_number.as_deref() == Some(probe)).ok_or_else(|| {
            let attached = attached_probes();
            let attached = if attached.is_empty() { "none".to_string() } else { attached.join(", ") };
            Error::ToolFailed {
                program: "probe-rs".into(),
                message: format!("probe {probe} is not attached (attached probes: {attached})"),
            }
        })?;
    let probe =
        info.open().map_err(|e| Error::ToolFailed { program: "probe-rs (open)".into(), message: e.to_string() })?;
    probe.attach(chip, Permissions::default()).map_err(probe_error("attach"))
}

/// Flashes an ELF and verifies it.
pub fn flash(session: &mut Session, elf: &Path) -> Result<()> {
    let mut options = DownloadOptions::default();
    options.verify = true;
    probe_rs::flashing::download_file_with_options(
        session,
        elf,
        probe_rs::flashing::ElfLoader(Default::default()),
        options,
    )
    .map_err(|e| Error::ToolFailed { program: "probe-rs (flash)".into(), message: e.to_string() })
}

/// Resets the core; it runs from the reset vector.
pub fn reset(session: &mut Session) -> Result<()> {
    session.core(0).map_err(probe_error("core"))?.reset().map_err(probe_error("reset"))
}

/// A board on the desk.
pub struct BoardNode {
    name: String,
    session: Session,
    addr: SocketAddr,
    bridge: Option<Bridge>,
    console: ConsoleWatch,
    /// Why the node is down, once a fault was injected.
    halted: Option<String>,
}

impl BoardNode {
    /// Opens the entry's probe, flashes `firmware`, resets the core and connects the
    /// link. The caller has checked that the probe is attached
    /// ([`crate::hardware_map::check_attached`]).
    pub fn boot(name: &str, entry: &Entry, firmware: &Path, run_dir: &Path) -> Result<BoardNode> {
        let mut session = attach(entry.board, &entry.probe)?;
        flash(&mut session, firmware)?;
        let console_path = run_dir.join(format!("{name}.console.log"));
        std::fs::File::create(&console_path).map_err(Error::file("create", &console_path))?;
        // The link first, so that the boot lines are on the console.
        let (addr, bridge) = match entry.link() {
            Link::Serial(line) => {
                let bridge = Bridge::start(&line, Console::File(console_path.clone()), Duration::from_secs(5))?;
                (bridge.coap_addr(), Some(bridge))
            }
            Link::Udp(addr) => (addr, None),
        };
        reset(&mut session)?;
        tracing::info!(node = name, probe = %entry.probe, board = %entry.board, %addr, "board flashed and reset");
        Ok(BoardNode {
            name: name.into(),
            session,
            addr,
            bridge,
            console: ConsoleWatch::new(console_path, Some(firmware)),
            halted: None,
        })
    }
}

impl Node for BoardNode {
    fn name(&self) -> &str {
        &self.name
    }

    fn coap_addr(&self) -> SocketAddr {
        self.addr
    }

    fn console_log(&self) -> &Path {
        self.console.path()
    }

    /// The firmware printed a panic, or the core locked up (a fault in a fault handler).
    fn crashed(&mut self) -> Option<String> {
        if let Some(why) = &self.halted {
            return Some(why.clone());
        }
        if let Ok(mut core) = self.session.core(0) {
            if let Ok(probe_rs::CoreStatus::LockedUp) = core.status() {
                return Some("the core locked up".into());
            }
        }
        self.console.panic()
    }

    /// Kill: reset the core and hold it halted (it is gone, as after a crash). Freeze:
    /// halt the core where it is (it hangs).
    fn inject(&mut self, fault: Fault) -> Result<()> {
        let mut core = self.session.core(0).map_err(probe_error("core"))?;
        match fault {
            Fault::Kill => {
                core.reset_and_halt(Duration::from_millis(500)).map_err(probe_error("reset and halt"))?;
                self.halted = Some("reset and halted by the probe".into());
            }
            Fault::Freeze => {
                core.halt(Duration::from_millis(500)).map_err(probe_error("halt"))?;
            }
        }
        Ok(())
    }

    /// Halts the core, so that the board stops where a run ended.
    fn stop(&mut self) {
        if let Ok(mut core) = self.session.core(0) {
            let _ = core.reset_and_halt(Duration::from_millis(500));
        }
        self.bridge = None;
        tracing::info!(node = %self.name, console = %self.console.path().display(), "board halted");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_descriptions_expand_to_the_chips_sectors() {
        use probe_rs::config::SectorDescription;
        // STM32F4's bank: four 16 KiB, one 64 KiB, then 128 KiB sectors.
        let flash = 0x0800_0000..0x0810_0000;
        let d = [
            SectorDescription { size: 0x4000, address: 0 },
            SectorDescription { size: 0x10000, address: 0x10000 },
            SectorDescription { size: 0x20000, address: 0x20000 },
        ];
        let s = sectors(&flash, &d);
        assert_eq!(s.len(), 4 + 1 + 7);
        assert_eq!(s[0], 0x0800_0000..0x0800_4000);
        assert_eq!(s[4], 0x0801_0000..0x0802_0000);
        assert_eq!(s.last(), Some(&(0x080e_0000..0x0810_0000)));
    }
}
