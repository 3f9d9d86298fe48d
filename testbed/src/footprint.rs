//! What a firmware image costs a microcontroller: flash and RAM, in all and per crate;
//! and one crate's code per source file.
//!
//! The totals come from the ELF's allocated sections: flash holds code, read-only data
//! and the initial values of `.data`; RAM holds `.data`, `.bss` and whatever else the
//! image reserves there (heap, stacks). Per crate, every sized symbol is charged to the
//! crate its demangled path starts with (`vm::interp::..`, `<jit::lower::Lower as ..>`);
//! symbols without a Rust path (C code, compiler builtins, the linker's) go to `[other]`.
//! What no symbol covers (padding, tables the linker makes) is the difference between
//! the totals and the sum of the crates, reported as `[unattributed]`.
use std::collections::BTreeMap;
use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SectionKind};

use crate::error::{Error, Result};

/// Bytes of flash and of RAM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cost {
    pub flash: u64,
    pub ram: u64,
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        self.flash += o.flash;
        self.ram += o.ram;
    }
}

/// A firmware image's footprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Footprint {
    pub total: Cost,
    /// By crate (`[other]` for symbols of no Rust crate, `[unattributed]` for bytes
    /// of no symbol), largest flash first when listed with [`Footprint::rows`].
    pub crates: BTreeMap<String, Cost>,
}

impl Footprint {
    /// Reads a firmware ELF.
    pub fn of_elf(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(Error::file("read", path))?;
        let file = parse(path, &bytes)?;
        let mut total = Cost::default();
        // Each allocated section: where it lives, by what it is.
        let mut place = BTreeMap::new();
        for section in file.sections() {
            let size = section.size();
            if size == 0 {
                continue;
            }
            // Debug info, symbol tables and notes are of other kinds: not loaded.
            let cost = match section.kind() {
                SectionKind::Text | SectionKind::ReadOnlyData | SectionKind::ReadOnlyString => {
                    Cost { flash: size, ram: 0 }
                }
                // Initialised data: its values in flash, the data in RAM.
                SectionKind::Data => Cost { flash: size, ram: size },
                SectionKind::UninitializedData | SectionKind::UninitializedTls => Cost { flash: 0, ram: size },
                _ => continue,
            };
            total += cost;
            place.insert(section.index().0, cost);
        }
        let mut crates: BTreeMap<String, Cost> = BTreeMap::new();
        let mut attributed = Cost::default();
        for symbol in file.symbols() {
            let (Some(index), size) = (symbol.section_index(), symbol.size()) else { continue };
            let Some(section) = place.get(&index.0) else { continue };
            if size == 0 {
                continue;
            }
            let cost =
                Cost { flash: if section.flash > 0 { size } else { 0 }, ram: if section.ram > 0 { size } else { 0 } };
            let name = symbol.name().unwrap_or("");
            *crates.entry(crate_of(name)).or_default() += cost;
            attributed += cost;
        }
        let rest =
            Cost { flash: total.flash.saturating_sub(attributed.flash), ram: total.ram.saturating_sub(attributed.ram) };
        if rest != Cost::default() {
            crates.insert("[unattributed]".into(), rest);
        }
        Ok(Self { total, crates })
    }

    /// The crates, largest flash first.
    pub fn rows(&self) -> Vec<(&str, Cost)> {
        let mut rows: Vec<(&str, Cost)> = self.crates.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        rows.sort_by(|a, b| b.1.flash.cmp(&a.1.flash).then(b.1.ram.cmp(&a.1.ram)).then(a.0.cmp(b.0)));
        rows
    }
}

/// A crate's code in an image, by the source file it was written in (the path below
/// the crate's `src/`), from the image's symbols and DWARF: every line-table row of
/// the crate's functions goes to the innermost of its frames (inlined calls counted)
/// whose file is the crate's own, so that code inlined from one of the crate's files
/// into another's function counts where it was written, and code that `core`'s or
/// another crate's generics put there counts where they were called. Bytes of no row
/// (constant pools, padding) go to `[no line]`, rows with no frame of the crate to
/// `[other crates]`. The crate's functions are its symbols in code sections, as
/// [`Footprint`] charges them.
pub fn code_by_file(path: &Path, krate: &str) -> Result<BTreeMap<String, u64>> {
    let unreadable = |e: addr2line::gimli::Error| Error::Firmware {
        firmware: path.to_path_buf(),
        message: format!("unreadable DWARF: {e}"),
    };
    let bytes = std::fs::read(path).map_err(Error::file("read", path))?;
    let file = parse(path, &bytes)?;
    let sections = crate::symbols::dwarf_of(&file).map_err(unreadable)?;
    let context = crate::symbols::context_of(&sections).map_err(unreadable)?;
    // A Thumb function's symbol has bit 0 set; its code starts at the even address.
    let thumb = file.architecture() == object::Architecture::Arm;
    let mut by_file: BTreeMap<String, u64> = BTreeMap::new();
    for symbol in file.symbols() {
        let Some(index) = symbol.section_index() else { continue };
        if symbol.size() == 0 || file.section_by_index(index).map(|s| s.kind()).ok() != Some(SectionKind::Text) {
            continue;
        }
        if symbol.name().map(crate_of).ok().as_deref() != Some(krate) {
            continue;
        }
        let low = if thumb { symbol.address() & !1 } else { symbol.address() };
        let high = low + symbol.size();
        let mut with_lines = 0;
        let rows = context.find_location_range(low, high).map_err(unreadable)?;
        for (address, size, location) in rows {
            let (start, end) = (address.max(low), (address + size).min(high));
            if start >= end {
                continue;
            }
            let own = location.file.and_then(|f| own_file(f, krate)).or_else(|| {
                let mut frames = context.find_frames(start).skip_all_loads().ok()?;
                while let Ok(Some(frame)) = frames.next() {
                    if let Some(own) = frame.location.and_then(|l| l.file).and_then(|f| own_file(f, krate)) {
                        return Some(own);
                    }
                }
                None
            });
            *by_file.entry(own.unwrap_or_else(|| "[other crates]".into())).or_default() += end - start;
            with_lines += end - start;
        }
        if with_lines < high - low {
            *by_file.entry("[no line]".into()).or_default() += high - low - with_lines;
        }
    }
    Ok(by_file)
}

