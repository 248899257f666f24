//! `[traffic]` (SPEC §8.1), the lead times of SPEC §2.2 (`[app] prescale_lead`, an
//! entry's `lead`) and the HPA scale-up tolerance of `[app]`.

use super::Validator;
use crate::config::model::{floor_held_back_from, Hours, Model, TrafficSettings};
use crate::config::parse::{Parsed, RawTerritoriesFile, RawTraffic, SStr};
use crate::diag::Diagnostic;
use std::ops::Range;
use toml::Spanned;

/// Kubernetes' HPA tolerance when `[app] scale_up_tolerance` is not set, in thousandths.
const DEFAULT_TOLERANCE: u32 = 100;

/// The longest lead: 2 hours, in minutes.
const MAX_LEAD_MINUTES: u32 = 120;

impl Validator {
    pub(super) fn traffic(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        t: &RawTraffic,
    ) -> Option<TrafficSettings> {
        let d = TrafficSettings::default();
        let weekday = self.profile(p, t.profile_weekday.as_ref(), "profile_weekday");
        let weekend = self.profile(p, t.profile_weekend.as_ref(), "profile_weekend");
        let startup = match &t.startup_seconds {
            None => Some(i64::from(d.startup_seconds)),
            Some(v) => self.int_in(p, v, 0, 3600, "`traffic.startup_seconds`"),
        };
        let saturation = match &t.saturation {
            None => Some(d.saturation),
            Some(v) => self.saturation(p, v),
        };
        let delay = match &t.metric_delay_seconds {
            None => Some(i64::from(d.metric_delay_seconds)),
            Some(v) => self.metric_delay(p, v),
        };
        Some(TrafficSettings {
            profile_weekday: weekday?,
            profile_weekend: weekend?,
            startup_seconds: startup? as u32,
            saturation: saturation?,
            metric_delay_seconds: delay? as u32,
        })
    }

    /// A profile: exactly 24 numbers, each finite and ≥ 0 (default: 1.0 every hour).
    fn profile(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        v: Option<&Spanned<Vec<Spanned<f64>>>>,
        key: &str,
    ) -> Option<[f64; 24]> {
        let Some(v) = v else {
            return Some([1.0; 24]);
        };
        let values = v.get_ref();
        if values.len() != 24 {
            self.error(
                format!(
                    "`traffic.{key}` must have 24 numbers (one per local hour 0–23), found {}",
                    values.len()
                ),
                p.at(v.span()),
            )
            .help = Some(
                "hour h applies to [h:00, h+1:00) of the territory's local day; 1.0 is \
                 `baseline_rps`"
                    .into(),
            );
            return None;
        }
        let mut out = [0.0; 24];
        let mut ok = true;
        for (h, x) in values.iter().enumerate() {
            let f = *x.get_ref();
            if !(f.is_finite() && f >= 0.0) {
                self.error(
                    format!("`traffic.{key}` hour {h} must be a number ≥ 0, found {f}"),
                    p.at(x.span()),
                );
                ok = false;
            }
            out[h] = f;
        }
        ok.then_some(out)
    }

    /// `saturation` in [1, 10]; more than two decimals is a warning (simulate rounds it).
    fn saturation(&mut self, p: &Parsed<RawTerritoriesFile>, v: &Spanned<f64>) -> Option<f64> {
        let x = *v.get_ref();
        if !(x.is_finite() && (1.0..=10.0).contains(&x)) {
            self.error(
                format!("`traffic.saturation` must be between 1 and 10, found {x}"),
                p.at(v.span()),
            )
            .help = Some(
                "the multiple of rps_per_replica one replica carries within its p95 target, \
                 e.g. 1.25 (measure it with the load test)"
                    .into(),
            );
            return None;
        }
        let hundredths = (x * 100.0 + 0.5).floor();
        if (x * 100.0 - hundredths).abs() > 1e-6 {
            self.diags.push(
                Diagnostic::warning(
                    format!(
                        "`traffic.saturation` {x} has more than two decimals; simulate uses {:.2}",
                        hundredths / 100.0
                    ),
                    p.at(v.span()),
                )
                .with_help("write it with two decimals"),
            );
        }
        Some(x)
    }

    /// `metric_delay_seconds`: a multiple of 15 in 0–600.
    fn metric_delay(&mut self, p: &Parsed<RawTerritoriesFile>, v: &Spanned<i64>) -> Option<i64> {
        let n = self.int_in(p, v, 0, 600, "`traffic.metric_delay_seconds`")?;
        if n % 15 != 0 {
            self.error(
                format!("`traffic.metric_delay_seconds` must be a multiple of 15, found {n}"),
                p.at(v.span()),
            )
            .help = Some("the model steps in 15-second HPA syncs, e.g. 30 or 45".into());
            return None;
        }
        Some(n)
    }

