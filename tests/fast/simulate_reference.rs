//! `simulate` against a second, deliberately plain reading of SPEC §8 on random
//! calendars (zones with DST, midnight-crossing and whole-day hours, weekday filters,
//! blackouts, campaigns, leads, loads, random `[traffic]` profiles): this file computes
//! the demand minute by minute from the calendar (its own window enumeration and §8.1
//! factor) and replays §8.2 step by step with whole histories, no shortcuts. Only the
//! cron floor comes from scalegen, from the KEDA model of the compiled triggers that the
//! proofs check against robfig/cron. Both must agree exactly on every strategy's
//! replica-steps and at-risk steps.

use crate::simulate::with_loads;
use crate::support;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use scalegen::config::model::{Entry, Model, Territory};
use scalegen::report::simulate::run::Strategy;
use scalegen::report::simulate::Request;
use scalegen::schedule::{keda, DeploymentSchedule};

/// A plain §2.2 boundary: the later instant of an ambiguous wall time, none in a gap.
fn boundary(tz: Tz, day: NaiveDate, minute: u32) -> Option<i64> {
    let at = day.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minute));
    match tz.from_local_datetime(&at) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().max(b.timestamp())),
        LocalResult::None => None,
    }
}

/// §8.1's factor of `e` for territory `t`, or `None` without a load key for it.
fn factor(e: &Entry, t: &Territory) -> Option<f64> {
    let keys: Vec<_> = e.load.iter().filter(|l| l.territory == t.code).collect();
    if keys.is_empty() {
        return None;
    }
    let l_t = keys
        .iter()
        .find(|l| l.region.is_none())
        .map_or(1.0, |l| l.factor);
    let sum: f64 = t.regions.iter().map(|r| r.share).sum();
    let mut f = (1.0 - sum) * l_t;
    let mut regional = 0.0;
    for r in &t.regions {
        let l_r = keys
            .iter()
            .find(|l| l.region.as_deref() == Some(r.code.as_str()))
            .map_or(l_t, |l| l.factor);
        regional += r.share * l_r;
    }
    f += regional;
    Some(f)
}

/// Every traffic window `[start, end)` of `e` in `t` from local start days `days`.
fn traffic_windows(model: &Model, e: &Entry, t: &Territory, days: &[NaiveDate]) -> Vec<(i64, i64)> {
    let end_minute = if e.hours.end_minute < e.hours.start_minute {
        e.hours.end_minute + 1440
    } else {
        e.hours.end_minute
    };
    days.iter()
        .filter(|&&s| {
            e.dates.contains(s) && e.days.contains(s.weekday()) && !model.is_blackout(&t.code, s)
        })
        .filter_map(|&s| {
            let a = boundary(t.timezone, s, e.hours.start_minute)?;
            let b = boundary(t.timezone, s, end_minute)?;
            (a < b).then_some((a, b))
        })
        .collect()
}

/// `D(m)` in milli-rps for every UTC minute `[first, last]`.
fn demand(
    model: &Model,
    t: &Territory,
    req: &Request,
    baseline: f64,
    (first, last): (i64, i64),
) -> Vec<u64> {
    let tz = t.timezone;
    let local = |m: i64| {
        DateTime::<Utc>::from_timestamp(m * 60, 0)
            .unwrap()
            .with_timezone(&tz)
    };
    let (d0, d1) = (local(first).date_naive(), local(last).date_naive());
    let days: Vec<NaiveDate> = (d0 - Duration::days(2))
        .iter_days()
        .take_while(|d| *d <= d1 + Duration::days(1))
        .collect();
    let windows: Vec<(f64, Vec<(i64, i64)>)> = model
        .entries
        .iter()
        .filter_map(|e| Some((factor(e, t)?, traffic_windows(model, e, t, &days))))
        .collect();
    (first..=last)
        .map(|m| {
            let at = local(m);
            let weekend = at.weekday().number_from_monday() >= 6;
            let hour = at.hour() as usize;
            let p = if weekend {
                req.traffic.profile_weekend[hour]
            } else {
                req.traffic.profile_weekday[hour]
            };
            let f = windows
                .iter()
                .filter(|(_, ws)| ws.iter().any(|&(a, b)| a <= m * 60 && m * 60 < b))
                .map(|(f, _)| *f)
                .fold(None, |acc: Option<f64>, f| {
                    Some(acc.map_or(f, |a| a.max(f)))
                })
                .unwrap_or(1.0);
            let x = req.scale * baseline * p * f;
            (x * 1000.0 + 0.5).floor() as u64
        })
        .collect()
}

