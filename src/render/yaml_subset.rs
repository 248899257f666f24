//! A fast recognizer for the plain YAML the templates write, so the safety re-parse of
//! every rendered YAML file ([`crate::render::file::check_yaml`]) does not cost a full
//! YAML parse in the common case.
//!
//! **The guarantee stays the same**: a YAML file is accepted only if `serde_yaml` (libyaml)
//! parses every document of it into a value without error (duplicate keys included).
//! [`accepts`] recognizes a small subset of YAML, line by line, in one pass:
//!
//! - block mappings and block sequences (`- item`, `- key: value` compact mappings), with
//!   space indentation where every nested collection is indented deeper than its parent;
//! - keys: `[A-Za-z][A-Za-z0-9._/-]*` (never `null`/`true`/`false` in any case, so the
//!   key is that string) or a double-quoted string without escapes; no key twice in a
//!   mapping (compared as the strings they are);
//! - values: double-quoted strings with the escapes `yaml_quote` writes (`\"` `\\` `\n`
//!   `\t` `\r` `\uXXXX`, no surrogates), plain scalars `[A-Za-z0-9/][A-Za-z0-9 ._/+=()-]*`
//!   (at most 18 characters when they start with a digit, so a
//!   number always fits the 64-bit integers serde_yaml's values hold), the empty flow
//!   collections `{}` and `[]`, literal block scalars `|`, `|-`, `|+`;
//! - comment lines, blank lines and `---` document separators;
//! - only characters libyaml's reader accepts (printable; no CR, NEL, LS, PS or BOM),
//!   tabs only inside block scalars.
//!
//! Every text in that subset is valid YAML that libyaml parses the same way (there is no
//! flow syntax, no anchor, tag, alias or directive, no multi-line plain or quoted scalar,
//! no key long enough to hit libyaml's 1024-character simple-key limit, no nesting near
//! serde_yaml's recursion limit). Anything else — including every malformed text — is
//! answered `false`, and the caller then runs the full `serde_yaml` parse, which either
//! accepts it or produces the error message. So a `true` here is a proof that the full
//! parse succeeds, never a guess; the tests check that on the rendered files and on
//! thousands of mutations of them against `serde_yaml` itself.

/// Indentation (or nesting) beyond which the recognizer gives up (serde_yaml's recursion
/// limit is 128).
const MAX_DEPTH: usize = 64;
/// Longest key the recognizer accepts (libyaml limits simple keys to 1024 characters).
const MAX_KEY: usize = 512;
/// Most keys per mapping the recognizer tracks for duplicates.
const MAX_KEYS: usize = 64;
/// Longest plain scalar starting with a digit (`u64::MAX` has 20 digits).
const MAX_NUMBER: usize = 18;

/// Whether `text` is in the subset described in the module docs, which implies that
/// `serde_yaml` parses every document of it without error.
pub fn accepts(text: &str) -> bool {
    json_size(text).is_some()
}

/// Bounds on the compact JSON of the documents of a text in the subset ([`json_size`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonSize {
    /// At least the sum over every document ([`json_bound`]).
    pub at_most: usize,
    /// At most the size of the largest document: the keys of each document (each one
    /// appears as `"key":`, no key twice in a mapping, nothing repeated by an alias) and
    /// the text of its block scalars (each character at least one byte of JSON).
    pub largest_at_least: usize,
}

/// [`JsonSize`] of a text in the subset; `None` when the text is not in it.
pub fn json_size(text: &str) -> Option<JsonSize> {
    let ascii_ok = |b: &u8| matches!(b, b'\t' | b'\n' | b' '..=b'~');
    let chars_ok = match text.bytes().position(|b| !ascii_ok(&b)) {
        None => true,
        Some(i) => text[i..].chars().all(allowed_char),
    };
    if !chars_ok {
        return None;
    }
    Recognizer::default().run(text)
}

