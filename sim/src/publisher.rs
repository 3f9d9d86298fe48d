//! Builds a scenario's programs once, through the testbed's program pipeline, and
//! publishes signed updates (or tampered ones) for the nodes to pull.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use testbed::keys::SigningKey;
use testbed::program::{self, BuildOptions};
use vm::image::Layout;

use crate::scenario::{ProgramSpec, Tamper};

/// A program built for deployment.
pub struct Built {
    pub name: String,
    pub image: Vec<u8>,
    pub layout: Layout,
    pub helpers: Vec<u8>,
    /// eBPF bytecode bytes (the program's instructions).
    pub bytecode_bytes: usize,
}

impl Built {
    fn new(name: &str, built: program::Built) -> Self {
        Self {
            name: name.to_string(),
            bytecode_bytes: built.image.program.insns().len() * vm::Insn::SIZE,
            helpers: built.helper_ids(),
            layout: built.layout,
            image: built.bytes,
        }
    }
}

/// Builds programs once and publishes signed updates for the nodes to pull.
pub struct Publisher {
    root: PathBuf,
    /// `coap://10.0.2.2:PORT`: the file server (or the relay in front of it) as the nodes see it.
    base_uri: String,
    key: SigningKey,
    work: PathBuf,
    built: Mutex<HashMap<String, Arc<Built>>>,
    /// Publications take sequence numbers one after the other.
    publishing: Mutex<()>,
}

impl Publisher {
    pub fn new(root: PathBuf, base_uri: String, key: SigningKey, work: PathBuf) -> Self {
        Self { root, base_uri, key, work, built: Mutex::default(), publishing: Mutex::default() }
    }

    fn cached(&self, name: &str, build: impl FnOnce() -> anyhow::Result<Built>) -> anyhow::Result<Arc<Built>> {
        if let Some(b) = self.built.lock().unwrap_or_else(|e| e.into_inner()).get(name) {
            return Ok(b.clone());
        }
        let b = Arc::new(build()?);
        self.built.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), b.clone());
        Ok(b)
    }

    /// Builds `source` (C or `no_std` Rust) through the testbed's program pipeline,
    /// with `bench_data.h` of `data_size` bytes when asked, in `layout`.
    #[allow(clippy::too_many_arguments)]
    pub fn build_c(
        &self,
        repo: &std::path::Path,
        name: &str,
        source: &std::path::Path,
        data_size: Option<usize>,
        defines: &[String],
        layout: Layout,
        helpers: &[u8],
    ) -> anyhow::Result<Arc<Built>> {
        self.cached(name, || {
            let dir = self.work.join(name);
            std::fs::create_dir_all(&dir)?;
            if let Some(size) = data_size {
                std::fs::write(dir.join("bench_data.h"), proto::bench::data_header(size))?;
            }
            let options = BuildOptions {
                layout: Some(layout),
                helpers: vm::HelperSet::from_id_bytes(helpers),
                defines: defines.to_vec(),
                includes: vec![dir.clone()],
                ..Default::default()
            };
            Ok(Built::new(name, program::build(&repo.join(source), &options, &dir)?))
        })
    }

    pub fn build_program(&self, repo: &std::path::Path, spec: &ProgramSpec) -> anyhow::Result<Arc<Built>> {
        // `Scenario::check` accepted the layout name.
        let layout = Layout::from_name(&spec.layout).unwrap_or(Layout::Femto);
        if let Some(source) = &spec.source {
            let defines: Vec<String> = spec.defines.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return self.build_c(repo, &spec.name, source, spec.data_size, &defines, layout, &spec.helpers);
        }
        let path = repo.join(spec.image.as_deref().unwrap_or(std::path::Path::new("")));
        self.cached(&spec.name, || {
            let options = BuildOptions {
                layout: Some(layout),
                helpers: vm::HelperSet::from_id_bytes(&spec.helpers),
                ..Default::default()
            };
            let built =
                program::build(&path, &options, &self.work).with_context(|| format!("program `{}`", spec.name))?;
            Ok(Built::new(&spec.name, built))
        })
    }

    pub fn publish(&self, built: &Built, slot: u8, tamper: Tamper) -> anyhow::Result<String> {
        let _one_at_a_time = self.publishing.lock().unwrap_or_else(|e| e.into_inner());
        let stranger;
        let key = match tamper {
            Tamper::WrongKey => {
                stranger = SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]));
                &stranger
            }
            _ => &self.key,
        };
        let file = format!("{}.{}", built.name, built.layout.name());
        let p = testbed::publish::Publication {
            root: &self.root,
            base_uri: &self.base_uri,
            name: &file,
            image: &built.image,
            layout: built.layout,
            slot,
            helpers: &built.helpers,
            key,
        };
        let (uri, _) = testbed::publish::publish_with(&p, |u| match tamper {
            Tamper::Replay => u.sequence = 0,
            Tamper::WrongClass => u.class_id = vec![0xff; 16],
            _ => {}
        })?;
        match tamper {
            Tamper::ImageDigest => {
                let mut bad = built.image.clone();
                if let Some(b) = bad.get_mut(built.image.len() / 2) {
                    *b ^= 0xff;
                }
                std::fs::write(self.root.join(&file), bad)?;
            }
            Tamper::Manifest => {
                let path = self.root.join(format!("{file}.suit"));
                let mut env = std::fs::read(&path)?;
                let n = env.len();
                // A byte inside the signed manifest: its digest no longer matches.
                env[n - 3] ^= 0x01;
                std::fs::write(&path, env)?;
            }
            _ => {}
        }
        Ok(uri)
    }
}
