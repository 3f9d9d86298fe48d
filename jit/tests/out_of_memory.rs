//! The compiler survives any heap: with a heap limit below what a program takes, the
//! compile fails with `JitError::OutOfMemory` (every allocation it makes is fallible;
//! one that is not aborts this test), and at the limit it succeeds with the same code.
//! Each program is compiled once with each of its allocations made to fail in turn.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::sync::Mutex;

struct Limited;

/// One measurement at a time (the test harness runs tests on threads).
static SERIAL: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread's allocations are counted: only the measuring thread's,
    /// while it compiles.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
    static IN_USE: Cell<usize> = const { Cell::new(0) };
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
    /// The heap in use after each allocation that succeeded, in order.
    static AFTER: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.with(Cell::get) {
            let now = IN_USE.with(Cell::get) + layout.size();
            if now > LIMIT.with(Cell::get) {
                return std::ptr::null_mut();
            }
            IN_USE.with(|c| c.set(now));
            // Recording allocates: not counted.
            COUNTED.with(|c| c.set(false));
            AFTER.with(|a| a.borrow_mut().push(now));
            COUNTED.with(|c| c.set(true));
        }
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTED.with(Cell::get) {
            IN_USE.with(|c| c.set(c.get().saturating_sub(layout.size())));
        }
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Limited = Limited;

/// Compiles under a heap limit: the result, and the heap in use after each allocation.
fn compile_within(program: &vm::Program, limit: usize) -> (Result<jit::Compiled, jit::JitError>, Vec<usize>) {
    AFTER.with(|a| a.borrow_mut().clear());
    IN_USE.with(|c| c.set(0));
    LIMIT.with(|c| c.set(limit));
    COUNTED.with(|c| c.set(true));
    let compiled = jit::compile_for(program, jit::Sizes::default());
    // What the result holds is freed after counting stops: a saturating count.
    COUNTED.with(|c| c.set(false));
    LIMIT.with(|c| c.set(usize::MAX));
    (compiled, AFTER.with(|a| a.borrow_mut().split_off(0)))
}

/// Compiles `source` with each of its allocations failing in turn, and at its peak.
fn check(name: &str, source: &str) {
    let program = vm::Program::from_insns(vm::asm::assemble(source).unwrap()).unwrap();
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (unlimited, after) = compile_within(&program, usize::MAX);
    let code = unlimited.unwrap_or_else(|e| panic!("{name}: {e}")).code;
    let peak = after.iter().copied().max().unwrap_or(0);
    assert!(!after.is_empty(), "{name}: the compiler allocates nothing? the allocator does not count");
    for (n, &now) in after.iter().enumerate() {
        let (compiled, _) = compile_within(&program, now - 1);
        assert!(
            matches!(compiled, Err(jit::JitError::OutOfMemory)),
            "{name}: with allocation {n} failing (limit {}), the compile gave {:?}",
            now - 1,
            compiled.map(|c| c.code.len())
        );
    }
    let (at_peak, _) = compile_within(&program, peak);
    assert_eq!(at_peak.map(|c| c.code).ok(), Some(code), "{name}: at its peak of {peak} bytes");
}

#[test]
fn straight_line_code_survives_any_heap() {
    for n in [1, 10, 100, 510, 2000] {
        let src: String = (0..n).map(|i| format!("add %r{}, {i}\n", i % 10)).collect::<String>() + "mov %r0, 0\nexit";
        check(&format!("{n} adds"), &src);
    }
    // Found by the fuzz target jit_compile: a short program whose code outgrows the
    // per-slot share of the fixed part.
    let stores: String = (0..9).map(|r| format!("mov %r{}, {}\n", if r == 0 { 0 } else { r + 1 }, 0xf0 + r)).collect();
    let stxb: String =
        [0, 2, 3, 4, 5, 6, 7, 8].iter().enumerate().map(|(i, r)| format!("stxb [%r1+{i}], %r{r}\n")).collect();
    check("stores of every register", &(stores + &stxb + "ldxdw %r0, [%r1]\nbe64 %r0\nexit"));
}

#[test]
fn branchy_code_survives_any_heap() {
    for n in [10, 100, 500] {
        let mut src = String::from("mov %r0, 0\nmov %r1, 1\n");
        for i in 0..n {
            src += &format!("jeq %r1, {i}, +1\nadd %r0, {i}\n");
        }
        src += "exit";
        check(&format!("{n} branches"), &src);
    }
    // Loops, nested.
    let loops = "mov %r0, 0\nmov %r1, 0\nouter:\nmov %r2, 0\ninner:\nadd %r0, %r2\nadd %r2, 1\njlt %r2, 10, inner\nadd %r1, 1\njlt %r1, 10, outer\nexit";
    check("nested loops", loops);
}

#[test]
fn calls_and_the_golden_cases_survive_any_heap() {
    check("a local call", "mov %r1, 5\ncall 1\nexit\nmov %r0, %r1\nadd %r0, 1\nexit");
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lowering");
    for entry in std::fs::read_dir(&cases).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // A case file is its program's source followed by the expected listing.
        let Some(source) = text.split("\n# ---- expected").next() else { continue };
        let source: String = source.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
        if source.trim().is_empty() {
            continue;
        }
        if vm::asm::assemble(&source).is_ok_and(|i| vm::Program::from_insns(i).is_ok()) {
            check(&path.display().to_string(), &source);
        }
    }
}

#[test]
fn memory_heavy_code_survives_any_heap() {
    // Found by the fuzz target jit_compile: every access checks its address, and so
    // takes more code and more branch fixups than any other instruction.
    for n in [1usize, 10, 100, 1000] {
        let mut src = String::from("mov %r0, %r1\n");
        for i in 0..n {
            let r = 9 - i % 9;
            src += &format!(
                "ldxb %r{r}, [%r0+{}]\nstxdw [%r0+{}], %r{r}\nstw [%r0+{}], 7\n",
                i % 100,
                i % 100 + 1,
                i % 50
            );
        }
        src += "mov %r0, 0\nexit";
        check(&format!("{n} loads and stores"), &src);
    }
}