/// For a text in the subset, an upper bound on the total size of every document as
/// compact JSON (as `serde_json` writes the value `serde_yaml` reads; each document's
/// own size is at most this); `None` when the text is not in the subset.
///
/// Why it is a bound, line by line (the subset has no alias, so nothing is repeated):
/// - a collection line (`key: value`, `- value`, `- key: value`) writes its key quoted
///   with a colon (key + 3), its value, a comma, and at most one pair of brackets it
///   opens (`- key:`) plus one its empty value opens (or `null`): at most 8 bytes
///   besides the key and the value. A double-quoted value is no longer as JSON (every
///   escape the subset allows is as long or longer than what serde_json writes for it,
///   and `\uXXXX` stays below the surrogates, at most 3 bytes of UTF-8); a plain scalar
///   is a string (its text quoted: no character of the plain set needs an escape),
///   `null`/a boolean, or a number of at most 18 characters that serde_json writes in at
///   most 24 (`-2.2250738585072014e-308`); `{}` and `[]` stay 2. So the line's text
///   (without indentation) + [`LINE_OVERHEAD`] bounds it;
/// - a line of a literal block scalar: each character becomes at most 2 bytes (`"`,
///   `\\` and tab are escaped; control characters are not in the subset), its line
///   break `\n` is 2, the indentation goes: at most 2 × (length + 1);
/// - comments, blank lines and `---` write nothing; every document adds its outer
///   brackets (or `null`): [`DOCUMENT_OVERHEAD`].
pub fn json_bound(text: &str) -> Option<usize> {
    json_size(text).map(|size| size.at_most)
}

/// JSON bytes a collection line may write besides its key and value text (see
/// [`json_bound`]): quotes and colon 3, comma 1, brackets 4, a number's growth 24.
const LINE_OVERHEAD: usize = 40;
/// JSON bytes a document may write besides its lines (its outer brackets, or `null`).
const DOCUMENT_OVERHEAD: usize = 4;

/// Characters libyaml's reader accepts, without line breaks other than `\n` and without
/// the byte order mark.
fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// One open block collection.
struct Level<'a> {
    /// Column of its keys or dashes.
    indent: usize,
    /// A sequence (`- `), else a mapping.
    seq: bool,
    /// A mapping's keys so far.
    keys: Vec<&'a str>,
}

#[derive(Default)]
struct Recognizer<'a> {
    levels: Vec<Level<'a>>,
    /// The column of the key whose value starts on the next lines (`key:`), if any.
    pending: Option<usize>,
    /// The compact-JSON bound so far ([`json_bound`]).
    bound: usize,
    /// The lower bound of the current document and the largest of the finished ones.
    low: usize,
    largest_low: usize,
}

impl<'a> Recognizer<'a> {
    /// The JSON bounds ([`json_size`]) when every line is in the subset.
    fn run(mut self, text: &'a str) -> Option<JsonSize> {
        let mut lines = text.split('\n').peekable();
        self.bound = DOCUMENT_OVERHEAD;
        while let Some(line) = lines.next() {
            if line == "---" {
                self.levels.clear();
                self.pending = None;
                self.bound += DOCUMENT_OVERHEAD;
                self.largest_low = self.largest_low.max(std::mem::take(&mut self.low));
                continue;
            }
            let indent = line.len() - line.trim_start_matches(' ').len();
            let rest = &line[indent..];
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            self.bound += rest.len() + LINE_OVERHEAD;
            if let Some(parent) = self.structural(indent, rest)? {
                let (bound, content) = block_scalar(parent, &mut lines)?;
                self.bound += bound;
                self.low += content;
            }
        }
        Some(JsonSize {
            at_most: self.bound,
            largest_at_least: self.largest_low.max(self.low),
        })
    }

