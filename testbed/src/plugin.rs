//! Exact guest costs from the instruction-count TCG plugin (`qemu-plugin/insn_count.c`):
//! the firmware's marker functions are looked up in its ELF, the plugin reports the
//! running instruction and estimated-cycle totals each time one is entered, and a
//! region's cost is the difference between its `_end` and `_begin` marks.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use object::{Object, ObjectSymbol};

use crate::error::{Error, Result};

use proto::markers::{Phase, PREFIX as MARKER_PREFIX};

/// The marker functions of a firmware image: name (without prefix) by address.
#[derive(Debug, Clone, Default)]
pub struct Markers(BTreeMap<u64, String>);

impl Markers {
    pub fn from_elf(firmware: &Path) -> Result<Self> {
        let bytes = std::fs::read(firmware).map_err(Error::file("read", firmware))?;
        let file = parse_elf(firmware, &bytes)?;
        let mut map = BTreeMap::new();
        for sym in file.symbols() {
            if let Some(name) = sym.name().ok().and_then(|n| n.strip_prefix(MARKER_PREFIX)) {
                // Thumb symbols carry bit 0; the plugin matches instruction addresses.
                map.insert(sym.address() & !1, name.to_string());
            }
        }
        let bad = |message: String| Err(Error::Firmware { firmware: firmware.to_path_buf(), message });
        if map.is_empty() {
            return bad(format!("no {MARKER_PREFIX}* symbols"));
        }
        let mut seen = std::collections::BTreeSet::new();
        if map.len() != map.values().filter(|n| seen.insert(n.as_str())).count() {
            return bad("marker symbols share addresses".into());
        }
        // A firmware variant may leave a phase out (the default one measures no native
        // kernels), but never half of one.
        for phase in Phase::ALL {
            let [begin, end] = ["begin", "end"].map(|edge| seen.contains(format!("{}_{edge}", phase.name()).as_str()));
            if begin != end {
                return bad(format!("the {} phase has only one of its two markers", phase.name()));
            }
        }
        Ok(Self(map))
    }

    /// The plugin's `marks=` argument: addresses separated by `:`.
    pub fn plugin_arg(&self) -> String {
        self.0.keys().map(|a| format!("{a:#x}")).collect::<Vec<_>>().join(":")
    }

    /// The begin and end markers' addresses of a phase, if the firmware has them.
    pub fn phase(&self, phase: Phase) -> Option<(u64, u64)> {
        let at = |edge: &str| {
            let name = format!("{}_{edge}", phase.name());
            self.0.iter().find(|(_, n)| **n == name).map(|(&a, _)| a)
        };
        Some((at("begin")?, at("end")?))
    }

    pub fn name(&self, addr: u64) -> Option<&str> {
        self.0.get(&addr).map(String::as_str)
    }
}

/// How QEMU loads the plugin for one node.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    pub library: PathBuf,
    pub markers: Markers,
    /// Where the plugin writes its marks.
    pub out: PathBuf,
    /// Where the plugin writes per-address counts when QEMU exits (profiling).
    pub profile: Option<PathBuf>,
    /// Profile only between these two addresses (a phase's begin and end markers).
    pub window: Option<(u64, u64)>,
}

impl PluginSpec {
    /// QEMU's `-plugin` argument.
    pub fn qemu_arg(&self) -> String {
        let mut arg =
            format!("{},marks={},out={}", self.library.display(), self.markers.plugin_arg(), self.out.display());
        if let Some(p) = &self.profile {
            arg.push_str(&format!(",profile={}", p.display()));
            if let Some((begin, end)) = self.window {
                arg.push_str(&format!(",window={begin:#x}:{end:#x}"));
            }
        }
        arg
    }
}

/// One mark: the plugin's totals when a marker function was entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub marker: String,
    pub insns: u64,
    pub cycles: u64,
}

/// The exact cost of a measured region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cost {
    pub insns: u64,
    pub cycles: u64,
}

/// Reads a node's mark file as it grows.
pub struct MarkLog {
    path: PathBuf,
    markers: Markers,
    offset: u64,
}

impl MarkLog {
    pub fn new(spec: &PluginSpec) -> Self {
        Self { path: spec.out.clone(), markers: spec.markers.clone(), offset: 0 }
    }

