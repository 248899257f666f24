//! robfig's `SpecSchedule.Next`, replayed step by step (see the module docs of `cron`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clock::{GoClock, Wall, Zone};
use super::{Location, Schedule, STAR_BIT};

/// The memo of [`Schedule::next_memo`]; start with `NextMemo::default()` per schedule.
#[derive(Debug, Clone, Copy, Default)]
pub struct NextMemo {
    key: Option<(u8, i64)>,
    value: Option<i64>,
}

/// Steps of one unit from `current` to the next value above it whose bit is set in
/// `bits`, or to `units` (the wrap to 0) when there is none.
fn steps_to(bits: u64, current: u32, units: u32) -> i64 {
    let next = (current + 1..units)
        .find(|v| (1u64 << v) & bits != 0)
        .unwrap_or(units);
    i64::from(next - current)
}

impl Schedule {
    /// The zone `Next` works in when the trigger's zone is `trigger_zone`.
    pub fn zone(&self, trigger_zone: Tz) -> Tz {
        match self.location {
            Location::Trigger => trigger_zone,
            Location::Zone(tz) => tz,
        }
    }

    /// robfig's `dayMatches`: day-of-month AND day-of-week when either field was
    /// written with a star (`*`, `?`, `*/1`), otherwise OR.
    fn day_matches(&self, w: &Wall) -> bool {
        let dom_match = (1u64 << w.day) & self.dom != 0;
        let dow_match = (1u64 << w.weekday) & self.dow != 0;
        if self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    }

    /// Whether no instant can ever match (an empty field, e.g. `,`), in which case
    /// robfig searches five years and returns the zero time; answered directly.
    fn never_matches(&self) -> bool {
        let real = |bits: u64| bits & !STAR_BIT;
        real(self.minute) == 0
            || real(self.hour) == 0
            || real(self.month) == 0
            || (real(self.dom) == 0 && real(self.dow) == 0)
            || ((self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0)
                && (real(self.dom) == 0 || real(self.dow) == 0))
    }

    /// robfig's `SpecSchedule.Next` for a time given in `trigger_zone`, with `t` in
    /// Unix seconds (any sub-second part already dropped). `None` is Go's zero time.
    /// Builds no offset table; for many calls use [`Schedule::next_in`].
    pub fn next_unix(&self, t: i64, trigger_zone: Tz) -> Option<i64> {
        self.next_in(t, &Zone::new(self.zone(trigger_zone)))
    }

