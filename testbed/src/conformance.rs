//! Runs the bpf_conformance suite's `.data` files (format: the suite's README).
//!
//! Each file holds a program (`-- asm` and/or `-- raw`), optional input memory
//! (`-- mem`) and either the expected r0 (`-- result`) or an expected failure
//! (`-- error`: the program must be rejected by the verifier or fault at run time).
use std::path::{Path, PathBuf};

use vm::memory::Region;
use vm::{HelperError, HelperId, HelperSet, Helpers, Insn, Memory, Program, RegionKind, Vm};

/// Helper id 5 of the suite's calling convention: `unwind`.
pub const UNWIND_HELPER: HelperId = 5;
/// The budget for one test: far more than any test needs, so a looping program fails.
pub const TEST_BUDGET: u64 = 10_000_000;

/// One parsed `.data` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestCase {
    pub name: String,
    pub asm: Option<String>,
    pub raw: Option<Vec<u64>>,
    pub mem: Vec<u8>,
    pub result: Option<u64>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Parse(String),
}

impl TestCase {
    pub fn parse(name: &str, text: &str) -> Result<Self, CaseError> {
        let mut case = TestCase { name: name.to_string(), ..Default::default() };
        let mut section: Option<String> = None;
        let mut body = String::new();
        let mut sections = Vec::new();
        for line in text.lines() {
            if let Some(s) = line.strip_prefix("-- ") {
                if let Some(prev) = section.take() {
                    sections.push((prev, std::mem::take(&mut body)));
                }
                section = Some(s.trim().to_string());
            } else if section.is_some() && !line.trim_start().starts_with('#') {
                body.push_str(line);
                body.push('\n');
            }
        }
        if let Some(prev) = section {
            sections.push((prev, body));
        }
        let bad = |what: &str| CaseError::Parse(format!("{name}: bad `-- {what}` section"));
        for (section, body) in sections {
            match section.as_str() {
                "asm" => case.asm = Some(body),
                "raw" => {
                    let words = body
                        .split_whitespace()
                        .map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| bad("raw"))?;
                    case.raw = Some(words);
                }
                "mem" => {
                    case.mem = body
                        .split_whitespace()
                        .map(|b| u8::from_str_radix(b, 16))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| bad("mem"))?;
                }
                "result" => {
                    let t = body.trim();
                    let v = u64::from_str_radix(t.trim_start_matches("0x"), 16).map_err(|_| bad("result"))?;
                    case.result = Some(v);
                }
                "error" => case.error = Some(body.trim().to_string()),
                // Information only, or settings of runtimes we do not have.
                _ => {}
            }
        }
        if case.asm.is_none() && case.raw.is_none() {
            return Err(CaseError::Parse(format!("{name}: no `-- asm` or `-- raw` section")));
        }
        if case.result.is_none() && case.error.is_none() {
            return Err(CaseError::Parse(format!("{name}: no `-- result` or `-- error` section")));
        }
        Ok(case)
    }

    pub fn load(path: &Path) -> Result<Self, CaseError> {
        let text = std::fs::read_to_string(path).map_err(|source| CaseError::Io { path: path.into(), source })?;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Self::parse(&name, &text)
    }

    /// The bytecode: the raw words when present (they are authoritative), otherwise
    /// the assembled text.
    pub fn bytecode(&self) -> Result<Vec<u8>, String> {
        if let Some(words) = &self.raw {
            return Ok(words.iter().flat_map(|w| w.to_le_bytes()).collect());
        }
        let asm = self.asm.as_deref().unwrap_or_default();
        let insns = vm::asm::assemble(asm).map_err(|e| format!("assembler: {e}"))?;
        Ok(insns.iter().flat_map(Insn::encode).collect())
    }
}

/// What running one case on an engine gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Returned(u64),
    /// Rejected or faulted, with the engine's reason.
    Failed(String),
}

impl Outcome {
    /// Whether this outcome is what the case expects.
    pub fn matches(&self, case: &TestCase) -> bool {
        match (self, case.result, &case.error) {
            (Outcome::Failed(_), _, Some(_)) => true,
            (Outcome::Returned(r), Some(want), None) => *r == want,
            _ => false,
        }
    }
}

/// The suite's helpers: only `unwind`.
pub struct SuiteHelpers;

impl Helpers for SuiteHelpers {
    fn call(&mut self, id: HelperId, args: &[u64; 5], _: &mut Memory<'_>) -> Result<u64, HelperError> {
        match id {
            UNWIND_HELPER if args[0] == 0 => Err(HelperError::Exit(0)),
            UNWIND_HELPER => Ok(args[0]),
            other => Err(HelperError::Unknown(other)),
        }
    }
}

