//! Size limits of keys and strings, checked on the span-preserving document before
//! serde sees the file, so no later message quotes a huge value.

use crate::diag::{Diagnostic, Location};
use std::ops::Range;

/// Longest key or string value (in bytes) the parser accepts: names, ids, URLs and images
/// are far shorter, and every later message quotes values.
pub const MAX_VALUE_BYTES: usize = 1024;
/// Longest value of a `body` key (a load test's request body, `[workloads.W.loadtest]`):
/// request bodies are data, not names, so they get more room; validation caps them at
/// the same size and never quotes or fuzzy-matches them.
pub const MAX_BODY_BYTES: usize = 65_536;

/// Reports every key and string below `item` longer than [`MAX_VALUE_BYTES`].
pub(super) fn overlong_item(file: &str, item: &toml_edit::Item, diags: &mut Vec<Diagnostic>) {
    match item {
        toml_edit::Item::Value(v) => overlong_value(file, v, diags),
        toml_edit::Item::Table(t) => overlong_table(file, t, diags),
        toml_edit::Item::ArrayOfTables(a) => {
            for t in a.iter() {
                overlong_table(file, t, diags);
            }
        }
        toml_edit::Item::None => {}
    }
}

/// Reports the overlong keys and values of one table (a `body` gets [`MAX_BODY_BYTES`]).
fn overlong_table(file: &str, table: &dyn toml_edit::TableLike, diags: &mut Vec<Diagnostic>) {
    for (key, item) in table.iter() {
        if key.len() > MAX_VALUE_BYTES {
            let span = table.key(key).and_then(|k| k.span()).unwrap_or(0..0);
            diags.push(overlong(file, "key", key.len(), span, MAX_VALUE_BYTES));
        }
        match item.as_value() {
            Some(toml_edit::Value::String(s)) if key == "body" => {
                if s.value().len() > MAX_BODY_BYTES {
                    let span = s.span().unwrap_or(0..0);
                    diags.push(overlong(
                        file,
                        "string",
                        s.value().len(),
                        span,
                        MAX_BODY_BYTES,
                    ));
                }
            }
            _ => overlong_item(file, item, diags),
        }
    }
}

/// Reports an overlong string value, or the overlong parts of an array or inline table.
fn overlong_value(file: &str, value: &toml_edit::Value, diags: &mut Vec<Diagnostic>) {
    match value {
        toml_edit::Value::String(s) if s.value().len() > MAX_VALUE_BYTES => {
            let span = s.span().unwrap_or(0..0);
            diags.push(overlong(
                file,
                "string",
                s.value().len(),
                span,
                MAX_VALUE_BYTES,
            ));
        }
        toml_edit::Value::Array(a) => {
            for v in a.iter() {
                overlong_value(file, v, diags);
            }
        }
        toml_edit::Value::InlineTable(t) => overlong_table(file, t, diags),
        _ => {}
    }
}

/// The diagnostic of a `what` (key or string) of `len` bytes over `max`, at its first byte.
fn overlong(file: &str, what: &str, len: usize, span: Range<usize>, max: usize) -> Diagnostic {
    let at = span.start..span.start + 1;
    Diagnostic::error(
        format!("{what} of {len} bytes is too long (at most {max})"),
        Location {
            file: file.to_string(),
            span: at,
        },
    )
    .with_help("no key or value of a scalegen configuration is that long")
}
