//! The subcommands, one file each: each reads its arguments ([`crate::cli`]), runs the
//! stages it needs and ends with an [`ExitStatus`]. The binary (`main.rs`) parses the
//! command line and picks the subcommand; this module holds what they share: the exit
//! status, writing to stdout, and loading the input with its diagnostics.
//!
//! Exit codes (all subcommands): 0 success / no drift, 1 drift (`render --check`) or a
//! failed expectation, 2 invalid input or usage, 3 an internal error (a bug in scalegen).

use crate::cli::InputArgs;
use crate::config::validate::{Loaded, Options};
use crate::report::ReportError;
use std::process::ExitCode;

/// `println!` through [`emit`].
macro_rules! emitln {
    ($($arg:tt)*) => {
        $crate::commands::emit(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub mod check_build;
pub mod completions;
pub mod explain;
pub mod init;
pub mod plan;
pub mod render;
pub mod schema;
pub mod simulate;
pub mod validate;

/// How a subcommand ended; the process exit code is its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; nothing to report (`render --check`: no drift).
    Success = 0,
    /// Drift (`render --check`) or another failed expectation.
    Failed = 1,
    /// Invalid input or usage: nothing was written.
    InvalidInput = 2,
    /// A bug in scalegen: nothing was written.
    Internal = 3,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// Writes to stdout; a closed pipe (`scalegen schema | head`) ends the output quietly.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(ExitStatus::Success as i32);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(ExitStatus::InvalidInput as i32);
    }
}

/// Loads and validates, then applies `--env`; prints diagnostics; `None` means invalid input.
fn load(input: &InputArgs, options: Options) -> Option<Loaded> {
    match crate::config::validate::load_model_with(&input.config, &input.calendars, options) {
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
            with_environment(input, loaded)
        }
        Err(failure) => {
            eprint!("{}", failure.render());
            None
        }
    }
}

/// `loaded` with the environment of `--env` applied, or `None` (and why) when the
/// configuration has no such environment.
fn with_environment(input: &InputArgs, mut loaded: Loaded) -> Option<Loaded> {
    let Some(name) = &input.env else {
        return Some(loaded);
    };
    if let Some(model) = loaded.model.for_environment(name) {
        loaded.model = model;
        return Some(loaded);
    }
    let names: Vec<&str> = loaded
        .model
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    eprintln!(
        "error: unknown environment `{name}` in {}",
        input.config.display()
    );
    let help = match crate::diag::did_you_mean(
        name,
        names.iter().copied(),
        crate::diag::Closeness::Spelling,
    ) {
        Some(s) => format!("did you mean `{s}`?"),
        None if names.is_empty() => {
            "the configuration defines no environments; add an `[environments.NAME]` table".into()
        }
        None => format!("configured environments: {}", names.join(", ")),
    };
    eprintln!("  = help: {help}");
    None
}

/// The input flags of this run that differ from the defaults, as a command line would
/// repeat them (` --config x.toml --env staging`), for hints that name a command.
fn input_flags(input: &InputArgs) -> String {
    let mut flags = String::new();
    if input.config != std::path::Path::new("territories.toml") {
        flags.push_str(&format!(
            " --config {}",
            shell_word(&input.config.to_string_lossy())
        ));
    }
    if input.calendars != std::path::Path::new("calendars") {
        flags.push_str(&format!(
            " --calendars {}",
            shell_word(&input.calendars.to_string_lossy())
        ));
    }
    if let Some(env) = &input.env {
        flags.push_str(&format!(" --env {}", shell_word(env)));
    }
    flags
}

/// `word` quoted for a POSIX shell when it needs quoting.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Loads the input, then prints the report `f` makes of the model (or why it cannot).
fn with_model(
    input: &InputArgs,
    f: impl FnOnce(&Loaded) -> Result<String, ReportError>,
) -> ExitStatus {
    let Some(loaded) = load(input, Options::default()) else {
        return ExitStatus::InvalidInput;
    };
    finish(f(&loaded))
}

/// Prints a report, or why it could not be made, and says how the command ends.
fn finish(report: Result<String, ReportError>) -> ExitStatus {
    match report {
        Ok(text) => {
            emit(&text);
            ExitStatus::Success
        }
        Err(e @ ReportError::Invalid(_)) => {
            eprintln!("error: {e}");
            ExitStatus::InvalidInput
        }
        Err(e @ ReportError::Internal(_)) => {
            eprintln!("error: {e}");
            eprintln!("{INTERNAL_NOTE}");
            ExitStatus::Internal
        }
    }
}

/// The line after every internal error.
const INTERNAL_NOTE: &str =
    "  = note: this is a bug in scalegen; please report it with your input files";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_exit_3_and_usage_errors_2() {
        let internal = ReportError::Internal("no compiled cron triggers for DE.queries".into());
        assert_eq!(finish(Err(internal)), ExitStatus::Internal);
        assert_eq!(ExitCode::from(ExitStatus::Internal), ExitCode::from(3));
        let invalid = ReportError::Invalid("unknown territory `XX`".into());
        assert_eq!(finish(Err(invalid)), ExitStatus::InvalidInput);
        assert_eq!(ExitCode::from(ExitStatus::InvalidInput), ExitCode::from(2));
    }
}