/// Runs a case on the host interpreter.
pub fn run_interp(case: &TestCase) -> Outcome {
    let code = match case.bytecode() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(e),
    };
    let program = match Program::from_bytes(&code) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(format!("program: {e}")),
    };
    let allowed = HelperSet::from_ids([UNWIND_HELPER]);
    if let Err(e) = vm::verify(&program, &allowed) {
        return Outcome::Failed(format!("verifier: {e}"));
    }
    let mut stack = vec![0u8; vm::interp::stack_size_for(&program)];
    let mut input = case.mem.clone();
    let mut memory = Memory::new().with(Region::read_write(RegionKind::Stack, &mut stack));
    if !input.is_empty() {
        memory.add(Region::read_write(RegionKind::Input, &mut input));
    }
    let mut helpers = SuiteHelpers;
    let mut vm = Vm::new(&program, memory, &mut helpers, allowed).with_budget(TEST_BUDGET);
    match vm.run() {
        Ok(r0) => Outcome::Returned(r0),
        Err(e) => Outcome::Failed(format!("runtime: {e}")),
    }
}

/// Runs a case on a device through `POST /run` (testbed firmware).
pub async fn run_on_device(
    client: &mut crate::coap_client::CoapClient,
    case: &TestCase,
    engine: proto::Engine,
) -> Outcome {
    let image = match case.bytecode() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(e),
    };
    let req = proto::RunRequest {
        layout: 0,
        image,
        input: case.mem.clone(),
        helpers: HelperSet::from_ids([UNWIND_HELPER]),
        budget: TEST_BUDGET,
        engine,
    };
    let payload = proto::encode(&req);
    let answer = match client.request(coap_lite::RequestType::Post, proto::paths::RUN, &payload).await {
        Ok(a) => a,
        Err(e) => return Outcome::Failed(format!("device: {e}")),
    };
    match proto::decode::<proto::RunResponse>(&answer) {
        Ok(proto::RunResponse { result: Some(r0), .. }) => Outcome::Returned(r0),
        Ok(proto::RunResponse { failure: Some(f), .. }) => {
            Outcome::Failed(format!("device: {:?}: {}", f.kind, f.message))
        }
        Ok(_) => Outcome::Failed("device answered neither a result nor a failure".into()),
        Err(e) => Outcome::Failed(format!("malformed answer from the device: {e}")),
    }
}

/// The `.data` files of a suite directory, sorted by name.
pub fn list_cases(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "data"))
        .collect();
    files.sort();
    Ok(files)
}

/// Where the suite is when no path is given: `$BPF_CONFORMANCE_DIR`, else the
/// `shared/bpf_conformance/tests` folder beside the repository.
pub fn default_suite_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BPF_CONFORMANCE_DIR") {
        let dir = PathBuf::from(dir);
        let tests = dir.join("tests");
        return if tests.is_dir() { tests } else { dir };
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bpf_conformance/tests")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = "# c\n-- asm\nmov %r0, 1\n# inner comment\nexit\n-- mem\n00 01\n-- result\n0x1\n";

    #[test]
    fn parses_and_runs_a_case() {
        let case = TestCase::parse("t", CASE).unwrap();
        assert_eq!(case.mem, vec![0, 1]);
        assert_eq!(case.result, Some(1));
        let out = run_interp(&case);
        assert_eq!(out, Outcome::Returned(1));
        assert!(out.matches(&case));
    }

    #[test]
    fn a_wrong_result_does_not_match() {
        let case = TestCase::parse("t", &CASE.replace("0x1\n", "0x2\n")).unwrap();
        assert!(!run_interp(&case).matches(&case));
    }

    #[test]
    fn expected_errors_need_a_failure() {
        let case = TestCase::parse("t", "-- asm\nldxb %r0, [%r1]\nexit\n-- error\nout of bounds\n").unwrap();
        assert!(run_interp(&case).matches(&case));
        let case = TestCase::parse("t", "-- asm\nmov %r0, 0\nexit\n-- error\nsomething\n").unwrap();
        assert!(!run_interp(&case).matches(&case));
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(TestCase::parse("t", "-- result\n0x1\n").is_err());
        assert!(TestCase::parse("t", "-- asm\nexit\n").is_err());
        assert!(TestCase::parse("t", "-- asm\nexit\n-- result\nzz\n").is_err());
    }
}
