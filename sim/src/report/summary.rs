//! Figures derived from a run's raw measurements, shared by every report format:
//! per kernel and size, each engine's median instructions and cycles with their
//! run-to-run spread, the ratios between engines, code sizes and break-even points.
use std::collections::BTreeMap;

use crate::bench::{BenchResult, ENGINES};

/// One engine on one build: median over runs (and nodes), and the spread.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineFigures {
    pub insns: u64,
    pub cycles: Option<u64>,
    /// max - min of the instruction figure over all runs.
    pub spread: u64,
    pub runs: usize,
    pub compile_insns: u64,
    /// Estimated Cortex-M4 cycles of the compile (plugin only).
    pub compile_cycles: Option<u64>,
    /// Heap bytes the compile held at most.
    pub compile_memory: Option<u32>,
    pub code_bytes: u32,
    pub executed_ebpf: u64,
    pub all_ok: bool,
}

/// Issue 18's goal for the JIT's compile: guest instructions per bytecode byte, at most.
pub const COMPILE_PER_BYTE_GOAL: u32 = 150;

/// One kernel at one data size.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub kernel: String,
    pub data_size: usize,
    pub bytecode_bytes: usize,
    pub engines: BTreeMap<&'static str, EngineFigures>,
}

fn median(v: &mut [u64]) -> u64 {
    super::percentile(v, 50.0)
}

impl Row {
    pub fn insns(&self, engine: &str) -> Option<u64> {
        self.engines.get(engine).map(|e| e.insns)
    }

    /// `a / b` of instruction figures.
    pub fn ratio(&self, a: &str, b: &str) -> Option<f64> {
        let (a, b) = (self.insns(a)?, self.insns(b)?);
        (b > 0).then(|| a as f64 / b as f64)
    }

    /// `a / b` of estimated cycles.
    pub fn cycle_ratio(&self, a: &str, b: &str) -> Option<f64> {
        let (a, b) = (self.engines.get(a)?.cycles?, self.engines.get(b)?.cycles?);
        (b > 0).then(|| a as f64 / b as f64)
    }

    /// Runs after which compiling and running the JIT costs less than interpreting:
    /// the smallest n with compile + n * jit < n * interp.
    pub fn break_even_runs(&self) -> Option<u64> {
        let (i, j) = (self.engines.get("interp")?, self.engines.get("jit")?);
        if j.insns >= i.insns {
            return None;
        }
        Some(j.compile_insns / (i.insns - j.insns) + 1)
    }

    /// Guest instructions per executed eBPF instruction, on our interpreter.
    pub fn interp_per_ebpf(&self) -> Option<f64> {
        let i = self.engines.get("interp")?;
        (i.executed_ebpf > 0).then(|| i.insns as f64 / i.executed_ebpf as f64)
    }

    /// JIT compile instructions per bytecode byte.
    pub fn compile_per_byte(&self) -> Option<f64> {
        let j = self.engines.get("jit")?;
        (self.bytecode_bytes > 0 && j.compile_insns > 0).then(|| j.compile_insns as f64 / self.bytecode_bytes as f64)
    }

    /// JIT code bytes per bytecode byte.
    pub fn code_density(&self) -> Option<f64> {
        let j = self.engines.get("jit")?;
        (self.bytecode_bytes > 0 && j.code_bytes > 0).then(|| j.code_bytes as f64 / self.bytecode_bytes as f64)
    }
}

