//! `[events]` and `[alerts]` of `territories.toml` (SPEC §2.1, §5, §6).

use super::Validator;
use crate::config::model::{Alerts, App, Events, PromDuration, DEFAULT_JOURNAL_RETENTION};
use crate::config::parse::{self, Parsed, RawTerritoriesFile, SStr, Seg};
use crate::config::values::{is_channel, is_event_type};
use crate::diag::{did_you_mean, Closeness, Diagnostic};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

impl Validator {
    pub(super) fn events(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        e: &parse::RawEvents,
        app: Option<&App>,
    ) -> Option<Events> {
        let mut ok = self.check(
            p,
            &e.channel,
            is_channel,
            "`events.channel` must match `^[a-z_][a-z0-9_]{0,62}$`",
            "e.g. `freshplan_events`",
        );
        if e.types.get_ref().is_empty() {
            self.error("`events.types` is empty", p.at(e.types.span()))
                .help = Some("list the event types, e.g. types = [\"lead.status.changed\"]".into());
            ok = false;
        }
        let (types_ok, types) = self.event_types(p, e.types.get_ref());
        let (critical_ok, critical) = match &e.critical {
            Some(c) => self.critical_types(p, c.get_ref(), &types),
            None => (true, Vec::new()),
        };
        let (journal, crit, thresholds_ok) = self.journal_thresholds(p, e);
        let replay = self.replay_settings(p, e, app);
        let retention = self.retention_settings(p, e, app);
        if !(ok && types_ok && critical_ok && thresholds_ok) {
            return None;
        }
        let (replay_secret, replay_image) = replay?;
        let (journal_retention, retention_secret) = retention?;
        Some(Events {
            channel: e.channel.get_ref().clone(),
            types: e
                .types
                .get_ref()
                .iter()
                .map(|t| t.get_ref().clone())
                .collect(),
            critical,
            journal_threshold: journal?,
            critical_threshold: crit?,
            replay_secret,
            replay_image,
            journal_retention,
            retention_secret,
        })
    }

