//! `scalegen schema territories|calendar [--config FILE]`: the JSON Schema of one input
//! file kind, enumerating the configured names when a territories file is at hand.

use super::{emit, ExitStatus};
use crate::cli::SchemaKind;
use crate::config::schema::{self, FileKind, Known};
use crate::config::validate::{validate_sources, Options};
use std::path::Path;

/// Prints the schema of `kind`. An explicit `--config` must validate (exit 2 otherwise);
/// without one, `./territories.toml` is used when it exists and validates, else the
/// schema falls back to the naming patterns (and says so on stderr).
pub fn run(kind: SchemaKind, config: Option<&Path>) -> ExitStatus {
    let known = match config {
        Some(path) => match known(path) {
            Ok(k) => Some(k),
            Err(text) => {
                eprint!("{text}");
                return ExitStatus::InvalidInput;
            }
        },
        None => {
            let default = Path::new("territories.toml");
            match default.exists().then(|| known(default)) {
                Some(Ok(k)) => Some(k),
                Some(Err(_)) => {
                    eprintln!("note: ./territories.toml does not validate; the schema checks territory and workload names by pattern only");
                    None
                }
                None => None,
            }
        }
    };
    emit(&schema_text(kind, known.as_ref()));
    ExitStatus::Success
}

/// The schema of `kind` as pretty JSON with a final newline (what `run` prints and `init`
/// writes).
pub fn schema_text(kind: SchemaKind, known: Option<&Known>) -> String {
    let kind = match kind {
        SchemaKind::Territories => FileKind::Territories,
        SchemaKind::Calendar => FileKind::Calendar,
    };
    let value = schema::schema(kind, known);
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).expect("schemas serialize")
    )
}

/// The names of the territories file at `path`, or its rendered diagnostics.
fn known(path: &Path) -> Result<Known, String> {
    let sources = crate::config::load::load_territories(path)
        .map_err(|f| crate::diag::render(&f.diagnostics, &f.sources))?;
    validate_sources(&sources, Options::default())
        .map(|loaded| Known::from_model(&loaded.model))
        .map_err(|failure| failure.render())
}
