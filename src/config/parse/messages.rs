//! serde's error messages as diagnostics: unknown keys with a "did you mean", missing
//! keys with the line to add.

use crate::diag::{did_you_mean, Closeness, Diagnostic, Location};
use std::ops::Range;

/// `span` cut at the end of its first line (a table's span down to its `[header]`).
pub(super) fn first_line(text: &str, span: Range<usize>) -> Range<usize> {
    let end = text
        .get(span.clone())
        .and_then(|s| s.find('\n'))
        .map_or(span.end, |i| span.start + i);
    span.start..end
}

/// Words between backticks in a serde message (`` unknown field `x`, expected `a`, `b` ``).
pub(super) fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// A diagnostic from a serde/TOML error message, with a "did you mean" for unknown keys
/// and a quoting hint for native TOML dates.
pub(super) fn serde_diagnostic(
    file: &str,
    message: &str,
    span: Range<usize>,
    text: &str,
) -> Diagnostic {
    let message = message.trim().trim_end_matches('\n');
    let loc = Location {
        file: file.to_string(),
        span,
    };
    let words = backticked(message);
    if message.starts_with("unknown field") {
        if let Some((field, expected)) = words.split_first() {
            let d = Diagnostic::error(format!("unknown key `{field}`"), loc);
            return match did_you_mean(field, expected.iter().copied(), Closeness::Spelling) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "expected one of {}",
                    expected
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
        }
    }
    if message.starts_with("missing field") {
        if let Some(field) = words.first() {
            return Diagnostic::error(format!("missing required key `{field}`"), loc)
                .with_help(format!("add `{field} = …` to this table"));
        }
    }
    let _ = text;
    Diagnostic::error(message.replace('\n', " "), loc)
}
