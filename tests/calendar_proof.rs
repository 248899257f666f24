//! Whole-year proofs (SPEC §4.2): for every deployment of the default configuration and
//! of adversarial fixtures (`tests/fixtures/*`), the floor KEDA enforces on the compiled
//! triggers (`keda::timeline`, a model of robfig/cron v3 and KEDA's activation) equals
//! the intended floor computed straight from the calendar (`calendar::intended_timeline`)
//! at every minute of 2026, 2027 and 2028, outside the spans §2.2 does not judge.
//! Random calendars (proptest) get the same comparison over a year.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use scalegen::config::model::Model;
use scalegen::config::validate::rules::check_expressible;
use scalegen::schedule::compile::compile;
use scalegen::schedule::keda;
use scalegen::schedule::reference::{self as calendar, Comparison};
use scalegen::schedule::DeploymentSchedule;

mod support;

use support::{fixture_dirs, load, random_calendar, root, try_model, utc};

/// Compares one deployment over `[from, to)`; panics with a readable report on a
/// difference.
fn prove(
    model: &Model,
    ds: &DeploymentSchedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Comparison {
    try_prove(model, ds, from, to).unwrap_or_else(|msg| panic!("{msg}"))
}

/// [`prove`] returning the report instead of panicking.
fn try_prove(
    model: &Model,
    ds: &DeploymentSchedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Comparison, String> {
    let expected = calendar::intended_timeline(model, &ds.territory, &ds.workload, from, to);
    let actual: Vec<calendar::Piece> = keda::timeline(ds, from, to)
        .into_iter()
        .map(|i| (i.start, i.end, i.floor))
        .collect();
    let excluded = calendar::not_judged(model, &ds.territory, &ds.workload, from, to);
    let cmp = calendar::compare(&expected, &actual, &excluded, from, to);
    if std::env::var_os("SCALEGEN_PROOF_VERBOSE").is_some() {
        report_raw_differences(model, ds, &expected, &actual, &excluded);
    }
    if let Some((t, want, got)) = cmp.first_difference {
        let tz = model.territory(&ds.territory).unwrap().timezone;
        let mut msg = format!(
            "{} ({}): {} differing minutes; first at {} UTC = {} local: intended {want}, KEDA {got}\ntriggers:\n",
            ds.name,
            ds.timezone,
            cmp.differing,
            t.format("%Y-%m-%d %H:%M"),
            t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
        );
        for tr in &ds.triggers {
            msg.push_str(&format!(
                "  {:<32} start `{}`  end `{}`  -> {}\n",
                tr.name, tr.start, tr.end, tr.desired_replicas
            ));
        }
        let near = |ps: &[calendar::Piece]| {
            ps.iter()
                .filter(|p| p.1 > t - Duration::days(2) && p.0 < t + Duration::days(2))
                .map(|p| {
                    format!(
                        "    {} .. {} : {}\n",
                        p.0.with_timezone(&tz).format("%m-%d %H:%M"),
                        p.1.with_timezone(&tz).format("%m-%d %H:%M"),
                        p.2
                    )
                })
                .collect::<String>()
        };
        msg.push_str(&format!(
            "  intended near it (local):\n{}  KEDA near it (local):\n{}",
            near(&expected),
            near(&actual)
        ));
        for s in excluded
            .iter()
            .filter(|s| s.end > t - Duration::days(3) && s.start < t + Duration::days(3))
        {
            msg.push_str(&format!(
                "  not judged {} .. {} ({})\n",
                s.start,
                s.end,
                s.reason.as_str()
            ));
        }
        return Err(msg);
    }
    Ok(cmp)
}

/// Prints every stretch where the timelines differ, judged or not, with the spans
/// that excuse it (for narrowing the not-judged spans; output only).
fn report_raw_differences(
    model: &Model,
    ds: &DeploymentSchedule,
    expected: &[calendar::Piece],
    actual: &[calendar::Piece],
    excluded: &[calendar::Span],
) {
    let tz = model.territory(&ds.territory).unwrap().timezone;
    let mut cuts: Vec<DateTime<Utc>> = expected
        .iter()
        .chain(actual)
        .flat_map(|p| [p.0, p.1])
        .collect();
    cuts.sort();
    cuts.dedup();
    let at = |ps: &[calendar::Piece], t: DateTime<Utc>| {
        ps.iter().find(|p| p.0 <= t && t < p.1).map(|p| p.2)
    };
    for w in cuts.windows(2) {
        let (x, y) = (at(expected, w[0]), at(actual, w[0]));
        if x != y {
            let why: Vec<&str> = excluded
                .iter()
                .filter(|s| s.start <= w[0] && w[1] <= s.end)
                .map(|s| s.reason.as_str())
                .collect();
            println!(
                "  {}: {} .. {} local ({} min) intended {:?} KEDA {:?} excused by {:?}",
                ds.name,
                w[0].with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
                w[1].with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
                (w[1] - w[0]).num_minutes(),
                x,
                y,
                why
            );
        }
    }
}

/// Proves every deployment of `model` over 2026–2028 and returns (compared, excluded)
/// minutes with the excluded minutes per reason.
fn prove_all(label: &str, model: &Model) -> (i64, i64) {
    let schedule = compile(model);
    let (from, to) = (utc("2026-01-01T00:00:00Z"), utc("2029-01-01T00:00:00Z"));
    let (mut compared, mut excluded) = (0, 0);
    let mut reasons = std::collections::BTreeMap::new();
    for ds in &schedule.deployments {
        assert_keda_syntax(model, ds);
        let cmp = prove(model, ds, from, to);
        compared += cmp.compared;
        excluded += cmp.excluded_total();
        for (r, n) in cmp.excluded {
            *reasons.entry(r.as_str()).or_insert(0) += n;
        }
    }
    let triggers: Vec<String> = schedule
        .deployments
        .iter()
        .map(|d| format!("{}.{}={}", d.territory, d.workload, d.triggers.len()))
        .collect();
    println!(
        "{label}: {compared} minutes compared, {excluded} excluded {reasons:?}; triggers {}",
        triggers.join(" ")
    );
    (compared, excluded)
}

/// §4.3: no comma in any cron field before KEDA 2.20; KEDA rejects start == end;
/// trigger names are unique and `{kind}-{id}-{n}`.
fn assert_keda_syntax(model: &Model, ds: &DeploymentSchedule) {
    let commas = model.app.keda_version.allows_commas_in_cron();
    let mut names = std::collections::BTreeSet::new();
    for t in &ds.triggers {
        assert!(
            commas || !(t.start.contains(',') || t.end.contains(',')),
            "{}: comma before KEDA 2.20: {t:?}",
            ds.name
        );
        assert_ne!(t.start, t.end, "{}: {t:?}", ds.name);
        assert!(
            t.name
                .starts_with(&format!("{}-{}-", t.entry_kind.as_str(), t.entry_id)),
            "{t:?}"
        );
        assert!(
            names.insert(t.name.clone()),
            "{}: duplicate trigger name {}",
            ds.name,
            t.name
        );
    }
}

#[test]
fn default_config_matches_the_calendar_every_minute_2026_2028() {
    let model = load(root());
    let (compared, excluded) = prove_all("default", &model);
    assert_eq!(compared + excluded, 6 * (365 + 365 + 366) * 1440);
}

#[test]
fn every_fixture_matches_the_calendar_every_minute_2026_2028() {
    let dirs = fixture_dirs();
    assert!(
        dirs.len() >= 8,
        "expected at least 8 fixtures, found {}",
        dirs.len()
    );
    for dir in dirs {
        let model = load(&dir);
        prove_all(&dir.file_name().unwrap().to_string_lossy(), &model);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    /// Random calendars (zones, ranges, hours, weekday filters, blackouts, floors):
    /// the compiled triggers agree with the calendar over one year.
    #[test]
    fn random_calendars_compile_exactly(seed in any::<u64>(), year in 2026i32..=2028) {
        let (territories, calendars) = random_calendar::generate(seed);
        let model = try_model(&territories, &calendars);
        prop_assume!(model.is_ok());
        let model = model.unwrap();
        prop_assume!(check_expressible(&model).is_empty());
        let from = utc(&format!("{year}-01-01T00:00:00Z"));
        let to = utc(&format!("{}-01-01T00:00:00Z", year + 1));
        let schedule = compile(&model);
        for ds in &schedule.deployments {
            assert_keda_syntax(&model, ds);
            if let Err(msg) = try_prove(&model, ds, from, to) {
                prop_assert!(false, "seed {seed}:\n{territories}\n{}\n{msg}", calendars[0].1);
            }
        }
    }
}

/// The random calendars exercise lead times: app-wide and per entry, each one valid.
#[test]
fn random_calendars_carry_valid_leads() {
    let (mut with_lead, mut valid) = (0, 0);
    for seed in 0..200u64 {
        let (territories, calendars) = random_calendar::generate(seed);
        let Ok(model) = try_model(&territories, &calendars) else {
            continue;
        };
        valid += 1;
        if model.entries.iter().any(|e| e.floor_lead > 0) {
            with_lead += 1;
        }
    }
    assert!(
        valid >= 150,
        "only {valid} of 200 random calendars validate"
    );
    assert!(
        with_lead >= 50,
        "only {with_lead} random calendars open a floor early"
    );
}
