//! `scalegen render [--check]`: render in memory, then write atomically or report drift.

use super::{load, ExitStatus};
use crate::cli::InputArgs;
use crate::config::validate::Options;
use crate::output::{self, Change};
use std::path::Path;

/// Renders into `out`, or with `check` compares and reports drift.
pub fn run(input: &InputArgs, out: &Path, check: bool) -> ExitStatus {
    let Some(loaded) = load(input, Options::default()) else {
        return ExitStatus::InvalidInput;
    };
    let schedule = crate::schedule::compile::compile(&loaded.model);
    let files = match crate::render::render_all(&loaded.model, &schedule) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: internal error, nothing was written: {e}");
            eprintln!("{}", super::INTERNAL_NOTE);
            return ExitStatus::Internal;
        }
    };
    if !sizes_acceptable(&files, input.deny_warnings) {
        return ExitStatus::InvalidInput;
    }
    let changes = match output::diff(out, &files) {
        Ok(changes) => changes,
        Err(e) => {
            eprintln!(
                "error: cannot read output directory `{}`: {e}",
                out.display()
            );
            return ExitStatus::InvalidInput;
        }
    };
    if check {
        return report_drift(input, out, &changes, files.len());
    }
    let mut foreign = false;
    for change in &changes {
        if let Change::Foreign { path, what, at } = change {
            eprintln!("error: {}", output::foreign_message(path, what, at));
            foreign = true;
        }
    }
    if foreign {
        eprintln!("error: nothing was written to `{}`", out.display());
        return ExitStatus::InvalidInput;
    }
    if let Err(e) = output::apply(out, &changes) {
        eprintln!(
            "error: writing `{}` failed, nothing in it was changed: {e}",
            out.display()
        );
        return ExitStatus::InvalidInput;
    }
    let (written, removed) = count(&changes);
    emitln!(
        "rendered {} files into {} ({written} written, {removed} removed, {} unchanged)",
        files.len(),
        out.display(),
        files.len() - written
    );
    ExitStatus::Success
}

/// Reports every object too large for the cluster (an error) or for `kubectl apply` (a
/// warning, an error with `--deny-warnings`); whether rendering may go on.
fn sizes_acceptable(files: &[crate::render::file::RenderedFile], deny_warnings: bool) -> bool {
    let problems = crate::render::limits::check(files);
    let mut fatal = false;
    for p in &problems {
        let level = if p.rejected { "error" } else { "warning" };
        eprintln!("{level}: {}", p.message);
        eprintln!("  = help: fewer territories, workloads or calendar entries per configuration make it smaller");
        fatal |= p.rejected || deny_warnings;
    }
    if fatal {
        eprintln!("error: rendered objects exceed what the cluster accepts; nothing was written");
    }
    !fatal
}

/// (written, removed) of a change set.
fn count(changes: &[Change]) -> (usize, usize) {
    let removed = changes
        .iter()
        .filter(|c| matches!(c, Change::Stale { .. }))
        .count();
    (changes.len() - removed, removed)
}

fn report_drift(input: &InputArgs, out: &Path, changes: &[Change], total: usize) -> ExitStatus {
    if changes.is_empty() {
        emitln!("{} is up to date ({total} files)", out.display());
        return ExitStatus::Success;
    }
    for change in changes {
        let what = match change {
            Change::Missing { .. } => "missing",
            Change::Changed { .. } => "changed",
            Change::Stale { .. } => "stale",
            Change::Foreign { .. } => "foreign",
        };
        emitln!("{what}: {}", change.path());
        super::emit(&output::unified_diff(change));
    }
    emitln!("drift: {} of {total} files differ in {}; run `scalegen render{} --out {}` and commit the result",
        changes.len(),
        out.display(),
        super::input_flags(input),
        super::shell_word(&out.to_string_lossy())
    );
    ExitStatus::Failed
}
