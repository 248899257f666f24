//! A parsed file with its span-preserving document, and how a key path is found in it:
//! the precise location of a section's error, of a key, of a table.

use crate::diag::{Diagnostic, Location};
use std::ops::Range;
use toml::Spanned;

use super::messages::{backticked, first_line, serde_diagnostic};
use super::{SStr, Section};

/// A path segment inside a TOML document, for locating errors.
#[derive(Debug, Clone)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An element of an array (of tables).
    Index(usize),
}

/// A parsed file: its raw value, or the diagnostics of a file that does not parse at all.
pub struct Parsed<T> {
    /// File name for diagnostics.
    pub file: String,
    /// Span-preserving document, used to locate section errors.
    pub(super) doc: Option<toml_edit::ImDocument<String>>,
    /// The raw value.
    pub raw: T,
}

impl<T> Parsed<T> {
    /// A location in this file.
    pub fn at(&self, span: Range<usize>) -> Location {
        Location {
            file: self.file.clone(),
            span,
        }
    }

    /// Unwraps a section, or reports its error (located precisely) and returns `None`.
    pub fn section<'a, S>(
        &self,
        section: &'a Section<S>,
        path: &[Seg],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<&'a S> {
        match section {
            Section::Ok(v) => Some(v),
            Section::Invalid { message, keys } => {
                let mut full: Vec<Seg> = path.to_vec();
                full.extend(keys.iter().cloned().map(Seg::Key));
                let span = self
                    .locate(&full, message)
                    .or_else(|| self.span_of(path))
                    .unwrap_or(0..0);
                let text = self
                    .doc
                    .as_ref()
                    .map(|d| d.raw().to_string())
                    .unwrap_or_default();
                diags.push(serde_diagnostic(&self.file, message, span, &text));
                None
            }
        }
    }

    /// The span of the key (or, for array elements, the table) at the end of `path`.
    pub fn span_of(&self, path: &[Seg]) -> Option<Range<usize>> {
        self.walk(path, true)
    }

    /// The span of the last key of `path`, if the document has it.
    pub fn key_span(&self, path: &[Seg]) -> Option<Range<usize>> {
        self.walk(path, false)
    }

    /// Follows `path` and returns the span of its last key; a step without a key (an
    /// array element) gives its node's span when `node_without_key`, else none.
    fn walk(&self, path: &[Seg], node_without_key: bool) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Item(doc.as_item());
        let mut span = None;
        for seg in path {
            let (next, key_span) = node.step(seg)?;
            node = next;
            span = match key_span {
                None if node_without_key => next.span(),
                other => other,
            };
        }
        span
    }

    /// The key at the end of `path` with its span (empty span if the document lacks it).
    pub fn key(&self, path: &[Seg]) -> SStr {
        let name = match path.last() {
            Some(Seg::Key(k)) => k.clone(),
            _ => String::new(),
        };
        Spanned::new(self.key_span(path).unwrap_or(0..0), name)
    }

    /// The span of the key named in an "unknown field" message, else of the value at `path`.
    fn locate(&self, path: &[Seg], message: &str) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Item(doc.as_item());
        let mut last_key_span = None;
        for seg in path {
            let (next, key_span) = node.step(seg)?;
            node = next;
            last_key_span = key_span.or(last_key_span);
        }
        let first_word = backticked(message).first().copied();
        if let (true, Some(field)) = (message.starts_with("unknown field"), first_word) {
            return node.table_like()?.key(field).and_then(|k| k.span());
        }
        if message.starts_with("missing field") {
            let span = last_key_span.or_else(|| node.span())?;
            return Some(first_line(doc.raw(), span));
        }
        node.span().or(last_key_span)
    }
}

/// A position in a `toml_edit` document: array-of-tables elements are tables, not items.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a toml_edit::Item),
    Table(&'a toml_edit::Table),
}

impl<'a> Node<'a> {
    fn table_like(self) -> Option<&'a dyn toml_edit::TableLike> {
        match self {
            Node::Item(i) => i.as_table_like(),
            Node::Table(t) => Some(t),
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Table(t) => t.span(),
        }
    }

    fn step(self, seg: &Seg) -> Option<(Node<'a>, Option<Range<usize>>)> {
        match seg {
            Seg::Key(k) => {
                let (key, value) = self.table_like()?.get_key_value(k)?;
                Some((Node::Item(value), key.span()))
            }
            Seg::Index(i) => match self {
                Node::Item(toml_edit::Item::ArrayOfTables(a)) => {
                    // The element's own `[[header]]`, not the first one the key names.
                    let table = a.get(*i)?;
                    Some((Node::Table(table), table.span()))
                }
                _ => None,
            },
        }
    }
}
