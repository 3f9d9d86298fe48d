//! The checks a scenario passes on load, beyond its schema: names, references
//! between nodes, programs and steps, limits.
use super::*;

impl Scenario {
    /// Checks that need the whole file: unique node names, steps naming real nodes
    /// and programs, values in range.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("name `{}` must be non-empty letters, digits, `-` or `_`", self.name));
        }
        if self.nodes.is_empty() {
            return Err("a scenario needs at least one node".into());
        }
        let names = self.node_names();
        if names.len() > MAX_NODES {
            return Err(format!("{} nodes; at most {MAX_NODES}", names.len()));
        }
        for spec in &self.nodes {
            if spec.count == 0 {
                return Err(format!("node `{}`: count must be at least 1", spec.name));
            }
            if spec.name == "all" {
                return Err("`all` is reserved: it selects every node".into());
            }
        }
        for (i, (n, _)) in names.iter().enumerate() {
            if names[..i].iter().any(|(m, _)| m == n) || (self.nodes.iter().any(|s| &s.name == n && s.count > 1)) {
                return Err(format!("node name `{n}` is used twice"));
            }
        }
        let net = &self.network;
        if !(0.0..=0.9).contains(&net.loss) || !(0.0..=0.9).contains(&net.reorder) {
            return Err("network: loss and reorder must be between 0 and 0.9".into());
        }
        if net.delay_ms > 10_000 {
            return Err("network: delay_ms must be at most 10000".into());
        }
        for (i, p) in self.programs.iter().enumerate() {
            if self.programs[..i].iter().any(|q| q.name == p.name) {
                return Err(format!("program name `{}` is used twice", p.name));
            }
            if p.source.is_some() == p.image.is_some() {
                return Err(format!("program `{}`: give exactly one of `source` and `image`", p.name));
            }
            if vm::image::Layout::from_name(&p.layout).is_none() {
                return Err(format!(
                    "program `{}`: unknown layout `{}` (text, femto, extended, elf)",
                    p.name, p.layout
                ));
            }
        }
        self.check_steps(&self.steps, "step ")
    }

    fn check_steps(&self, steps: &[Step], prefix: &str) -> Result<(), String> {
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{prefix}{}", i + 1);
            let Some(action) = step.action() else {
                return Err(format!("{at} must have exactly one action (e.g. `info`)"));
            };
            let name = action.name();
            if let Some(nodes) = action.nodes() {
                self.select(nodes).map_err(|e| format!("{at} (`{name}`) {e}"))?;
            }
            let bad = |what: &str| Err(format!("{at} (`{name}`): {what}"));
            match action {
                Action::Wait(w) if !(0.0..=3600.0).contains(&w.seconds) => {
                    return bad("seconds must be between 0 and 3600")
                }
                Action::Bench(b) => {
                    if b.kernels.is_empty() || b.engines.is_empty() {
                        return bad("give at least one kernel and one engine");
                    }
                    if !(1..=100).contains(&b.repeat) {
                        return bad("repeat must be 1..=100");
                    }
                    for k in &b.kernels {
                        if k.data_sizes.is_empty() {
                            return bad(&format!("{}: give at least one data size", k.kernel.name()));
                        }
                        if let Some(s) = k.data_sizes.iter().find(|s| !k.kernel.sizes().contains(s)) {
                            let r = k.kernel.sizes();
                            return bad(&format!(
                                "{}: data size {s} is outside {}..={}",
                                k.kernel.name(),
                                r.start(),
                                r.end()
                            ));
                        }
                    }
                }
                Action::Deploy(d) => {
                    if !self.programs.iter().any(|p| p.name == d.program) {
                        return bad(&format!("no program `{}` under `programs`", d.program));
                    }
                    if !(1..=1000).contains(&d.repeat) {
                        return bad("repeat must be 1..=1000");
                    }
                }
                Action::Exec(e) => {
                    if e.engines.is_empty() || !(1..=1000).contains(&e.repeat) {
                        return bad("give at least one engine, and repeat 1..=1000");
                    }
                    if e.engines.contains(&Contender::Native) {
                        return bad("`native` runs benchmark kernels: use a `bench` step");
                    }
                    if e.input.len() % 2 != 0 || !e.input.chars().all(|c| c.is_ascii_hexdigit()) {
                        return bad("input must be hex digits, two per byte");
                    }
                }
                Action::Parallel(steps) => {
                    if steps.iter().any(|s| matches!(s.action(), Some(Action::Parallel(_)))) {
                        return bad("parallel groups do not nest");
                    }
                    self.check_steps(steps, &format!("{at}.")).map_err(|e| e.to_string())?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
