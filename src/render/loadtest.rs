//! k6 load tests (SPEC §10): `loadtest/{entry-id}.js` for every season or campaign with a
//! `load`, the seed's "5× Oktoberfest" rehearsal with the territory's own pattern.
//!
//! Everything the configuration decides is computed here into one plan per entry — one
//! scenario per territory × workload with its baseline, peak factor, p95 target, probe
//! request and region mix — and written into the script as a single JSON literal
//! (`render::engine` escapes it for JavaScript). The template holds only fixed JavaScript
//! that turns the plan into k6 options at run time, because `LOAD_SCALE` and `TIME_SCALE`
//! are read from the environment when k6 starts; the script itself is a pure function of
//! the configuration.
//!
//! The traffic model is §8.1's: the peak of (T, W) is `baseline_rps × profile peak × f`
//! with the entry's factor `f = Σ share × factor` over T's regions and the rest
//! ([`crate::config::model::Entry::load_parts`]). Requests pick their region by those same
//! terms, so a region's share of the requests is `s_r × L(T-r) / f` and the rest's is
//! `(1 − Σ s_r) × L(T) / f`; the rest is sent as region [`REST_REGION`]. A territory the
//! entry has no load key for gets no scenario (its traffic is not part of the pattern),
//! nor does a deployment without `baseline_rps` (or with 0): the script lists those.

use crate::config::model::{Entry, LoadPart, Model, Territory, TerritoryWorkload, Workload};
use crate::render::engine::{js_literal, Renderer};
use crate::render::file::{RenderError, RenderedFile};
use crate::render::promql::decimal;
use serde::Serialize;

/// `X-Region` (and `{region}`) of the requests for the part of a territory outside its
/// configured regions. Region codes are upper case, so it never names a region.
pub const REST_REGION: &str = "other";

/// Length of each phase at `TIME_SCALE=1`, in seconds: ramp up, hold the peak, ramp down.
pub const PHASE_SECONDS: Phases = Phases {
    ramp_up_s: 600,
    hold_s: 1800,
    ramp_down_s: 300,
};

/// Durations of the three phases of every scenario.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Phases {
    /// From the baseline to the peak.
    pub ramp_up_s: u32,
    /// At the peak.
    pub hold_s: u32,
    /// From the peak back to the baseline.
    pub ramp_down_s: u32,
}

/// Path of the load test of entry `id`.
pub fn path_of(id: &str) -> String {
    format!("loadtest/{id}.js")
}

/// Renders a load test for every entry with a `load`.
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    r.model
        .entries
        .iter()
        .filter(|e| !e.load.is_empty())
        .map(|e| {
            r.file(
                "loadtest/loadtest.js.j2",
                context(r.model, e),
                &path_of(&e.id),
                false,
            )
        })
        .collect()
}

/// The highest factor of the `[traffic]` profiles (SPEC §8.1) in the local hours that
/// `entry`'s windows touch, over the day classes its `days` allow (weekday: Monday to
/// Friday, weekend: Saturday and Sunday). A window crossing midnight counts both days'
/// classes. 1.0 with the default flat profiles.
pub fn profile_peak(model: &Model, entry: &Entry, _territory: &Territory) -> f64 {
    use chrono::Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
    let traffic = &model.traffic;
    let (start, end) = (entry.hours.start_minute, entry.hours.end_minute);
    let crosses_midnight = end <= start;
    let hours: Vec<usize> = (0..24u32)
        .filter(|h| {
            let (from, to) = (h * 60, h * 60 + 60);
            if crosses_midnight {
                to > start || from < end
            } else {
                to > start && from < end
            }
        })
        .map(|h| h as usize)
        .collect();
    let weekday = [Mon, Tue, Wed, Thu, Fri]
        .iter()
        .any(|&d| entry.days.contains(d));
    let weekend = [Sat, Sun].iter().any(|&d| entry.days.contains(d));
    let mut profiles: Vec<&[f64; 24]> = Vec::new();
    if weekday || crosses_midnight {
        profiles.push(&traffic.profile_weekday);
    }
    if weekend || crosses_midnight {
        profiles.push(&traffic.profile_weekend);
    }
    profiles
        .iter()
        .flat_map(|p| hours.iter().map(move |&h| p[h]))
        .fold(0.0, f64::max)
}

