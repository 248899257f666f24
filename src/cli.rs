//! The command line: subcommands and their flags (clap definitions only).
//!
//! What each subcommand does, and which exit code it ends with, is in
//! [`crate::commands`]; this module only says what can be typed.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
    /// Apply the overrides of `[environments.NAME]` (namespace, image, URLs, replica bounds).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
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
        args: ExplainArgs,
    },
    /// Floors, replica-hours and savings over a date range.
    Plan {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// What to plan.
        #[command(flatten)]
        args: PlanArgs,
    },
    /// Report the broken references of a final `kubectl kustomize` build (exit 1 if any).
    CheckBuild {
        /// The build (multi-document YAML); `-` or none reads stdin.
        #[arg(value_name = "FILE|-")]
        file: Option<PathBuf>,
        /// Fail (exit 1) on warnings too: ScaledObject names inside PromQL that a
        /// namePrefix/nameSuffix overlay changed.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Replay a traffic model through KEDA and the HPA: cost and risk of four strategies.
    Simulate {
        /// Input files.
        #[command(flatten)]
        input: InputArgs,
        /// What to simulate.
        #[command(flatten)]
        args: SimulateArgs,
    },
    /// Write the example configuration (territories.toml + calendars/) into DIR.
    Init {
        /// Target directory (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the JSON Schema (draft 2020-12) of territories.toml or of a calendar file.
    Schema {
        /// Which file the schema describes.
        #[arg(value_enum)]
        kind: SchemaKind,
        /// Enumerate the territories, regions and workloads of this territories file (default:
        /// ./territories.toml when it exists; without one the schema checks names by pattern).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions {
        /// Shell to generate for.
        shell: clap_complete::Shell,
    },
}

/// The input files `scalegen schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// `territories.toml`.
    Territories,
    /// A file of `calendars/`.
    Calendar,
}

/// Arguments of `scalegen explain`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// Instant to explain: `2026-10-03T09:15` (local to each territory) or with an offset.
    #[arg(long)]
    pub at: String,
    /// Only this territory.
    #[arg(long)]
    pub territory: Option<String>,
    /// Only this workload.
    #[arg(long)]
    pub workload: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// Output formats of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

/// Arguments of `scalegen plan`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// First day (local), `YYYY-MM-DD`.
    #[arg(long)]
    pub from: String,
    /// Last day (local, inclusive), `YYYY-MM-DD`.
    #[arg(long)]
    pub to: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Also draw the range as an SVG chart into this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
    /// CSV, one row per interval.
    Csv,
}

/// Arguments of `scalegen simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// First day (local midnight of each territory), `YYYY-MM-DD`.
    #[arg(long)]
    pub from: String,
    /// End day, exclusive (local midnight of each territory), `YYYY-MM-DD`.
    #[arg(long)]
    pub to: String,
    /// Only this territory.
    #[arg(long)]
    pub territory: Option<String>,
    /// Only this workload.
    #[arg(long)]
    pub workload: Option<String>,
    /// Multiply all demand by this factor (> 0), e.g. 5 for the seed's "5× Oktoberfest".
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Text)]
    pub format: SimulateFormat,
    /// Draw one local day (`--day`) of every selected deployment as an SVG chart.
    #[arg(long, requires = "day", value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// The local day `--svg` draws, `YYYY-MM-DD`, inside the simulated range.
    #[arg(long, requires = "svg", value_name = "YYYY-MM-DD")]
    pub day: Option<String>,
}

/// Output formats of `simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimulateFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
    /// CSV, one row per deployment and strategy.
    Csv,
}
