//! Command line: subcommands, their flags and what each exit code means.
//!
//! Exit codes (all subcommands): 0 success / no drift, 1 drift (`render --check`) or a
//! failed expectation, 2 invalid input or usage, 3 an internal error (a template bug).

use crate::output::{self, Change};
use crate::validate::{self, Loaded, Options};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of explain and plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
    /// CSV (plan and simulate).
    Csv,
}

/// scalegen: compile a seasonal business calendar into KEDA scaling, alerts, a migration and a runbook.
#[derive(Debug, Parser)]
#[command(name = "scalegen", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the input lives.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// The territories file.
    #[arg(long, default_value = "territories.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// The directory of calendar files (`*.toml`, read in name order).
    #[arg(long, default_value = "calendars", value_name = "DIR")]
    pub calendars: PathBuf,
    /// Treat warnings as errors (exit 2).
    #[arg(long)]
    pub deny_warnings: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render every artefact into --out (atomically; nothing is written on any error).
    Render {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// Output directory.
        #[arg(long, default_value = "deploy/generated", value_name = "DIR")]
        out: PathBuf,
        /// Write nothing; report drift as unified diffs and exit 1 if there is any.
        #[arg(long)]
        check: bool,
    },
    /// Check the input and print every problem.
    Validate {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// Warn about dated entries that ended before this date (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<String>,
    },
    /// Show the replica floor KEDA enforces at one instant, and why.
    Explain {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// What to explain.
        #[command(flatten)]
        args: crate::explain::ExplainArgs,
    },
    /// Floors, replica-hours and savings over a date range.
    Plan {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// What to plan.
        #[command(flatten)]
        args: crate::planning::PlanArgs,
    },
    /// Replay a traffic model through KEDA and the HPA: cost and risk of four strategies.
    Simulate {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// What to simulate.
        #[command(flatten)]
        args: crate::simulate::SimulateArgs,
    },
    /// Write the example configuration (territories.toml + calendars/) into DIR.
    Init {
        /// Target directory (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the JSON Schema of territories.toml and of calendar files.
    Schema,
    /// Print a shell completion script.
    Completions {
        /// Shell to generate for.
        shell: clap_complete::Shell,
    },
}

/// Writes to stdout; a closed pipe (`scalegen schema | head`) ends the output quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

/// `println!` through [`emit`].
macro_rules! emitln {
    ($($arg:tt)*) => {
        emit(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    ExitCode::from(run(cli.command))
}

fn run(command: Command) -> u8 {
    match command {
        Command::Render { input, out, check } => render(&input, &out, check),
        Command::Validate { input, today } => validate_cmd(&input, today.as_deref()),
        Command::Explain { input, args } => with_model(&input, |l| {
            let schedule = crate::compile::compile(&l.model);
            crate::explain::run(&l.model, &schedule, &args)
        }),
        Command::Plan { input, args } => with_model(&input, |l| {
            let schedule = crate::compile::compile(&l.model);
            crate::planning::run(&l.model, &schedule, &args)
        }),
        Command::Simulate { input, args } => with_model(&input, |l| {
            let schedule = crate::compile::compile(&l.model);
            crate::simulate::run(&l.model, &schedule, &args)
        }),
        Command::Init { dir } => init(&dir),
        Command::Schema => {
            emit(&format!("{}\n", schema_json()));
            0
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "scalegen",
                &mut std::io::stdout(),
            );
            0
        }
    }
}

/// Loads and validates; prints diagnostics; `None` means exit 2.
fn load(input: &InputArgs, options: Options) -> Option<Loaded> {
    match validate::load_model_with(&input.config, &input.calendars, options) {
        Ok(loaded) => {
            if !loaded.warnings.is_empty() {
                eprint!("{}", crate::diag::render(&loaded.warnings, &loaded.sources));
                if input.deny_warnings {
                    eprintln!(
                        "error: {} warning(s) denied by --deny-warnings",
                        loaded.warnings.len()
                    );
                    return None;
                }
            }
            Some(loaded)
        }
        Err(failure) => {
            eprint!("{}", failure.render());
            None
        }
    }
}

fn with_model(input: &InputArgs, f: impl FnOnce(&Loaded) -> Result<String, String>) -> u8 {
    let Some(loaded) = load(input, Options::default()) else {
        return 2;
    };
    match f(&loaded) {
        Ok(text) => {
            emit(&text);
            0
        }
        Err(message) => {
            eprintln!("error: {message}");
            2
        }
    }
}

fn render(input: &InputArgs, out: &Path, check: bool) -> u8 {
    let Some(loaded) = load(input, Options::default()) else {
        return 2;
    };
    let schedule = crate::compile::compile(&loaded.model);
    let files = match crate::render::render_all(&loaded.model, &schedule) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: internal error, nothing was written: {e}");
            eprintln!(
                "  = note: this is a bug in scalegen; please report it with your input files"
            );
            return 3;
        }
    };
    let changes = match output::diff(out, &files) {
        Ok(changes) => changes,
        Err(e) => {
            eprintln!(
                "error: cannot read output directory `{}`: {e}",
                out.display()
            );
            return 2;
        }
    };
    if check {
        return report_drift(out, &changes, files.len());
    }
    if let Err(e) = output::apply(out, &changes) {
        eprintln!("error: writing `{}` failed: {e}", out.display());
        return 2;
    }
    let (written, removed) = count(&changes);
    emitln!(
        "rendered {} files into {} ({written} written, {removed} removed, {} unchanged)",
        files.len(),
        out.display(),
        files.len() - written
    );
    0
}

