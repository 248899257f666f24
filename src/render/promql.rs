//! PromQL text: the one builder of every query scalegen writes.

/// `s` as a PromQL double-quoted string literal (Go syntax): `\`, `"` and line breaks are
/// escaped, other control characters become `\uXXXX`.
pub fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promql_string_escapes_quotes_backslashes_and_breaks() {
        assert_eq!(promql_string("freshplan"), r#""freshplan""#);
        assert_eq!(promql_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(promql_string("a\nb\u{1}"), r#""a\nb\u0001""#);
    }
}