/// Context of `loadtest.js.j2`.
#[derive(Serialize)]
struct LoadtestContext {
    /// The opening comment: what the script loads, per scenario and in total (safe: built
    /// by [`comment`]).
    comment: minijinja::Value,
    /// Path of the script, for messages.
    script_path: String,
    /// The plan the script runs: a JSON literal escaped for JavaScript (safe).
    plan: minijinja::Value,
}

/// Everything the script needs, as data.
#[derive(Serialize)]
struct Plan {
    /// Entry id.
    entry: String,
    /// Entry display name.
    name: String,
    /// Phase durations at `TIME_SCALE=1`.
    phases: Phases,
    /// One per territory × workload, in territory then workload order.
    scenarios: Vec<Scenario>,
    /// k6 thresholds per territory × workload: p95 under the target, under 1 % failures.
    thresholds: serde_json::Map<String, serde_json::Value>,
}

/// One k6 scenario: a territory × workload.
#[derive(Serialize)]
struct Scenario {
    /// Scenario name, `{territory}-{workload}` (k6 allows letters, digits, `-`, `_`).
    name: String,
    territory: String,
    workload: String,
    /// The deployment it loads.
    deployment: String,
    /// Requests per second at the start and end (the baseline).
    baseline_rps: f64,
    /// Peak = baseline × this × `LOAD_SCALE` (profile peak × entry factor).
    peak_factor: f64,
    /// p95 target in milliseconds (also sizes the VU pool).
    p95_ms: u32,
    /// Probe request.
    method: String,
    /// Probe path, placeholders unfilled.
    path: String,
    /// Probe body, placeholders unfilled.
    body: Option<String>,
    /// `Content-Type` of the body.
    content_type: Option<&'static str>,
    /// Region mix: each part's share of the requests, in order.
    regions: Vec<RegionWeight>,
}

/// A region (or the rest) and its share of a scenario's requests.
#[derive(Serialize)]
struct RegionWeight {
    region: String,
    weight: f64,
}

fn context(model: &Model, entry: &Entry) -> LoadtestContext {
    let mut scenarios = Vec::new();
    let mut skipped = Vec::new();
    for t in &model.territories {
        let Some(parts) = entry.load_parts(t) else {
            continue;
        };
        for w in &model.workloads {
            let Some(b) = t.workload(&w.name) else {
                continue;
            };
            match b.baseline_rps.filter(|rps| *rps > 0.0) {
                Some(_) => scenarios.push(scenario(model, entry, t, w, b, &parts)),
                None => skipped.push(model.deployment_name(t, &w.name)),
            }
        }
    }
    let mut lines = vec![
        format!(
            "k6 load test of {} `{}` (SPEC §10).",
            entry.kind.as_str(),
            entry.id
        ),
        String::new(),
        "Run it against a staging environment, never production:".to_string(),
        String::new(),
        format!(
            "  BASE_URL=https://staging.example.com LOAD_SCALE=5 k6 run {}",
            path_of(&entry.id)
        ),
        String::new(),
        "Scenarios at LOAD_SCALE=1 (baseline → peak requests/s; share of requests per region):"
            .to_string(),
    ];
    lines.extend(scenarios.iter().map(|s| format!("  {}", summary_line(s))));
    if scenarios.is_empty() {
        lines.push("  none".to_string());
    }
    if !skipped.is_empty() {
        lines.push(format!(
            "No scenario (no baseline_rps, or 0): {}.",
            skipped.join(", ")
        ));
    }
    let plan = Plan {
        entry: entry.id.clone(),
        name: entry.name.clone(),
        phases: PHASE_SECONDS,
        thresholds: thresholds(&scenarios),
        scenarios,
    };
    let json = serde_json::to_string_pretty(&plan).expect("the plan is plain data");
    LoadtestContext {
        comment: minijinja::Value::from_safe_string(comment(&lines)),
        script_path: path_of(&entry.id),
        plan: minijinja::Value::from_safe_string(js_literal(&json)),
    }
}