    /// Places one collection line; `Some(Some(column))` when it opens a literal block
    /// scalar whose parent is at `column`.
    fn structural(&mut self, indent: usize, rest: &'a str) -> Option<Option<usize>> {
        let item = rest.strip_prefix("- ");
        self.place(indent, item.is_some())?;
        match item {
            Some(item) => match key(item) {
                Some((k, value)) => {
                    self.open(indent + 2, false)?;
                    self.levels.last_mut()?.keys.push(k);
                    self.low += k.len() + 3;
                    self.value(indent + 2, value)
                }
                None => scalar(item).then_some(None),
            },
            None => {
                let (k, value) = key(rest)?;
                let keys = &mut self.levels.last_mut()?.keys;
                if keys.len() >= MAX_KEYS || keys.contains(&k) {
                    return None;
                }
                keys.push(k);
                self.low += k.len() + 3;
                self.value(indent, value)
            }
        }
    }

    /// Finds or opens the collection a line at `indent` belongs to.
    fn place(&mut self, indent: usize, seq: bool) -> Option<()> {
        if let Some(parent) = self.pending.take() {
            if indent > parent {
                return self.open(indent, seq);
            }
        }
        while self.levels.last().is_some_and(|l| l.indent > indent) {
            self.levels.pop();
        }
        match self.levels.last() {
            Some(l) if l.indent == indent && l.seq == seq => Some(()),
            None if indent == 0 => self.open(0, seq),
            _ => None,
        }
    }

    fn open(&mut self, indent: usize, seq: bool) -> Option<()> {
        if self.levels.len() >= MAX_DEPTH || indent > 4 * MAX_DEPTH {
            return None;
        }
        self.levels.push(Level {
            indent,
            seq,
            keys: Vec::new(),
        });
        Some(())
    }

    /// The text after a key's `:` whose key sits at `column`.
    fn value(&mut self, column: usize, value: &str) -> Option<Option<usize>> {
        if value.is_empty() {
            self.pending = Some(column);
            return Some(None);
        }
        let value = value.strip_prefix(' ')?;
        if matches!(value, "|" | "|-" | "|+") {
            return Some(Some(column));
        }
        scalar(value).then_some(None)
    }
}

/// Consumes the lines of a literal block scalar whose parent sits at column `parent`:
/// the first line sets the indentation (deeper than the parent), and the scalar runs
/// while lines are empty or keep it. Returns their JSON bound ([`json_bound`]) and the
/// number of bytes of their text without the indentation.
fn block_scalar<'a>(
    parent: usize,
    lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
) -> Option<(usize, usize)> {
    let first = lines.next()?;
    let indent = first.len() - first.trim_start_matches(' ').len();
    let content = &first[indent..];
    if indent <= parent || content.is_empty() || content.starts_with('\t') {
        return None;
    }
    let mut bound = 2 * (first.len() + 1);
    let mut content = first.len() - indent;
    while let Some(line) = lines.peek() {
        let keeps = line.len() >= indent && line.as_bytes()[..indent].iter().all(|&b| b == b' ');
        if !line.is_empty() && !keeps {
            break;
        }
        bound += 2 * (line.len() + 1);
        content += line.len().saturating_sub(indent);
        lines.next();
    }
    Some((bound, content))
}

/// Splits `key: rest` / `key:` into the key's string and the text after the colon.
fn key(text: &str) -> Option<(&str, &str)> {
    let (k, after) = if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"')?;
        let k = &quoted[..end];
        if k.contains(['\\', '\t']) {
            return None;
        }
        (k, &quoted[end + 1..])
    } else {
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-')))
            .unwrap_or(text.len());
        let k = &text[..end];
        if !k.starts_with(|c: char| c.is_ascii_alphabetic())
            || ["null", "true", "false"]
                .iter()
                .any(|w| k.eq_ignore_ascii_case(w))
        {
            return None;
        }
        (k, &text[end..])
    };
    let rest = after.strip_prefix(':')?;
    (k.len() <= MAX_KEY && (rest.is_empty() || rest.starts_with(' '))).then_some((k, rest))
}

/// Whether `text` is exactly one scalar value of the subset.
fn scalar(text: &str) -> bool {
    match text.strip_prefix('"') {
        Some(quoted) => quoted_end(quoted).is_some_and(|end| end + 1 == quoted.len()),
        None => matches!(text, "{}" | "[]") || plain(text),
    }
}

