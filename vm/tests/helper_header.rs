//! `programs/include/mbpf_helpers.h`, which C programs call helpers through, declares
//! exactly the helpers of `vm::helpers::HELPERS` with the same ids.
use std::collections::BTreeMap;

/// `NAME -> id` from every `bpf_NAME)(...) = MBPF_HELPER(0xNN)` declaration.
fn declared(header: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for line in header.lines() {
        let Some((decl, id)) = line.split_once("MBPF_HELPER(") else { continue };
        let Some(id) = id.split(')').next().and_then(|h| u32::from_str_radix(h.trim_start_matches("0x"), 16).ok())
        else {
            continue;
        };
        let Some(name) = decl.split("(*bpf_").nth(1).and_then(|r| r.split(')').next()) else { continue };
        out.insert(name.to_string(), id);
    }
    out
}

#[test]
fn the_c_header_declares_every_helper_of_the_table_with_its_id() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/include/mbpf_helpers.h");
    let header = std::fs::read_to_string(path).unwrap();
    let declared = declared(&header);
    assert!(declared.len() > 20, "the header's declarations were not found: {declared:?}");
    let table: BTreeMap<String, u32> = vm::helpers::HELPERS.iter().map(|&(id, name)| (name.to_string(), id)).collect();
    for (name, id) in &declared {
        assert_eq!(table.get(name), Some(id), "mbpf_helpers.h declares bpf_{name} as {id:#x}");
    }
    for (name, id) in &table {
        // `unwind` is the conformance suite's helper, not one for programs.
        if *id != vm::helpers::id::UNWIND {
            assert_eq!(declared.get(name), Some(id), "mbpf_helpers.h lacks bpf_{name} ({id:#x})");
        }
    }
}

#[test]
fn the_parser_reads_a_declaration_and_ignores_the_rest() {
    let text =
        "static int (*bpf_printf)(const char *fmt, ...) = MBPF_HELPER(0x01);\n#define MBPF_HELPER(id) ((void *)(id))\n";
    assert_eq!(declared(text), BTreeMap::from([("printf".to_string(), 1)]));
}
