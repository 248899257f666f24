//! The small checks every section uses: patterns, URLs, display names, numbers in
//! range, ratios and durations, each reported at the value's span.

use super::Validator;
use crate::config::model::PromDuration;
use crate::config::parse::{Parsed, SStr};
use crate::config::values::{is_forbidden_in_name, parse_duration};
use toml::Spanned;

impl Validator {
    pub(super) fn check<T>(
        &mut self,
        p: &Parsed<T>,
        v: &SStr,
        ok: impl Fn(&str) -> bool,
        message: &str,
        help: &str,
    ) -> bool {
        if ok(v.get_ref()) {
            return true;
        }
        self.error(
            format!("{message}, found `{}`", v.get_ref().escape_debug()),
            p.at(v.span()),
        )
        .help = Some(help.into());
        false
    }

    pub(super) fn url<T>(&mut self, p: &Parsed<T>, v: &SStr, key: &str, no_fragment: bool) -> bool {
        let s = v.get_ref();
        let scheme_ok = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty());
        let chars_ok = !s.chars().any(|c| c.is_whitespace() || c.is_control()) && !s.contains("{{");
        if !scheme_ok || !chars_ok {
            self.error(format!("`{key}` must be an http:// or https:// URL without whitespace, control characters or `{{{{`, found `{}`", s.escape_debug()), p.at(v.span()))
                .help = Some("e.g. https://wiki.example.com/runbooks/runbook-seasonal".into());
            return false;
        }
        if no_fragment && s.contains('#') {
            self.error(
                format!("`{key}` must not contain `#`: alerts append `#anchor` to it"),
                p.at(v.span()),
            )
            .help = Some("remove the fragment".into());
            return false;
        }
        true
    }

    pub(super) fn display_name<T>(&mut self, p: &Parsed<T>, v: &SStr, what: &str) -> bool {
        let s = v.get_ref();
        let len = s.chars().count();
        if len == 0 || len > 200 {
            self.error(
                format!("{what} must have 1 to 200 characters, found {len}"),
                p.at(v.span()),
            );
            return false;
        }
        if let Some(c) = s.chars().find(|c| is_forbidden_in_name(*c)) {
            self.error(format!("{what} contains the invisible or control character U+{:04X}", c as u32), p.at(v.span()))
                .help = Some("names must not contain control characters, newlines, tabs, bidi overrides or zero-width characters".into());
            return false;
        }
        true
    }

    pub(super) fn int_in<T>(
        &mut self,
        p: &Parsed<T>,
        v: &Spanned<i64>,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> Option<i64> {
        let n = *v.get_ref();
        if n < lo || n > hi {
            let range = if hi == u32::MAX as i64 {
                format!("at least {lo}")
            } else {
                format!("between {lo} and {hi}")
            };
            self.error(format!("{what} must be {range}, found {n}"), p.at(v.span()));
            return None;
        }
        Some(n)
    }

    pub(super) fn ratio<T>(
        &mut self,
        p: &Parsed<T>,
        v: Option<&Spanned<f64>>,
        default: f64,
        what: &str,
    ) -> Option<f64> {
        let Some(v) = v else { return Some(default) };
        let x = *v.get_ref();
        if !(x.is_finite() && x > 0.0 && x < 1.0) {
            self.error(
                format!("{what} must be between 0 and 1 (exclusive), found {x}"),
                p.at(v.span()),
            )
            .help = Some("a fraction such as 0.70".into());
            return None;
        }
        Some(x)
    }

    pub(super) fn duration<T>(
        &mut self,
        p: &Parsed<T>,
        v: &SStr,
        max_seconds: Option<u64>,
        what: &str,
    ) -> Option<PromDuration> {
        match parse_duration(v.get_ref()) {
            None => {
                self.error(
                    format!(
                        "{what} is not a Prometheus duration: `{}`",
                        v.get_ref().escape_debug()
                    ),
                    p.at(v.span()),
                )
                .help = Some("use e.g. `30s`, `5m`, `1h30m`, `1d` (no sign, no fraction)".into());
                None
            }
            Some(d) if max_seconds.is_some_and(|m| d.seconds > m) => {
                self.error(
                    format!("{what} is {d}, more than the HPA limit of 1h"),
                    p.at(v.span()),
                )
                .help = Some("the HPA stabilization window is at most 3600 seconds".into());
                None
            }
            Some(d) => Some(d),
        }
    }
}