fn scenario(
    model: &Model,
    entry: &Entry,
    t: &Territory,
    w: &Workload,
    b: &TerritoryWorkload,
    parts: &[LoadPart],
) -> Scenario {
    let factor: f64 = parts.iter().map(|p| p.share * p.factor).sum();
    Scenario {
        name: format!("{}-{}", t.code, w.name),
        territory: t.code.clone(),
        workload: w.name.clone(),
        deployment: model.deployment_name(t, &w.name),
        baseline_rps: b.baseline_rps.unwrap_or(0.0),
        peak_factor: profile_peak(model, entry, t) * factor,
        p95_ms: b.p95_ms,
        method: w.loadtest.method.clone(),
        path: w.loadtest.path.clone(),
        body: w.loadtest.body.clone(),
        content_type: w.loadtest.body.as_deref().map(content_type),
        regions: region_mix(parts, factor),
    }
}

/// Shares at or below this are rounding left over from region shares that sum to 1
/// (validation allows 1 + 1e-9): the rest of such a territory sends nothing.
const NO_SHARE: f64 = 1e-9;

/// Each part's share of the requests, `share × factor / f`; parts with no traffic are
/// left out. With `f = 0` (cannot happen: factors are > 0) the shares alone.
fn region_mix(parts: &[LoadPart], factor: f64) -> Vec<RegionWeight> {
    parts
        .iter()
        .filter(|p| p.share > NO_SHARE && p.factor > 0.0)
        .map(|p| RegionWeight {
            region: p.region.unwrap_or(REST_REGION).to_string(),
            weight: if factor > 0.0 {
                p.share * p.factor / factor
            } else {
                p.share
            },
        })
        .collect()
}

/// `application/json` when the body is JSON once its placeholders hold codes, else text.
fn content_type(body: &str) -> &'static str {
    let sample = body.replace("{territory}", "XX").replace("{region}", "XX");
    if serde_json::from_str::<serde_json::Value>(&sample).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// The thresholds of every scenario, on the sub-metrics its tags select.
fn thresholds(scenarios: &[Scenario]) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for s in scenarios {
        let tags = format!("{{territory:{},workload:{}}}", s.territory, s.workload);
        out.insert(
            format!("http_req_duration{tags}"),
            serde_json::json!([format!("p(95)<{}", s.p95_ms)]),
        );
        out.insert(
            format!("http_req_failed{tags}"),
            serde_json::json!(["rate<0.01"]),
        );
    }
    out
}

/// `DE-queries  120 → 360 req/s  BY 50 %, BW 13.3 %, other 36.7 %` (at `LOAD_SCALE=1`).
fn summary_line(s: &Scenario) -> String {
    let mix: Vec<String> = s
        .regions
        .iter()
        .map(|r| format!("{} {} %", r.region, round(r.weight * 100.0, 1)))
        .collect();
    format!(
        "{}: {} → {} req/s; regions {}",
        s.name,
        round(s.baseline_rps, 2),
        round(s.baseline_rps * s.peak_factor, 2),
        mix.join(", ")
    )
}

/// `lines` as `//` comment lines. The lines hold validated identifiers and numbers; a
/// JavaScript line terminator would still end the comment, so any is escaped.
fn comment(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| {
            let text: String = l
                .chars()
                .map(|c| match c {
                    '\n' | '\r' | '\u{2028}' | '\u{2029}' => format!("\\u{:04x}", u32::from(c)),
                    c => c.to_string(),
                })
                .collect();
            format!("// {text}").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn round(x: f64, digits: i32) -> String {
    let scale = 10f64.powi(digits);
    decimal((x * scale).round() / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_json_are_sent_as_json() {
        assert_eq!(
            content_type(r#"{"territory":"{territory}","n":1}"#),
            "application/json"
        );
        assert_eq!(content_type("t={territory}"), "text/plain; charset=utf-8");
    }

    #[test]
    fn the_rest_of_a_territory_gets_its_own_region_and_rounding_rests_none() {
        let parts = [
            LoadPart {
                region: Some("BY"),
                share: 0.25,
                factor: 6.0,
            },
            LoadPart {
                region: None,
                share: 0.75,
                factor: 2.0,
            },
            LoadPart {
                region: None,
                share: 1.0 - (0.7 + 0.2 + 0.1),
                factor: 2.0,
            },
        ];
        assert!(parts[2].share > 0.0, "the rounding this guards against");
        let mix = region_mix(&parts, 3.0);
        assert_eq!(mix.len(), 2);
        assert_eq!((mix[0].region.as_str(), mix[0].weight), ("BY", 0.5));
        assert_eq!((mix[1].region.as_str(), mix[1].weight), (REST_REGION, 0.5));
    }
}
