//! Parse stage: TOML text → raw serde types that keep spans.
//!
//! The raw types mirror the files exactly (`deny_unknown_fields`), and their JSON
//! Schema is what `scalegen schema` prints. Values that validation checks are
//! `toml::Spanned` so every later diagnostic can point at the offending text.
//!
//! One broken section must not hide problems elsewhere: each territory, workload,
//! top-level table and calendar entry is deserialized as a [`Section`], which keeps
//! its own serde error instead of failing the whole file. The error's location is
//! then recovered from a span-preserving parse of the same text (`toml_edit`).
//!
//! The raw types live in `territories` (`territories.toml` without its workloads),
//! `workloads` (`[workloads.*]`) and `calendars` (calendar files); `document` keeps the
//! parsed text to locate errors in, `limits` rejects overlong keys and strings, and
//! `messages` turns serde's messages into diagnostics. Everything is re-exported here.

mod calendars;
mod document;
mod limits;
mod messages;
mod territories;
mod workloads;

pub use calendars::{RawBlackout, RawCalendarFile, RawEntry};
pub use document::{Parsed, Seg};
pub use limits::{MAX_BODY_BYTES, MAX_VALUE_BYTES};
pub use territories::{
    RawAlerts, RawApp, RawBounds, RawEnvironment, RawEphemeralStorage, RawEvents, RawNetworkPolicy,
    RawPods, RawTerritoriesFile, RawTerritory, RawTerritoryWorkload, RawTraffic,
};
pub use workloads::{RawEnvSource, RawLoadtest, RawProbes, RawResources, RawWorkload};

use crate::diag::Diagnostic;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use limits::overlong_item;
use messages::serde_diagnostic;

/// A spanned string.
pub type SStr = Spanned<String>;

/// A part of a file that deserializes on its own: either the value or its error.
#[derive(Debug, Clone)]
pub enum Section<T> {
    /// Deserialized fine.
    Ok(T),
    /// Failed; the message and the key path inside the section (from the TOML error).
    Invalid {
        /// serde's message, e.g. ``unknown field `timezon`, expected …``.
        message: String,
        /// Keys below the section where the problem is, outermost first.
        keys: Vec<String>,
    },
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Section<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match T::deserialize(d) {
            Ok(v) => Ok(Section::Ok(v)),
            Err(e) => {
                // toml_edit renders a span-less error as "message\nin `a.b`\n".
                let text = e.to_string();
                let (message, keys) = match text.trim_end().rsplit_once("\nin `") {
                    Some((msg, rest)) => (
                        msg.to_string(),
                        rest.trim_end_matches('`')
                            .split('.')
                            .map(str::to_string)
                            .collect(),
                    ),
                    None => (text.trim_end().to_string(), Vec::new()),
                };
                Ok(Section::Invalid { message, keys })
            }
        }
    }
}

impl<T: JsonSchema> JsonSchema for Section<T> {
    fn schema_name() -> String {
        T::schema_name()
    }
    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        T::json_schema(gen)
    }
    fn is_referenceable() -> bool {
        T::is_referenceable()
    }
}

/// Parses a file into `T`; a syntax error (or a top-level structural one) is one diagnostic,
/// overlong keys and strings one each (and the file goes no further).
pub fn parse_file<T: for<'de> Deserialize<'de>>(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Parsed<T>> {
    let doc = toml_edit::ImDocument::parse(text.to_string()).ok();
    if let Some(doc) = &doc {
        let before = diags.len();
        overlong_item(file, doc.as_item(), diags);
        if diags.len() > before {
            return None;
        }
    }
    match toml::from_str::<T>(text) {
        Ok(raw) => Some(Parsed {
            file: file.to_string(),
            doc,
            raw,
        }),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            diags.push(serde_diagnostic(file, e.message(), span, text));
            None
        }
    }
}

/// Parses `territories.toml`.
pub fn parse_territories(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Parsed<RawTerritoriesFile>> {
    parse_file(file, text, diags)
}
