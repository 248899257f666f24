//! `scalegen check-build [FILE|-]`: the broken references of a final kustomize build.

use super::{emit, ExitStatus};
use crate::report::build;
use std::io::Read as _;
use std::path::Path;

/// Reads the build from `file` (`-` or none: stdin), reports every broken reference;
/// exit 1 when there is an error (or a warning, with `deny_warnings`), 2 when the build
/// cannot be read.
pub fn run(file: Option<&Path>, deny_warnings: bool) -> ExitStatus {
    let (name, text) = match read(file) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::InvalidInput;
        }
    };
    let objects = match build::objects(&text) {
        Ok(objects) => objects,
        Err(e) => {
            eprintln!("error: {name}: {e}");
            eprintln!("  = help: pass the output of `kubectl kustomize DIR` (multi-document YAML)");
            return ExitStatus::InvalidInput;
        }
    };
    let problems = build::check(&objects);
    emit(&build::text(&problems, objects.len()));
    let fails = |p: &build::Problem| deny_warnings || !p.broken.is_warning();
    if problems.iter().any(fails) {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    }
}

fn read(file: Option<&Path>) -> Result<(String, String), String> {
    match file {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => fs_err::read_to_string(p)
            .map(|t| (p.display().to_string(), t))
            .map_err(|e| e.to_string()),
    }
}

fn read_stdin() -> Result<(String, String), String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the build from stdin: {e}"))?;
    Ok(("<stdin>".into(), text))
}
