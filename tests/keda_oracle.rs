//! Differential tests: scalegen's model of KEDA's cron activation (`keda.rs` on top of
//! `cron.rs`) against `shared/tools/cron-oracle`, which runs the real robfig/cron
//! v3.0.1 with KEDA's decision. Minute-exact over whole years, on tricky triggers
//! (dom/dow OR, midnight crossing, DST days with 1 h, 30 min and 45 min shifts, DST
//! at midnight, year ends, never-firing expressions) and on pseudo-random ones.
//!
//! Runs when `SCALEGEN_CRON_ORACLE` is the path of the oracle binary
//! (`shared/tools/cron-oracle/run.sh` builds it and prints the path); otherwise
//! each test prints "skipped: set SCALEGEN_CRON_ORACLE" and passes.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use scalegen::schedule::keda;
use scalegen::schedule::DeploymentSchedule;

mod support;

use support::{cron_oracle, default_model, deployment_schedule};

struct Case {
    name: String,
    tz: String,
    min: u32,
    max: u32,
    triggers: Vec<(String, String, u32)>,
}

fn case(name: &str, tz: &str, min: u32, max: u32, triggers: &[(&str, &str, u32)]) -> Case {
    Case {
        name: name.into(),
        tz: tz.into(),
        min,
        max,
        triggers: triggers
            .iter()
            .map(|&(s, e, d)| (s.to_string(), e.to_string(), d))
            .collect(),
    }
}

impl Case {
    fn schedule(&self) -> DeploymentSchedule {
        let triggers: Vec<(&str, &str, u32)> = self
            .triggers
            .iter()
            .map(|(s, e, d)| (s.as_str(), e.as_str(), *d))
            .collect();
        deployment_schedule(&self.name, &self.tz, (self.min, self.max), &triggers)
    }

    fn yaml(&self) -> String {
        let mut y = String::new();
        let _ = write!(
            y,
            "---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: {}\n  namespace: t\n\
             spec:\n  scaleTargetRef:\n    name: {}\n  minReplicaCount: {}\n  maxReplicaCount: {}\n  triggers:\n",
            self.name, self.name, self.min, self.max
        );
        for (s, e, d) in &self.triggers {
            let _ = write!(
                y,
                "    - type: cron\n      metadata:\n        timezone: \"{}\"\n        start: \"{s}\"\n        end: \"{e}\"\n        desiredReplicas: \"{d}\"\n",
                self.tz
            );
        }
        y
    }
}

type Run = Vec<(i64, i64, u32)>;

/// Runs the oracle on every case over `[from, to)` and returns each case's intervals.
fn run_oracle(bin: &PathBuf, cases: &[Case], from: &str, to: &str) -> Vec<Run> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.yaml");
    let yaml: String = cases.iter().map(Case::yaml).collect();
    std::fs::write(&file, yaml).unwrap();
    let out = Command::new(bin)
        .args(["--from", from, "--to", to, "--format", "json", "--quiet"])
        .arg(&file)
        .output()
        .expect("run cron-oracle");
    assert!(
        out.status.success(),
        "cron-oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    cases
        .iter()
        .map(|c| {
            let so = json["scaledObjects"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == format!("t/{}", c.name))
                .unwrap_or_else(|| panic!("oracle output lacks {}", c.name));
            so["intervals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        ts(i["start"].as_str().unwrap()),
                        ts(i["end"].as_str().unwrap()),
                        i["floor"].as_u64().unwrap() as u32,
                    )
                })
                .collect()
        })
        .collect()
}

