//! `plan --svg`: one lane per deployment, time on x, floor as height and colour, entry
//! bands labelled on top. Deterministic: fixed decimals, model order.

use chrono::{Datelike, Duration, NaiveDate};
use std::fmt::Write as _;

use super::{DeploymentPlan, Plan};
use crate::config::model::{Entry, EntryKind, Model};

/// Width of the label column left of the plot.
const LEFT: f64 = 230.0;
/// Width of the whole chart.
const WIDTH: f64 = 1400.0;
/// Height of a deployment's lane.
const LANE: f64 = 38.0;
/// Space between lanes.
const GAP: f64 = 8.0;
/// Height of an entry's band.
const BAND: f64 = 16.0;
/// Top of the first entry band.
const TOP: f64 = 56.0;

/// The chart of `plan`; entry bands come from `model`.
pub fn svg(model: &Model, plan: &Plan) -> String {
    let scale = Scale::of(plan);
    let bands = bands(model, plan.from, plan.to);
    let lanes_top = TOP + bands.len() as f64 * BAND + 12.0;
    let height = lanes_top + plan.deployments.len() as f64 * (LANE + GAP) + 40.0;
    let mut s = String::new();
    header(&mut s, plan, height);
    month_grid(&mut s, &scale, plan, height);
    entry_bands(&mut s, &scale, &bands);
    for (i, d) in plan.deployments.iter().enumerate() {
        lane(&mut s, &scale, d, lanes_top + i as f64 * (LANE + GAP));
    }
    legend(&mut s, height);
    s.push_str("</svg>\n");
    s
}

/// Instants (Unix seconds) to x: the plan's whole range spans the plot.
struct Scale {
    t0: i64,
    t1: i64,
}

impl Scale {
    fn of(plan: &Plan) -> Scale {
        let t0 = plan
            .deployments
            .iter()
            .map(|d| d.start.timestamp())
            .min()
            .unwrap_or(0);
        let t1 = plan
            .deployments
            .iter()
            .map(|d| d.end.timestamp())
            .max()
            .unwrap_or(t0 + 1)
            .max(t0 + 1);
        Scale { t0, t1 }
    }

    fn x(&self, t: i64) -> f64 {
        let plot_w = WIDTH - LEFT - 20.0;
        LEFT + (t - self.t0) as f64 / (self.t1 - self.t0) as f64 * plot_w
    }

    /// Midnight UTC of `d` (bands and the month grid are drawn in whole days).
    fn day_x(&self, d: NaiveDate) -> f64 {
        self.x(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp())
    }
}

/// Per entry, the spans of consecutive days of `first..=last` that lie in its dates.
fn bands(
    model: &Model,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<(&Entry, Vec<(NaiveDate, NaiveDate)>)> {
    let mut bands = Vec::new();
    for e in &model.entries {
        let mut spans: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            if e.dates.contains(day) {
                match spans.last_mut() {
                    Some(s) if s.1 + Duration::days(1) == day => s.1 = day,
                    _ => spans.push((day, day)),
                }
            }
        }
        if !spans.is_empty() {
            bands.push((e, spans));
        }
    }
    bands
}

fn header(s: &mut String, plan: &Plan, height: f64) {
    let (from, to) = (xml(&plan.from.to_string()), xml(&plan.to.to_string()));
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        s,
        "<title>scalegen plan {from} – {to}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Replica floors {from} – {to}: \
         {:.1} % below static max</text>",
        plan.totals.saving_percent
    );
}

/// A line and a label at the first day of each month of the range.
fn month_grid(s: &mut String, scale: &Scale, plan: &Plan, height: f64) {
    let (first, last) = (plan.from, plan.to);
    let mut m = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).expect("month start");
    let long = (last - first).num_days() > 400;
    while m <= last {
        if m >= first {
            let xm = scale.day_x(m);
            let label = if long || m.month() == 1 {
                m.format("%b %Y").to_string()
            } else {
                m.format("%b").to_string()
            };
            let _ = writeln!(
                s,
                "<line x1=\"{xm:.2}\" y1=\"{:.2}\" x2=\"{xm:.2}\" y2=\"{:.2}\" stroke=\"#dddddd\"/>\
                 <text x=\"{:.2}\" y=\"{:.2}\" fill=\"#555555\">{}</text>",
                TOP - 12.0,
                height - 30.0,
                xm + 2.0,
                TOP - 2.0,
                xml(&label)
            );
        }
        m = if m.month() == 12 {
            NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
        }
        .expect("month start");
    }
}

