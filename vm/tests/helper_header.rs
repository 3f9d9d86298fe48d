//! `programs/include/mbpf_helpers.h`, which C programs call helpers through, declares
//! exactly the helpers of `vm::helpers::HELPERS` with the same ids and arguments.
use std::collections::BTreeMap;

/// `NAME -> (id, arguments)` from every `bpf_NAME)(PARAMS) = MBPF_HELPER(0xNN)`
/// declaration (`...` counts as all five registers).
fn declared(header: &str) -> BTreeMap<String, (u32, u8)> {
    let mut out = BTreeMap::new();
    for line in header.lines() {
        let Some((decl, id)) = line.split_once("MBPF_HELPER(") else { continue };
        let Some(id) = id.split(')').next().and_then(|h| u32::from_str_radix(h.trim_start_matches("0x"), 16).ok())
        else {
            continue;
        };
        let Some((name, params)) = decl.split("(*bpf_").nth(1).and_then(|r| r.split_once(")(")) else { continue };
        let params = params.rsplit_once(')').map_or(params, |(p, _)| p).trim();
        let args = match params {
            "" | "void" => 0,
            p if p.contains("...") => 5,
            p => p.split(',').count() as u8,
        };
        out.insert(name.to_string(), (id, args));
    }
    out
}

#[test]
fn the_c_header_declares_every_helper_of_the_table_with_its_id() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/include/mbpf_helpers.h");
    let header = std::fs::read_to_string(path).unwrap();
    let declared = declared(&header);
    assert!(declared.len() > 20, "the header's declarations were not found: {declared:?}");
    let table: BTreeMap<String, (u32, u8)> =
        vm::helpers::HELPERS.iter().map(|h| (h.name.to_string(), (h.id, h.args))).collect();
    for (name, decl) in &declared {
        assert_eq!(table.get(name), Some(decl), "mbpf_helpers.h declares bpf_{name} as (id, arguments) {decl:?}");
    }
    for (name, entry) in &table {
        // `unwind` is the conformance suite's helper, not one for programs.
        if entry.0 != vm::helpers::id::UNWIND {
            assert_eq!(declared.get(name), Some(entry), "mbpf_helpers.h lacks bpf_{name} {entry:?}");
        }
    }
}

#[test]
fn the_parser_reads_a_declaration_and_ignores_the_rest() {
    let text =
        "static int (*bpf_printf)(const char *fmt, ...) = MBPF_HELPER(0x01);\n#define MBPF_HELPER(id) ((void *)(id))\n";
    assert_eq!(declared(text), BTreeMap::from([("printf".to_string(), (1, 5))]));
    let text = "static uint64_t (*bpf_now_ms)(void) = MBPF_HELPER(0x20);\n\
                static int (*bpf_gpio_write)(uint32_t port, uint32_t pin, uint32_t value) = MBPF_HELPER(0x72);\n";
    assert_eq!(
        declared(text),
        BTreeMap::from([("now_ms".to_string(), (0x20, 0)), ("gpio_write".to_string(), (0x72, 3))])
    );
}