    /// The marks written since the last call.
    pub fn read_new(&mut self) -> Result<Vec<Mark>> {
        let read = Error::file("read", &self.path);
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(read(e)),
        };
        if let Err(e) = file.seek(SeekFrom::Start(self.offset)) {
            return Err(read(e));
        }
        let mut marks = Vec::new();
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            let n = match reader.read_line(&mut line) {
                Ok(n) => n,
                Err(e) => return Err(Error::File { action: "read", path: self.path.clone(), source: e }),
            };
            // Only whole lines: the plugin may be half-way through one.
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            self.offset += n as u64;
            if let Some(mark) = self.parse(&line) {
                marks.push(mark);
            }
        }
        Ok(marks)
    }

    fn parse(&self, line: &str) -> Option<Mark> {
        let mut words = line.split_whitespace();
        (words.next()? == "mark").then_some(())?;
        let addr = u64::from_str_radix(words.next()?.trim_start_matches("0x"), 16).ok()?;
        let insns = words.next()?.parse().ok()?;
        let cycles = words.next()?.parse().ok()?;
        Some(Mark { marker: self.markers.name(addr)?.to_string(), insns, cycles })
    }
}

/// The cost of the last complete `<phase>_begin` .. `<phase>_end` pair in `marks`.
pub fn region(marks: &[Mark], phase: Phase) -> Option<Cost> {
    let (begin, end) = (format!("{}_begin", phase.name()), format!("{}_end", phase.name()));
    let end_at = marks.iter().rposition(|m| m.marker == end)?;
    let b = marks[..end_at].iter().rev().find(|m| m.marker == begin)?;
    let e = &marks[end_at];
    Some(Cost { insns: e.insns - b.insns, cycles: e.cycles - b.cycles })
}

