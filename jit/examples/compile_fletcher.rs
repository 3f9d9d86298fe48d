//! Compiles a program many times: `valgrind --tool=callgrind` on this shows where the
//! JIT's own time goes.
//! `cargo run --release -p jit --example compile_fletcher FILE.s|FILE.o [N]`
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "programs/asm/fletcher16.s".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let bytes = std::fs::read(&path).expect("read the program");
    let (program, sizes) = if bytes.starts_with(b"\x7fELF") {
        let image = vm::image::Image::load(vm::image::Layout::Elf, &bytes).expect("load the object");
        let sizes = jit::Sizes::of(&image);
        (image.program, sizes)
    } else {
        let src = String::from_utf8(bytes).expect("UTF-8");
        (vm::Program::from_insns(vm::asm::assemble(&src).expect("assemble")).expect("program"), jit::Sizes::default())
    };
    let mut total = 0;
    for _ in 0..n {
        total += jit::compile_for(&program, sizes).expect("compile").code.len();
    }
    println!("{} bytes per compile", total / n);
}
