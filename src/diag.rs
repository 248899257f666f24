//! Diagnostics: every problem any stage finds, rendered like rustc.
//!
//! Stages collect [`Diagnostic`]s instead of stopping at the first problem, so one
//! `scalegen validate` run shows everything that is wrong. A diagnostic points at a
//! byte span of a source file (kept from the TOML parser); rendering turns that into
//! `--> file:line:col`, a snippet with carets, and `help:`/`note:` lines.

use annotate_snippets::{Level, Message, Renderer, Snippet};
use std::ops::Range;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Invalid input: exit 2, nothing written.
    Error,
    /// Suspicious but valid input; an error only under `--deny-warnings`.
    Warning,
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File name as shown to the user.
    pub file: String,
    /// Byte range in the file's text (may be empty, e.g. for a whole-file problem).
    pub span: Range<usize>,
}

/// One problem, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One-line description.
    pub message: String,
    /// Where the problem is.
    pub location: Location,
    /// A second related place (e.g. the first definition of a duplicate id).
    pub note: Option<(Location, String)>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location,
            note: None,
            help: None,
        }
    }

    /// A warning at `location`.
    pub fn warning(message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message, location)
        }
    }

    /// Adds a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note pointing at a related place.
    pub fn with_note(mut self, location: Location, message: impl Into<String>) -> Self {
        self.note = Some((location, message.into()));
        self
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The texts of every input file, so diagnostics can show snippets.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

/// One input file's printable text and where its lines start.
#[derive(Debug, Clone)]
struct SourceFile {
    name: String,
    text: String,
    /// Byte offset of the start of every line after the first (one past each `\n`).
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// 1-based number of the line holding byte `offset`, and the byte offset of its start.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let before = self.line_starts.partition_point(|&s| s <= offset);
        let start = if before == 0 {
            0
        } else {
            self.line_starts[before - 1]
        };
        (before + 1, start)
    }
}

impl SourceMap {
    /// Remembers the text of `file`, with every control and invisible character replaced
    /// by a visible one of the same length (so spans, lines and columns stay right and a
    /// snippet never writes terminal escapes or reorders text with bidi controls).
    pub fn add(&mut self, file: &str, text: &str) {
        let text = printable(text);
        let line_starts = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        self.files.push(SourceFile {
            name: file.to_string(),
            text,
            line_starts,
        });
    }

    fn file(&self, file: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.name == file)
    }

    /// The text of `file`, if it was read.
    pub fn text(&self, file: &str) -> Option<&str> {
        self.file(file).map(|f| f.text.as_str())
    }

    /// 1-based (line, column) of byte `offset` in `file` (column counts characters).
    pub fn line_col(&self, file: &str, offset: usize) -> (usize, usize) {
        let Some(source) = self.file(file) else {
            return (1, 1);
        };
        let offset = clamp_to_char_boundary(&source.text, offset);
        let (line, line_start) = source.line_of(offset);
        (line, source.text[line_start..offset].chars().count() + 1)
    }
}

/// `text` with control characters (but tab and line breaks), bidi controls, zero-width
/// and other invisible format characters replaced by `?`, `¿`, `\u{FFFD}` or `🚫`: each
/// one character of the same UTF-8 length.
fn printable(text: &str) -> String {
    let invisible = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}');
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() || invisible(c) => match c.len_utf8() {
                1 => '?',
                2 => '¿',
                3 => '\u{FFFD}',
                _ => '🚫',
            },
            c => c,
        })
        .collect()
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Renders `diags` rustc-style (plain text, no colour: output must not depend on the terminal).
pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    // No trimming of wide lines: annotate-snippets' trimming overflows on lines of leading
    // whitespace, and lines too long to show are located without a snippet (`Place`).
    let renderer = Renderer::plain().term_width(usize::MAX / 4);
    let mut out = String::new();
    for d in diags {
        out.push_str(&render_one(&renderer, d, sources));
        out.push_str("\n\n");
    }
    out
}

