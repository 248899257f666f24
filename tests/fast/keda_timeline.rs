//! The fast timeline (jumps between firings, every minute only in guard windows)
//! equals the brute-force one (every minute) over whole years, in zones whose DST
//! makes robfig's `Next` irregular, and its sentinel never has to step in.

use crate::support::{deployment_schedule, utc as at};
use scalegen::schedule::keda::{self, Evaluator};
use scalegen::schedule::DeploymentSchedule;

fn schedule(tz: &str, triggers: &[(&str, &str, u32)]) -> DeploymentSchedule {
    deployment_schedule(&format!("app-w-{tz}"), tz, (1, 8), triggers)
}

/// Triggers that fire near local 00:00–04:00 (where DST shifts happen), across the
/// year end, on restricted days and months, and crossing midnight.
const AWKWARD: &[(&str, &str, u32)] = &[
    ("15 2 * * *", "45 2 * * *", 2),
    ("0 1 * 3,4,9,10,11 *", "0 3 * 3,4,9,10,11 *", 3),
    ("30 23 * * *", "30 0 * * *", 4),
    ("0 22 1-15 10 *", "0 2 1-15 10 *", 5),
    ("0 8 1-7 * 1", "0 20 1-7 * 1", 6),
    ("0 20 31 12 *", "0 4 1 1 *", 7),
];

fn fast_equals_brute(tz: &str, from: &str, to: &str) {
    let ds = schedule(tz, AWKWARD);
    let ev = Evaluator::new(&ds).unwrap();
    let (fast, stats) = ev.timeline(at(from), at(to));
    let brute = keda::timeline_brute(&ds, at(from), at(to));
    assert_eq!(stats.sentinel_misses, 0, "{tz}: sentinel misses");
    if fast != brute {
        let i = fast
            .iter()
            .zip(&brute)
            .position(|(a, b)| a != b)
            .unwrap_or(fast.len().min(brute.len()));
        panic!(
            "{tz}: fast and brute differ from interval {i}: fast {:?}, brute {:?}",
            fast.get(i),
            brute.get(i)
        );
    }
    assert_eq!(fast, keda::timeline(&ds, at(from), at(to)));
}

#[test]
fn fast_equals_brute_lord_howe_2026() {
    fast_equals_brute(
        "Australia/Lord_Howe",
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    );
}

#[test]
fn fast_equals_brute_st_johns_2026() {
    fast_equals_brute(
        "America/St_Johns",
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    );
}

#[test]
fn fast_equals_brute_kolkata_2026() {
    fast_equals_brute(
        "Asia/Kolkata",
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    );
}

#[test]
fn fast_equals_brute_berlin_2027_2028() {
    fast_equals_brute(
        "Europe/Berlin",
        "2027-01-01T00:00:00Z",
        "2029-01-01T00:00:00Z",
    );
}

#[test]
fn fast_equals_brute_chatham_2026() {
    fast_equals_brute(
        "Pacific/Chatham",
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    );
}

#[test]
fn fast_equals_brute_on_an_unaligned_grid() {
    // A grid that does not start on a whole minute: instants are from + k·1min.
    fast_equals_brute(
        "Europe/Berlin",
        "2026-03-25T10:00:30Z",
        "2026-04-02T00:00:10Z",
    );
}

#[test]
fn timeline_starts_at_from_and_ends_at_to() {
    let ds = schedule("Europe/Berlin", AWKWARD);
    let tl = keda::timeline(&ds, at("2026-06-01T00:00:00Z"), at("2026-06-08T00:00:00Z"));
    assert_eq!(tl.first().unwrap().start, at("2026-06-01T00:00:00Z"));
    assert_eq!(tl.last().unwrap().end, at("2026-06-08T00:00:00Z"));
    for w in tl.windows(2) {
        assert_eq!(w[0].end, w[1].start);
        assert_ne!((w[0].floor, &w[0].active), (w[1].floor, &w[1].active));
    }
    // Every interval agrees with floor_at at its start.
    for i in &tl {
        let f = keda::floor_at(&ds, i.start);
        assert_eq!((f.floor, f.active.clone()), (i.floor, i.active.clone()));
    }
    assert!(keda::timeline(&ds, at("2026-06-01T00:00:00Z"), at("2026-06-01T00:00:00Z")).is_empty());
}