/// (replica-steps, at-risk steps) of each strategy, in `Strategy::ALL` order.
fn replay(model: &Model, ds: &DeploymentSchedule, req: &Request) -> Vec<(u64, u64)> {
    let t = model.territory(&ds.territory).unwrap();
    let tw = t.workload(&ds.workload).unwrap();
    let w = model
        .workloads
        .iter()
        .find(|w| w.name == ds.workload)
        .unwrap();
    let midnight = |d: NaiveDate| match t
        .timezone
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
    {
        LocalResult::Single(x) => x.timestamp(),
        LocalResult::Ambiguous(a, _) => a.timestamp(),
        LocalResult::None => {
            // The first instant of the day when midnight is skipped.
            (1..=180)
                .find_map(|k| {
                    let ndt = d.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(k);
                    t.timezone.from_local_datetime(&ndt).earliest()
                })
                .unwrap()
                .timestamp()
        }
    };
    let (t0, end) = (midnight(req.from), midnight(req.to));
    let n = (end - t0) / 15;
    let tr = &req.traffic;
    let delay = i64::from(tr.metric_delay_seconds);
    let first = (t0 - delay - 15 * 8).div_euclid(60);
    let last = (t0 + 15 * n).div_euclid(60);
    let d_min = demand(model, t, req, tw.baseline_rps.unwrap(), (first, last));
    let dm = |at: i64| d_min[(at.div_euclid(60) - first) as usize];
    let r = (tw.rps_per_replica * 1000.0 + 0.5).floor() as u64;
    let s = (tr.saturation * 100.0 + 0.5).floor() as u64;
    let startup = i64::from(tr.startup_seconds);
    let (timeline, _) = keda::Evaluator::new(ds).unwrap().timeline(
        DateTime::from_timestamp(t0, 0).unwrap(),
        DateTime::from_timestamp(end, 0).unwrap(),
    );
    let cron = |at: i64| {
        timeline
            .iter()
            .find(|iv| iv.start.timestamp() <= at && at < iv.end.timestamp())
            .map_or(0, |iv| {
                iv.active
                    .iter()
                    .map(|&i| ds.triggers[i].desired_replicas)
                    .max()
                    .unwrap_or(0)
            })
    };
    let (min, max) = (u64::from(tw.min), u64::from(tw.max));
    let at_risk = |at: i64, ready: u64| 100 * dm(at) > s * r * ready;
    let mut out = Vec::new();
    for strategy in Strategy::ALL {
        let (mut cost, mut risk) = (0u64, 0u64);
        match strategy {
            Strategy::Static | Strategy::Ideal => {
                for k in 0..n {
                    let at = t0 + 15 * k;
                    let reps = if strategy == Strategy::Static {
                        max
                    } else {
                        dm(at).div_ceil(r).clamp(min, max)
                    };
                    cost += reps;
                    risk += u64::from(at_risk(at, reps));
                }
            }
            Strategy::Reactive | Strategy::Scheduled => {
                let with_cron = strategy == Strategy::Scheduled;
                let d_at = |at: i64| if with_cron { u64::from(cron(at)) } else { 0 };
                let mut cur = d_at(t0).max(dm(t0).div_ceil(r)).clamp(min, max);
                // Replicas as their ready step, oldest first; all ready at the start.
                let mut pods: Vec<i64> = vec![i64::MIN; cur as usize];
                let mut history: Vec<u64> = Vec::new();
                let up_steps = 1; // scaleUp window 0 s: the current step only
                let down_steps = (w.scale_down_window.seconds.div_ceil(15)).max(1) as usize;
                for k in 0..n {
                    let at = t0 + 15 * k;
                    let o: u64 = (1..=8).map(|j| dm(at - delay - 15 * j)).sum();
                    let mut p_tp = if o == 0 { 0 } else { o.div_ceil(8 * r) };
                    if cur > 0 && 10 * o.abs_diff(8 * r * cur) <= 8 * r * cur {
                        p_tp = cur;
                    }
                    let d = d_at(at);
                    let p_cron = if cur > 0 && 10 * d.abs_diff(cur) <= cur {
                        cur
                    } else {
                        d
                    };
                    let p = p_tp.max(p_cron).clamp(min, max);
                    history.push(p);
                    let last = |steps: usize| &history[history.len().saturating_sub(steps)..];
                    let up = *last(up_steps).iter().min().unwrap();
                    let down = *last(down_steps).iter().max().unwrap();
                    let mut next = cur;
                    if next < up {
                        next = up;
                    }
                    if next > down {
                        next = down;
                    }
                    if next > cur {
                        next = next.min((cur + 4).max((cur * 200).div_ceil(100)));
                    }
                    next = next.clamp(min, max);
                    if next > cur {
                        let ready_step = k + (startup + 14) / 15;
                        pods.extend(std::iter::repeat_n(ready_step, (next - cur) as usize));
                    }
                    for _ in next..cur {
                        // Newest not-yet-ready first, then ready ones.
                        let i = pods
                            .iter()
                            .rposition(|&ready| ready > k)
                            .unwrap_or(pods.len() - 1);
                        pods.remove(i);
                    }
                    cur = next;
                    let ready = pods.iter().filter(|&&ready| ready <= k).count() as u64;
                    cost += cur;
                    risk += u64::from(at_risk(at, ready));
                }
            }
        }
        out.push((cost, risk));
    }
    out
}