fn ts(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn value_at(run: &Run, t: i64) -> Option<u32> {
    run.iter().find(|&&(s, e, _)| s <= t && t < e).map(|r| r.2)
}

/// The first instant (a boundary of either side) at which the floors differ.
fn first_difference(ours: &Run, theirs: &Run) -> Option<(i64, Option<u32>, Option<u32>)> {
    let mut points: Vec<i64> = ours.iter().chain(theirs).map(|r| r.0).collect();
    points.sort_unstable();
    points.dedup();
    points
        .into_iter()
        .map(|t| (t, value_at(ours, t), value_at(theirs, t)))
        .find(|(_, a, b)| a != b)
}

fn compare(cases: &[Case], from: &str, to: &str) {
    let Some(bin) = cron_oracle() else { return };
    let theirs = run_oracle(&bin, cases, from, to);
    let (f, t) = (ts(from), ts(to));
    let mut failures = Vec::new();
    for (c, theirs) in cases.iter().zip(&theirs) {
        let ours: Run = keda::timeline(
            &c.schedule(),
            DateTime::from_timestamp(f, 0).unwrap(),
            DateTime::from_timestamp(t, 0).unwrap(),
        )
        .iter()
        .map(|i| (i.start.timestamp(), i.end.timestamp(), i.floor))
        .collect();
        if let Some((at, a, b)) = first_difference(&ours, theirs) {
            let tz: Tz = c.tz.parse().unwrap();
            let utc: DateTime<Utc> = DateTime::from_timestamp(at, 0).unwrap();
            failures.push(format!(
                "{} ({}, triggers {:?}): first differing minute {} = {} local: scalegen {:?}, oracle {:?}",
                c.name,
                c.tz,
                c.triggers,
                utc.format("%Y-%m-%dT%H:%MZ"),
                utc.with_timezone(&tz).format("%Y-%m-%dT%H:%M%:z"),
                a,
                b
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tricky_triggers_match_the_oracle_over_2026() {
    let cases = [
        // dom and dow both restricted: OR.
        case(
            "dom-dow-or",
            "Europe/Berlin",
            1,
            5,
            &[
                ("0 8 1-7 * 1", "0 20 1-7 * 1", 3),
                ("0 8 */2 * 5", "0 9 * * *", 5),
            ],
        ),
        // Midnight crossing, naive (active most of the year) and correctly split.
        case(
            "midnight-naive",
            "Europe/Berlin",
            1,
            5,
            &[("0 22 1-15 10 *", "0 2 1-15 10 *", 4)],
        ),
        case(
            "midnight-split",
            "Europe/Berlin",
            1,
            5,
            &[("0 22 1-15 10 *", "0 2 2-16 10 *", 4)],
        ),
        // kedacore/keda#4677.
        case(
            "weekdays-4677",
            "Europe/Prague",
            1,
            4,
            &[("30 6 * * 1-5", "10 22 * * *", 3)],
        ),
        // DST days in Berlin: windows around the gap and the overlap.
        case(
            "berlin-dst",
            "Europe/Berlin",
            1,
            9,
            &[
                ("30 0 * * *", "30 2 * * *", 2),
                ("30 1 * 3,10 *", "30 3 * 3,10 *", 3),
                ("15 2 * * *", "45 2 * * *", 4),
                ("0 2 * * *", "0 3 * * *", 5),
                ("59 1 * * 0", "1 3 * * 0", 6),
            ],
        ),
        // Newfoundland, -03:30 / -02:30, shifting at 02:00 local.
        case(
            "st-johns",
            "America/St_Johns",
            1,
            9,
            &[
                ("0 1 * * *", "30 2 * * *", 2),
                ("30 2 * * *", "0 8 * * *", 3),
                ("0 0 * 3 0", "0 4 * 3 0", 4),
                ("45 1 * 11 *", "15 2 * 11 *", 5),
            ],
        ),
        // Lord Howe: 30-minute DST shift (02:00 -> 02:30 in October, 02:00 -> 01:30 in April).
        case(
            "lord-howe",
            "Australia/Lord_Howe",
            1,
            9,
            &[
                ("15 2 * * *", "45 2 * * *", 2),
                ("15 3 * * *", "45 3 * * *", 3),
                ("0 1 * * *", "0 3 * * *", 4),
                ("40 1 * 4 *", "50 1 * 4 *", 5),
                ("0 22 * * *", "0 2 * * *", 6),
            ],
        ),
        // Chatham: +12:45 / +13:45, shifting at 02:45 local.
        case(
            "chatham",
            "Pacific/Chatham",
            1,
            9,
            &[
                ("0 3 * * *", "0 4 * * *", 2),
                ("50 2 * * *", "10 3 * * *", 3),
                ("30 2 * 4,9 *", "30 3 * 4,9 *", 4),
            ],
        ),
        // DST at midnight: midnight does not exist / exists twice.
        case(
            "havana",
            "America/Havana",
            1,
            9,
            &[
                ("0 0 * * *", "0 6 * * *", 2),
                ("30 23 * * *", "30 0 * * *", 3),
            ],
        ),
        case(
            "santiago",
            "America/Santiago",
            1,
            9,
            &[
                ("0 0 * * *", "0 1 * * *", 2),
                ("0 23 * * 6", "0 1 * * 0", 3),
            ],
        ),
        // No DST, half-hour offset.
        case(
            "kolkata",
            "Asia/Kolkata",
            2,
            6,
            &[
                ("0 9 * 1-6 1-5", "30 18 * 1-6 1-5", 4),
                ("*/20 10 * * *", "10 11 * * *", 6),
            ],
        ),
        // Year end.
        case(
            "year-end",
            "Europe/Berlin",
            1,
            9,
            &[
                ("0 20 31 12 *", "0 4 1 1 *", 2),
                ("0 0 * 12 *", "0 0 1 1 *", 3),
                ("0 22 * 12 *", "0 6 * 1 *", 4),
            ],
        ),
        case(
            "year-end-utc",
            "UTC",
            1,
            9,
            &[
                ("0 20 31 12 *", "0 4 1 1 *", 2),
                ("0 0 1 1 *", "0 0 2 1 *", 3),
            ],
        ),
        // A start that never fires is "always active"; an end that never fires, never.
        case(
            "never",
            "Europe/Berlin",
            1,
            9,
            &[
                ("0 0 31 2 *", "0 8 * 6 *", 4),
                ("0 8 * 7 *", "0 0 30 2 *", 6),
            ],
        ),
        // Start and end at the same instant count as active.
        case("coincide", "UTC", 1, 4, &[("0 8 * * *", "0 8 * * 1", 3)]),
        // A TZ= / CRON_TZ= prefix overrides the trigger's zone (its DST days count).
        case(
            "tz-prefix",
            "Europe/Berlin",
            1,
            9,
            &[
                (
                    "TZ=America/New_York 0 8 * * *",
                    "TZ=America/New_York 0 17 * * *",
                    2,
                ),
                ("CRON_TZ=Australia/Lord_Howe 15 2 * * *", "45 2 * * *", 3),
            ],
        ),
        // Clamping: desired above max, below min.
        case(
            "clamp",
            "Europe/Zurich",
            3,
            5,
            &[
                ("0 8 * * *", "0 12 * * *", 9),
                ("0 13 * * *", "0 15 * * *", 2),
            ],
        ),
    ];
    compare(&cases, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
}

#[test]
fn leap_years_and_the_five_year_limit_match_the_cron_oracle() {
    let cases = [
        case(
            "leap-day",
            "Europe/Berlin",
            1,
            5,
            &[
                ("0 8 29 2 *", "0 20 29 2 *", 3),
                ("0 22 28 2 *", "0 2 1 3 *", 4),
            ],
        ),
        case(
            "leap-lord-howe",
            "Australia/Lord_Howe",
            1,
            5,
            &[("0 0 29 2 *", "0 0 1 3 *", 5)],
        ),
    ];
    compare(&cases, "2026-12-01T00:00:00Z", "2029-01-01T00:00:00Z");
}

/// A small deterministic generator (64-bit LCG); no dependency, same cases everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.next() as usize % xs.len()]
    }

    fn cron(&mut self) -> String {
        let minute = self.pick(&["0", "15", "30", "45", "*/20", "5-10", "0,30", "59", "1"]);
        let hour = match self.next() % 4 {
            0 => self
                .pick(&["*", "0-3", "22-23", "*/6", "1,2,3"])
                .to_string(),
            _ => (self.next() % 24).to_string(),
        };
        let dom = self.pick(&["*", "*", "*", "1-15", "16-31", "*/2", "1", "31", "28-31"]);
        let month = self.pick(&[
            "*", "*", "*", "3", "4", "9-10", "10-11", "*/3", "12", "1", "2",
        ]);
        let dow = self.pick(&["*", "*", "*", "1-5", "0", "6", "0,6", "5"]);
        format!("{minute} {hour} {dom} {month} {dow}")
    }
}

#[test]
fn random_triggers_in_awkward_zones_match_the_cron_oracle() {
    let zones = [
        "Europe/Berlin",
        "America/St_Johns",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "America/Havana",
        "America/Santiago",
        "America/Sao_Paulo",
        "Asia/Beirut",
        "Africa/Casablanca",
        "Asia/Kolkata",
        "America/New_York",
        "Australia/Sydney",
        "Europe/London",
        "Asia/Tehran",
        "Antarctica/Troll",
        "America/Nuuk",
        "Asia/Gaza",
        "Europe/Dublin",
    ];
    // SCALEGEN_ORACLE_STRESS=N (cases per zone, default 6) and
    // SCALEGEN_ORACLE_SEED widen the search when hunting for differences.
    let env_u64 = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let per_zone = env_u64("SCALEGEN_ORACLE_STRESS", 6);
    let mut rng = Lcg(env_u64("SCALEGEN_ORACLE_SEED", 0x5ca1_e6e0));
    let mut cases = Vec::new();
    for (zi, tz) in zones.iter().enumerate() {
        for n in 0..per_zone {
            let triggers: Vec<(String, String, u32)> = (0..2)
                .map(|k| {
                    let (s, e) = loop {
                        let (s, e) = (rng.cron(), rng.cron());
                        if s != e {
                            break (s, e);
                        }
                    };
                    (s, e, 2 + k)
                })
                .collect();
            cases.push(Case {
                name: format!("r{zi}-{n}"),
                tz: tz.to_string(),
                min: 1,
                max: 9,
                triggers,
            });
        }
    }
    compare(&cases, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
}

#[test]
fn compiled_default_config_matches_the_oracle_2026_to_2028() {
    let schedule = scalegen::schedule::compile::compile(&default_model());
    assert!(!schedule.deployments.is_empty());
    let cases: Vec<Case> = schedule
        .deployments
        .iter()
        .map(|d| Case {
            name: d.name.clone(),
            tz: d.timezone.clone(),
            min: d.min,
            max: d.max,
            triggers: d
                .triggers
                .iter()
                .map(|t| (t.start.clone(), t.end.clone(), t.desired_replicas))
                .collect(),
        })
        .collect();
    compare(&cases, "2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z");
}
