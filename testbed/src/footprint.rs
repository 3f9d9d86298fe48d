//! What a firmware image costs a microcontroller: flash and RAM, in all and per crate.
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
        let file = object::File::parse(&*bytes)
            .map_err(|e| Error::Firmware { firmware: path.to_path_buf(), message: format!("not an ELF file: {e}") })?;
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
}
