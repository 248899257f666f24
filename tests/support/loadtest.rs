//! What the load-test suites share: the traffic each rendered k6 script should send,
//! computed straight from the configuration by SPEC §8.1/§10 (independently of
//! `render::loadtest`, which it checks), the plan read back from a script, and an odd
//! configuration nobody would write by hand.

use scalegen::config::model::{Entry, Model, Territory};
use scalegen::render::loadtest::{PHASE_SECONDS, REST_REGION};
use std::collections::BTreeMap;

/// (territory, workload, region) → expected number of requests.
pub type Mix = BTreeMap<(String, String, String), f64>;

/// `L(key)` of `entry`: the factor of `DE` or `DE-BY`, if given.
fn factor_of(entry: &Entry, key: &str) -> Option<f64> {
    entry
        .load
        .iter()
        .find(|l| match &l.region {
            Some(r) => format!("{}-{r}", l.territory) == key,
            None => l.territory == key,
        })
        .map(|l| l.factor)
}

/// Traffic weight of each region of `t` (and of the rest) under `entry`, unnormalised:
/// `s_r × L(T-r)` and `(1 − Σ s) × L(T)`; `None` when the entry has no key for `t`.
pub fn region_terms(entry: &Entry, t: &Territory) -> Option<BTreeMap<String, f64>> {
    let has_key = entry.load.iter().any(|l| l.territory == t.code);
    if !has_key {
        return None;
    }
    let own = factor_of(entry, &t.code).unwrap_or(1.0);
    let mut terms = BTreeMap::new();
    let mut rest = 1.0;
    for r in &t.regions {
        let f = factor_of(entry, &format!("{}-{}", t.code, r.code)).unwrap_or(own);
        terms.insert(r.code.clone(), r.share * f);
        rest -= r.share;
    }
    if rest > 1e-9 {
        terms.insert(REST_REGION.to_string(), rest * own);
    }
    Some(terms)
}

/// Requests a `ramping-arrival-rate` scenario sends: from `base` to `peak` requests per
/// minute, hold, back to `base`, over the phases scaled by `time_scale` (trapezoids).
pub fn scenario_requests(base: f64, peak: f64, time_scale: f64) -> f64 {
    let minutes = |s: u32| f64::from(s) * time_scale / 60.0;
    (base + peak) / 2.0 * minutes(PHASE_SECONDS.ramp_up_s)
        + peak * minutes(PHASE_SECONDS.hold_s)
        + (peak + base) / 2.0 * minutes(PHASE_SECONDS.ramp_down_s)
}

/// The expected requests per (territory, workload, region) of `entry`'s script run with
/// `load_scale` and `time_scale`.
pub fn expected_mix(model: &Model, entry: &Entry, load_scale: f64, time_scale: f64) -> Mix {
    let mut mix = Mix::new();
    for t in &model.territories {
        let Some(terms) = region_terms(entry, t) else {
            continue;
        };
        let f: f64 = terms.values().sum();
        for tw in &t.workloads {
            let Some(baseline) = tw.baseline_rps.filter(|b| *b > 0.0) else {
                continue;
            };
            let base = (baseline * 60.0).round().max(1.0);
            let peak = (baseline * f * load_scale * 60.0).round().max(1.0);
            let total = scenario_requests(base, peak, time_scale);
            for (region, term) in &terms {
                mix.insert(
                    (t.code.clone(), tw.workload.clone(), region.clone()),
                    total * term / f,
                );
            }
        }
    }
    mix
}

/// The `PLAN` literal of a rendered script, parsed.
pub fn plan_of(script: &str) -> serde_json::Value {
    let start = script.find("const PLAN = ").expect("script has a PLAN") + "const PLAN = ".len();
    let end = start + script[start..].find("};\n").expect("PLAN ends") + 1;
    serde_json::from_str(&script[start..end]).expect("PLAN is JSON")
}

/// A configuration with what the default lacks: regions covering a whole territory (one
/// set whose shares add up to 1 only up to rounding),
/// loads given only for a region, a deployment without and one with a zero baseline, a
/// workload with the default probe, a POST probe whose body holds quotes, `</script>`,
/// a line separator and a newline, and display names with quotes and markup.
pub const ODD_TERRITORIES: &str = r#"
[app]
name = "odd-api"
namespace = "odd"
image = "registry.example.com/odd:1"
runbook_url = "https://wiki.example.com/odd"

[workloads.api]
p95_ms = 250

[workloads.api.loadtest]
method = "PUT"
path = "/v1/{territory}/items?region={region}&q=%22x%22"
body = "{\"t\": \"{territory}\", \"r\": \"{region}\", \"note\": \"it's </script> \u2028 line\nbreak\"}"

[workloads.bulk2]
p95_ms = 1200

[territories.UK]
name = "United \"Kingdom\" </script>"
timezone = "Europe/London"
regions = { N1 = 0.3, S = 0.7 }
api = { min = 1, max = 4, rps_per_replica = 10, baseline_rps = 8.5 }
bulk2 = { min = 1, max = 2, rps_per_replica = 5, baseline_rps = 2 }

[territories.NZ]
name = "Aotearoa"
timezone = "Pacific/Auckland"
regions = { A = 0.7, B = 0.2, C = 0.1 }
api = { min = 1, max = 3, rps_per_replica = 10, baseline_rps = 4 }
bulk2 = { min = 1, max = 2, rps_per_replica = 5 }

[territories.JP]
name = "Japan"
timezone = "Asia/Tokyo"
regions = { K = 0.5 }
api = { min = 1, max = 3, rps_per_replica = 10, baseline_rps = 0 }
bulk2 = { min = 1, max = 2, rps_per_replica = 5 }

[events]
channel = "odd_events"
types = ["odd.thing"]
"#;

/// Entries of [`ODD_TERRITORIES`]: a region-only load, a mixed load, a campaign, an entry
/// whose every loaded deployment lacks a baseline, and one without a load.
pub const ODD_CALENDAR: &str = r#"
[[season]]
id = "north-rush"
name = "North \"rush\" </script><!--"
from = "03-01"
to = "03-31"
hours = "22:00-02:00"
floor.UK = { api = 3 }
load = { "UK-N1" = 2.5 }

[[season]]
id = "all-hands"
from = "05-01"
to = "05-02"
hours = "00:00-24:00"
floor.NZ = { api = 2 }
load = { UK = 0.5, "UK-S" = 4, NZ = 3, JP = 2 }

[[campaign]]
id = "launch-2027"
from = "2027-06-01"
to = "2027-06-03"
hours = "09:00-17:00"
floor.UK = { bulk2 = 2 }
load = { UK = 1.25 }

[[season]]
id = "quiet-jp"
from = "08-01"
to = "08-10"
hours = "09:00-17:00"
floor.JP = { api = 2 }
load = { "JP-K" = 2 }

[[season]]
id = "no-load"
from = "09-01"
to = "09-02"
hours = "09:00-17:00"
floor.NZ = { api = 2 }
"#;

/// The odd configuration as a model.
pub fn odd_model() -> Model {
    super::model(
        ODD_TERRITORIES,
        &[("odd.toml".to_string(), ODD_CALENDAR.to_string())],
    )
}