/// The plugin's shared object, built by `ci/build-plugin` on demand (a no-op when
/// it is up to date); `None` when it cannot be built.
pub fn plugin_library(repo: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new(repo.join("ci/build-plugin")).output().ok()?;
    if !out.status.success() {
        tracing::warn!("ci/build-plugin failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    path.is_file().then_some(path)
}

/// Guest instructions per function of `firmware`, from a plugin profile
/// (`pc count` lines), most first. Addresses outside every symbol count as `?`.
pub fn profile_by_function(firmware: &Path, profile: &Path) -> Result<Vec<(String, u64)>> {
    let bytes = std::fs::read(firmware).map_err(Error::file("read", firmware))?;
    let file = parse_elf(firmware, &bytes)?;
    let mut funcs: Vec<(u64, u64, String)> = file
        .symbols()
        .filter(|s| s.kind() == object::SymbolKind::Text && s.size() > 0)
        .filter_map(|s| Some((s.address() & !1, s.size(), format!("{:#}", rustc_demangle::demangle(s.name().ok()?)))))
        .collect();
    funcs.sort();
    let text = std::fs::read_to_string(profile).map_err(Error::file("read", profile))?;
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        let (Some(pc), Some(n)) = (w.next(), w.next()) else { continue };
        let (Ok(pc), Ok(n)) = (u64::from_str_radix(pc.trim_start_matches("0x"), 16), n.parse::<u64>()) else {
            continue;
        };
        let i = funcs.partition_point(|f| f.0 <= pc);
        let name = match i.checked_sub(1).map(|i| &funcs[i]) {
            Some((start, size, name)) if pc < start + size => name.as_str(),
            _ => "?",
        };
        *totals.entry(name.to_string()).or_default() += n;
    }
    let mut out: Vec<(String, u64)> = totals.into_iter().collect();
    out.sort_by_key(|f| std::cmp::Reverse(f.1));
    Ok(out)
}

/// The instructions of a [`profile_by_function`] by module (a crate and its first
/// module: `jit::regalloc`, `jit::analysis`, `vm::interp`), most first: the view a
/// flat profile needs, where no function stands out but a pass does. Functions
/// outside any module (compiler builtins, outlined code, addresses with no symbol)
/// count under `OTHER_MODULE`.
pub fn profile_by_module(functions: &[(String, u64)]) -> Vec<(String, u64)> {
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (name, n) in functions {
        *totals.entry(module_of(name).unwrap_or(OTHER_MODULE)).or_default() += n;
    }
    let mut out: Vec<(String, u64)> = totals.into_iter().map(|(m, n)| (m.to_string(), n)).collect();
    out.sort_by_key(|m| std::cmp::Reverse(m.1));
    out
}

/// Where [`profile_by_module`] counts what is in no module.
pub const OTHER_MODULE: &str = "(no module: builtins, outlined code)";

/// The crate and first module of a demangled function name: the path of the function,
/// or for a method the path of its type (`<jit::lower::Lower>::insn`, `<Heap as
/// GlobalAlloc>::alloc`), less its last segment (the function's or type's own name).
fn module_of(name: &str) -> Option<&str> {
    let path = name.strip_prefix('<').unwrap_or(name);
    // A reference, pointer, slice or tuple type counts under what it holds.
    let path = path.trim_start_matches(['&', '*', '[', '(']);
    let path = ["mut ", "const ", "dyn "].iter().fold(path, |p, w| p.strip_prefix(w).unwrap_or(p));
    let path = &path[..path.find([' ', '<', '>', ';', ']', ')']).unwrap_or(path.len())];
    let mut ends = path.match_indices("::").map(|(at, _)| at);
    // At least two segments: the last is the item's own name.
    let first = ends.next()?;
    Some(match ends.next() {
        Some(second) => &path[..second],
        None => &path[..first],
    })
}

fn parse_elf<'a>(firmware: &Path, bytes: &'a [u8]) -> Result<object::File<'a>> {
    object::File::parse(bytes)
        .map_err(|e| Error::Firmware { firmware: firmware.to_path_buf(), message: format!("not an ELF file: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(marker: &str, insns: u64, cycles: u64) -> Mark {
        Mark { marker: marker.into(), insns, cycles }
    }

    #[test]
    fn functions_count_under_their_crate_and_first_module() {
        for (name, module) in [
            ("jit::regalloc::allocate", Some("jit::regalloc")),
            ("jit::analysis::forward::ranges::{closure#0}", Some("jit::analysis")),
            ("<jit::lower::Lower>::insn", Some("jit::lower")),
            ("<embedded_alloc::llff::Heap as core::alloc::global::GlobalAlloc>::alloc", Some("embedded_alloc::llff")),
            ("<alloc::vec::Vec<u8>>::push", Some("alloc::vec")),
            (
                "<&curve25519_dalek::backend::serial::u32::field::FieldElement2625 as core::ops::arith::Add>::add",
                Some("curve25519_dalek::backend"),
            ),
            ("<&mut jit::thumb2::buffer::CodeBuffer as core::fmt::Write>::write_str", Some("jit::thumb2")),
            ("<[u8] as core::fmt::Debug>::fmt", None),
            ("firmware::main", Some("firmware")),
            ("__aeabi_memcpy4", None),
            ("?", None),
        ] {
            assert_eq!(module_of(name), module, "{name}");
        }
        let funcs = [
            ("jit::regalloc::allocate".to_string(), 50),
            ("__aeabi_memcpy4".to_string(), 7),
            ("jit::regalloc::colour".to_string(), 20),
            ("<jit::lower::Lower>::insn".to_string(), 60),
            ("OUTLINED_FUNCTION_3".to_string(), 1),
        ];
        assert_eq!(
            profile_by_module(&funcs),
            [("jit::regalloc".to_string(), 70), ("jit::lower".to_string(), 60), (OTHER_MODULE.to_string(), 8)]
        );
    }

    #[test]
    fn a_region_is_its_last_complete_pair() {
        let marks = [
            mark("exec_begin", 10, 20),
            mark("exec_end", 110, 250),
            mark("compile_begin", 200, 400),
            mark("exec_begin", 300, 600),
            mark("exec_end", 350, 700),
        ];
        assert_eq!(region(&marks, Phase::Exec), Some(Cost { insns: 50, cycles: 100 }));
        assert_eq!(region(&marks, Phase::Compile), None);
        assert_eq!(region(&marks[..2], Phase::Exec), Some(Cost { insns: 100, cycles: 230 }));
    }
}
