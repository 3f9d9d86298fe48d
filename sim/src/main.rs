//! `sim`: boots mbpf firmware nodes, replays YAML scenarios, writes results.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod backend;
mod bench;
mod compare;
mod provenance;
mod report;
mod run;
mod scenario;

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
    },
    /// List the scenarios in scenarios/.
    List,
    /// Check a scenario file without running it.
    Validate { scenario: String },
    /// Compare a run's figures with a baseline: non-zero exit when any grew beyond the
    /// tolerance or is missing. BASELINE and RUN are results.json files, run folders, or
    /// scenario folders (their newest run).
    Compare {
        baseline: PathBuf,
        run: PathBuf,
        /// Allowed growth, as a fraction (0.02 = 2 %).
        #[arg(long, default_value_t = 0.02)]
        tolerance: f64,
    },
}

/// The repository root: this crate's parent folder.
fn repo_root() -> PathBuf {
    tools::firmware::repo_root()
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
                    Ok(s) => println!("{:<20} {}", s.name, s.description),
                    Err(e) => println!("{:<20} INVALID: {e}", path.file_stem().unwrap_or_default().to_string_lossy()),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare { baseline, run, tolerance } => {
            let read = |p: &PathBuf| -> anyhow::Result<serde_json::Value> {
                let f = compare::results_file(p)?;
                let text = std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
                serde_json::from_str(&text).with_context(|| format!("{} is not a results.json", f.display()))
            };
            let rows = compare::compare(&read(&baseline)?, &read(&run)?, tolerance, 40);
            anyhow::ensure!(!rows.is_empty(), "the baseline has no figures to compare");
            print!("{}", compare::table(&rows));
            let regressed = rows.iter().filter(|r| r.regressed).count();
            println!("compare: {} passed, {regressed} failed", rows.len() - regressed);
            Ok(if regressed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Validate { scenario } => {
            let path = scenario::resolve(&scenario, &scenarios)?;
            let s = scenario::Scenario::load(&path)?;
            println!("{}: ok ({} nodes, {} steps)", path.display(), s.nodes.len(), s.steps.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Scenario { scenario, results } => {
            let path = scenario::resolve(&scenario, &scenarios)?;
            let s = scenario::Scenario::load(&path)?;
            let runner = run::Runner { repo: repo.clone(), results_root: results.unwrap_or_else(|| repo.join("results")) };
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
                    (Some(e), _) => println!("node {:<10} FAILED: {e}", n.name),
                    (None, Some(ms)) => println!("node {:<10} ready after {ms} ms", n.name),
                    _ => {}
                }
            }
            for st in &results.steps {
                let status = if st.ok { "ok".to_string() } else { format!("FAILED: {}", st.error.clone().unwrap_or_default()) };
                println!("step {:<6} on {:<10} {status}", st.step, st.node);
            }
            if !results.benchmarks.is_empty() {
                println!("\n{}", bench::table(&results.benchmarks));
            }
            println!("results: {}", dir.join("results.json").display());
            println!("report:  {}", dir.join("report.md").display());
            let failed = results.steps.iter().filter(|s| !s.ok).count() + results.nodes.iter().filter(|n| n.error.is_some()).count();
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