    /// The event types, each well-formed and listed once; the types with their spans.
    fn event_types<'a>(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        types: &'a [SStr],
    ) -> (bool, BTreeMap<&'a str, Range<usize>>) {
        let mut ok = true;
        let mut seen: BTreeMap<&str, Range<usize>> = BTreeMap::new();
        for t in types {
            ok &= self.check(
                p,
                t,
                is_event_type,
                "event types must match `^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$`",
                "use dotted lower-case names such as `lead.status.changed`",
            );
            if let Some(first) = seen.insert(t.get_ref(), t.span()) {
                let d = Diagnostic::error(
                    format!("event type `{}` is listed twice", t.get_ref()),
                    p.at(t.span()),
                )
                .with_note(p.at(first), "first listed here");
                self.diags.push(d);
                ok = false;
            }
        }
        (ok, seen)
    }

    /// The critical types: each one of `types`, listed once.
    fn critical_types(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        critical: &[SStr],
        types: &BTreeMap<&str, Range<usize>>,
    ) -> (bool, Vec<String>) {
        let mut ok = true;
        let mut out = Vec::new();
        let mut seen_c = BTreeMap::new();
        for t in critical {
            if !types.contains_key(t.get_ref().as_str()) {
                let names: Vec<&str> = types.keys().copied().collect();
                let help =
                    match did_you_mean(t.get_ref(), names.iter().copied(), Closeness::Spelling) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "every critical type must also be listed in `events.types`".into(),
                    };
                self.error(
                    format!(
                        "critical event type `{}` is not in `events.types`",
                        t.get_ref()
                    ),
                    p.at(t.span()),
                )
                .help = Some(help);
                ok = false;
            } else if seen_c.insert(t.get_ref().clone(), ()).is_some() {
                self.error(
                    format!("critical event type `{}` is listed twice", t.get_ref()),
                    p.at(t.span()),
                );
                ok = false;
            }
            out.push(t.get_ref().clone());
        }
        (ok, out)
    }

    /// `journal_threshold` < `critical_threshold`, both ratios (defaults 0.70 and 0.95).
    fn journal_thresholds(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        e: &parse::RawEvents,
    ) -> (Option<f64>, Option<f64>, bool) {
        let journal = self.ratio(p, e.journal_threshold.as_ref(), 0.70, "`journal_threshold`");
        let crit = self.ratio(
            p,
            e.critical_threshold.as_ref(),
            0.95,
            "`critical_threshold`",
        );
        if let (Some(j), Some(c)) = (journal, crit) {
            if j >= c {
                let section = p.span_of(&[Seg::Key("events".into())]).unwrap_or(0..0);
                let (at, first) = spans_second_first(
                    e.critical_threshold.as_ref(),
                    e.journal_threshold.as_ref(),
                    section,
                );
                let d = Diagnostic::error(
                    format!(
                        "`critical_threshold` ({c}) must be greater than `journal_threshold` ({j})"
                    ),
                    p.at(at),
                )
                .with_note(p.at(first), "journal_threshold is set here")
                .with_help(
                    "critical events bypass the journal until the higher critical threshold",
                );
                self.diags.push(d);
                return (journal, crit, false);
            }
        }
        (journal, crit, true)
    }

    pub(super) fn alerts(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        a: &parse::RawAlerts,
    ) -> Option<Alerts> {
        let d = default_alerts();
        let emergency = match &a.emergency_p95_ms {
            None => Some(d.emergency_p95_ms as i64),
            Some(v) => self.int_in(p, v, 1, u32::MAX as i64, "`emergency_p95_ms`"),
        };
        let warning = self.ratio(
            p,
            a.notify_queue_warning.as_ref(),
            d.notify_queue_warning,
            "`notify_queue_warning`",
        );
        let critical = self.ratio(
            p,
            a.notify_queue_critical.as_ref(),
            d.notify_queue_critical,
            "`notify_queue_critical`",
        );
        let mut ok = true;
        if let (Some(w), Some(c)) = (warning, critical) {
            if w >= c {
                let at = a
                    .notify_queue_critical
                    .as_ref()
                    .or(a.notify_queue_warning.as_ref())
                    .map(|s| s.span())
                    .unwrap_or(0..0);
                let mut diag = Diagnostic::error(format!("`notify_queue_critical` ({c}) must be greater than `notify_queue_warning` ({w})"), p.at(at));
                if let (Some(first), Some(_)) = (&a.notify_queue_warning, &a.notify_queue_critical)
                {
                    diag = diag.with_note(p.at(first.span()), "notify_queue_warning is set here");
                }
                self.diags.push(diag);
                ok = false;
            }
        }
        let lag = match &a.outbox_lag_seconds {
            None => Some(d.outbox_lag_seconds as i64),
            Some(v) => self.int_in(p, v, 1, u32::MAX as i64, "`outbox_lag_seconds`"),
        };
        let ratio = self.ratio(
            p,
            a.prescale_idle_ratio.as_ref(),
            d.prescale_idle_ratio,
            "`prescale_idle_ratio`",
        );
        let idle_for = match &a.prescale_idle_for {
            None => Some(d.prescale_idle_for),
            Some(s) => self.duration(p, s, None, "`prescale_idle_for`"),
        };
        if !ok {
            return None;
        }
        Some(Alerts {
            emergency_p95_ms: emergency? as u32,
            notify_queue_warning: warning?,
            notify_queue_critical: critical?,
            outbox_lag_seconds: lag? as u32,
            prescale_idle_ratio: ratio?,
            prescale_idle_for: idle_for?,
        })
    }
}

fn spans_second_first(
    second: Option<&Spanned<f64>>,
    first: Option<&Spanned<f64>>,
    fallback: Range<usize>,
) -> (Range<usize>, Range<usize>) {
    (
        second.or(first).map_or(fallback.clone(), |s| s.span()),
        first.map_or(fallback, |s| s.span()),
    )
}

/// Stand-in `[events]`, as [`placeholder_app`].
pub(super) fn placeholder_events() -> Events {
    Events {
        channel: String::new(),
        types: Vec::new(),
        critical: Vec::new(),
        journal_threshold: 0.7,
        critical_threshold: 0.95,
        replay_secret: String::new(),
        replay_image: String::new(),
        journal_retention: DEFAULT_JOURNAL_RETENTION,
        retention_secret: String::new(),
    }
}

/// The defaults of `[alerts]` (SPEC §2.3).
pub(super) fn default_alerts() -> Alerts {
    Alerts {
        emergency_p95_ms: 500,
        notify_queue_warning: 0.70,
        notify_queue_critical: 0.95,
        outbox_lag_seconds: 60,
        prescale_idle_ratio: 0.2,
        prescale_idle_for: PromDuration { seconds: 1800 },
    }
}
