//! `scalegen explain`: the replica floor KEDA enforces at one instant, and why.
//!
//! The answer comes from the *generated* cron triggers evaluated with scalegen's model
//! of KEDA (`schedule::keda` on top of `schedule::cron`), not from the calendar: explain shows what
//! the rendered ScaledObjects do, including robfig/cron's quirks. The calendar only
//! supplies display names of the entries a trigger came from.
//!
//! `--at` without an offset is a wall-clock time in each territory's own zone. Such a
//! time can be missing (DST gap) or occur twice (DST overlap); the choice is stated in
//! the output: a missing time is shown at the first instant after the gap, an
//! ambiguous one at its first occurrence (an explicit offset picks the other).

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt::Write as _;

use crate::config::model::{Entry, Model};
use crate::config::zone::{self, Wall};
use crate::report::{recurrence, select, ReportError};
use crate::schedule::keda::{Evaluator, TriggerState};
use crate::schedule::{windows, DeploymentSchedule, Schedule};

/// What `--at` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtSpec {
    /// A wall-clock time, read in each territory's zone.
    Local(NaiveDateTime),
    /// An absolute instant (the text had `Z` or an offset).
    Instant(DateTime<FixedOffset>),
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z`/`±HH:MM`/`±HHMM` suffix (a
/// space may replace the `T`).
pub fn parse_at(text: &str) -> Result<AtSpec, ReportError> {
    let bad = || {
        ReportError::Invalid(format!(
            "invalid --at `{text}`: expected YYYY-MM-DDTHH:MM[:SS], optionally followed by Z or an \
             offset like +02:00 (without one, the time is local to each territory)"
        ))
    };
    let t = text.trim();
    // The date part has its own hyphens; an offset sign can only follow the time.
    let split = t
        .char_indices()
        .skip(10)
        .find(|&(_, c)| matches!(c, 'Z' | 'z' | '+' | '-'))
        .map(|(i, _)| i);
    let (naive_text, offset_text) = match split {
        Some(i) => (&t[..i], Some(&t[i..])),
        None => (t, None),
    };
    let naive_text = naive_text.replacen(' ', "T", 1);
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&naive_text, f).ok())
        .ok_or_else(bad)?;
    let Some(offset_text) = offset_text else {
        return Ok(AtSpec::Local(naive));
    };
    let offset = parse_offset(offset_text).ok_or_else(bad)?;
    match offset.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Ok(AtSpec::Instant(dt)),
        _ => Err(bad()),
    }
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    if s.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|&c| c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || s[1..].len() > 5 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// A wall-clock time resolved to an instant in a zone, with a note when it was not
/// a plain one-to-one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The instant used.
    pub instant: DateTime<Utc>,
    /// Why the instant is not simply "that wall time" (DST gap or overlap).
    pub note: Option<String>,
}

/// Resolves wall time `naive` in `tz`: a time in a DST gap becomes the first instant
/// after the gap, an ambiguous time its first occurrence. The note says so.
pub fn resolve_local(tz: Tz, naive: NaiveDateTime) -> Resolved {
    let shown = naive.format("%Y-%m-%dT%H:%M");
    match zone::resolve(tz, naive) {
        Wall::Unique(instant) => Resolved {
            instant,
            note: None,
        },
        Wall::Ambiguous { earlier, later } => Resolved {
            instant: earlier,
            note: Some(format!(
                "{shown} occurs twice in {tz}; showing the first ({}), pass {} for the second",
                earlier.with_timezone(&tz).format("%:z"),
                later.with_timezone(&tz).format("%Y-%m-%dT%H:%M%:z")
            )),
        },
        Wall::Missing => {
            let instant = zone::first_instant_at_or_after(tz, naive);
            Resolved {
                instant,
                note: Some(format!(
                    "{shown} does not exist in {tz} (the clocks skip it); showing {}, the first \
                     instant after the gap",
                    instant.with_timezone(&tz).format("%H:%M%:z")
                )),
            }
        }
    }
}

/// Why the floor is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorSource {
    /// No trigger asks for more than `min`.
    Min,
    /// The highest desiredReplicas of the active triggers.
    Trigger,
    /// The active triggers ask for more than `max`; KEDA caps the floor there.
    Max,
}

/// One cron trigger as explain reports it.
#[derive(Debug, Clone, Serialize)]
pub struct TriggerReport {
    /// Trigger name in the ScaledObject.
    pub name: String,
    /// `season` or `campaign`.
    pub entry_kind: String,
    /// Calendar entry id.
    pub entry_id: String,
    /// Calendar entry display name.
    pub entry_name: String,
    /// Start expression.
    pub start: String,
    /// End expression.
    pub end: String,
    /// desiredReplicas.
    pub desired_replicas: u32,
    /// robfig's `Next` of the start (local, RFC 3339); `null` = never within five years.
    pub next_start: Option<String>,
    /// robfig's `Next` of the end (local, RFC 3339); `null` = never within five years.
    pub next_end: Option<String>,
    /// For a campaign at an instant outside its dates: why its trigger fires anyway.
    pub note: Option<String>,
    /// Set while the floor is open only because of the entry's lead (SPEC §2.2): the
    /// window has opened early and its traffic is still ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<LeadReport>,
}

/// A floor that is open ahead of its entry's hours.
#[derive(Debug, Clone, Serialize)]
pub struct LeadReport {
    /// The lead in minutes.
    pub minutes: u32,
    /// `prescale_lead` (app-wide) or `lead` (the entry's own).
    pub source: String,
    /// When the floor opened (local, RFC 3339).
    pub floor_from: String,
    /// When the entry's hours, and its traffic, begin (local, RFC 3339).
    pub traffic_from: String,
}

/// The explanation for one deployment.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentReport {
    /// Territory code.
    pub territory: String,
    /// Territory display name.
    pub territory_name: String,
    /// Workload name.
    pub workload: String,
    /// Deployment / ScaledObject name.
    pub deployment: String,
    /// The triggers' timezone.
    pub timezone: String,
    /// The instant evaluated, UTC.
    pub instant: String,
    /// The same instant in the territory's zone.
    pub local_time: String,
    /// Note on how a local `--at` was resolved (DST gap or overlap).
    pub note: Option<String>,
    /// minReplicaCount.
    pub min: u32,
    /// maxReplicaCount.
    pub max: u32,
    /// The floor KEDA enforces.
    pub floor: u32,
    /// Where the floor comes from.
    pub source: FloorSource,
    /// Active triggers asking for the highest desiredReplicas (they set the floor
    /// unless it is `min`).
    pub deciding: Vec<TriggerReport>,
    /// Other active triggers (asking for less).
    pub also_active: Vec<TriggerReport>,
    /// The inactive trigger whose start fires next, if any (robfig's `Next`).
    pub next_start: Option<TriggerReport>,
}

/// The whole explain answer.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `--at` as given.
    pub at: String,
    /// `local` (wall time in each territory's zone) or `instant`.
    pub interpretation: String,
    /// One entry per selected deployment, in model order.
    pub deployments: Vec<DeploymentReport>,
}

/// Explains every selected deployment.
pub fn explain(
    model: &Model,
    schedule: &Schedule,
    at: &str,
    territory: Option<&str>,
    workload: Option<&str>,
) -> Result<Report, ReportError> {
    let spec = parse_at(at)?;
    let selected = select(model, schedule, territory, workload)?;
    let mut deployments = Vec::with_capacity(selected.len());
    for ds in selected {
        let ev = Evaluator::new(ds).map_err(|e| ReportError::Internal(e.to_string()))?;
        let tz = ev.timezone();
        let resolved = match spec {
            AtSpec::Local(naive) => resolve_local(tz, naive),
            AtSpec::Instant(i) => Resolved {
                instant: i.with_timezone(&Utc),
                note: None,
            },
        };
        deployments.push(deployment_report(model, ds, &ev, resolved));
    }
    Ok(Report {
        at: at.trim().to_string(),
        interpretation: match spec {
            AtSpec::Local(_) => "local".into(),
            AtSpec::Instant(_) => "instant".into(),
        },
        deployments,
    })
}

fn local_rfc3339(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn deployment_report(
    model: &Model,
    ds: &DeploymentSchedule,
    ev: &Evaluator,
    resolved: Resolved,
) -> DeploymentReport {
    let tz = ev.timezone();
    let at = resolved.instant;
    let floor = ev.floor_at(at);
    let states: Vec<TriggerState> = (0..ds.triggers.len())
        .map(|i| ev.trigger_state(i, at))
        .collect();
    let local_day = at.with_timezone(&tz).date_naive();
    let trigger = |i: usize| {
        let t = &ds.triggers[i];
        let entry = model
            .entries
            .iter()
            .find(|e| e.id == t.entry_id && e.kind == t.entry_kind);
        let entry_name = entry.map_or_else(|| t.entry_id.clone(), |e| e.name.clone());
        let note = entry
            .filter(|_| floor.active.contains(&i))
            .and_then(|e| recurrence::outside_own_dates(e, local_day))
            .map(|(from, to)| format!("active because cron has no year: the entry's dates are {from} – {to}; remove it and re-render once they are past"));
        let lead = entry
            .filter(|_| floor.active.contains(&i))
            .and_then(|e| lead_report(model, e, &ds.territory, tz, at));
        TriggerReport {
            name: t.name.clone(),
            entry_kind: t.entry_kind.as_str().to_string(),
            entry_id: t.entry_id.clone(),
            entry_name,
            start: t.start.clone(),
            end: t.end.clone(),
            desired_replicas: t.desired_replicas,
            next_start: states[i].next_start.map(|x| local_rfc3339(tz, x)),
            next_end: states[i].next_end.map(|x| local_rfc3339(tz, x)),
            note,
            lead,
        }
    };
    let highest = floor
        .active
        .iter()
        .map(|&i| ds.triggers[i].desired_replicas)
        .max();
    let source = match highest {
        Some(d) if d > ds.max => FloorSource::Max,
        Some(d) if d > ds.min => FloorSource::Trigger,
        _ => FloorSource::Min,
    };
    let (deciding, also): (Vec<usize>, Vec<usize>) = floor
        .active
        .iter()
        .partition(|&&i| Some(ds.triggers[i].desired_replicas) == highest);
    let next_start = (0..ds.triggers.len())
        .filter(|i| !floor.active.contains(i))
        .filter_map(|i| states[i].next_start.map(|t| (t, i)))
        .min()
        .map(|(_, i)| trigger(i));
    DeploymentReport {
        territory: ds.territory.clone(),
        territory_name: model
            .territory(&ds.territory)
            .map_or_else(|| ds.territory.clone(), |t| t.name.clone()),
        workload: ds.workload.clone(),
        deployment: ds.name.clone(),
        timezone: ds.timezone.clone(),
        instant: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        local_time: local_rfc3339(tz, at),
        note: resolved.note,
        min: ds.min,
        max: ds.max,
        floor: floor.floor,
        source,
        deciding: deciding.into_iter().map(trigger).collect(),
        also_active: also.into_iter().map(trigger).collect(),
        next_start,
    }
}

/// The lead of entry `e` when `at` lies in it: its floor window is open, its hours not yet.
fn lead_report(
    model: &Model,
    e: &Entry,
    code: &str,
    tz: Tz,
    at: DateTime<Utc>,
) -> Option<LeadReport> {
    let (floor, traffic) = windows::in_lead(model, e, code, tz, at)?;
    Some(LeadReport {
        minutes: e.floor_lead,
        source: if e.lead.is_some() {
            "lead"
        } else {
            "prescale_lead"
        }
        .into(),
        floor_from: local_rfc3339(tz, floor.start),
        traffic_from: local_rfc3339(tz, traffic.start),
    })
}

fn short_local(rfc: &str) -> String {
    // `2026-10-03T20:00:00+02:00` → `2026-10-03 20:00 +02:00`.
    match DateTime::parse_from_rfc3339(rfc) {
        Ok(t) => t.format("%Y-%m-%d %H:%M %:z").to_string(),
        Err(_) => rfc.to_string(),
    }
}

fn trigger_line(t: &TriggerReport) -> String {
    format!(
        "{} `{}` ({}) — trigger {}: start `{}`, end `{}`, desiredReplicas {}",
        t.entry_kind, t.entry_id, t.entry_name, t.name, t.start, t.end, t.desired_replicas
    )
}

/// The human-readable rendering of a report.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let how = if report.interpretation == "local" {
        "local time in each territory"
    } else {
        "one instant for every territory"
    };
    let _ = writeln!(out, "explain {} ({how})", report.at);
    let mut last_territory = None;
    for d in &report.deployments {
        if last_territory != Some(&d.territory) {
            last_territory = Some(&d.territory);
            let _ = writeln!(
                out,
                "\n{} {} — {} {} = {}",
                d.territory,
                d.territory_name,
                d.timezone,
                short_local(&d.local_time),
                d.instant
            );
            if let Some(note) = &d.note {
                let _ = writeln!(out, "  note: {note}");
            }
        }
        deployment_text(&mut out, d);
    }
    out
}

/// The lines of one deployment: its floor, where it comes from, and the triggers.
fn deployment_text(out: &mut String, d: &DeploymentReport) {
    let _ = writeln!(
        out,
        "  {} ({}): floor {}  [min {}, max {}]",
        d.workload, d.deployment, d.floor, d.min, d.max
    );
    match d.source {
        FloorSource::Min if d.deciding.is_empty() => {
            let _ = writeln!(out, "    base min applies: no cron trigger is active");
        }
        FloorSource::Min => {
            let _ = writeln!(
                out,
                "    base min applies: the active triggers ask for no more than min"
            );
        }
        FloorSource::Trigger => {}
        FloorSource::Max => {
            let _ = writeln!(
                out,
                "    capped at max {}: the active triggers ask for more",
                d.max
            );
        }
    }
    for t in &d.deciding {
        deciding_text(out, t);
    }
    for t in &d.also_active {
        let _ = writeln!(out, "    also active: {}", trigger_line(t));
        if let Some(note) = &t.note {
            let _ = writeln!(out, "      note: {note}");
        }
    }
    if let (FloorSource::Min, Some(t)) = (d.source, &d.next_start) {
        if let Some(start) = &t.next_start {
            let _ = writeln!(
                out,
                "    next start: {} at {} ({} `{}`, desiredReplicas {})",
                t.name,
                short_local(start),
                t.entry_kind,
                t.entry_id,
                t.desired_replicas
            );
        }
    }
}

/// The lines of a trigger that decides the floor: the trigger, its lead, its end, its note.
fn deciding_text(out: &mut String, t: &TriggerReport) {
    let _ = writeln!(out, "    ← {}", trigger_line(t));
    if let Some(lead) = &t.lead {
        let _ = writeln!(
            out,
            "      open ahead of its hours by the {} of {} min: floor since {}, traffic \
             expected from {}",
            lead.source,
            lead.minutes,
            short_local(&lead.floor_from),
            short_local(&lead.traffic_from)
        );
    }
    if let Some(end) = &t.next_end {
        let _ = writeln!(
            out,
            "      active until its end fires at {}",
            short_local(end)
        );
    }
    if let Some(note) = &t.note {
        let _ = writeln!(out, "      note: {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::EntryKind;
    use crate::schedule::CronTrigger;
    use chrono::NaiveDate;

    #[test]
    fn parses_at_forms() {
        let local = NaiveDate::from_ymd_opt(2026, 10, 3)
            .unwrap()
            .and_hms_opt(9, 15, 0)
            .unwrap();
        assert_eq!(parse_at("2026-10-03T09:15").unwrap(), AtSpec::Local(local));
        assert_eq!(
            parse_at("2026-10-03 09:15:00").unwrap(),
            AtSpec::Local(local)
        );
        let AtSpec::Instant(i) = parse_at("2026-10-03T09:15+02:00").unwrap() else {
            panic!("offset means instant")
        };
        assert_eq!(
            i.with_timezone(&Utc).to_rfc3339(),
            "2026-10-03T07:15:00+00:00"
        );
        let AtSpec::Instant(z) = parse_at("2026-10-03T07:15Z").unwrap() else {
            panic!("Z means instant")
        };
        assert_eq!(z.with_timezone(&Utc), i.with_timezone(&Utc));
        assert!(matches!(
            parse_at("2026-10-03T09:15-0330"),
            Ok(AtSpec::Instant(_))
        ));
        for bad in [
            "2026-10-03",
            "09:15",
            "2026-13-01T00:00",
            "2026-10-03T09:15+2",
            "soon",
        ] {
            assert!(parse_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolves_gaps_and_overlaps_with_a_note() {
        let tz = Tz::Europe__Berlin;
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        let r = resolve_local(tz, gap);
        assert_eq!(r.instant.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        assert!(r.note.unwrap().contains("does not exist"));
        let overlap = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        let r = resolve_local(tz, overlap);
        assert_eq!(r.instant.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert!(r.note.unwrap().contains("2026-10-25T02:30+01:00"));
        // Lord Howe's 30-minute gap: 02:10 → 02:30 local (+11:00) = 15:30Z.
        let lh = NaiveDate::from_ymd_opt(2026, 10, 4)
            .unwrap()
            .and_hms_opt(2, 10, 0)
            .unwrap();
        assert_eq!(
            resolve_local(Tz::Australia__Lord_Howe, lh)
                .instant
                .to_rfc3339(),
            "2026-10-03T15:30:00+00:00"
        );
    }

    #[test]
    fn trigger_report_names_the_deciding_trigger() {
        let ds = DeploymentSchedule {
            territory: "DE".into(),
            workload: "queries".into(),
            name: "app-queries-de".into(),
            timezone: "Europe/Berlin".into(),
            min: 2,
            max: 6,
            triggers: vec![
                CronTrigger {
                    name: "season-okt-1".into(),
                    start: "0 8 * 9 *".into(),
                    end: "0 20 * 9 *".into(),
                    desired_replicas: 6,
                    entry_kind: EntryKind::Season,
                    entry_id: "okt".into(),
                },
                CronTrigger {
                    name: "season-low-1".into(),
                    start: "0 7 * 9 *".into(),
                    end: "0 21 * 9 *".into(),
                    desired_replicas: 3,
                    entry_kind: EntryKind::Season,
                    entry_id: "low".into(),
                },
            ],
        };
        let ev = Evaluator::new(&ds).unwrap();
        let at = |s: &str| Resolved {
            instant: DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc),
            note: None,
        };
        let model = crate::report::explain::tests::empty_model();
        let r = deployment_report(&model, &ds, &ev, at("2026-09-10T09:15:00+02:00"));
        assert_eq!((r.floor, r.source), (6, FloorSource::Trigger));
        assert_eq!(r.deciding[0].name, "season-okt-1");
        assert_eq!(r.also_active[0].name, "season-low-1");
        assert_eq!(
            r.deciding[0].next_end.as_deref(),
            Some("2026-09-10T20:00:00+02:00")
        );
        let r = deployment_report(&model, &ds, &ev, at("2026-09-10T06:00:00+02:00"));
        assert_eq!((r.floor, r.source), (2, FloorSource::Min));
        assert_eq!(r.next_start.unwrap().name, "season-low-1");
    }

    #[test]
    fn a_floor_open_ahead_of_its_hours_says_it_is_the_lead() {
        let model = crate::config::validate::model_from_strs(
            crate::config::example::TERRITORIES,
            crate::config::example::CALENDARS,
        )
        .unwrap();
        let schedule = crate::schedule::compile::compile(&model);
        let report = |at: &str| {
            let r = explain(&model, &schedule, at, Some("DE"), Some("queries")).unwrap();
            (r.deployments[0].floor, text(&r))
        };
        let (floor, t) = report("2026-09-14T07:57");
        assert_eq!(floor, 4);
        assert!(
            t.contains(
                "open ahead of its hours by the prescale_lead of 5 min: floor since \
                 2026-09-14 07:55 +02:00, traffic expected from 2026-09-14 08:00 +02:00"
            ),
            "{t}"
        );
        let (floor, t) = report("2026-09-14T08:01");
        assert_eq!(floor, 4);
        assert!(!t.contains("ahead of its hours"), "{t}");
        assert_eq!(report("2026-09-14T07:54").0, 2);
    }

    pub(crate) fn empty_model() -> Model {
        crate::config::validate::model_from_strs(include_str!("../../territories.toml"), &[])
            .expect("default territories are valid")
    }
}