/// A plain scalar of the subset: a string, or a number that fits 64 bits.
fn plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    (first.is_ascii_alphanumeric() || first == '/')
        && !text.ends_with(' ')
        && (!first.is_ascii_digit() || text.len() <= MAX_NUMBER)
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, ' ' | '.' | '_' | '/' | '+' | '=' | '(' | ')' | '-')
        })
}

/// The index of the closing quote of a double-quoted scalar whose opening quote is
/// already consumed, if every escape before it is one the subset allows.
fn quoted_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some(i),
            b'\t' => return None,
            b'\\' => {
                i += match *bytes.get(i + 1)? {
                    b'"' | b'\\' | b'n' | b't' | b'r' => 2,
                    b'u' => {
                        let hex = text.get(i + 2..i + 6)?;
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        if !hex.bytes().all(|b| b.is_ascii_hexdigit())
                            || (0xd800..=0xdfff).contains(&code)
                        {
                            return None;
                        }
                        6
                    }
                    _ => return None,
                };
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The full parse the fast path stands in for (as `file::check_yaml` does it).
    fn full_parse(text: &str) -> bool {
        use serde::Deserialize as _;
        serde_yaml::Deserializer::from_str(text)
            .all(|doc| serde_yaml::Value::deserialize(doc).is_ok())
    }

    /// The compact JSON of every document, as `render::limits` measures it exactly.
    fn exact_json(text: &str) -> usize {
        use serde::Deserialize as _;
        serde_yaml::Deserializer::from_str(text)
            .map(|doc| serde_json::Value::deserialize(doc).map_or(0, |v| v.to_string().len()))
            .sum()
    }

    /// The compact JSON of the largest document.
    fn largest_json(text: &str) -> usize {
        use serde::Deserialize as _;
        serde_yaml::Deserializer::from_str(text)
            .map(|doc| serde_json::Value::deserialize(doc).map_or(0, |v| v.to_string().len()))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn the_json_bound_covers_the_worst_expansions() {
        for text in [
            "a:\n",
            "- 1e15\n- 1e-5\n- 2.2250738585e-308\n",
            "a: 0x7fffffffffffff\nb: Null\nc: \"\\u0001\"\n",
            "- a:\n- b: []\n- {}\n",
            "k: |+\n  \"\\\t\"\n\n\n",
            "---\n---\na: 1\n",
        ] {
            let bound = json_bound(text).unwrap_or_else(|| panic!("{text:?} is in the subset"));
            assert!(
                bound >= exact_json(text),
                "{text:?}: {bound} < {}",
                exact_json(text)
            );
        }
    }

    #[test]
    fn accepts_what_the_templates_write() {
        let text = "# header\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a: b # c\"\n  labels:\n    app.kubernetes.io/name: \"x\"\ndata:\n  \"k.json\": |-\n    {\n      \"a\": [1, 2]\n\n    }\nlist:\n  - \"one\"\n  - name: x\n    values:\n      - 1\n      - 2.5\n---\nkind: Service\nspec:\n  selectPolicy: Max\n  empty:\n";
        assert!(accepts(text));
        assert!(full_parse(text));
    }

    #[test]
    fn rejects_what_it_cannot_prove() {
        for text in [
            "a: 1\na: 2\n",               // duplicate key
            "a: 1\n\"a\": 2\n",           // the same key, quoted
            "a:\n  b: 1\n c: 2\n",        // dedent to no open level
            "a: 1\n  b: 2\n",             // deeper line without a parent
            "a: \"x\n",                   // unclosed quote
            "a: \"\\q\"\n",               // unknown escape
            "a: \"\\ud800\"\n",           // surrogate
            "a: {b: 1}\n",                // flow syntax
            "a: &x 1\nb: *x\n",           // anchor and alias
            "a:\tb\n",                    // tab
            "a: b: c\n",                  // a colon in a plain scalar
            "a: b # c\n",                 // a trailing comment
            "true: 1\n",                  // a key that is not a string
            "a: 123456789012345678901\n", // a number beyond 64 bits
            "- a\nb: 1\n",                // sequence and mapping at one level
            "a: |\nb: 1\n",               // block scalar without content
            "a: 1\r\n",                   // CR
            "a: \u{feff}\n",              // BOM
        ] {
            assert!(!accepts(text), "{text:?}");
        }
    }

    #[test]
    fn every_rendered_yaml_file_takes_the_fast_path() {
        let model = crate::config::validate::model_from_strs(
            crate::config::example::TERRITORIES,
            crate::config::example::CALENDARS,
        )
        .expect("default config validates");
        let schedule = crate::schedule::compile::compile(&model);
        let files = crate::render::render_all(&model, &schedule).unwrap();
        for f in files.iter().filter(|f| f.path.ends_with(".yaml")) {
            let size = json_size(&f.contents).unwrap_or_else(|| panic!("{}", f.path));
            assert!(size.at_most >= exact_json(&f.contents), "{}", f.path);
            assert!(
                size.largest_at_least <= largest_json(&f.contents),
                "{}",
                f.path
            );
            assert!(size.largest_at_least > 0, "{}", f.path);
        }
    }

    /// A rendered-like text and an edit of it: (position, replacement).
    fn mutation() -> impl Strategy<Value = (usize, String)> {
        let pieces = prop::sample::select(vec![
            "",
            " ",
            "  ",
            ":",
            ": ",
            "-",
            "- ",
            "#",
            " #",
            "\"",
            "\\",
            "\\u",
            "|",
            "|-",
            "\n",
            "\n  ",
            "\n- ",
            "\t",
            "a",
            "a:",
            "1",
            "{",
            "[",
            "&a",
            "*a",
            "!t",
            "---\n",
            "...",
            "name: \"x\"\n",
            "true",
            "\u{85}",
            "é",
            "0x1",
            "1e15",
            "-1e-5",
            "\\u0001",
            "~",
        ]);
        (any::<usize>(), prop::collection::vec(pieces, 1..4))
            .prop_map(|(at, parts)| (at, parts.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn accepted_mutations_parse_in_full(
            (at, insert) in mutation(),
            cut in 0usize..4,
            which in 0usize..4,
        ) {
            let base = [
                "# h\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"n\"\n  labels:\n    a.b/c: \"x\"\ndata:\n  \"k.json\": |-\n    {\n      \"a\": 1\n    }\nspec:\n  list:\n    - type: cron\n      name: \"t-1\"\n      metadata:\n        start: \"0 8 * 9 *\"\n    - \"s\"\n---\nkind: Service\nport: 80\n",
                "rule_files:\n  - \"r.yaml\"\ntests:\n  - name: \"x\"\n    input_series:\n      - series: \"a{b=\\\"c\\\"}\"\n        values: \"0+1x15\"\n    alert_rule_test:\n      - eval_time: 5m\n        exp_alerts: []\n",
                "a:\n  b:\n    c: 1\n  d: |\n    text\n      more\n\n    end\ne: x\n",
                "- a\n- b: 1\n  c:\n    - 2\n",
            ][which];
            let chars: Vec<char> = base.chars().collect();
            let at = at % (chars.len() + 1);
            let end = (at + cut).min(chars.len());
            let text: String = chars[..at].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect();
            if let Some(bound) = json_bound(&text) {
                prop_assert!(full_parse(&text), "accepted but serde_yaml rejects: {text:?}");
                prop_assert!(bound >= exact_json(&text), "JSON bound {bound} too small: {text:?}");
                let largest = largest_json(&text);
                let low = json_size(&text).map_or(0, |s| s.largest_at_least);
                prop_assert!(low <= largest, "JSON lower bound {low} > {largest}: {text:?}");
            }
        }
    }
}
