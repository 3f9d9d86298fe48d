//! `jit::heap_bound` holds: the compiler's peak heap, measured by a counting allocator,
//! stays within it for straight-line code, branchy code, calls and the golden cases.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// One measurement at a time (the test harness runs tests on threads).
static SERIAL: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread's allocations are counted: only the measuring thread's,
    /// while it compiles.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.with(Cell::get) {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTED.with(Cell::get) {
            let _ =
                IN_USE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(v.saturating_sub(layout.size())));
        }
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The compiler's peak heap above what was in use before, and the bound.
fn measure(source: &str) -> (usize, usize) {
    let program = vm::Program::from_insns(vm::asm::assemble(source).unwrap()).unwrap();
    let bound = jit::heap_bound(program.insns());
    let _one = SERIAL.lock().unwrap();
    IN_USE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTED.with(|c| c.set(true));
    let compiled = jit::compile_for(&program, jit::Sizes::default());
    let peak = PEAK.load(Ordering::Relaxed);
    // What the result holds is freed after counting stops: a saturating count.
    COUNTED.with(|c| c.set(false));
    assert!(compiled.is_ok(), "{source}");
    (peak, bound)
}

fn check(name: &str, source: &str) {
    let (peak, bound) = measure(source);
    assert!(peak <= bound, "{name}: the compiler took {peak} bytes, above its bound of {bound}");
}

#[test]
fn straight_line_code_stays_within_the_bound() {
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
fn branchy_code_stays_within_the_bound() {
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
fn calls_and_the_golden_cases_stay_within_the_bound() {
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
fn memory_heavy_code_stays_within_the_bound() {
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
