//! `scalegen completions SHELL`: a shell completion script.

use super::ExitStatus;
use crate::cli::Cli;
use clap::CommandFactory;

/// Prints the completion script for `shell`.
pub fn run(shell: clap_complete::Shell) -> ExitStatus {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "scalegen",
        &mut std::io::stdout(),
    );
    ExitStatus::Success
}