/// Rows in the order the kernels first appear.
pub fn rows(results: &[BenchResult]) -> Vec<Row> {
    super::grouped(results, |r| (r.kernel.clone(), r.data_size))
        .into_iter()
        .map(|((kernel, size), of)| {
            let mut row = Row {
                kernel: kernel.clone(),
                data_size: size,
                bytecode_bytes: of.first().map_or(0, |r| r.bytecode_bytes),
                engines: BTreeMap::new(),
            };
            for engine in ENGINES {
                let runs: Vec<&&BenchResult> = of.iter().filter(|r| r.engine == engine).collect();
                if runs.is_empty() {
                    continue;
                }
                let mut insns: Vec<u64> = runs.iter().map(|r| r.exec_insns).collect();
                let spread = insns.iter().max().unwrap_or(&0) - insns.iter().min().unwrap_or(&0);
                let mut cycles: Vec<u64> = runs.iter().filter_map(|r| r.exec_cycles).collect();
                row.engines.insert(
                    engine,
                    EngineFigures {
                        insns: median(&mut insns),
                        cycles: (!cycles.is_empty()).then(|| median(&mut cycles)),
                        spread,
                        runs: runs.len(),
                        compile_insns: runs.iter().map(|r| r.compile_insns).max().unwrap_or(0),
                        compile_cycles: runs.iter().filter_map(|r| r.compile_cycles).max(),
                        compile_memory: runs.iter().filter_map(|r| r.compile_memory).max(),
                        code_bytes: runs.iter().map(|r| r.code_bytes).max().unwrap_or(0),
                        executed_ebpf: runs.iter().map(|r| r.executed_ebpf).max().unwrap_or(0),
                        all_ok: runs.iter().all(|r| r.ok),
                    },
                );
            }
            row
        })
        .collect()
}

/// Geometric mean of `a / b` over the rows that have both.
pub fn geomean_ratio(rows: &[Row], a: &str, b: &str) -> Option<(f64, usize)> {
    geomean(rows.iter().filter_map(|r| r.ratio(a, b)).collect())
}

/// The same of estimated cycles.
pub fn geomean_cycle_ratio(rows: &[Row], a: &str, b: &str) -> Option<(f64, usize)> {
    geomean(rows.iter().filter_map(|r| r.cycle_ratio(a, b)).collect())
}

fn geomean(ratios: Vec<f64>) -> Option<(f64, usize)> {
    (!ratios.is_empty())
        .then(|| ((ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp(), ratios.len()))
}

/// Plugin against SysTick on runs long enough for SysTick's ±40 to matter little:
/// (kernel, size, engine, plugin insns, systick insns, difference in %).
pub fn cross_check(results: &[BenchResult], min_insns: u64) -> Vec<(String, usize, String, u64, u64, f64)> {
    results
        .iter()
        .filter(|r| r.measured_by == "plugin" && r.run == 0 && r.exec_insns >= min_insns && r.systick_insns > 0)
        .map(|r| {
            let diff = (r.systick_insns as f64 - r.exec_insns as f64) / r.exec_insns as f64 * 100.0;
            (r.kernel.clone(), r.data_size, r.engine.clone(), r.exec_insns, r.systick_insns, diff)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(engine: &str, insns: u64, compile: u64) -> BenchResult {
        BenchResult {
            step: String::new(),
            node: "n".into(),
            kernel: "k".into(),
            data_size: 8,
            engine: engine.into(),
            run: 0,
            result: Some(1),
            expected: 1,
            ok: true,
            error: None,
            exec_insns: insns,
            exec_cycles: Some(insns * 2),
            systick_insns: insns,
            compile_insns: compile,
            compile_cycles: None,
            executed_ebpf: insns / 30,
            bytecode_bytes: 80,
            code_bytes: 100,
            measured_by: "plugin".into(),
            hw_cycles: None,
            compile_hw_cycles: None,
            compile_memory: None,
        }
    }

    #[test]
    fn ratios_break_even_and_spread() {
        let mut rs = vec![
            result("interp", 3000, 0),
            result("jit", 1000, 5000),
            result("native", 800, 0),
            result("interp", 3100, 0),
        ];
        rs[3].run = 1;
        let rows = rows(&rs);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.engines["interp"].spread, 100);
        assert_eq!(r.engines["interp"].runs, 2);
        assert_eq!(r.ratio("jit", "native"), Some(1.25));
        // Median of two runs is the lower: 5000 / (3000 - 1000) = 2.5, so after 3 runs the JIT has paid for itself.
        assert_eq!(r.break_even_runs(), Some(3));
        let (g, n) = geomean_ratio(&rows, "jit", "native").unwrap();
        assert!((g - 1.25).abs() < 1e-9 && n == 1);
    }
}
