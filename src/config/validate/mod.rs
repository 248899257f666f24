//! Validate stage: raw spanned TOML → [`Model`], or every problem at once.
//!
//! Each rule of SPEC §2 is checked here and reported as a spanned diagnostic; the
//! validator keeps going after a problem so one run lists everything. Only a fully
//! valid configuration produces a `Model`, and nothing after this stage reads TOML.

mod calendars;
mod checks;
mod environments;
mod events;
mod operations;
mod pod_security;
mod pods;
pub mod rules;
mod territories;
mod traffic;

use crate::config::load::{self, Sources};
use crate::config::model::Model;
use crate::config::parse::{self, Parsed, RawCalendarFile};
use crate::diag::{has_errors, Diagnostic, Location, SourceMap};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::Path;

/// A valid model plus the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The validated configuration.
    pub model: Model,
    /// Warnings (valid but suspicious input).
    pub warnings: Vec<Diagnostic>,
    /// Source texts, for rendering the warnings.
    pub sources: SourceMap,
    /// Where each calendar entry's last day (`to`) is written, by id: for the
    /// warnings later stages add about an entry.
    pub entry_places: BTreeMap<String, Location>,
}

/// Invalid input: every diagnostic (errors and warnings) and the texts to render them.
#[derive(Debug)]
pub struct Failure {
    /// All diagnostics, errors first in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Source texts.
    pub sources: SourceMap,
}

impl Failure {
    /// Rustc-style text of every diagnostic plus a summary line.
    pub fn render(&self) -> String {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let mut text = crate::diag::render(&self.diagnostics, &self.sources);
        text.push_str(&format!(
            "error: invalid configuration ({errors} error{})\n",
            if errors == 1 { "" } else { "s" }
        ));
        text
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Failure {}

/// Options that change what validation reports (never what a model contains).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Warn about dated entries whose last day is before this date.
    pub today: Option<NaiveDate>,
}

/// Loads and validates the configuration at `config` and `calendars`.
pub fn load_model(config: &Path, calendars: &Path) -> Result<Loaded, Failure> {
    load_model_with(config, calendars, Options::default())
}

/// [`load_model`] with options.
pub fn load_model_with(
    config: &Path,
    calendars: &Path,
    options: Options,
) -> Result<Loaded, Failure> {
    match load::load(config, calendars) {
        Ok(sources) => validate_sources(&sources, options),
        Err(failure) => Err(Failure {
            diagnostics: failure.diagnostics,
            sources: failure.sources,
        }),
    }
}

/// Validates in-memory texts (tests, fuzzing): the territories file and `(name, text)` calendars.
pub fn model_from_strs(territories: &str, calendars: &[(&str, &str)]) -> Result<Model, Failure> {
    let sources = Sources {
        territories: load::SourceFile {
            name: "territories.toml".into(),
            text: territories.into(),
        },
        calendars: calendars
            .iter()
            .map(|(name, text)| load::SourceFile {
                name: format!("calendars/{name}"),
                text: (*text).into(),
            })
            .collect(),
    };
    validate_sources(&sources, Options::default()).map(|l| l.model)
}

/// Validates loaded sources into a model.
pub fn validate_sources(sources: &Sources, options: Options) -> Result<Loaded, Failure> {
    let mut v = Validator {
        diags: Vec::new(),
        options,
        places: BTreeMap::new(),
        broken_territories: Vec::new(),
    };
    let model = v.run(sources);
    let source_map = sources.source_map();
    sort_by_position(&mut v.diags, sources);
    match model {
        Some(model) if !has_errors(&v.diags) => Ok(Loaded {
            model,
            warnings: v.diags,
            sources: source_map,
            entry_places: v
                .places
                .iter()
                .filter(|((what, _), _)| *what == "to")
                .map(|((_, id), at)| (id.clone(), at.clone()))
                .collect(),
        }),
        _ => Err(Failure {
            diagnostics: v.diags,
            sources: source_map,
        }),
    }
}

/// Where an id was first defined, for duplicate-id notes.
type IdSeen = BTreeMap<String, Location>;

/// The state of one validation run: the diagnostics so far and where things are written.
struct Validator {
    diags: Vec<Diagnostic>,
    options: Options,
    /// Where each entry's `days` (or, without one, its id) and each dated `to` is written.
    places: BTreeMap<(&'static str, String), Location>,
    /// Territories that are configured but invalid (their errors are already reported).
    broken_territories: Vec<String>,
}

impl Validator {
    fn run(&mut self, sources: &Sources) -> Option<Model> {
        let t = &sources.territories;
        let parsed = parse::parse_territories(&t.name, &t.text, &mut self.diags);
        let calendars: Vec<Parsed<RawCalendarFile>> = sources
            .calendars
            .iter()
            .filter_map(|c| parse::parse_file(&c.name, &c.text, &mut self.diags))
            .collect();
        let base = parsed.and_then(|p| self.territories_file(&p));
        let complete = base.as_ref().is_some_and(|(_, complete)| *complete);
        let base = base.map(|(model, _)| model);
        let mut entries = Vec::new();
        let mut blackouts = Vec::new();
        let mut ids = IdSeen::new();
        if let Some(base) = &base {
            for file in &calendars {
                self.calendar_file(base, file, &mut ids, &mut entries, &mut blackouts);
            }
            self.check_days_filters(base, &entries, &blackouts);
        }
        let mut model = base.filter(|_| complete)?;
        model.entries = entries;
        model.blackouts = blackouts;
        self.check_environment_floors(&model);
        self.report_inexpressible(&model);
        self.warn_past_entries(&model);
        self.warn_dst_edges(&model);
        Some(model)
    }

    fn error(&mut self, message: impl Into<String>, at: Location) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(message, at));
        self.diags.last_mut().expect("just pushed")
    }
}

/// Orders diagnostics as the input reads: territories file first, then calendars in
/// name order, each by position (stable, so equal positions keep their check order).
fn sort_by_position(diags: &mut [Diagnostic], sources: &Sources) {
    let rank = |file: &str| {
        std::iter::once(&sources.territories)
            .chain(&sources.calendars)
            .position(|s| s.name == file)
            .unwrap_or(usize::MAX)
    };
    diags.sort_by_key(|d| (rank(&d.location.file), d.location.span.start));
}