    /// robfig's `SpecSchedule.Next` at `t` (Unix seconds) in `zone`, which must be
    /// [`Schedule::zone`] of the trigger's zone. `None` is Go's zero time.
    ///
    /// The loops are robfig's, in its order, with its `added` flag and `WRAP`
    /// restarts. The hour and minute loops step in absolute hours and minutes; where
    /// `zone` knows the offset stays the same over the steps, the wall clock advances
    /// one hour (minute) per step, so the steps are taken at once with the same result.
    ///
    /// A faithful port of robfig/cron v3's `SpecSchedule.Next` (`spec.go`); it stays one
    /// function, longer than the ~80 lines allowed elsewhere, so that it can be read side
    /// by side with the original.
    pub fn next_in(&self, t: i64, zone: &Zone) -> Option<i64> {
        if self.never_matches() {
            return None;
        }
        let clock = GoClock::new(zone);
        // Start at the earliest possible time (the upcoming second).
        let mut t = t + 1;
        let mut added = false;
        let year_limit = clock.wall(t).year + 5;
        'wrap: loop {
            if clock.wall(t).year > year_limit {
                return None;
            }
            // Month.
            loop {
                let w = clock.wall(t);
                if (1u64 << w.month) & self.month != 0 {
                    break;
                }
                if !added {
                    added = true;
                    t = clock.date(w.year, i64::from(w.month), 1, 0, 0, 0);
                }
                t = clock.add_date(t, 0, 1, 0);
                if clock.wall(t).month == 1 {
                    continue 'wrap;
                }
            }
            // Day (wall-clock days; fix up midnights moved by DST).
            loop {
                let w = clock.wall(t);
                if self.day_matches(&w) {
                    break;
                }
                if !added {
                    added = true;
                    t = clock.date(w.year, i64::from(w.month), i64::from(w.day), 0, 0, 0);
                }
                t = clock.add_date(t, 0, 0, 1);
                let hour = i64::from(clock.wall(t).hour);
                if hour != 0 {
                    if hour > 12 {
                        t += (24 - hour) * 3600;
                    } else {
                        t -= hour * 3600;
                    }
                }
                if clock.wall(t).day == 1 {
                    continue 'wrap;
                }
            }
            // Hour (absolute one-hour steps).
            let w = clock.wall(t);
            if (1u64 << w.hour) & self.hour == 0 {
                if !added {
                    added = true;
                    t = clock.date(
                        w.year,
                        i64::from(w.month),
                        i64::from(w.day),
                        i64::from(w.hour),
                        0,
                        0,
                    );
                }
                let hour = clock.wall(t).hour;
                let steps = steps_to(self.hour, hour, 24);
                if zone.constant_over(t, steps * 3600) {
                    t += steps * 3600;
                    if i64::from(hour) + steps == 24 {
                        continue 'wrap;
                    }
                } else {
                    loop {
                        t += 3600;
                        let hour = clock.wall(t).hour;
                        if hour == 0 {
                            continue 'wrap;
                        }
                        if (1u64 << hour) & self.hour != 0 {
                            break;
                        }
                    }
                }
            }
            // Minute (absolute one-minute steps; Truncate works on absolute time).
            let w = clock.wall(t);
            if (1u64 << w.minute) & self.minute == 0 {
                if !added {
                    added = true;
                    t -= t.rem_euclid(60);
                }
                let minute = clock.wall(t).minute;
                let steps = steps_to(self.minute, minute, 60);
                if zone.constant_over(t, steps * 60) {
                    t += steps * 60;
                    if i64::from(minute) + steps == 60 {
                        continue 'wrap;
                    }
                } else {
                    loop {
                        t += 60;
                        let minute = clock.wall(t).minute;
                        if minute == 0 {
                            continue 'wrap;
                        }
                        if (1u64 << minute) & self.minute != 0 {
                            break;
                        }
                    }
                }
            }
            // Second: the parser fixes it at 0.
            loop {
                let w = clock.wall(t);
                if w.second == 0 {
                    break;
                }
                added = true;
                t += 1;
                if clock.wall(t).second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t);
        }
    }

    /// [`Schedule::next_in`] with a one-entry memo, for evaluating many nearby instants.
    ///
    /// The first loop of `Next` that does not match truncates `t` (to the month, day,
    /// hour or minute) and from then on depends only on that truncated value, so
    /// instants with the same failing loop and the same truncated value have the same
    /// `Next`. The memo remembers the last such (loop, value) pair and its result.
    pub fn next_memo(&self, t: i64, zone: &Zone, memo: &mut NextMemo) -> Option<i64> {
        let clock = GoClock::new(zone);
        let u = t + 1;
        let w = clock.wall(u);
        let (y, mo, d, h) = (
            w.year,
            i64::from(w.month),
            i64::from(w.day),
            i64::from(w.hour),
        );
        let key = if (1u64 << w.month) & self.month == 0 {
            (0, clock.date(y, mo, 1, 0, 0, 0))
        } else if !self.day_matches(&w) {
            (1, clock.date(y, mo, d, 0, 0, 0))
        } else if (1u64 << w.hour) & self.hour == 0 {
            (2, clock.date(y, mo, d, h, 0, 0))
        } else if (1u64 << w.minute) & self.minute == 0 {
            (3, u - u.rem_euclid(60))
        } else {
            (4, u)
        };
        if memo.key == Some(key) {
            return memo.value;
        }
        let value = self.next_in(t, zone);
        *memo = NextMemo {
            key: Some(key),
            value,
        };
        value
    }

    /// robfig's `Next` for an instant; `None` is Go's zero time ("nothing within five
    /// years").
    pub fn next(&self, t: DateTime<Utc>, trigger_zone: Tz) -> Option<DateTime<Utc>> {
        self.next_unix(t.timestamp(), trigger_zone)
            .and_then(|u| DateTime::from_timestamp(u, 0))
    }
}
