//! The testbed's typed errors.
use std::path::PathBuf;
use std::time::Duration;

use crate::coap_client::CoapError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read, written or listed.
    #[error("cannot {action} {}: {source}", path.display())]
    File { action: &'static str, path: PathBuf, source: std::io::Error },
    /// An external program could not be started at all.
    #[error("cannot run {program}: {source}; {hint}")]
    Spawn { program: String, hint: &'static str, source: std::io::Error },
    /// An external program ran and failed.
    #[error("{program} failed: {message}")]
    ToolFailed { program: String, message: String },
    /// A needed tool is not installed.
    #[error("no {tool} found: {hint}")]
    MissingTool { tool: String, hint: String },
    /// A socket could not be bound or used.
    #[error("socket error on {what}: {source}")]
    Socket { what: String, source: std::io::Error },
    #[error(transparent)]
    Coap(#[from] CoapError),
    #[error("node {node} crashed while booting: {reason}")]
    Crashed { node: String, reason: String },
    #[error("node {node} did not answer GET /info within {timeout:?}")]
    NotReady { node: String, timeout: Duration },
    #[error("node {node} is not running")]
    NotRunning { node: String },
    /// A firmware image lacks what measuring it needs.
    #[error("{}: {message}", firmware.display())]
    Firmware { firmware: PathBuf, message: String },
    /// A key file does not hold a key of the expected kind.
    #[error("{} is not {expected}", path.display())]
    BadKey { path: PathBuf, expected: &'static str },
    /// A program or image was refused by the loader, the packer or the verifier.
    #[error("{source_name}: {message}")]
    Program { source_name: String, message: String },
    /// A helper list names no helper, or an id past 255.
    #[error("unknown helper `{0}` (give a name such as `printf` or an id)")]
    UnknownHelper(String),
    #[error("helper id {0} is out of range (0..256)")]
    HelperOutOfRange(u32),
    /// A combination the backend cannot run.
    #[error("not supported: {what}")]
    Unsupported { what: String },
    /// A state file of the server root is corrupt.
    #[error("{} is corrupt: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
}

impl Error {
    /// An I/O error on `path`, naming what was being done.
    pub fn file(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::File { action, path, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
