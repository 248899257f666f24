//! The minijinja environment every artefact is rendered with.
//!
//! Templates live in `templates/`, laid out like the output directory
//! (`templates/keda/scaledobject.yaml.j2` renders `keda/*.yaml`), with the macros several
//! templates share in `templates/macros.j2`; they are embedded into the binary at build
//! time (`build.rs`). Escaping follows the target language and is chosen by the
//! template's extension, so a template author cannot forget it:
//!
//! | extension  | `{{ value }}` of a string becomes                                  |
//! |------------|--------------------------------------------------------------------|
//! | `.yaml.j2` | a double-quoted YAML scalar (numbers and booleans stay plain)      |
//! | `.sql.j2`  | a SQL string literal `'…'` (quotes doubled)                        |
//! | `.md.j2`   | Markdown text with every inline-syntax character escaped           |
//! | `.js.j2`   | a JSON literal, `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes    |
//!
//! Text that a template must insert verbatim (an already-escaped PromQL expression
//! block, say) is marked with `|safe` deliberately; nothing is verbatim by default.
//! Undefined variables are errors, never empty strings.

use crate::config::model::Model;
use crate::render::file::{self, RenderError, RenderedFile};
use crate::schedule::Schedule;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior};
use serde::Serialize;

/// Builds the environment with every embedded template, the escaping rules and the filters.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_auto_escape_callback(escape_for_template);
    env.set_formatter(format_escaped);
    env.add_filter("sql_ident", sql_ident_filter);
    env.add_filter("yaml_str", |s: String| yaml_quote(&s));
    env.add_filter("md", |s: String| markdown_escape(&s));
    env.add_filter("anchor", |s: String| markdown_anchor(&s));
    minijinja_embed::load_templates!(&mut env);
    env
}

/// Picks the escaping mode from the template's file name.
fn escape_for_template(name: &str) -> AutoEscape {
    let stem = name.strip_suffix(".j2").unwrap_or(name);
    match stem.rsplit('.').next() {
        Some("yaml" | "yml") => AutoEscape::Custom("yaml"),
        Some("sql") => AutoEscape::Custom("sql"),
        Some("md") => AutoEscape::Custom("md"),
        Some("js") => AutoEscape::Custom("js"),
        Some("json") => AutoEscape::Json,
        _ => AutoEscape::None,
    }
}

/// Writes `value` into the output escaped for the template's language.
fn format_escaped(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if value.is_safe() || value.is_undefined() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = match state.auto_escape() {
        AutoEscape::Custom("yaml") => yaml_value(value)?,
        AutoEscape::Custom("sql") => sql_value(value)?,
        AutoEscape::Custom("md") => markdown_escape(&value.to_string()),
        AutoEscape::Custom("js") => js_value(value)?,
        _ => return minijinja::escape_formatter(out, state, value),
    };
    out.write_str(&text).map_err(Error::from)
}

fn yaml_value(value: &Value) -> Result<String, Error> {
    if let Some(s) = value.as_str() {
        return Ok(yaml_quote(s));
    }
    if value.is_number() || value.kind() == minijinja::value::ValueKind::Bool {
        return Ok(value.to_string());
    }
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!("cannot write a {} into YAML unescaped", value.kind()),
    ))
}

fn sql_value(value: &Value) -> Result<String, Error> {
    if let Some(s) = value.as_str() {
        return Ok(sql_literal(s));
    }
    if value.is_number() {
        return Ok(value.to_string());
    }
    match value.is_true() {
        _ if value.kind() == minijinja::value::ValueKind::Bool => {
            Ok(if value.is_true() { "TRUE" } else { "FALSE" }.to_string())
        }
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot write a {} into SQL unescaped", value.kind()),
        )),
    }
}

fn js_value(value: &Value) -> Result<String, Error> {
    serde_json::to_string(value)
        .map(|json| js_literal(&json))
        .map_err(|e| {
            Error::new(ErrorKind::BadSerialization, "cannot write a value as JSON").with_source(e)
        })
}

/// JSON text made safe to embed in JavaScript source anywhere: the line and paragraph
/// separators (line breaks in older JavaScript) and `<`, `>`, `&` (so no `</script>` or
/// `<!--` appears) become `\u` escapes, which mean the same inside JSON strings; outside
/// strings JSON has none of these characters.
pub fn js_literal(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out
}

fn sql_ident_filter(s: String) -> Value {
    Value::from_safe_string(sql_ident(&s))
}

/// A YAML double-quoted scalar for `s`: JSON-style escapes, plus every character
/// YAML would treat as a line break or that is invisible (NEL, LS, PS, BOM, controls).
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if s.bytes().all(plain) {
        // Printable ASCII without quotes or backslashes needs no escape (the usual case).
        out.push_str(s);
        out.push('"');
        return out;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A SQL string literal (standard-conforming strings: only `'` needs doubling).
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A double-quoted SQL identifier.
pub fn sql_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Markdown text whose every character displays literally (inline context, table cells included).
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The GitHub-style heading anchor of `heading` (lower case, spaces to `-`, punctuation dropped).
pub fn markdown_anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Shared state of one render: the environment, the model and the schedule.
pub struct Renderer<'a> {
    env: minijinja::Environment<'static>,
    /// The validated configuration.
    pub model: &'a Model,
    /// The compiled cron triggers and expiries.
    pub schedule: &'a Schedule,
}

