//! `mbpf.toml`: defaults for the CLI, looked up from the current folder upward.
//! Flags always win. Relative paths in the file are relative to the file's folder.
//!
//! ```toml
//! device = "coap://127.0.0.1:5690"
//! key = "keys/testbed.key"
//! root = "served"
//! identity = "keys/edhoc-client.key"          # EDHOC: who this client is
//! device_credential = "keys/edhoc-device.key.ccs"  # and the device it expects
//! ```
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

pub const FILE_NAME: &str = "mbpf.toml";

#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Default device URI.
    pub device: Option<String>,
    /// Default signing key.
    pub key: Option<PathBuf>,
    /// Default file-server root.
    pub root: Option<PathBuf>,
    /// The client's EDHOC identity (`mbpf keygen --alg edhoc`); with
    /// `device_credential`, device commands authenticate and protect their requests.
    pub identity: Option<PathBuf>,
    /// The device's EDHOC credential (a `.ccs` file).
    pub device_credential: Option<PathBuf>,
}

impl Config {
    /// The nearest `mbpf.toml` from `start` upward, or the empty config.
    pub fn find(start: &Path) -> anyhow::Result<(Self, Option<PathBuf>)> {
        for dir in start.ancestors() {
            let path = dir.join(FILE_NAME);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                let mut c: Config = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
                let resolve = |p: &mut Option<PathBuf>| {
                    if let Some(v) = p.as_mut() {
                        if v.is_relative() {
                            *v = dir.join(&*v);
                        }
                    }
                };
                resolve(&mut c.key);
                resolve(&mut c.root);
                resolve(&mut c.identity);
                resolve(&mut c.device_credential);
                return Ok((c, Some(path)));
            }
        }
        Ok((Config::default(), None))
    }

    /// The config for the current folder.
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self::find(&std::env::current_dir()?)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_upward_with_paths_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "device = \"coap://10.0.0.1\"\nkey = \"k/dev.key\"\n").unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        let (c, at) = Config::find(&deep).unwrap();
        assert_eq!(at.unwrap(), dir.path().join(FILE_NAME));
        assert_eq!(c.device.as_deref(), Some("coap://10.0.0.1"));
        assert_eq!(c.key.unwrap(), dir.path().join("k/dev.key"));
        assert_eq!(c.root, None);
        assert_eq!(c.identity, None);
        std::fs::write(dir.path().join(FILE_NAME), "identity = \"me.key\"\ndevice_credential = \"dev.ccs\"\n").unwrap();
        let (c, _) = Config::find(&deep).unwrap();
        assert_eq!(c.identity.unwrap(), dir.path().join("me.key"));
        assert_eq!(c.device_credential.unwrap(), dir.path().join("dev.ccs"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "devise = \"x\"\n").unwrap();
        let e = Config::find(dir.path()).unwrap_err();
        assert!(format!("{e:#}").contains("devise"), "{e:#}");
    }
}
