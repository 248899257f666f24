//! The label matchers of a PromQL expression (`name="value"`), read without a full PromQL
//! parser: enough to find which namespace, HPA or ScaledObject an expression selects.

/// One `label OP "value"` of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// Label name.
    pub label: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub op: &'static str,
    /// The value, unescaped.
    pub value: String,
}

/// Every label matcher of `expr`, in order. String literals elsewhere (arguments of
/// `label_replace`, say) are skipped, not mistaken for matchers.
pub fn matchers(expr: &str) -> Vec<Matcher> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_quote(c) {
            i = read_string(&chars, i).1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let label: String = chars[start..i].iter().collect();
            if let Some((m, next)) = matcher_after(&chars, i, label) {
                out.push(m);
                i = next;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The operator and string value after a label name ending at `i`, if there are.
fn matcher_after(chars: &[char], i: usize, label: String) -> Option<(Matcher, usize)> {
    let mut j = skip_space(chars, i);
    let two: String = chars[j..chars.len().min(j + 2)].iter().collect();
    let op = match two.as_str() {
        "=~" => "=~",
        "!=" => "!=",
        "!~" => "!~",
        "==" => return None,
        _ if two.starts_with('=') => "=",
        _ => return None,
    };
    j = skip_space(chars, j + op.len());
    if !chars.get(j).copied().is_some_and(is_quote) {
        return None;
    }
    let (value, next) = read_string(chars, j);
    Some((Matcher { label, op, value }, next))
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '`')
}

/// The string literal starting at `start` (unescaped) and the index after it.
fn read_string(chars: &[char], start: usize) -> (String, usize) {
    let quote = chars[start];
    let mut value = String::new();
    let mut i = start + 1;
    while i < chars.len() && chars[i] != quote {
        if chars[i] == '\\' && quote != '`' && i + 1 < chars.len() {
            i += 1;
            value.push(match chars[i] {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                c => c,
            });
        } else {
            value.push(chars[i]);
        }
        i += 1;
    }
    (value, i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triples(expr: &str) -> Vec<(String, &'static str, String)> {
        matchers(expr)
            .into_iter()
            .map(|m| (m.label, m.op, m.value))
            .collect()
    }

    #[test]
    fn finds_matchers_with_every_operator_and_quote() {
        let found = triples(
            r#"sum(rate(x{namespace="ns",territory != 'DE', w=~`q.*`, le!~"a\"b"}[2m])) > 0.3"#,
        );
        let want = [
            ("namespace", "=", "ns"),
            ("territory", "!=", "DE"),
            ("w", "=~", "q.*"),
            ("le", "!~", "a\"b"),
        ];
        assert_eq!(
            found,
            want.map(|(a, b, c)| (a.to_string(), b, c.to_string()))
        );
    }

    #[test]
    fn strings_and_comparisons_are_no_matchers() {
        assert!(triples(r#"label_replace(up, "namespace", "x", "", "") == 1"#).is_empty());
        assert!(triples("a == 1 and b").is_empty());
    }
}
