//! Where an address of a firmware image is in its sources (function, file and line),
//! from the image's DWARF, for crash reports. The firmware is built without panic
//! messages (`panic=immediate-abort`, see `ci/build-firmware`): a panic or a fault
//! prints only the faulting pc, and this names the code there.
use std::borrow::Cow;
use std::path::Path;

use addr2line::gimli;
use object::{Object, ObjectSection};

/// The code at `pc` in the ELF `image`, innermost frame first, each with its source
/// line, and the functions it was inlined into after it:
/// `vm::memory::Memory::slice (vm/src/memory.rs:88), in vm::interp::Vm::run (vm/src/interp.rs:410)`.
/// `None` when the image cannot be read or has no line information for `pc`.
pub fn locate(image: &Path, pc: u64) -> Option<String> {
    let bytes = std::fs::read(image).ok()?;
    let file = object::File::parse(&*bytes).ok()?;
    let sections = dwarf_of(&file).ok()?;
    let context = context_of(&sections).ok()?;
    let mut frames = context.find_frames(pc).skip_all_loads().ok()?;
    let root = crate::repo_root();
    let mut out = Vec::new();
    while let Ok(Some(frame)) = frames.next() {
        let function = frame.function.as_ref().and_then(|f| f.demangle().ok());
        let function = function.as_deref().unwrap_or("?");
        let line = frame.location.and_then(|l| {
            let path = Path::new(l.file?);
            Some(format!("{}:{}", path.strip_prefix(&root).unwrap_or(path).display(), l.line?))
        });
        out.push(match line {
            Some(line) => format!("{function} ({line})"),
            None => function.to_string(),
        });
    }
    (!out.is_empty()).then(|| out.join(", in "))
}

/// The DWARF sections of an ELF (those it lacks read as empty), to make an
/// [`addr2line::Context`] of with [`context_of`].
pub(crate) fn dwarf_of<'a>(file: &object::File<'a>) -> Result<gimli::DwarfSections<Cow<'a, [u8]>>, gimli::Error> {
    gimli::DwarfSections::load(|id: gimli::SectionId| -> Result<Cow<[u8]>, gimli::Error> {
        let data = file.section_by_name(id.name()).and_then(|s| s.uncompressed_data().ok());
        Ok(data.unwrap_or(Cow::Borrowed(&[])))
    })
}

/// The line and inlining lookups over sections [`dwarf_of`] read.
pub(crate) type Context<'a> = addr2line::Context<gimli::EndianSlice<'a, gimli::LittleEndian>>;

pub(crate) fn context_of<'a>(sections: &'a gimli::DwarfSections<Cow<'_, [u8]>>) -> Result<Context<'a>, gimli::Error> {
    addr2line::Context::from_dwarf(sections.borrow(|data| gimli::EndianSlice::new(data, gimli::LittleEndian)))
}

/// The address after `pc=` in a line the firmware printed (`PANIC: hard fault at
/// pc=0x08001234 lr=...`).
pub fn faulting_pc(line: &str) -> Option<u64> {
    let hex = line.split("pc=0x").nth(1)?;
    let end = hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len());
    u64::from_str_radix(&hex[..end], 16).ok()
}

/// An address inside the function of `image` whose (mangled) name holds `name` (not a
/// closure of it): a probe for tests, from the symbol table (a running test's own
/// addresses move with ASLR).
#[cfg(test)]
pub(crate) fn inside_function(image: &Path, name: &str) -> Option<u64> {
    use object::ObjectSymbol;
    let bytes = std::fs::read(image).ok()?;
    let file = object::File::parse(&*bytes).ok()?;
    let symbol = file.symbols().find(|s| s.name().is_ok_and(|n| n.contains(name) && !n.contains("closure")))?;
    Some(symbol.address() + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pc_is_read_from_the_fault_line() {
        assert_eq!(faulting_pc("PANIC: hard fault at pc=0x0800a1b2 lr=0x08000101"), Some(0x0800_a1b2));
        assert_eq!(faulting_pc("PANIC: index out of bounds"), None);
        assert_eq!(faulting_pc("PANIC: hard fault at pc=0x"), None);
    }

    #[test]
    // (A function of its own in the executable, which the test looks itself up by.)
    #[inline(never)]
    fn an_address_inside_a_function_of_this_test_is_named_with_its_file() {
        // This test's own executable: its DWARF names this function and this file.
        let exe = std::env::current_exe().unwrap();
        let name = "an_address_inside_a_function_of_this_test_is_named_with_its_file";
        let here = inside_function(&exe, name).expect("the test's symbol");
        let found = locate(&exe, here).expect("the test binary has line information");
        assert!(found.contains(name), "{found}");
        assert!(found.contains("testbed/src/symbols.rs:"), "{found}");
        assert_eq!(locate(&exe, 1 << 60), None, "no code there");
        assert_eq!(locate(Path::new("/nonexistent"), here), None);
    }
}
