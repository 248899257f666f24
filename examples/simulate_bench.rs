//! Measures `simulate` on the default configuration over a year: `simulate_bench [REPS]`.
//!
//! Prints the time of preparing the signals (demand, KEDA cron floors, rendered objects),
//! of the four strategies' step loops with and without the steady-stretch shortcut, and
//! of the whole `simulate` call, each per deployment-strategy-step (the best of REPS runs).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use scalegen::report::simulate::run::{run_with, Shortcuts, Strategy};
use scalegen::report::simulate::{prepare, simulate, Request};

fn best<T>(reps: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let reps: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let model = scalegen::config::validate::model_from_strs(
        scalegen::config::example::TERRITORIES,
        scalegen::config::example::CALENDARS,
    )
    .expect("the default configuration validates");
    let schedule = scalegen::schedule::compile::compile(&model);
    let keda = scalegen::commands::simulate::rendered_scaled_objects(&model, &schedule)
        .expect("the default configuration renders");
    let keda: Vec<&str> = keda.iter().map(String::as_str).collect();
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let req = Request::new(&model, day("2026-01-01"), day("2027-01-01"));

    let (t_prepare, prepared) = best(reps, || {
        prepare(&model, &schedule, &keda, &req).expect("prepare")
    });
    let steps: u64 = prepared.iter().map(|p| p.n).sum::<u64>() * 4;
    let per_step = |d: Duration| d.as_nanos() as f64 / steps as f64;
    let loops = |shortcuts: Shortcuts| {
        best(reps, || {
            let mut replica_steps = 0;
            for p in &prepared {
                let sig = p.signals();
                for s in Strategy::ALL {
                    replica_steps += run_with(s, &p.params, &sig, None, shortcuts).replica_steps;
                }
            }
            replica_steps
        })
    };
    let (t_on, r_on) = loops(Shortcuts::On);
    let (t_off, r_off) = loops(Shortcuts::Off);
    assert_eq!(r_on, r_off, "the shortcut changes a result");
    let (t_all, _) = best(reps, || {
        simulate(&model, &schedule, &keda, &req).expect("simulate")
    });

    println!(
        "{} deployments × 4 strategies × {} steps = {steps} deployment-strategy-steps (best of {reps})",
        prepared.len(),
        prepared.first().map_or(0, |p| p.n)
    );
    for (what, t) in [
        ("prepare (demand, cron floors, rendered objects)", t_prepare),
        ("step loops, steady stretches skipped", t_on),
        ("step loops, every step evaluated", t_off),
        ("simulate() as a whole", t_all),
    ] {
        println!(
            "{what:48} {:>9.2} ms  {:>7.3} ns/step",
            t.as_secs_f64() * 1e3,
            per_step(t)
        );
    }
}
