//! `sim`: boots mbpf firmware nodes, replays YAML scenarios, writes results.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod bench;
mod compare;
mod kernels;
mod merge;
mod netem;
mod netns;
mod node;
mod provenance;
mod publisher;
mod report;
mod runner;
mod scenario;
mod steps;
mod targets;

#[derive(Parser)]
#[command(name = "sim", version, about = "Run eBPF-on-microcontroller scenarios in emulated nodes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (a file, or a name in scenarios/).
    Scenario {
        scenario: String,
        /// Where run folders go (default: results/ in the repository).
        #[arg(long)]
        results: Option<PathBuf>,
        /// Run every node on this target instead of the scenario's own
        /// (qemu/mps2-an386, qemu/b-l475e-iot01a, board/<board>, renode/nrf52840,
        /// iotlab/<site>/<node type>).
        #[arg(long)]
        target: Option<testbed::Target>,
        /// The hardware map of the boards on this machine (for board/ targets).
        #[arg(long, value_name = "FILE")]
        hardware_map: Option<PathBuf>,
        /// Run only shard K of N: the nodes at positions K-1, K-1+N, ... of the
        /// scenario's node list, with their part of every step. `sim merge` joins the
        /// N run folders.
        #[arg(long, value_name = "K/N")]
        shard: Option<scenario::Shard>,
    },
    /// Join the run folders of a scenario's shards into one run folder (results.json,
    /// CSVs, plots, reports, JUnit), as if one machine had run every node.
    Merge {
        #[arg(required = true)]
        run_dirs: Vec<PathBuf>,
        /// Where the merged run folder goes (default: results/ in the repository).
        #[arg(long)]
        results: Option<PathBuf>,
    },
    /// List the scenarios in scenarios/.
    List,
    /// Check a scenario file without running it (and, for board/ nodes, that the
    /// hardware map has an entry for each).
    Validate {
        scenario: String,
        #[arg(long)]
        target: Option<testbed::Target>,
        #[arg(long, value_name = "FILE")]
        hardware_map: Option<PathBuf>,
    },
    /// Re-render a run folder's CSVs, plots and reports from its results.json.
    Report { run_dir: PathBuf },
    /// Compare a run's figures with a baseline: non-zero exit when any grew beyond the
    /// tolerance or is missing. BASELINE and RUN are results.json files, run folders, or
    /// scenario folders (their newest run).
    Compare {
        baseline: PathBuf,
        run: PathBuf,
        /// Allowed growth, as a fraction (0.02 = 2 %).
        #[arg(long, default_value_t = 0.02)]
        tolerance: f64,
        /// Instead: every figure that repeats exactly from run to run (results, answer
        /// codes, the plugin's instruction counts) must be equal, and in both runs.
        #[arg(long)]
        exact: bool,
    },
}

/// Applies `--target` and `--hardware-map` to a loaded scenario. The scenario's own map
/// is relative to its file; the command line's to the working folder.
fn place(s: &mut scenario::Scenario, path: &std::path::Path, target: Option<testbed::Target>, map: Option<PathBuf>) {
    let scenario_dir = path.parent().unwrap_or(std::path::Path::new("."));
    s.hardware_map = map.or_else(|| s.hardware_map.take().map(|m| scenario_dir.join(m)));
    if let Some(target) = target {
        s.nodes.iter_mut().for_each(|n| n.target = target);
    }
}

