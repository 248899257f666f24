//! `scalegen simulate` (SPEC §8): small cases computed by hand step by step, invariants
//! on random calendars, the default configuration's totals and report snapshot, and the
//! command line (formats, filters, errors).

use crate::support::{self, random_calendar};
use chrono::NaiveDate;
use scalegen::config::model::{Floor, Model};
use scalegen::report::simulate::run::Strategy;
use scalegen::report::simulate::{DeploymentResult, Request, Simulation};
use scalegen::schedule::Schedule;
use std::process::{Command, Output};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Three UTC territories with one workload `api` (R = 50 rps, saturation 1.25: a ready
/// replica carries 62.5 rps), scale-down window 5 min:
/// - XA: 100 rps (2 replicas); `rush` triples it 08:00–20:00 in June with floor 6;
/// - XB: 50 rps (1 replica); `burst` floors 12 on July 1st 08:00–09:00;
/// - XC: 500 rps (10 replicas); floors 11 and 12 on August 1st at 08:00 and 10:00.
const TERRITORIES: &str = r#"
[app]
name = "app"
namespace = "ns"
image = "img:1"
runbook_url = "https://example.com/rb"

[workloads.api]
p95_ms = 300
scale_down_window = "5m"

[territories.XA]
name = "A"
timezone = "UTC"
api = { min = 1, max = 12, rps_per_replica = 50, baseline_rps = 100 }

[territories.XB]
name = "B"
timezone = "UTC"
api = { min = 1, max = 12, rps_per_replica = 50, baseline_rps = 50 }

[territories.XC]
name = "C"
timezone = "UTC"
api = { min = 1, max = 20, rps_per_replica = 50, baseline_rps = 500 }

[events]
channel = "ev"
types = ["a.b"]
"#;

const CALENDAR: &str = r#"
[[season]]
id = "rush"
from = "06-01"
to = "06-30"
hours = "08:00-20:00"
floor.XA = { api = 6 }
load = { XA = 3.0 }

[[season]]
id = "burst"
from = "07-01"
to = "07-01"
hours = "08:00-09:00"
floor.XB = { api = 12 }

[[season]]
id = "eleven"
from = "08-01"
to = "08-01"
hours = "08:00-09:00"
floor.XC = { api = 11 }

[[season]]
id = "twelve"
from = "08-01"
to = "08-01"
hours = "10:00-11:00"
floor.XC = { api = 12 }
"#;

fn small_model() -> Model {
    model_of(TERRITORIES, CALENDAR)
}

/// The model of a territories file and one calendar file `c.toml`.
fn model_of(territories: &str, calendar: &str) -> Model {
    support::model(territories, &[("c.toml".into(), calendar.into())])
}

/// Simulates `req` on the ScaledObjects rendered from `model` and `schedule`.
fn simulate(model: &Model, schedule: &Schedule, req: &Request) -> Simulation {
    try_simulate(model, schedule, req).unwrap_or_else(|e| panic!("{e}"))
}

fn try_simulate(
    model: &Model,
    schedule: &Schedule,
    req: &Request,
) -> Result<Simulation, scalegen::report::ReportError> {
    let keda = scalegen::commands::simulate::rendered_scaled_objects(model, schedule)?;
    let keda: Vec<&str> = keda.iter().map(String::as_str).collect();
    scalegen::report::simulate::simulate(model, schedule, &keda, req)
}

/// Simulates one territory of `model` over the local day `d` and traces it.
fn one_day(model: &Model, territory: &str, d: &str) -> DeploymentResult {
    let schedule = scalegen::schedule::compile::compile(model);
    let mut req = Request::new(model, day(d), day(d).succ_opt().unwrap());
    req.territory = Some(territory.into());
    req.trace_day = Some(day(d));
    let mut sim = simulate(model, &schedule, &req);
    assert_eq!(sim.deployments.len(), 1);
    sim.deployments.remove(0)
}

/// Replicas of `strategy` at each step (step k is 00:00 + 15 s·k).
fn replicas(d: &DeploymentResult, strategy: Strategy) -> Vec<u32> {
    let trace = d.day.as_ref().expect("traced");
    let steps = &trace
        .strategies
        .iter()
        .find(|(s, _)| *s == strategy)
        .unwrap()
        .1;
    steps.iter().map(|&(r, _)| r).collect()
}

fn ready(d: &DeploymentResult, strategy: Strategy) -> Vec<u32> {
    let trace = d.day.as_ref().expect("traced");
    let steps = &trace
        .strategies
        .iter()
        .find(|(s, _)| *s == strategy)
        .unwrap()
        .1;
    steps.iter().map(|&(_, r)| r).collect()
}

/// Step index of `hh:mm:ss` on a UTC day.
fn at(hms: &str) -> usize {
    let p: Vec<usize> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    (p[0] * 3600 + p[1] * 60 + p[2]) / 15
}

const STEPS_PER_DAY: u64 = 5760;

#[test]
fn steady_load_needs_no_controller_action() {
    let d = one_day(&small_model(), "XA", "2026-01-10");
    for s in [Strategy::Reactive, Strategy::Scheduled, Strategy::Ideal] {
        let r = d.strategy(s);
        assert_eq!(r.replica_steps, 2 * STEPS_PER_DAY, "{}", s.as_str());
        assert_eq!(r.risk_steps, 0);
        // 100 rps on 2 × 62.5 rps.
        assert!((r.worst_ratio - 0.8).abs() < 1e-12);
    }
    assert_eq!(
        d.strategy(Strategy::Static).replica_steps,
        12 * STEPS_PER_DAY
    );
    assert!(replicas(&d, Strategy::Reactive).iter().all(|&r| r == 2));
}

/// Demand triples at 08:00 (100 → 300 rps). The throughput metric sees the first
/// 300-rps sample at 08:00:45 (metric delay 30 s + one 15-s sample) and the rate window
/// fills over 2 minutes; each new replica serves 60 s after its creation:
///
/// | step      | O (8 samples, krps) | ⌈O/8R⌉ | tolerance vs cur | replicas | ready |
/// |-----------|---------------------|--------|------------------|----------|-------|
/// | 08:00:45  | 1.0                 | 3      | 25 % off 2 → 3   | 3        | 2     |
/// | 08:01:15  | 1.4                 | 4      | 17 % off 3 → 4   | 4        | 3 (08:01:45) |
/// | 08:01:45  | 1.8                 | 5      | 12.5 % off 4 → 5 | 5        | 4 (08:02:15) |
/// | 08:02:15  | 2.2                 | 6      | 10 % of 5: keep  | 5        | 5 (08:02:45) |
/// | 08:02:30  | 2.4                 | 6      | 20 % off 5 → 6   | 6        | 5     |
///
/// 300 rps need 5 ready replicas (4 carry 250): at risk from 08:00:00 until 08:02:45,
/// 11 steps = 2.75 minutes.
#[test]
fn a_step_at_eight_shows_the_reactive_lag() {
    let d = one_day(&small_model(), "XA", "2026-06-01");
    let r = replicas(&d, Strategy::Reactive);
    let rd = ready(&d, Strategy::Reactive);
    assert_eq!(r[at("08:00:30")], 2);
    assert_eq!(r[at("08:00:45")], 3);
    assert_eq!(r[at("08:01:15")], 4);
    assert_eq!(r[at("08:01:45")], 5);
    assert_eq!(r[at("08:02:15")], 5, "within the 10 % tolerance of 5");
    assert_eq!(r[at("08:02:30")], 6);
    assert_eq!(rd[at("08:01:30")], 2);
    assert_eq!(rd[at("08:01:45")], 3);
    assert_eq!(rd[at("08:02:30")], 4);
    assert_eq!(rd[at("08:02:45")], 5);
    assert_eq!(d.strategy(Strategy::Reactive).risk_steps, 11);
    // The floor of 6 is proposed at 08:00:00 itself: only the startup minute is at risk.
    let s = replicas(&d, Strategy::Scheduled);
    assert_eq!(s[at("07:59:45")], 2);
    assert_eq!(s[at("08:00:00")], 6);
    assert_eq!(ready(&d, Strategy::Scheduled)[at("08:01:00")], 6);
    assert_eq!(d.strategy(Strategy::Scheduled).risk_steps, 4);
    // Ideal follows the demand at once and never is at risk.
    assert_eq!(replicas(&d, Strategy::Ideal)[at("08:00:00")], 6);
    assert_eq!(d.strategy(Strategy::Ideal).risk_steps, 0);
    let rush = d.entries.iter().find(|e| e.id == "rush").unwrap();
    assert_eq!(rush.windows, 1);
    assert_eq!(
        (rush.reactive_first_hour, rush.scheduled_first_hour),
        (11, 4)
    );
    assert_eq!(rush.scheduled_startup, 4);
    // 300 rps on 62.5 rps per ready replica: 5 replicas carry the peak.
    assert_eq!((rush.floor, rush.needed_floor), (Some(6), 5));
}

/// At 20:00 demand falls back to 100 rps. The proposals fall from 08:00:45 later on
/// (6 at 20:00:45, 5, 5, 4, 4, 3, 3, 2 at 20:02:30), but the 5-minute scale-down window
/// holds the largest proposal of its last 20 steps: 6 until 20:05:30, then down one
/// proposal per step behind, 2 from 20:07:15.
#[test]
fn stabilization_holds_replicas_for_the_scale_down_window() {
    let d = one_day(&small_model(), "XA", "2026-06-01");
    let r = replicas(&d, Strategy::Reactive);
    assert_eq!(r[at("20:05:30")], 6);
    assert_eq!(r[at("20:05:45")], 5);
    assert_eq!(r[at("20:06:00")], 5);
    assert_eq!(r[at("20:06:15")], 4);
    assert_eq!(r[at("20:06:45")], 3);
    assert_eq!(r[at("20:07:00")], 3);
    assert_eq!(r[at("20:07:15")], 2);
    // Scale-down is immediate and unlimited once the window allows it: all replicas
    // were ready, so ready follows replicas.
    assert_eq!(ready(&d, Strategy::Reactive)[at("20:07:15")], 2);
}

/// A floor of 12 from 1 replica: selectPolicy Max of +100 % and +4 pods per step gives
/// 1 → 5 → 10 → 12.
#[test]
fn scale_up_policies_limit_each_step() {
    let d = one_day(&small_model(), "XB", "2026-07-01");
    let s = replicas(&d, Strategy::Scheduled);
    assert_eq!(s[at("07:59:45")], 1);
    assert_eq!(s[at("08:00:00")], 5);
    assert_eq!(s[at("08:00:15")], 10);
    assert_eq!(s[at("08:00:30")], 12);
    assert!(replicas(&d, Strategy::Reactive).iter().all(|&r| r == 1));
    // The floor ends at 09:00. The last proposal of 12 was at 08:59:45; a 300-s window
    // holds the steps strictly after t − 300 s, so 12 stays until 09:04:30.
    assert_eq!(s[at("09:04:30")], 12);
    assert_eq!(s[at("09:04:45")], 1);
}

/// KEDA serves a cron trigger as a metric with target 1, so the HPA's 10 % tolerance
/// applies: from 10 replicas a floor of 11 is never reached, a floor of 12 is (§8.2).
#[test]
fn the_tolerance_gap_keeps_ten_replicas_under_a_floor_of_eleven() {
    let d = one_day(&small_model(), "XC", "2026-08-01");
    let s = replicas(&d, Strategy::Scheduled);
    assert!(s[at("08:00:00")..at("09:00:00")].iter().all(|&r| r == 10));
    assert_eq!(s[at("10:00:00")], 12);
    let eleven = d.entries.iter().find(|e| e.id == "eleven").unwrap();
    assert_eq!(eleven.scheduled_windows, 0);
}

/// `[app] scale_up_tolerance = 0.0` is rendered into the ScaledObject and simulate reads
/// it from there: the floor of 11 is reached from 10 at once.
#[test]
fn a_rendered_scale_up_tolerance_of_zero_makes_floors_exact() {
    let territories = TERRITORIES.replacen(
        "runbook_url = \"https://example.com/rb\"",
        "runbook_url = \"https://example.com/rb\"\nscale_up_tolerance = 0.0",
        1,
    );
    let d = one_day(&model_of(&territories, CALENDAR), "XC", "2026-08-01");
    assert_eq!((d.tolerance.up, d.tolerance.down), (0, 100));
    let s = replicas(&d, Strategy::Scheduled);
    assert_eq!(s[at("07:59:45")], 10);
    assert_eq!(s[at("08:00:00")], 11);
}

/// With a lead of 2 minutes (SPEC §2.2) the floor of 6 opens at 07:58; its replicas are
/// ready at 07:59, before the traffic triples at 08:00 (F still starts at hours.start):
/// no risk where the window opening at 08:00 had 4 steps.
#[test]
fn a_lead_readies_the_floor_before_the_traffic() {
    let calendar = CALENDAR.replacen(
        "hours = \"08:00-20:00\"",
        "hours = \"08:00-20:00\"\nlead = \"2m\"",
        1,
    );
    let d = one_day(&model_of(TERRITORIES, &calendar), "XA", "2026-06-01");
    let s = replicas(&d, Strategy::Scheduled);
    assert_eq!(s[at("07:57:45")], 2);
    assert_eq!(s[at("07:58:00")], 6);
    assert_eq!(ready(&d, Strategy::Scheduled)[at("07:59:00")], 6);
    assert_eq!(d.strategy(Strategy::Scheduled).risk_steps, 0);
    let trace = d.day.as_ref().unwrap();
    assert_eq!(
        trace.demand[at("07:59:45")],
        100_000,
        "the load starts at 08:00"
    );
    assert_eq!(trace.demand[at("08:00:00")], 300_000);
    let rush = d.entries.iter().find(|e| e.id == "rush").unwrap();
    assert_eq!((rush.lead_minutes, rush.scheduled_windows), (2, 0));
    // Reactive is the same as without a lead: 11 steps at risk.
    assert_eq!(d.strategy(Strategy::Reactive).risk_steps, 11);
}

/// A `[traffic]` profile scales baseline_rps per local hour, weekdays and weekends apart.
#[test]
fn profiles_scale_the_baseline_per_local_hour() {
    let weekday: Vec<String> = (0..24)
        .map(|h| format!("{}", f64::from(h) / 10.0))
        .collect();
    let territories = format!(
        "{TERRITORIES}\n[traffic]\nprofile_weekday = [{}]\nprofile_weekend = [{}]\n",
        weekday.join(", "),
        vec!["0.5"; 24].join(", ")
    );
    let model = model_of(&territories, CALENDAR);
    // 2026-01-09 is a Friday, 2026-01-10 a Saturday; XA has 100 rps at factor 1.0.
    let friday = one_day(&model, "XA", "2026-01-09");
    let demand = &friday.day.as_ref().unwrap().demand;
    assert_eq!(demand[at("00:59:45")], 0);
    assert_eq!(demand[at("13:00:00")], 130_000);
    assert_eq!(demand[at("23:30:00")], 230_000);
    let saturday = one_day(&model, "XA", "2026-01-10");
    assert!(saturday
        .day
        .as_ref()
        .unwrap()
        .demand
        .iter()
        .all(|&d| d == 50_000));
}

/// `--scale` multiplies every demand: 5 × 100 rps = 500 rps needs 10 replicas.
#[test]
fn scale_multiplies_demand() {
    let model = small_model();
    let schedule = scalegen::schedule::compile::compile(&model);
    let mut req = Request::new(&model, day("2026-01-10"), day("2026-01-11"));
    req.territory = Some("XA".into());
    req.scale = 5.0;
    let sim = simulate(&model, &schedule, &req);
    let d = &sim.deployments[0];
    assert_eq!(
        d.strategy(Strategy::Ideal).replica_steps,
        10 * STEPS_PER_DAY
    );
    assert_eq!(d.peak_milli, 500_000);
}

/// A quiet season (factor below 1) lowers demand, and a load given only for a region
/// is a load for the territory, mixed by the region's share.
#[test]
fn factors_below_one_and_region_only_loads() {
    let territories = TERRITORIES.replace(
        "[territories.XA]\nname = \"A\"\n",
        "[territories.XA]\nname = \"A\"\nregions = { R1 = 0.5 }\n",
    );
    let calendar = r#"
[[season]]
id = "quiet"
from = "01-01"
to = "01-31"
hours = "00:00-24:00"
floor.XB = { api = 2 }
load = { XA = 0.5 }

[[season]]
id = "regional"
from = "02-01"
to = "02-28"
hours = "00:00-24:00"
floor.XB = { api = 2 }
load = { "XA-R1" = 3.0 }
"#;
    let model = model_of(&territories, calendar);
    assert_eq!(one_day(&model, "XA", "2026-01-10").peak_milli, 50_000);
    // (1 − 0.5) × 1.0 + 0.5 × 3.0 = 2.0
    assert_eq!(one_day(&model, "XA", "2026-02-10").peak_milli, 200_000);
}

/// Dated entries bring traffic only in their own dates, while their yearless cron
/// triggers raise the floor in every year (§8.2 "Readings").
#[test]
fn a_campaign_repeats_its_floor_but_not_its_traffic_in_other_years() {
    let calendar = r#"
[[campaign]]
id = "promo"
from = "2027-03-02"
to = "2027-03-02"
hours = "08:00-09:00"
floor.XA = { api = 8 }
load = { XA = 4.0 }
"#;
    let model = model_of(TERRITORIES, calendar);
    let other_year = one_day(&model, "XA", "2026-03-02");
    assert_eq!(other_year.peak_milli, 100_000, "no traffic factor in 2026");
    assert_eq!(
        replicas(&other_year, Strategy::Scheduled)[at("08:00:30")],
        8
    );
    let promo = |d: &DeploymentResult| d.entries.iter().find(|e| e.id == "promo").cloned().unwrap();
    // In 2026 the trigger holds the floor 08:00–09:00 without any window: 240 steps.
    assert_eq!(
        (promo(&other_year).windows, promo(&other_year).repeat_steps),
        (0, 240)
    );
    let own_year = one_day(&model, "XA", "2027-03-02");
    assert_eq!(own_year.peak_milli, 400_000);
    assert_eq!(
        (promo(&own_year).windows, promo(&own_year).repeat_steps),
        (1, 0)
    );
}

/// A random calendar (`random_calendar`, leads included) with `baseline_rps` on every
/// deployment, loads on most entries and, for half the seeds, a random `[traffic]`.
pub(crate) fn with_loads(seed: u64) -> (String, Vec<(String, String)>) {
    let (territories, mut calendars) = random_calendar::generate(seed);
    let mut r = random_calendar::Rng::new(seed ^ 0x5eed);
    let baseline = |r: &mut random_calendar::Rng| f64::from(r.range(1, 600)) / 10.0;
    let territories = territories
        .lines()
        .map(|l| {
            if l.contains("rps_per_replica = 10 }") {
                let b = baseline(&mut r);
                l.replace(
                    "rps_per_replica = 10 }",
                    &format!("rps_per_replica = 10, baseline_rps = {b} }}"),
                )
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let codes = ["TA", "TB", "TC"];
    let mut cal = String::new();
    for line in calendars[0].1.lines() {
        cal.push_str(line);
        cal.push('\n');
        if line.starts_with("id = \"e") && r.chance(70) {
            let code = codes[r.range(0, 2) as usize];
            if territories.contains(&format!("[territories.{code}]")) {
                let f = f64::from(r.range(2, 40)) / 10.0;
                cal.push_str(&format!("load = {{ {code} = {f} }}\n"));
            }
        }
    }
    calendars[0].1 = cal;
    let traffic = if r.chance(50) {
        random_traffic(&mut r)
    } else {
        String::new()
    };
    (format!("{territories}\n{traffic}"), calendars)
}

/// A random `[traffic]` table: hourly profiles (zeros included), startup, saturation and
/// metric delay from their ranges' edges and middles.
fn random_traffic(r: &mut random_calendar::Rng) -> String {
    let profile = |r: &mut random_calendar::Rng| {
        let hours: Vec<String> = (0..24)
            .map(|_| format!("{}", f64::from(r.range(0, 30)) / 10.0))
            .collect();
        hours.join(", ")
    };
    let weekday = profile(r);
    let weekend = profile(r);
    let startup = r.pick(&[0, 7, 15, 45, 50, 60, 90, 300]);
    let saturation = r.pick(&["1.0", "1.25", "1.5", "2.37"]);
    let delay = r.pick(&[0, 15, 30, 60, 120]);
    format!(
        "[traffic]\nprofile_weekday = [{weekday}]\nprofile_weekend = [{weekend}]\n\
         startup_seconds = {startup}\nsaturation = {saturation}\nmetric_delay_seconds = {delay}\n"
    )
}

fn random_sim(seed: u64) -> Option<(Simulation, String)> {
    let (territories, calendars) = with_loads(seed);
    let model = support::try_model(&territories, &calendars).ok()?;
    let schedule = scalegen::schedule::compile::compile(&model);
    let year = 2026 + (seed % 3) as i32;
    let mut req = Request::new(
        &model,
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap(),
    );
    req.scale = [1.0, 2.5][(seed % 2) as usize];
    let sim = try_simulate(&model, &schedule, &req).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    Some((
        sim,
        format!("seed {seed}:\n{territories}\n{}", calendars[0].1),
    ))
}

/// On random calendars (zones, DST, midnight-crossing and whole-day hours, weekday
/// filters, blackouts, campaigns, loads): what holds for every controller.
#[test]
fn invariants_on_random_calendars() {
    let mut checked = 0;
    for seed in 0..24u64 {
        let Some((sim, case)) = random_sim(seed.wrapping_mul(0x9E37_79B9)) else {
            continue;
        };
        checked += 1;
        for d in &sim.deployments {
            let get = |s: Strategy| d.strategy(s);
            let (st, re, sc, id) = (
                get(Strategy::Static),
                get(Strategy::Reactive),
                get(Strategy::Scheduled),
                get(Strategy::Ideal),
            );
            // Static is max all the time, the most any strategy can have.
            assert_eq!(st.replica_steps, u64::from(d.max) * d.steps, "{case}");
            for x in [re, sc, id] {
                assert!(x.replica_steps <= st.replica_steps, "{case}");
                assert!(x.replica_steps >= u64::from(d.min) * d.steps, "{case}");
                // Fewer ready replicas than max can only add risk.
                assert!(x.risk_steps >= st.risk_steps, "{case}");
                assert!(x.worst_ratio >= st.worst_ratio - 1e-12, "{case}");
            }
            // Ideal is at risk exactly where even max is not enough.
            assert_eq!(id.risk_steps, st.risk_steps, "{case}");
            assert_eq!(id.risk_steps > 0, d.needed_max > d.max, "{case}");
            for e in &d.entries {
                assert!(e.scheduled_startup <= e.scheduled_first_hour, "{case}");
                assert!(e.scheduled_first_hour <= e.scheduled_windows, "{case}");
                // A floor simulate suggests never exceeds the one that carries the peak
                // alone, and none is suggested where min carries the peak.
                match (e.suggested_floor, e.carrying_floor) {
                    (Some(s), Some(c)) => assert!(s <= c && s > d.min, "{case}"),
                    (Some(_), None) => panic!("{case}: a floor where min carries the peak"),
                    _ => {}
                }
            }
        }
    }
    assert!(checked >= 12, "only {checked} random calendars validated");
}

/// With floors that carry each window's load (floor capacity ≥ demand) and that the
/// scale-up policies reach in one step, scheduled is at risk in a window only while the
/// floor's new replicas start (never without startup), and at most as often as reactive.
#[test]
fn floors_that_cover_the_load_leave_no_risk_in_their_windows() {
    let calendar = r#"
[[season]]
id = "rush"
from = "06-01"
to = "06-30"
hours = "08:00-20:00"
floor.XA = { api = 6 }
load = { XA = 3.0 }

[[season]]
id = "night"
from = "11-01"
to = "02-28"
hours = "22:00-02:00"
floor.XA = { api = 6 }
load = { XA = 3.5 }
"#;
    let model = model_of(TERRITORIES, calendar);
    let schedule = scalegen::schedule::compile::compile(&model);
    for startup in [0, 60] {
        let mut req = Request::new(&model, day("2026-01-01"), day("2027-01-01"));
        req.territory = Some("XA".into());
        req.traffic.startup_seconds = startup;
        let sim = simulate(&model, &schedule, &req);
        let d = &sim.deployments[0];
        let (re, sc) = (
            d.strategy(Strategy::Reactive),
            d.strategy(Strategy::Scheduled),
        );
        assert!(sc.risk_steps <= re.risk_steps, "startup {startup}");
        assert!(re.risk_steps > 0);
        for e in &d.entries {
            assert!(e.needed_floor <= e.floor.unwrap(), "{}", e.id);
            // Only replicas still starting at a window's first steps can be missing.
            assert_eq!(e.scheduled_windows, e.scheduled_startup, "{}", e.id);
            if startup == 0 {
                assert_eq!(e.scheduled_windows, 0, "{}", e.id);
            }
        }
    }
}

fn default_model() -> (Model, Schedule) {
    let model = support::default_model();
    let schedule = scalegen::schedule::compile::compile(&model);
    (model, schedule)
}

fn year(model: &Model) -> Request {
    Request::new(model, day("2026-01-01"), day("2027-01-01"))
}

/// Replica-hours (rounded) and risk minutes per strategy, summed over the deployments.
fn totals(sim: &Simulation) -> Vec<(&'static str, f64, f64)> {
    scalegen::report::simulate::report::totals(sim)
        .iter()
        .map(|(s, t)| {
            (
                s.as_str(),
                (t.replica_steps as f64 / 240.0).round(),
                t.risk_steps as f64 / 4.0,
            )
        })
        .collect()
}

/// The default configuration as issue 9 measured it, rebuilt from today's: flat traffic,
/// no lead, Spargel's `DE = 1.4` on top of `DE-BW = 3.0`, AT's Christmas query floor 2.
fn issue_9_model() -> Model {
    // The default configuration as it was when issue 9 was filed (flat profile, no lead,
    // Spargel's `DE = 1.4`, AT queries 2 at Christmas), kept as a fixture.
    support::load(&support::fixture("issue-9-default"))
}

/// The totals an independent implementation of §8 gave for the default configuration
/// of issue 9 over 2026: replica-hours and risk minutes per strategy.
#[test]
fn issue_9_totals_match_the_independent_model() {
    let model = issue_9_model();
    let schedule = scalegen::schedule::compile::compile(&model);
    let sim = simulate(&model, &schedule, &year(&model));
    assert_eq!(
        totals(&sim),
        [
            ("static", 192_720.0, 0.0),
            ("reactive", 77_879.0, 1_792.5),
            ("scheduled", 81_120.0, 895.5),
            ("ideal", 77_722.0, 0.0),
        ]
    );
    // CH queries at Christmas: 240 rps need 4 replicas at 75 rps, the floor is 3.
    let ch = sim
        .deployments
        .iter()
        .find(|d| d.name == "freshplan-api-queries-ch")
        .unwrap();
    let xmas = ch.entries.iter().find(|e| e.id == "weihnachten").unwrap();
    assert_eq!(
        (xmas.floor, xmas.needed_floor, xmas.suggested_floor),
        (Some(3), 4, Some(4))
    );
}

/// Today's default configuration (B2B profile, 5-minute lead): scheduled is never at
/// risk where ideal is not, the totals of the README, and the floors simulate suggests.
#[test]
fn default_config_totals_and_suggestions() {
    let (model, schedule) = default_model();
    let sim = simulate(&model, &schedule, &year(&model));
    assert_eq!(
        totals(&sim),
        [
            ("static", 192_720.0, 0.0),
            ("reactive", 69_931.0, 1_060.25),
            ("scheduled", 74_821.0, 0.0),
            ("ideal", 70_447.0, 0.0),
        ]
    );
    for d in &sim.deployments {
        let (s, i) = (d.strategy(Strategy::Scheduled), d.strategy(Strategy::Ideal));
        if i.risk_steps == 0 {
            assert_eq!(s.risk_steps, 0, "{}", d.name);
        }
        // Issue 9's acceptance on the shipped configuration itself.
        assert!(
            s.replica_steps as f64 <= 1.1 * i.replica_steps as f64,
            "{}: {} vs {}",
            d.name,
            s.replica_steps,
            i.replica_steps
        );
    }
    let suggestion = |name: &str, id: &str| {
        let d = sim.deployments.iter().find(|d| d.name == name).unwrap();
        let e = d.entries.iter().find(|e| e.id == id).unwrap();
        (e.floor, e.carrying_floor, e.suggested_floor)
    };
    // With the profile the HPA reaches 4 before the 09:00 peak: 3 suffice, 4 carry it alone.
    assert_eq!(
        suggestion("freshplan-api-queries-ch", "weihnachten"),
        (Some(3), Some(4), Some(3))
    );
    // The default's Oktoberfest floors for DE are simulate's own suggestions (the seed's
    // first guess, 6 and 4, was above what the load needs).
    assert_eq!(
        suggestion("freshplan-api-queries-de", "oktoberfest"),
        (Some(4), Some(4), Some(4))
    );
    assert_eq!(
        suggestion("freshplan-api-commands-de", "oktoberfest"),
        (Some(2), Some(2), Some(2))
    );
    // Spargel lifts DE to 1.4 only (BW +200 %): min carries it, the configured 3 is the
    // smallest floor that keeps the season an entry.
    assert_eq!(
        suggestion("freshplan-api-queries-de", "spargel"),
        (Some(3), None, None)
    );
}

/// Issue 9's acceptance with simulate's own suggestions applied to the default
/// configuration (lead time included): scheduled is at risk nowhere ideal is not, at no
/// more than 1.1 × ideal's replica-hours, per deployment and in total.
#[test]
fn with_the_suggested_floors_scheduled_is_safe_within_a_tenth_of_ideal() {
    let (mut model, schedule) = default_model();
    let sim = simulate(&model, &schedule, &year(&model));
    for d in &sim.deployments {
        for e in d.entries.iter().filter(|e| e.windows > 0) {
            let floors = &mut model.entries[e.index].floors;
            floors.retain(|f| !(f.territory == d.territory && f.workload == d.workload));
            if let Some(replicas) = e.suggested_floor {
                floors.push(Floor {
                    territory: d.territory.clone(),
                    workload: d.workload.clone(),
                    replicas,
                });
            }
        }
    }
    let schedule = scalegen::schedule::compile::compile(&model);
    let sim = simulate(&model, &schedule, &year(&model));
    let (mut sched, mut ideal) = (0, 0);
    for d in &sim.deployments {
        let (s, i) = (d.strategy(Strategy::Scheduled), d.strategy(Strategy::Ideal));
        assert_eq!(i.risk_steps, 0, "{}", d.name);
        assert_eq!(s.risk_steps, 0, "{}", d.name);
        assert!(
            s.replica_steps as f64 <= 1.1 * i.replica_steps as f64,
            "{}: {} vs {}",
            d.name,
            s.replica_steps,
            i.replica_steps
        );
        (sched, ideal) = (sched + s.replica_steps, ideal + i.replica_steps);
    }
    assert!(sched as f64 <= 1.1 * ideal as f64, "{sched} vs {ideal}");
}

fn scalegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalegen"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TZ")
        .output()
        .expect("scalegen runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const YEAR: [&str; 5] = ["simulate", "--from", "2026-01-01", "--to", "2027-01-01"];

#[test]
fn default_report_snapshot() {
    let o = scalegen(&YEAR);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("not simulated: the p95 latency guard trigger"));
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("simulate-default-2026", text);
    });
}

#[test]
fn json_has_the_spec_keys_and_csv_one_row_per_deployment_and_strategy() {
    let o = scalegen(&[&YEAR[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in ["from", "to", "scale", "deployments", "total"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let deployments = v["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 6);
    for d in deployments {
        for key in ["name", "territory", "workload", "strategies"] {
            assert!(d.get(key).is_some(), "{key}");
        }
        for s in ["static", "reactive", "scheduled", "ideal"] {
            for key in ["replica_hours", "risk_minutes", "worst_ratio"] {
                assert!(d["strategies"][s][key].is_number(), "{s}.{key}");
            }
        }
    }
    assert_eq!(v["total"]["reactive"]["risk_minutes"], 1060.25);
    assert_eq!(v["total"]["static"]["replica_hours"], 192_720.0);

    let o = scalegen(&[&YEAR[..], &["--format", "csv", "--territory", "de"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = stdout(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 4);
    assert!(lines[0].starts_with("deployment,territory,workload,strategy,replica_hours"));
    assert!(lines[1..].iter().all(|l| l.contains(",DE,")));
}

#[test]
fn output_is_deterministic_across_runs_and_tz() {
    let a = scalegen(&[&YEAR[..], &["--format", "json"]].concat());
    let b = Command::new(env!("CARGO_BIN_EXE_scalegen"))
        .args([&YEAR[..], &["--format", "json"]].concat())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TZ", "Pacific/Chatham")
        .env("LANG", "de_DE.UTF-8")
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["--scale", "0"], "--scale must be a number greater than 0"),
        (&["--scale=-2"], "--scale must be a number greater than 0"),
        (&["--scale", "abc"], "invalid value"),
        (
            &["--scale", "NaN"],
            "--scale must be a number greater than 0",
        ),
        (&["--territory", "XX"], "unknown territory `XX`"),
        (&["--workload", "querys"], "did you mean `queries`"),
        (&["--svg", "/tmp/never.svg"], "--day"),
        (&["--day", "2026-02-01"], "--svg"),
        (&["--format", "yaml"], "invalid value"),
    ];
    for (extra, needle) in cases {
        let o = scalegen(&[&YEAR[..], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{extra:?}: {}", stderr(&o));
    }
    let o = scalegen(&["simulate", "--from", "2026-05-01", "--to", "2026-05-01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must be after --from"),
        "{}",
        stderr(&o)
    );
    let o = scalegen(&["simulate", "--from", "2026-13-01", "--to", "2027-01-01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid --from"), "{}", stderr(&o));
    let o = scalegen(
        &[
            &YEAR[..],
            &["--svg", "/tmp/never.svg", "--day", "2027-01-01"],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("outside the simulated range"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn svg_draws_one_panel_per_selected_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("day.svg");
    let path_text = path.to_str().unwrap();
    let args = [
        "simulate",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-30",
        "--territory",
        "DE",
        "--svg",
        path_text,
        "--day",
        "2026-09-14",
    ];
    let o = scalegen(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("chart written to"));
    let first = std::fs::read_to_string(&path).unwrap();
    assert!(first.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(first.trim_end().ends_with("</svg>"));
    for name in ["freshplan-api-commands-de", "freshplan-api-queries-de"] {
        assert!(
            first.contains(&format!(">{name} (DE, Europe/Berlin)</text>")),
            "{name}"
        );
    }
    assert!(!first.contains("-ch ("));
    // Oktoberfest opens at 08:00 on this Monday: the detail shows the first step at risk.
    assert!(first.contains("detail: 30 minutes around the first step at risk"));
    assert!(first.contains("the p95 latency guard trigger is not simulated"));
    let o = scalegen(&args);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(first, std::fs::read_to_string(&path).unwrap());
    let missing = dir.path().join("no/such/dir/day.svg");
    let mut bad = args;
    bad[8] = missing.to_str().unwrap();
    let o = scalegen(&bad);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/dir/day.svg"), "{}", stderr(&o));
}

#[test]
fn a_deployment_without_baseline_rps_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let territories = TERRITORIES.replace(
        "api = { min = 1, max = 12, rps_per_replica = 50, baseline_rps = 50 }",
        "api = { min = 1, max = 12, rps_per_replica = 50 }",
    );
    std::fs::write(dir.path().join("territories.toml"), territories).unwrap();
    std::fs::create_dir(dir.path().join("calendars")).unwrap();
    std::fs::write(dir.path().join("calendars/c.toml"), CALENDAR).unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_scalegen"))
            .args(
                [
                    &["simulate", "--from", "2026-01-01", "--to", "2026-01-02"],
                    extra,
                ]
                .concat(),
            )
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("app-api-xb"), "{}", stderr(&o));
    assert!(stderr(&o).contains("baseline_rps"), "{}", stderr(&o));
    // Filtered out, it does not matter.
    let o = run(&["--territory", "XA"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The README quotes `simulate` verbatim: the whole 1× report, and every line shown of
/// the `--scale 5` report.
#[test]
fn the_readme_quotes_the_real_output() {
    let readme = fs_err::read_to_string(support::root().join("README.md")).unwrap();
    let block = |command: &str| {
        let start = readme
            .find(&format!("$ {command}\n"))
            .unwrap_or_else(|| panic!("README shows no `{command}`"));
        let body = &readme[start + command.len() + 3..];
        body[..body.find("```").unwrap()].to_string()
    };
    let year = YEAR.join(" ");
    let o = scalegen(&YEAR);
    assert_eq!(block(&format!("scalegen {year}")), stdout(&o));
    let o = scalegen(&[&YEAR[..], &["--scale", "5"]].concat());
    let out = stdout(&o);
    for line in block(&format!("scalegen {year} --scale 5")).lines() {
        assert!(
            line == "…" || out.lines().any(|l| l == line),
            "not in the output: {line}"
        );
    }
}
