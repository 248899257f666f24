//! The rules about one deployment: p95 over target and emergency, at max replicas,
//! pre-scale without load, KEDA scaler errors.

use crate::config::model::{Territory, TerritoryWorkload, Workload};
use crate::render::promql::{self, decimal, seconds_from_ms};

use super::{
    highest_floor, minutes, percent, replicas, Annotation, Builder, Piece, Probe, Rule,
    AT_MAX_REPLICAS, KEDA_SCALER_ERRORS, P95_EMERGENCY, P95_OVER_TARGET, PRESCALE_IDLE,
};

impl Builder<'_> {
    /// `ScalingP95OverTarget`: the deployment's p95 is over its target.
    pub(super) fn p95_over_target(
        &self,
        t: &Territory,
        w: &Workload,
        b: &TerritoryWorkload,
    ) -> Rule {
        let expr = format!("{} > {}", self.p95(t, w), seconds_from_ms(b.p95_ms));
        let mut rule = self.scoped(
            self.rule(P95_OVER_TARGET, expr, Some(minutes(5))),
            t,
            Some(w),
        );
        let name = self.deployment(t, w);
        rule.summary = Annotation::text(format!(
            "p95 latency of {name} is over its target of {} ms",
            b.p95_ms
        ));
        rule.description = Annotation::text(format!(
            "The 95th percentile response time of {} in {} ({}) has been over {} ms for 5 minutes. \
             KEDA's latency trigger should be adding replicas; check whether the deployment is \
             already at its maximum of {}.",
            w.name, t.name, t.code, b.p95_ms, b.max
        ));
        rule.threshold = format!("{} ms", b.p95_ms);
        rule.probe = Probe::Latency {
            territory: t.code.clone(),
            workload: w.name.clone(),
            threshold_ms: b.p95_ms,
        };
        rule
    }

    /// `ScalingP95Emergency`: the deployment's p95 is over the emergency threshold.
    pub(super) fn p95_emergency(
        &self,
        t: &Territory,
        w: &Workload,
        _b: &TerritoryWorkload,
    ) -> Rule {
        let ms = self.model.alerts.emergency_p95_ms;
        let expr = format!("{} > {}", self.p95(t, w), seconds_from_ms(ms));
        let mut rule = self.scoped(self.rule(P95_EMERGENCY, expr, Some(minutes(2))), t, Some(w));
        let name = self.deployment(t, w);
        rule.summary = Annotation::text(format!("p95 latency of {name} is over {ms} ms"));
        rule.description = Annotation::text(format!(
            "The 95th percentile response time of {} in {} ({}) has been over the emergency \
             threshold of {ms} ms for 2 minutes. Follow the emergency procedure in the runbook.",
            w.name, t.name, t.code
        ));
        rule.threshold = format!("{ms} ms");
        rule.probe = Probe::Latency {
            territory: t.code.clone(),
            workload: w.name.clone(),
            threshold_ms: ms,
        };
        rule
    }

    /// `ScalingAtMaxReplicas`: the HPA is at max while p95 is over target.
    pub(super) fn at_max_replicas(
        &self,
        t: &Territory,
        w: &Workload,
        b: &TerritoryWorkload,
    ) -> Rule {
        let name = self.deployment(t, w);
        let hpa = promql::keda_hpa_name(&name);
        let expr = format!(
            "(max({}) >= max({})) and on() ({} > {})",
            promql::hpa_series(promql::HPA_CURRENT_METRIC, self.namespace(), &hpa),
            promql::hpa_series(promql::HPA_MAX_METRIC, self.namespace(), &hpa),
            self.p95(t, w),
            seconds_from_ms(b.p95_ms)
        );
        let mut rule = self.scoped(
            self.rule(AT_MAX_REPLICAS, expr, Some(minutes(15))),
            t,
            Some(w),
        );
        rule.summary = Annotation::text(format!(
            "{name} is at its maximum of {} and still over its p95 target",
            replicas(b.max)
        ));
        rule.description = Annotation::text(format!(
            "{} in {} ({}) has run at its maximum of {} for 15 minutes while its p95 latency \
             stays over {} ms. Autoscaling cannot help any more: raise the maximum in \
             territories.toml or shed load.",
            w.name,
            t.name,
            t.code,
            replicas(b.max),
            b.p95_ms
        ));
        rule.threshold = format!("{} (max) and p95 > {} ms", replicas(b.max), b.p95_ms);
        rule.probe = Probe::Capacity {
            territory: t.code.clone(),
            workload: w.name.clone(),
            hpa,
            max: b.max,
            target_ms: b.p95_ms,
        };
        rule
    }

    /// `ScalingPrescaleIdle`: little traffic under an active floor; `None` without a floor above min.
    pub(super) fn prescale_idle(
        &self,
        t: &Territory,
        w: &Workload,
        b: &TerritoryWorkload,
    ) -> Option<Rule> {
        let floor = highest_floor(self.model, &t.code, &w.name, b)?;
        let a = &self.model.alerts;
        let name = self.deployment(t, w);
        let traffic =
            promql::request_rate(self.namespace(), &t.code, &w.name, promql::SLOW_RATE_WINDOW);
        let active_floor = format!("{} > {}", promql::active_cron_floor(&name), b.min);
        let expr = format!(
            "({traffic} or vector(0)) < {} * {} * ({active_floor})",
            decimal(a.prescale_idle_ratio),
            decimal(b.rps_per_replica)
        );
        let mut rule = self.scoped(
            self.rule(PRESCALE_IDLE, expr, Some(a.prescale_idle_for)),
            t,
            Some(w),
        );
        let pct = percent(a.prescale_idle_ratio);
        rule.summary = Annotation::text(format!(
            "{name} is pre-scaled by the calendar but serves less than {pct} of the floor's capacity"
        ));
        rule.description = Annotation::text(format!(
            "A seasonal cron trigger holds {} in {} ({}) above its minimum of {}, but for {} \
             its traffic has stayed below {pct} of what the floor can serve ({} requests/s per \
             replica). The calendar entry may be too early, too long or too high: review it with \
             SalesOps.",
            w.name,
            t.name,
            t.code,
            replicas(b.min),
            a.prescale_idle_for,
            decimal(b.rps_per_replica)
        ));
        rule.threshold = format!(
            "traffic below {pct} × floor × {} req/s",
            decimal(b.rps_per_replica)
        );
        rule.probe = Probe::PrescaleIdle {
            territory: t.code.clone(),
            workload: w.name.clone(),
            scaled_object: name,
            floor,
            idle_below_rps: a.prescale_idle_ratio * f64::from(floor) * b.rps_per_replica,
        };
        Some(rule)
    }

    /// `ScalingKedaScalerErrors`: a scaler of the deployment's ScaledObject fails.
    pub(super) fn keda_errors(&self, t: &Territory, w: &Workload) -> Rule {
        let name = self.deployment(t, w);
        let metric = promql::keda_errors_metric(self.model.app.keda_version);
        let expr = format!(
            "sum by (scaler) (rate({}[{}])) > 0",
            promql::selector(metric, &[("scaledObject", &name)]),
            promql::SLOW_RATE_WINDOW
        );
        let mut rule = self.scoped(
            self.rule(KEDA_SCALER_ERRORS, expr, Some(minutes(5))),
            t,
            Some(w),
        );
        rule.summary = Annotation(vec![
            Piece::Text("KEDA cannot read trigger ".to_string()),
            Piece::Label("scaler"),
            Piece::Text(format!(" of {name}")),
        ]);
        rule.description = Annotation(vec![
            Piece::Text("The KEDA operator has reported errors for trigger ".to_string()),
            Piece::Label("scaler"),
            Piece::Text(format!(
                " of ScaledObject {name} ({} in {}) for 5 minutes. After 3 failed reads of the \
                 throughput trigger KEDA holds the fallback replicas; check `kubectl describe \
                 scaledobject {name}` and the Prometheus address the triggers use.",
                w.name, t.name
            )),
        ]);
        rule.threshold = "any scaler error".to_string();
        rule.probe = Probe::ScalerErrors {
            metric,
            scaled_object: name,
            scaler: "throughput".to_string(),
        };
        rule
    }
}