/// The repository root: this crate's parent folder.
fn repo_root() -> PathBuf {
    testbed::repo_root()
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SIM_LOG").unwrap_or_else(|_| "sim=info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match run_cli(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_cli(cli: Cli) -> anyhow::Result<ExitCode> {
    let repo = repo_root();
    let scenarios = repo.join("scenarios");
    match cli.command {
        Command::List => {
            let mut names: Vec<_> = std::fs::read_dir(&scenarios)
                .with_context(|| format!("cannot list {}", scenarios.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            names.sort();
            for path in names {
                match scenario::Scenario::load(&path) {
                    Ok(s) => println!("{:<20} {}", s.name, s.description.trim()),
                    Err(e) => println!("{:<20} INVALID: {e}", path.file_stem().unwrap_or_default().to_string_lossy()),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare { baseline, run, tolerance, exact } => {
            let read = |p: &PathBuf| -> anyhow::Result<serde_json::Value> {
                let f = compare::results_file(p)?;
                let text = std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
                serde_json::from_str(&text).with_context(|| format!("{} is not a results.json", f.display()))
            };
            if exact {
                let (a, b) = (read(&baseline)?, read(&run)?);
                let figures = compare::exact_figures(&a).len();
                anyhow::ensure!(figures > 0, "{} has no exact figures to compare", baseline.display());
                let differences = compare::exact_differences(&a, &b);
                for d in &differences {
                    println!("differs: {d}");
                }
                println!("compare --exact: {figures} figures, {} differ", differences.len());
                return Ok(if differences.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
            }
            let rows = compare::compare(&read(&baseline)?, &read(&run)?, tolerance, 40);
            anyhow::ensure!(!rows.is_empty(), "the baseline has no figures to compare");
            print!("{}", compare::table(&rows));
            let regressed = rows.iter().filter(|r| r.regressed).count();
            println!("compare: {} passed, {regressed} failed", rows.len() - regressed);
            Ok(if regressed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Report { run_dir } => {
            let dir = compare::results_file(&run_dir)?.parent().map(PathBuf::from).unwrap_or(run_dir);
            report::rerender(&dir)?;
            println!("report:  {}", dir.join("report.html").display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { scenario, target, hardware_map } => {
            let path = scenario::resolve(&scenario, &scenarios)?;
            let mut s = scenario::Scenario::load(&path)?;
            place(&mut s, &path, target, hardware_map);
            for (node, entry) in targets::assign_boards(&s)? {
                println!("{node}: {} on probe {}, {}", entry.board, entry.probe, entry.link());
            }
            println!("{}: ok ({} nodes, {} steps)", path.display(), s.node_names().len(), s.steps.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { run_dirs, results } => {
            let runs =
                run_dirs.into_iter().map(|d| merge::load(&d).map(|r| (d, r))).collect::<anyhow::Result<Vec<_>>>()?;
            let merged = merge::merge(runs)?;
            let root = results.unwrap_or_else(|| repo.join("results"));
            let dir = root.join(&merged.scenario).join(format!("{}-merged", merged.started_utc.replace(':', "-")));
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            report::write_all(&dir, &merged)?;
            println!("results: {}", dir.join("results.json").display());
            println!("report:  {}", dir.join("report.html").display());
            let failed = merged.steps.iter().filter(|s| !s.ok).count();
            println!(
                "merged {} shards of {}: {} nodes, {} passed, {failed} failed",
                merged.merged_shards,
                merged.scenario,
                merged.nodes.len(),
                merged.steps.len() - failed
            );
            Ok(if merged.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Scenario { scenario, results, target, hardware_map, shard } => {
            let path = scenario::resolve(&scenario, &scenarios)?;
            let mut s = scenario::Scenario::load(&path)?;
            s.shard = shard;
            place(&mut s, &path, target, hardware_map);
            let runner =
                runner::Runner { repo: repo.clone(), results_root: results.unwrap_or_else(|| repo.join("results")) };
            let rt = tokio::runtime::Runtime::new()?;
            // On Ctrl-C or SIGTERM the run future is dropped: every node it owns is
            // stopped by its Drop before the process exits.
            let outcome = rt.block_on(async {
                tokio::select! {
                    r = runner.run(&path, &s) => Some(r),
                    _ = shutdown_signal() => None,
                }
            });
            let Some(outcome) = outcome else {
                eprintln!("interrupted: all nodes stopped");
                return Ok(ExitCode::from(130));
            };
            let (dir, results) = outcome?;
            for n in &results.nodes {
                match (&n.error, n.boot_to_ready_ms) {
                    (Some(e), _) if n.fault_injected => println!(
                        "node {:<12} fault injected, detected after {} ms: {e}",
                        n.name,
                        n.fault_detected_after_ms.unwrap_or(0)
                    ),
                    (Some(e), _) => println!("node {:<12} FAILED: {e}", n.name),
                    (None, Some(ms)) => println!("node {:<12} ready after {ms} ms", n.name),
                    _ => {}
                }
            }
            for st in &results.steps {
                let status =
                    if st.ok { "ok".to_string() } else { format!("FAILED: {}", st.error.clone().unwrap_or_default()) };
                println!("step {:<5} {:<10} on {:<12} {status}", st.index, st.step, st.node);
            }
            if !results.benchmarks.is_empty() {
                for t in report::tables::all(&results)
                    .into_iter()
                    .filter(|t| t.title.starts_with("Guest instructions") || t.title.starts_with("Where we stand"))
                {
                    println!("\n{}\n  {}", t.title, t.header.join(" | "));
                    for r in &t.rows {
                        println!("  {}", r.join(" | "));
                    }
                }
            }
            println!("results: {}", dir.join("results.json").display());
            println!("report:  {}", dir.join("report.html").display());
            let failed = results.steps.iter().filter(|s| !s.ok).count()
                + results
                    .nodes
                    .iter()
                    .filter(|n| n.error.is_some() && !(n.fault_injected && n.fault_detected_after_ms.is_some()))
                    .count();
            let passed = results.steps.iter().filter(|s| s.ok).count();
            println!("scenario {}: {passed} passed, {failed} failed", results.scenario);
            Ok(if results.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