/// An ELF file's bytes, parsed; anything else is refused as no firmware image.
fn parse<'a>(path: &Path, bytes: &'a [u8]) -> Result<object::File<'a>> {
    object::File::parse(bytes)
        .map_err(|e| Error::Firmware { firmware: path.to_path_buf(), message: format!("not an ELF file: {e}") })
}

/// `file`'s path below `src/` if it is a source file of `krate`: its folder is named
/// as the crate (`jit/src/lower/mod.rs`), `-` for `_` and a version allowed after it
/// (`embassy-executor-0.7.0/src/raw/mod.rs`).
fn own_file(file: &str, krate: &str) -> Option<String> {
    let parts: Vec<&str> = file.split(['/', '\\']).collect();
    let src = parts.windows(2).rposition(|w| {
        let folder = w[0].replace('-', "_");
        w[1] == "src"
            && (folder == krate
                || folder
                    .strip_prefix(krate)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit())))
    })?;
    Some(parts[src + 2..].join("/"))
}

/// The crate a symbol belongs to: the first segment of its demangled Rust path.
pub fn crate_of(symbol: &str) -> String {
    let demangled = format!("{:#}", rustc_demangle::demangle(symbol));
    if demangled == symbol && !symbol.starts_with("_ZN") && !symbol.starts_with("_R") {
        return "[other]".into();
    }
    // `<a::B as c::D>::f`: the implementing type's crate; `<&a::B ..>`, `<[a::B] ..>` too.
    let path =
        demangled.trim_start_matches(['<', '&', '[', '*', '(']).trim_start_matches("mut ").trim_start_matches("const ");
    let name: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if name.is_empty() || !path[name.len()..].starts_with("::") {
        return "[other]".into();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_go_to_their_crate() {
        // Legacy mangling of `vm::interp::Vm::run` and a trait impl of jit's type.
        assert_eq!(crate_of("_ZN2vm6interp2Vm3run17h0123456789abcdefE"), "vm");
        assert_eq!(
            crate_of("_ZN54_$LT$jit..lower..Lower$u20$as$u20$core..fmt..Debug$GT$3fmt17h0123456789abcdefE"),
            "jit"
        );
        assert_eq!(crate_of("_ZN4core3ptr13drop_in_place17h0123456789abcdefE"), "core");
        // C and linker symbols.
        assert_eq!(crate_of("mbpf_native_fletcher16"), "[other]");
        assert_eq!(crate_of("__aeabi_uldivmod"), "[other]");
        assert_eq!(crate_of("HEAP_MEM"), "[other]");
    }

    #[test]
    fn a_source_file_is_the_crates_own_by_its_folder() {
        assert_eq!(own_file("/work/main/jit/src/lower/mod.rs", "jit").as_deref(), Some("lower/mod.rs"));
        assert_eq!(own_file("jit/src/lib.rs", "jit").as_deref(), Some("lib.rs"));
        let registry =
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/embassy-executor-0.7.0/src/raw/mod.rs";
        assert_eq!(own_file(registry, "embassy_executor").as_deref(), Some("raw/mod.rs"));
        // Another crate's, a crate whose name only starts alike, no `src/`.
        assert_eq!(own_file("/work/main/vm/src/interp.rs", "jit"), None);
        assert_eq!(own_file("/work/main/jitter/src/lib.rs", "jit"), None);
        assert_eq!(own_file("/x/embassy-executor-macros-0.6.0/src/lib.rs", "embassy_executor"), None);
        assert_eq!(own_file("/work/main/jit/lib.rs", "jit"), None);
    }

    #[test]
    fn this_tests_code_is_charged_to_this_file() {
        // The test executable's own DWARF: its testbed code, by file.
        let exe = std::env::current_exe().unwrap();
        let by_file = code_by_file(&exe, "testbed").unwrap();
        assert!(by_file.get("footprint.rs").is_some_and(|&b| b > 0), "{by_file:?}");
        assert!(by_file.get("symbols.rs").is_some_and(|&b| b > 0), "{by_file:?}");
        for name in by_file.keys() {
            assert!(name.ends_with(".rs") || name.starts_with('['), "{name}");
        }
        assert!(code_by_file(&exe, "no_such_crate").unwrap().is_empty());
        let dir = tempfile::tempdir().unwrap();
        let not_elf = dir.path().join("x.elf");
        std::fs::write(&not_elf, b"not an elf").unwrap();
        assert!(matches!(code_by_file(&not_elf, "jit"), Err(Error::Firmware { .. })));
    }
}