fn render_one(renderer: &Renderer, d: &Diagnostic, sources: &SourceMap) -> String {
    let level = match d.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    };
    let primary = Place::of(&d.location, sources);
    let note = d
        .note
        .as_ref()
        .map(|(loc, label)| (Place::of(loc, sources), loc, label));
    let mut message: Message = level.title(&d.message);
    message = match &primary {
        Place::Shown(source) => message.snippet(snippet(source, &d.location, level, "")),
        Place::Bare(origin) => message.snippet(Snippet::source("").origin(origin)),
    };
    if let Some((place, loc, label)) = &note {
        message = match place {
            Place::Shown(source) => message.snippet(snippet(source, loc, Level::Note, label)),
            Place::Bare(origin) => message.snippet(Snippet::source("").origin(origin)),
        };
    }
    if let Some(help) = &d.help {
        message = message.footer(Level::Help.title(help));
    }
    if matches!(primary, Place::Bare(_)) && sources.text(&d.location.file).is_some() {
        message = message.footer(Level::Note.title(LONG_LINE_NOTE));
    }
    let text = renderer.render(message).to_string();
    text
}

/// Longest source line a snippet shows; a longer one is located but not printed.
const MAX_SHOWN_LINE: usize = 400;

const LONG_LINE_NOTE: &str = "the line is too long to show";

/// How a location is printed: with a snippet of its text, or as a bare `file:line:col`
/// (a file that could not be read, or a line too long to print).
enum Place<'a> {
    Shown(&'a SourceFile),
    Bare(String),
}

impl<'a> Place<'a> {
    fn of(loc: &Location, sources: &'a SourceMap) -> Place<'a> {
        let Some(source) = sources.file(&loc.file) else {
            return Place::Bare(format!("{}:1:1", loc.file));
        };
        let text = source.text.as_str();
        let start = clamp_to_char_boundary(text, loc.span.start);
        let (_, line_start) = source.line_of(start);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        if line_end - line_start <= MAX_SHOWN_LINE {
            return Place::Shown(source);
        }
        let (line, col) = sources.line_col(&loc.file, start);
        Place::Bare(format!("{}:{line}:{col}", loc.file))
    }
}

/// The snippet of `loc` in `source`: only the lines the span touches are handed to
/// annotate-snippets (which folds every other line away anyway), so a diagnostic costs
/// the length of its lines, not of its file.
fn snippet<'a>(
    source: &'a SourceFile,
    loc: &'a Location,
    level: Level,
    label: &'a str,
) -> Snippet<'a> {
    let text = source.text.as_str();
    let mut start = clamp_to_char_boundary(text, loc.span.start);
    if start == text.len() && text.ends_with('\n') {
        // The end of the file (an unterminated string): point at the end of the last line.
        start -= 1;
    }
    let mut end = clamp_to_char_boundary(text, loc.span.end.max(start));
    if end == start && start < text.len() {
        // Point at one character so the caret line is never empty.
        end = start + text[start..].chars().next().map_or(0, char::len_utf8);
    }
    let (line, first) = source.line_of(start);
    // The end of the line holding the span's last byte (a byte search: `end - 1` may be
    // inside a character).
    let from = end.saturating_sub(1).max(start);
    let last = text.as_bytes()[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| from + i + 1);
    Snippet::source(&text[first..last])
        .line_start(line)
        .origin(&loc.file)
        .fold(true)
        .annotation(level.span(start - first..end - first).label(label))
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// How close a word must be to a candidate to be taken for a typo of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closeness {
    /// Jaro–Winkler similarity above 0.8, case-sensitive: keys, zone names, ids and
    /// codes written in the input files (the best score wins, the last on a tie).
    Spelling,
    /// Case-insensitive, at most a third of the characters edited (at least one): names
    /// typed on the command line, where `DR` for `DE` is a likely slip (the fewest edits
    /// win, the first on a tie).
    Edits,
}

/// Longest word (in bytes) [`did_you_mean`] compares with the candidates.
pub const MAX_SUGGESTED_WORD: usize = 128;