#[test]
fn simulate_agrees_with_a_plain_reading_of_section_8() {
    let mut compared = 0;
    for case in 0..16u64 {
        let seed = case.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA11CE;
        let (territories, calendars) = with_loads(seed);
        let Ok(model) = support::try_model(&territories, &calendars) else {
            continue;
        };
        let schedule = scalegen::schedule::compile::compile(&model);
        let keda =
            scalegen::commands::simulate::rendered_scaled_objects(&model, &schedule).unwrap();
        let keda: Vec<&str> = keda.iter().map(String::as_str).collect();
        // Two weeks somewhere in 2026–2028, around DST changes for some seeds.
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
            + Duration::days((seed % (3 * 365 - 14)) as i64);
        let mut req = Request::new(&model, from, from + Duration::days(14));
        req.scale = [1.0, 0.7, 3.5][(seed % 3) as usize];
        // Startups that are no multiple of a step, delays and saturations beyond the defaults.
        let c = case as usize;
        req.traffic.startup_seconds = [60, 7, 50, 0, 135][c % 5];
        req.traffic.metric_delay_seconds = [30, 0, 45, 120][c % 4];
        req.traffic.saturation = [1.25, 1.0, 1.37][c % 3];
        let sim = scalegen::report::simulate::simulate(&model, &schedule, &keda, &req)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (d, ds) in sim.deployments.iter().zip(&schedule.deployments) {
            let want = replay(&model, ds, &req);
            let got: Vec<(u64, u64)> = Strategy::ALL
                .iter()
                .map(|&s| (d.strategy(s).replica_steps, d.strategy(s).risk_steps))
                .collect();
            assert_eq!(
                got, want,
                "seed {seed} {} from {from}:\n{territories}\n{}",
                d.name, calendars[0].1
            );
            compared += 1;
        }
    }
    assert!(compared >= 8, "only {compared} deployments compared");
}
