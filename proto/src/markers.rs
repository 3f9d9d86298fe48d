//! The phases the firmware measures, each between two marker functions
//! (`mbpf_marker_<phase>_begin` and `_end`, `firmware/src/markers.rs`) that the host's
//! instruction-count plugin watches (`testbed::plugin`).

/// The prefix of every marker symbol.
pub const PREFIX: &str = "mbpf_marker_";

/// A measured phase of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Loading an image into a program.
    Load,
    /// Verifying it.
    Verify,
    /// JIT compilation.
    Compile,
    /// Execution, on any engine.
    Exec,
    /// A native benchmark kernel (testbed firmware).
    Native,
}

impl Phase {
    pub const ALL: [Phase; 5] = [Phase::Load, Phase::Verify, Phase::Compile, Phase::Exec, Phase::Native];

    pub const fn name(self) -> &'static str {
        match self {
            Phase::Load => "load",
            Phase::Verify => "verify",
            Phase::Compile => "compile",
            Phase::Exec => "exec",
            Phase::Native => "native",
        }
    }
}
