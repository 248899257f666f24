//! Markdown building blocks of the runbook: inline text and table cells escaped unless
//! inert, code spans and fenced blocks that outlast any backtick run inside, and aligned
//! pipe tables.

use crate::render::engine::markdown_escape;
use minijinja::Value;

/// Text that is already safe Markdown.
pub(super) fn safe(s: String) -> Value {
    Value::from_safe_string(s)
}

/// Inline text: left as is when it only has characters that are inert in inline Markdown,
/// fully escaped otherwise.
pub(super) fn inline(s: &str) -> Value {
    safe(cell(s))
}

/// A table cell or inline text: unchanged when every character is inert in inline
/// Markdown (letters, digits, spaces and plain punctuation), fully escaped otherwise. The
/// template never starts a line with such a value, so `1.` or `-` cannot open a list.
pub(super) fn cell(s: &str) -> String {
    let inert = s.chars().all(|c| {
        c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '.'
                    | ','
                    | ':'
                    | ';'
                    | '%'
                    | '/'
                    | '='
                    | '>'
                    | '-'
                    | '–'
                    | '—'
                    | '×'
                    | '\''
                    | '"'
                    | '?'
                    | '('
                    | ')'
            )
    });
    if inert {
        s.to_string()
    } else {
        markdown_escape(s)
    }
}

/// A validated identifier (DNS label, territory code) as is, for use inside a code span
/// of the template; anything else is shown escaped rather than trusted.
pub(super) fn raw_ident(s: &str) -> Value {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        safe(s.to_string())
    } else {
        safe(markdown_escape(s))
    }
}

/// A code span of an identifier.
pub(super) fn code(s: &str) -> Value {
    safe(code_span(s))
}

/// `` `s` `` with a backtick run longer than any inside (CommonMark code span).
pub(super) fn code_span(s: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(s) + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced code block whose fence is longer than any backtick run in `body`, without a
/// final line break.
pub(super) fn code_block(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}", body.trim_end_matches('\n'))
}

/// Length of the longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A pipe table with every column padded to its widest cell (cells already escaped), without
/// a final line break.
pub(super) fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h).max(3)).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - width(c))))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(headers.iter().map(|h| (*h).to_string()).collect());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in rows {
        out.push_str(&line(row));
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_aligned_and_escape_pipes() {
        let t = table(&["A", "Bee"], vec![vec![cell("x|y"), cell("1")]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "| A    | Bee |");
        assert_eq!(lines[1], "| ---- | --- |");
        assert_eq!(lines[2], "| x\\|y | 1   |");
    }

    #[test]
    fn code_spans_and_blocks_outlast_backticks() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert!(code_block("sql", "a\n````\nb").starts_with("`````sql\n"));
    }

    #[test]
    fn cells_escape_markup_but_keep_plain_text() {
        assert_eq!(cell("Black Week 2027"), "Black Week 2027");
        assert_eq!(cell("09-01 – 10-15 every year"), "09-01 – 10-15 every year");
        assert_eq!(cell("a*b_c"), "a\\*b\\_c");
        assert_eq!(cell("<b>{{x}}</b>"), "&lt;b&gt;\\{\\{x\\}\\}&lt;/b&gt;");
        assert_eq!(cell("[x](y)"), "\\[x\\]\\(y\\)");
    }
}
