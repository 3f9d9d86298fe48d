//! Scenario files as a user writes them: what loads, and what is refused with which
//! message.
use super::*;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(Path::new("t.yaml"), text)
}

#[test]
fn a_minimal_scenario_parses_with_defaults() {
    let s = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - info: {node: a}\n").unwrap();
    assert_eq!(s.nodes[0].target, Target::QEMU_MPS2);
    assert_eq!(s.nodes[0].ready_timeout_s, 30);
    assert_eq!(s.nodes[0].firmware, Variant::Default);
    assert!(!s.network.is_impaired());
}

#[test]
fn each_firmware_variant_is_named_as_the_build_script_names_it() {
    for v in Variant::ALL {
        let s = parse(&format!("name: x\nnodes:\n  - name: a\n    firmware: {}\n", v.name())).unwrap();
        assert_eq!(s.nodes[0].firmware, v);
        assert_eq!(v.name().parse::<Variant>(), Ok(v));
    }
    let e = parse("name: x\nnodes:\n  - name: a\n    firmware: tiny\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
    assert!("tiny".parse::<Variant>().unwrap_err().contains("default, interp, testbed"));
}

#[test]
fn unknown_keys_name_line_and_column() {
    let e = parse("name: x\nnodes:\n  - name: a\n    colour: red\n").unwrap_err();
    match e {
        ScenarioError::Syntax { line, column, message, .. } => {
            assert_eq!((line, column), (4, 5), "{message}");
            assert!(message.contains("colour"), "{message}");
        }
        other => panic!("{other}"),
    }
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - bench:\n      node: a\n      kernels: [{kernel: crc32, data_sizes: [64], speed: 2}]\n      engines: [jit]\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 7, .. }), "{e}");
}

#[test]
fn bad_values_name_line_and_column() {
    let e = parse("name: x\nnodes:\n  - name: a\n    target: qemu/lm3s6965\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
    let e = parse("name: x\nnodes:\n  - name: a\n    ready_timeout_s: soon\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 4, .. }), "{e}");
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - bench:\n      node: a\n      kernels: [{kernel: quicksort, data_sizes: [64]}]\n      engines: [jit]\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 7, .. }), "{e}");
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - exec: {node: a, engines: [turbo]}\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 5, .. }), "{e}");
}

#[test]
fn a_profile_is_a_switch_or_a_phase() {
    let node =
        |v: &str| parse(&format!("name: x\nnodes:\n  - name: a\n    profile: {v}\n")).map(|s| s.nodes[0].profile);
    assert_eq!(node("true").unwrap(), Profile::WholeRun);
    assert_eq!(node("false").unwrap(), Profile::Off);
    assert_eq!(node("compile").unwrap(), Profile::Phase(proto::markers::Phase::Compile));
    assert_eq!(node("exec").unwrap(), Profile::Phase(proto::markers::Phase::Exec));
    // (Reported at the node: serde checks the value once the node's map is read.)
    let e = node("linking").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 3, .. }), "{e}");
    assert!(e.to_string().contains("load, verify, compile, exec, native"), "{e}");
    assert_eq!(parse("name: x\nnodes:\n  - name: a\n").unwrap().nodes[0].profile, Profile::Off);
}

#[test]
fn whole_file_checks() {
    assert!(matches!(parse("name: x\nnodes: []\n"), Err(ScenarioError::Invalid { .. })));
    assert!(parse("name: x\nnodes:\n  - name: a\n  - name: a\n").is_err());
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - info: {node: b}\n").unwrap_err();
    assert!(e.to_string().contains("`b`"), "{e}");
    assert!(parse("name: ../x\nnodes:\n  - name: a\n").is_err());
    assert!(parse("name: x\nnodes:\n  - name: a\nsteps:\n  - {}\n").is_err());
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - reboot: {node: a}\n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 5, .. }), "{e}");
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - deploy: {node: a, program: p}\n").unwrap_err();
    assert!(e.to_string().contains("no program `p`"), "{e}");
    let e = parse("name: x\nnodes:\n  - name: a\nnetwork: {loss: 1.5}\n").unwrap_err();
    assert!(e.to_string().contains("loss"), "{e}");
    let e = parse("name: x\nnodes:\n  - name: a\nsteps:\n  - bench: {node: a, kernels: [{kernel: bubble_sort, data_sizes: [4096]}], engines: [jit]}\n").unwrap_err();
    assert!(e.to_string().contains("outside"), "{e}");
    let e = parse("name: x\nnodes:\n  - {name: a, count: 257}\n").unwrap_err();
    assert!(e.to_string().contains("at most"), "{e}");
}

#[test]
fn groups_expand_and_selectors_resolve() {
    let s = parse("name: x\nnodes:\n  - {name: w, count: 3}\n  - name: solo\nsteps:\n  - info: {node: w}\n  - info: {node: [w-1, solo]}\n  - info: {node: all}\n").unwrap();
    let names: Vec<_> = s.node_names().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["w-0", "w-1", "w-2", "solo"]);
    assert_eq!(s.select(&Nodes::One("w".into())).unwrap(), ["w-0", "w-1", "w-2"]);
    assert_eq!(s.select(&Nodes::Many(vec!["w-1".into(), "solo".into()])).unwrap(), ["w-1", "solo"]);
    assert_eq!(s.select(&Nodes::One("all".into())).unwrap().len(), 4);
    assert!(parse("name: x\nnodes:\n  - {name: w, count: 2}\n  - name: w-1\n").is_err());
}

#[test]
fn parallel_steps_are_checked_inside() {
    let e = parse(
        "name: x\nnodes:\n  - name: a\nsteps:\n  - parallel:\n      - info: {node: a}\n      - info: {node: z}\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("step 1.2"), "{e}");
}

#[test]
fn shards_split_the_nodes_round_robin_and_cover_each_once() {
    use super::Shard;
    let mut s = parse("name: x\nnodes:\n  - {name: a, count: 5}\n  - {name: b}\n  - {name: c, count: 2}\n").unwrap();
    let all: Vec<String> = s.node_names().into_iter().map(|(n, _)| n).collect();
    let mut seen = Vec::new();
    for k in 1..=3 {
        s.shard = Some(format!("{k}/3").parse().unwrap());
        let part: Vec<(usize, String)> = s.booted().into_iter().map(|(i, n, _)| (i, n)).collect();
        assert!(part.iter().all(|(i, n)| i % 3 == k - 1 && all[*i] == *n), "{part:?}");
        seen.extend(part.into_iter().map(|(_, n)| n));
    }
    seen.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(seen, want);
    assert_eq!("2/3".parse::<Shard>().unwrap(), Shard { index: 2, count: 3 });
    for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/257"] {
        assert!(bad.parse::<Shard>().unwrap_err().contains("K/N"), "{bad}");
    }
}
