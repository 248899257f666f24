//! The `scalegen` binary: parses the command line (`scalegen::cli`) and runs the
//! subcommand (`scalegen::commands`), whose [`ExitStatus`] is the exit code.

use clap::Parser;
use scalegen::cli::{Cli, Command};
use scalegen::commands::{self, ExitStatus};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::InvalidInput
            } else {
                ExitStatus::Success
            }
            .into();
        }
    };
    run(cli.command).into()
}

/// Runs one subcommand.
fn run(command: Command) -> ExitStatus {
    match command {
        Command::Render { input, out, check } => commands::render::run(&input, &out, check),
        Command::Validate { input, today } => commands::validate::run(&input, today.as_deref()),
        Command::Explain { input, args } => commands::explain::run(&input, &args),
        Command::Plan { input, args } => commands::plan::run(&input, &args),
        Command::CheckBuild {
            file,
            deny_warnings,
        } => commands::check_build::run(file.as_deref(), deny_warnings),
        Command::Simulate { input, args } => commands::simulate::run(&input, &args),
        Command::Init { dir } => commands::init::run(&dir),
        Command::Schema { kind, config } => commands::schema::run(kind, config.as_deref()),
        Command::Completions { shell } => commands::completions::run(shell),
    }
}
