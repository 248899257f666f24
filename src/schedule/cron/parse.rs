//! robfig's `cron.NewParser(Minute | Hour | Dom | Month | Dow)`: five fields into bit sets.

use super::{Location, ParseError, Schedule, STAR_BIT};
use chrono_tz::Tz;

/// The bounds (and names) of one cron field.
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
// Sunday is 0 only: robfig rejects 7.
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

fn err<T>(msg: String) -> Result<T, ParseError> {
    Err(ParseError(msg))
}

/// Parses `spec` as `cron.NewParser(Minute | Hour | Dom | Month | Dow)` does
/// (KEDA trims trigger metadata first; this function does not).
///
/// Accepted: `*`, `?`, numbers, ranges `a-b`, steps `*/n`, `a-b/n`, `a/n` (= `a-max/n`),
/// comma lists (empty list items are dropped, as Go's `FieldsFunc` does), month and
/// weekday names (case-insensitive), and a `TZ=Zone `/`CRON_TZ=Zone ` prefix.
/// Rejected as robfig rejects them: descriptors (`@daily`), 6 fields, weekday `7`,
/// `L`/`W`/`#`, out-of-range values, step 0. `CRON_TZ=UTC` with nothing after it
/// (which makes robfig panic) is an error here.
pub fn parse(spec: &str) -> Result<Schedule, ParseError> {
    if spec.is_empty() {
        return err("empty spec string".into());
    }
    let mut spec = spec;
    let mut location = Location::Trigger;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let Some(space) = spec.find(' ') else {
            return err(format!(
                "`{spec}`: a TZ= prefix needs a space and a schedule after it (robfig/cron panics here)"
            ));
        };
        let eq = spec.find('=').unwrap_or(0);
        let name = &spec[eq + 1..space];
        location = match name {
            "" | "UTC" => Location::Zone(Tz::UTC),
            // LoadLocation("Local") returns time.Local, which Next treats as "no override".
            "Local" => Location::Trigger,
            _ => match name.parse::<Tz>() {
                Ok(tz) => Location::Zone(tz),
                Err(_) => return err(format!("provided bad location {name}: unknown time zone")),
            },
        };
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return err(format!("parser does not accept descriptors: {spec}"));
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule {
        minute: field(fields[0], &MINUTES)?,
        hour: field(fields[1], &HOURS)?,
        dom: field(fields[2], &DOM)?,
        month: field(fields[3], &MONTHS)?,
        dow: field(fields[4], &DOW)?,
        location,
    })
}

/// A comma-separated list of ranges (robfig's `getField`).
fn field(text: &str, bounds: &Bounds) -> Result<u64, ParseError> {
    let mut bits = 0;
    for expr in text.split(',').filter(|e| !e.is_empty()) {
        bits |= range(expr, bounds)?;
    }
    Ok(bits)
}

/// `number | number "-" number [ "/" number ]`, `*` or `?` (robfig's `getRange`).
fn range(expr: &str, bounds: &Bounds) -> Result<u64, ParseError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        // robfig ignores anything after `*-`.
        start = bounds.min;
        end = bounds.max;
        extra = STAR_BIT;
    } else {
        start = int_or_name(low_and_high[0], bounds.names)?;
        end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], bounds.names)?,
            _ => return err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = int(range_and_step[1])?;
            // `N/step` means `N-max/step`.
            if single {
                end = bounds.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return err(format!("too many slashes: {expr}")),
    };
    if start < bounds.min {
        return err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        ));
    }
    if end > bounds.max {
        return err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            bounds.max
        ));
    }
    if start > end {
        return err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    let mut i = start;
    while i <= end {
        bits |= 1 << i;
        i = i.saturating_add(step);
    }
    Ok(bits | extra)
}

fn int_or_name(expr: &str, names: &[(&str, u64)]) -> Result<u64, ParseError> {
    let lower = expr.to_lowercase();
    if let Some(&(_, v)) = names.iter().find(|(n, _)| *n == lower) {
        return Ok(v);
    }
    int(expr)
}

/// Go's `strconv.Atoi` (optional sign, decimal digits, fits i64), then "not negative".
fn int(expr: &str) -> Result<u64, ParseError> {
    let num: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => return err(format!("failed to parse int from {expr}")),
    };
    if num < 0 {
        return err(format!("negative number ({num}) not allowed: {expr}"));
    }
    Ok(num as u64)
}