fn entry_bands(s: &mut String, scale: &Scale, bands: &[(&Entry, Vec<(NaiveDate, NaiveDate)>)]) {
    for (row, (e, spans)) in bands.iter().enumerate() {
        let y = TOP + row as f64 * BAND;
        let fill = match e.kind {
            EntryKind::Season => "#4d9221",
            EntryKind::Campaign => "#762a83",
        };
        for (a, b) in spans {
            let (xa, xb) = (scale.day_x(*a), scale.day_x(*b + Duration::days(1)));
            let _ = writeln!(
                s,
                "<rect x=\"{xa:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{fill}\" \
                 fill-opacity=\"0.25\"><title>{} {} ({}–{})</title></rect>",
                y + 2.0,
                (xb - xa).max(0.5),
                BAND - 4.0,
                e.kind.as_str(),
                xml(&e.name),
                a,
                b
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.2}\" y=\"{:.2}\" fill=\"{fill}\">{}</text>",
            scale.day_x(spans[0].0) + 3.0,
            y + BAND - 4.0,
            xml(&e.name)
        );
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{:.2}\" fill=\"#555555\">{}</text>",
            y + BAND - 4.0,
            xml(e.kind.as_str())
        );
    }
}

/// One deployment's lane at height `y`: the base `min`, then every interval above it.
fn lane(s: &mut String, scale: &Scale, d: &DeploymentPlan, y: f64) {
    let (xa, xb) = (scale.x(d.start.timestamp()), scale.x(d.end.timestamp()));
    let max = f64::from(d.max.max(1));
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"{:.2}\">{} {}</text><text x=\"10\" y=\"{:.2}\" fill=\"#555555\">\
         {}–{} replicas, saving {:.1} %</text>",
        y + 15.0,
        xml(&d.territory),
        xml(&d.workload),
        y + 29.0,
        d.min,
        d.max,
        d.saving_percent
    );
    let _ = writeln!(
        s,
        "<rect x=\"{xa:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{LANE:.2}\" fill=\"#f4f4f4\"/>",
        xb - xa
    );
    let base_h = LANE * f64::from(d.min) / max;
    let _ = writeln!(
        s,
        "<rect x=\"{xa:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{base_h:.2}\" fill=\"{}\"/>",
        y + LANE - base_h,
        xb - xa,
        colour(f64::from(d.min) / max)
    );
    for i in d.intervals.iter().filter(|i| i.floor != d.min) {
        let (a, b) = (scale.x(i.start.timestamp()), scale.x(i.end.timestamp()));
        let h = LANE * f64::from(i.floor) / max;
        let _ = writeln!(
            s,
            "<rect x=\"{a:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"{}\"/>",
            y + LANE - h,
            (b - a).max(0.3),
            colour(f64::from(i.floor) / max)
        );
    }
}

fn legend(s: &mut String, height: f64) {
    let ly = height - 14.0;
    for (k, (ratio, label)) in [
        (0.25, "floor < 50 % of max"),
        (0.5, "≥ 50 %"),
        (0.75, "≥ 75 %"),
        (1.0, "at max"),
    ]
    .iter()
    .enumerate()
    {
        let lx = LEFT + k as f64 * 150.0;
        let _ = writeln!(
            s,
            "<rect x=\"{lx:.2}\" y=\"{:.2}\" width=\"12\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.2}\" y=\"{ly:.2}\">{}</text>",
            ly - 9.0,
            colour(*ratio),
            lx + 16.0,
            xml(label)
        );
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill colour of a floor at `ratio` = floor / max.
fn colour(ratio: f64) -> &'static str {
    if ratio >= 0.999 {
        "#b2182b"
    } else if ratio >= 0.75 {
        "#ef8a62"
    } else if ratio >= 0.5 {
        "#fddbc7"
    } else {
        "#d1e5f0"
    }
}