fn count(changes: &[Change]) -> (usize, usize) {
    let removed = changes
        .iter()
        .filter(|c| matches!(c, Change::Stale { .. }))
        .count();
    (changes.len() - removed, removed)
}

fn report_drift(out: &Path, changes: &[Change], total: usize) -> u8 {
    if changes.is_empty() {
        emitln!("{} is up to date ({total} files)", out.display());
        return 0;
    }
    for change in changes {
        let what = match change {
            Change::Missing { .. } => "missing",
            Change::Changed { .. } => "changed",
            Change::Stale { .. } => "stale",
        };
        emitln!("{what}: {}", change.path());
        emit(&output::unified_diff(change));
    }
    emitln!("drift: {} of {total} files differ in {}; run `scalegen render --out {}` and commit the result",
        changes.len(),
        out.display(),
        out.display()
    );
    1
}

fn validate_cmd(input: &InputArgs, today: Option<&str>) -> u8 {
    let today = match today {
        None => chrono::Utc::now().date_naive(),
        Some(text) => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                eprintln!("error: --today must be YYYY-MM-DD, found `{text}`");
                return 2;
            }
        },
    };
    let Some(loaded) = load(input, Options { today: Some(today) }) else {
        return 2;
    };
    let m = &loaded.model;
    emitln!(
        "ok: {} territories, {} workloads, {} seasons/campaigns, {} blackouts",
        m.territories.len(),
        m.workloads.len(),
        m.entries.len(),
        m.blackouts.len()
    );
    0
}

fn init(dir: &Path) -> u8 {
    let targets: Vec<(PathBuf, &str)> =
        std::iter::once((dir.join("territories.toml"), crate::defaults::TERRITORIES))
            .chain(
                crate::defaults::CALENDARS
                    .iter()
                    .map(|(name, text)| (dir.join("calendars").join(name), *text)),
            )
            .collect();
    let existing: Vec<String> = targets
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        eprintln!(
            "error: refusing to overwrite existing files: {}",
            existing.join(", ")
        );
        eprintln!(
            "  = help: run `scalegen init` in an empty directory, or remove those files first"
        );
        return 2;
    }
    for (path, text) in &targets {
        let result = path
            .parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| fs_err::write(path, text));
        if let Err(e) = result {
            eprintln!("error: {e}");
            return 2;
        }
    }
    emitln!(
        "wrote {} files into {}; next: `scalegen render`",
        targets.len(),
        dir.display()
    );
    0
}

/// The JSON Schema of both input formats, keyed by file kind.
pub fn schema_json() -> String {
    let territories = schemars::schema_for!(crate::parse::RawTerritoriesFile);
    let calendar = schemars::schema_for!(crate::parse::RawCalendarFile);
    let both = serde_json::json!({
        "territories.toml": territories,
        "calendars/*.toml": calendar,
    });
    serde_json::to_string_pretty(&both).expect("schemas serialize")
}