    /// A lead: a duration in whole minutes, at most 2h; in minutes.
    pub(super) fn lead<T>(&mut self, p: &Parsed<T>, v: &SStr, what: &str) -> Option<u32> {
        let d = self.duration(p, v, None, what)?;
        if d.seconds % 60 != 0 {
            self.error(
                format!("{what} must be whole minutes, found `{}`", v.get_ref()),
                p.at(v.span()),
            )
            .help = Some("cron fires on minutes; use e.g. `5m` or `1h30m`".into());
            return None;
        }
        let minutes = (d.seconds / 60) as u32;
        if minutes > MAX_LEAD_MINUTES {
            self.error(format!("{what} is {d}, more than 2h"), p.at(v.span()))
                .help = Some(
                "a lead covers a replica's startup and the controller's reaction, not a \
                 season; move `hours` earlier instead"
                    .into(),
            );
            return None;
        }
        Some(minutes)
    }

    /// An entry's lead: its own `lead` (which must fit its hours) or the app-wide one where
    /// it fits; `(own, effective)` in minutes.
    pub(super) fn entry_lead<T>(
        &mut self,
        p: &Parsed<T>,
        raw: Option<&SStr>,
        hours: Option<Hours>,
        app_lead: u32,
    ) -> Option<(Option<u32>, u32)> {
        let Some(v) = raw else {
            let fits = hours.is_some_and(|h| h.takes_lead(app_lead));
            return Some((None, if fits { app_lead } else { 0 }));
        };
        let lead = self.lead(p, v, "`lead`")?;
        let Some(hours) = hours else {
            return Some((Some(lead), 0)); // the hours' own error is reported
        };
        if hours.takes_lead(lead) {
            return Some((Some(lead), lead));
        }
        let (message, help) = if hours.is_whole_day() {
            (
                format!("whole-day entries (`{hours}`) take no `lead`"),
                "their floors already hold from 00:00; remove `lead`".to_string(),
            )
        } else if hours.start_minute < lead {
            (
                format!(
                    "`lead` {} would open the floors of `{hours}` before 00:00 of the start day",
                    v.get_ref()
                ),
                format!(
                    "a lead moves the start within its own day: at most {}m here, or move \
                     `hours` instead",
                    hours.start_minute
                ),
            )
        } else {
            (
                format!(
                    "`lead` {} would make the windows of `{hours}` a day or longer",
                    v.get_ref()
                ),
                "each day's window would overlap the next day's; shorten the lead or the hours"
                    .to_string(),
            )
        };
        self.error(message, p.at(v.span())).help = Some(help);
        None
    }

    /// `scale_up_tolerance` in thousandths: in [0, 1), at most three decimals.
    pub(super) fn scale_up_tolerance<T>(&mut self, p: &Parsed<T>, v: &Spanned<f64>) -> Option<u32> {
        let x = *v.get_ref();
        let thousandths = (x * 1000.0).round();
        if !(x.is_finite() && (0.0..1.0).contains(&x)) || (x * 1000.0 - thousandths).abs() > 1e-6 {
            self.error(
                format!(
                    "`app.scale_up_tolerance` must be a fraction in [0, 1) with at most three \
                     decimals, found {x}"
                ),
                p.at(v.span()),
            )
            .help = Some(
                "0.0 makes the HPA reach every floor exactly (Kubernetes ≥ 1.33 with the \
                 HPAConfigurableTolerance feature gate, on by default from 1.35)"
                    .into(),
            );
            return None;
        }
        Some(thousandths as u32)
    }

    /// Warns when the HPA's scale-up tolerance keeps a floor from being reached (SPEC
    /// §8.2 step 3), naming the replica counts it is held back from.
    pub(super) fn tolerance_gap<T>(
        &mut self,
        base: &Model,
        p: &Parsed<T>,
        (id, (code, workload), min): (&str, (&str, &str), u32),
        floor: u32,
        span: Range<usize>,
    ) {
        let configured = base.app.scale_up_tolerance;
        let tolerance = configured.unwrap_or(DEFAULT_TOLERANCE);
        let Some(from) = floor_held_back_from(floor, tolerance) else {
            return;
        };
        let from = from.max(min);
        if from >= floor {
            return;
        }
        let counts = if from + 1 == floor {
            format!("{from} running replicas")
        } else {
            format!("{from} to {} running replicas", floor - 1)
        };
        let percent = f64::from(tolerance) / 10.0;
        let why = match configured {
            None => format!("the HPA's default tolerance of {percent} %"),
            Some(_) => format!("`scale_up_tolerance` {percent} %"),
        };
        self.diags.push(
            Diagnostic::warning(
                format!(
                    "`{id}` floor for {code}.{workload} ({floor}) is never reached from {counts}: \
                     KEDA serves the cron trigger as a metric with target 1 and {why} keeps \
                     them"
                ),
                p.at(span),
            )
            .with_help(
                "set `[app] scale_up_tolerance = 0.0` where the cluster supports it \
                 (Kubernetes ≥ 1.33 with the HPAConfigurableTolerance feature gate, on by \
                 default from 1.35): the floors are then exact",
            ),
        );
    }
}
