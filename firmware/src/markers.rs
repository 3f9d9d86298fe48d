//! Marker functions around measured regions. They do nothing; an instruction-count
//! plugin watching for their addresses can measure exactly what lies between them.
//! `#[inline(never)]` and `#[no_mangle]` keep them as real, named functions.
macro_rules! markers {
    ($($name:ident => $sym:literal),* $(,)?) => {
        $(
            #[inline(never)]
            #[unsafe(export_name = $sym)]
            pub extern "C" fn $name() {
                core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
            }
        )*
    };
}

markers! {
    load_begin => "mbpf_marker_load_begin",
    load_end => "mbpf_marker_load_end",
    verify_begin => "mbpf_marker_verify_begin",
    verify_end => "mbpf_marker_verify_end",
    compile_begin => "mbpf_marker_compile_begin",
    compile_end => "mbpf_marker_compile_end",
    exec_begin => "mbpf_marker_exec_begin",
    exec_end => "mbpf_marker_exec_end",
}