/// The closest of `candidates` to `word`, if close enough to be a likely typo: the one
/// "did you mean" of every stage.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    closeness: Closeness,
) -> Option<&'a str> {
    if word.len() > MAX_SUGGESTED_WORD {
        // No name is that long, and comparing a huge value with every candidate takes seconds.
        return None;
    }
    match closeness {
        Closeness::Spelling => candidates
            .into_iter()
            .map(|c| (strsim::jaro_winkler(word, c), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c),
        Closeness::Edits => {
            let word = word.to_lowercase();
            let limit = (word.chars().count() / 3).max(1);
            candidates
                .into_iter()
                .map(|c| (strsim::levenshtein(&word, &c.to_lowercase()), c))
                .filter(|(distance, _)| *distance <= limit)
                .min_by_key(|(distance, _)| *distance)
                .map(|(_, c)| c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_snippet_and_help() {
        let mut sources = SourceMap::default();
        sources.add("t.toml", "[app]\nname = \"x\"\ntimezon = 1\n");
        let d = Diagnostic::error(
            "unknown key `timezon`",
            Location {
                file: "t.toml".into(),
                span: 17..24,
            },
        )
        .with_help("did you mean `timezone`?");
        let text = render(&[d], &sources);
        assert!(text.contains("error: unknown key `timezon`"), "{text}");
        assert!(text.contains("--> t.toml:3:1"), "{text}");
        assert!(text.contains("^^^^^^^"), "{text}");
        assert!(text.contains("help: did you mean `timezone`?"), "{text}");
    }

    #[test]
    fn the_end_of_the_file_is_the_end_of_its_last_line() {
        let mut sources = SourceMap::default();
        sources.add("c.toml", "a = 1\nb = \"\"\"x\n");
        let at_end = Location {
            file: "c.toml".into(),
            span: 18..18,
        };
        let text = render(&[Diagnostic::error("unterminated", at_end)], &sources);
        assert!(text.contains("--> c.toml:2:"), "{text}");
    }

    #[test]
    fn a_snippet_shows_only_its_own_lines_with_their_numbers() {
        let mut sources = SourceMap::default();
        sources.add("t.toml", "a = 1\nb = \"é\"\nc = [\n  2,\n]\nd = 4\n");
        let at = |span: std::ops::Range<usize>| {
            let d = Diagnostic::error(
                "here",
                Location {
                    file: "t.toml".into(),
                    span,
                },
            );
            render(&[d], &sources)
        };
        // A span ending inside a multi-byte character, on line 2.
        let text = at(11..12);
        assert!(text.contains("--> t.toml:2:6"), "{text}");
        assert!(text.contains("2 | b = \"é\""), "{text}");
        assert!(!text.contains("a = 1") && !text.contains("c = ["), "{text}");
        // A span over three lines shows those three.
        let text = at(15..27);
        assert!(text.contains("3 | / c = ["), "{text}");
        assert!(text.contains("5 | | ]"), "{text}");
        assert!(!text.contains("d = 4"), "{text}");
    }

    #[test]
    fn control_characters_and_long_whitespace_render_safely() {
        let mut sources = SourceMap::default();
        let line = format!("{}x\u{1b}[31m\u{202e} = \u{85}1\n", "\u{b}".repeat(150));
        sources.add("t.toml", &line);
        let d = Diagnostic::error(
            "bad",
            Location {
                file: "t.toml".into(),
                span: 3..4,
            },
        );
        let text = render(&[d], &sources);
        assert!(text.contains("--> t.toml:1:4"), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\u{b}'));
        assert_eq!(
            sources.line_col("t.toml", line.find('=').unwrap()),
            (1, 159)
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let mut sources = SourceMap::default();
        sources.add("a", "ä = 1\nöö = 2");
        assert_eq!(sources.line_col("a", 0), (1, 1));
        assert_eq!(sources.line_col("a", 2), (1, 2));
        assert_eq!(sources.line_col("a", 11), (2, 3));
    }

    #[test]
    fn suggests_close_names_only() {
        let c = ["timezone", "name", "regions"];
        assert_eq!(
            did_you_mean("timezon", c, Closeness::Spelling),
            Some("timezone")
        );
        assert_eq!(did_you_mean("zzz", c, Closeness::Spelling), None);
        let codes = ["AT", "CH", "DE"];
        assert_eq!(did_you_mean("DX", codes, Closeness::Spelling), None);
        assert_eq!(did_you_mean("dr", codes, Closeness::Edits), Some("DE"));
        assert_eq!(
            did_you_mean("querys", ["commands", "queries"], Closeness::Edits),
            Some("queries")
        );
        assert_eq!(
            did_you_mean("zzz", ["commands", "queries"], Closeness::Edits),
            None
        );
    }
}