impl<'a> Renderer<'a> {
    /// A renderer over `model` and `schedule` with the embedded templates.
    pub fn new(model: &'a Model, schedule: &'a Schedule) -> Self {
        Renderer {
            env: environment(),
            model,
            schedule,
        }
    }

    /// Renders `template` with `context` into `path`, adds the header and checks the syntax.
    pub fn file(
        &self,
        template: &str,
        context: impl Serialize,
        path: &str,
        kustomize: bool,
    ) -> Result<RenderedFile, RenderError> {
        let fail = |message: String| RenderError {
            template: template.to_string(),
            file: path.to_string(),
            message,
        };
        let body = self
            .env
            .get_template(template)
            .and_then(|t| t.render(context))
            .map_err(|e| fail(format!("{e:#}")))?;
        let contents = format!("{}{}", file::header_for(path), body);
        let json_size = if file::is_yaml(path) {
            file::check_yaml(&contents)
                .map_err(|e| fail(format!("rendered YAML does not parse: {e}")))?
        } else {
            None
        };
        Ok(RenderedFile {
            path: path.to_string(),
            contents,
            kustomize,
            json_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_model() -> Model {
        crate::config::validate::model_from_strs(
            crate::config::example::TERRITORIES,
            crate::config::example::CALENDARS,
        )
        .expect("default config validates")
    }

    #[test]
    fn invalid_yaml_from_a_template_is_an_internal_error_naming_template_and_file() {
        let model = default_model();
        let schedule = Schedule::default();
        let mut env = environment();
        env.add_template("broken.yaml.j2", "key: [unclosed\n")
            .unwrap();
        let r = Renderer {
            env,
            model: &model,
            schedule: &schedule,
        };
        let err = r
            .file("broken.yaml.j2", (), "x/broken.yaml", true)
            .unwrap_err();
        assert_eq!(err.template, "broken.yaml.j2");
        assert_eq!(err.file, "x/broken.yaml");
        assert!(err.to_string().contains("does not parse"), "{err}");
    }

    #[test]
    fn shared_macros_escape_for_the_calling_template() {
        let model = default_model();
        let schedule = Schedule::default();
        let mut env = environment();
        env.add_template(
            "t.yaml.j2",
            "{% from \"macros.j2\" import object_labels %}labels:\n  {{ object_labels(labels)|indent(2) }}",
        )
        .unwrap();
        let r = Renderer {
            env,
            model: &model,
            schedule: &schedule,
        };
        let labels = serde_json::json!({"app": "a: b", "workload": "w", "territory": "DE"});
        let file = r
            .file(
                "t.yaml.j2",
                serde_json::json!({ "labels": labels }),
                "t.yaml",
                false,
            )
            .unwrap();
        assert!(
            file.contents.contains("app.kubernetes.io/name: \"a: b\""),
            "{}",
            file.contents
        );
    }

    #[test]
    fn undefined_template_variables_are_errors() {
        let model = default_model();
        let schedule = Schedule::default();
        let mut env = environment();
        env.add_template("t.yaml.j2", "a: {{ nope }}\n").unwrap();
        let r = Renderer {
            env,
            model: &model,
            schedule: &schedule,
        };
        assert!(r.file("t.yaml.j2", (), "t.yaml", false).is_err());
    }

    #[test]
    fn yaml_quote_escapes_quotes_breaks_and_invisible_characters() {
        assert_eq!(yaml_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(yaml_quote("x\u{2028}y\u{feff}"), r#""x\u2028y\ufeff""#);
        let parsed: String = serde_yaml::from_str(&yaml_quote("key: {{ x }} # c\n- y")).unwrap();
        assert_eq!(parsed, "key: {{ x }} # c\n- y");
    }

    #[test]
    fn sql_literal_doubles_quotes() {
        assert_eq!(sql_literal("O'Brien"), "'O''Brien'");
        assert_eq!(sql_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn markdown_escape_neutralises_tables_links_and_html() {
        assert_eq!(markdown_escape("a|b"), "a\\|b");
        assert_eq!(markdown_escape("<script>"), "&lt;script&gt;");
        assert_eq!(markdown_escape("[x](y)"), "\\[x\\]\\(y\\)");
    }

    #[test]
    fn escape_mode_follows_extension() {
        assert_eq!(
            escape_for_template("deployment.yaml.j2"),
            AutoEscape::Custom("yaml")
        );
        assert_eq!(escape_for_template("x.sql.j2"), AutoEscape::Custom("sql"));
        assert_eq!(escape_for_template("x.md.j2"), AutoEscape::Custom("md"));
        assert_eq!(escape_for_template("x.js.j2"), AutoEscape::Custom("js"));
    }

    #[test]
    fn js_literals_hide_script_tags_and_line_separators() {
        let json = serde_json::to_string("</script>\u{2028}&\"").unwrap();
        let js = js_literal(&json);
        assert_eq!(js, r#""\u003c/script\u003e\u2028\u0026\"""#);
        let back: String = serde_json::from_str(&js).unwrap();
        assert_eq!(back, "</script>\u{2028}&\"");
    }
}
