//! The calendar's time vocabulary: month-days, recurring or dated ranges of days, local
//! window hours and weekday sets.

use chrono::{Datelike, NaiveDate, Weekday};

/// A month and day without a year (`10-15`). Never `02-29` (rejected in validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    /// 1..=12.
    pub month: u32,
    /// 1..=days in month (28 for February).
    pub day: u32,
}

impl MonthDay {
    /// This month-day in `year`.
    pub fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day).expect("validated month-day")
    }
}

impl std::fmt::Display for MonthDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRange {
    /// Every year from `from` to `to`; `to < from` crosses the year end.
    /// A range that contains the end of February contains Feb 29 in leap years.
    Recurring {
        /// First day, inclusive.
        from: MonthDay,
        /// Last day, inclusive.
        to: MonthDay,
    },
    /// One-off dates, `from <= to`.
    Dated {
        /// First day, inclusive.
        from: NaiveDate,
        /// Last day, inclusive.
        to: NaiveDate,
    },
}

impl DateRange {
    /// Whether local date `d` lies in the range (month-day order for recurring ranges).
    pub fn contains(&self, d: NaiveDate) -> bool {
        match *self {
            DateRange::Dated { from, to } => from <= d && d <= to,
            DateRange::Recurring { .. } => self.contains_month_day(d.month(), d.day()),
        }
    }

    /// Whether month-day `(month, day)` lies in a recurring range (what [`Self::contains`]
    /// answers for any date on that month-day); for a dated range, whether its date in
    /// the leap year 2028 does.
    pub fn contains_month_day(&self, month: u32, day: u32) -> bool {
        match *self {
            DateRange::Dated { .. } => self.contains(leap_year_day(month, day)),
            DateRange::Recurring { from, to } => {
                let md = (month, day);
                let f = (from.month, from.day);
                // `to` = 02-28 must not include Feb 29, so compare on (month, day) directly;
                // a range *containing* the end of February includes 02-29 naturally.
                let t = (to.month, to.day);
                if f <= t {
                    f <= md && md <= t
                } else {
                    md >= f || md <= t
                }
            }
        }
    }

    /// Whether the range is dated (campaign or dated blackout).
    pub fn is_dated(&self) -> bool {
        matches!(self, DateRange::Dated { .. })
    }
}

/// Local window hours: `[start, end)` in minutes of the day; `end <= start` crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    /// 0..=1439.
    pub start_minute: u32,
    /// 1..=1440 (1440 = `24:00`); never equal to `start_minute`.
    pub end_minute: u32,
}

impl Hours {
    /// `00:00-24:00`: the window covers whole days.
    pub fn is_whole_day(&self) -> bool {
        self.start_minute == 0 && self.end_minute == 1440
    }

    /// Whether the end time lies before the start time (`22:00-02:00`).
    pub fn crosses_midnight(&self) -> bool {
        self.end_minute < self.start_minute
    }

    /// Minutes from the start day's midnight to the window's end: `end_minute`, on the
    /// next day when the hours cross midnight (`22:00-02:00` → 1560).
    pub fn end_offset_minutes(&self) -> u32 {
        if self.crosses_midnight() {
            self.end_minute + 1440
        } else {
            self.end_minute
        }
    }

    /// Whether the window ends on the day after it starts (crossing midnight or `24:00`).
    pub fn ends_next_day(&self) -> bool {
        self.end_offset_minutes() >= 1440
    }

    /// Whether floors can open `lead` minutes before these hours (SPEC §2.2 "Lead
    /// time"): no lead always fits; otherwise not on whole days, not before 00:00 of the
    /// start day, and the window must stay shorter than a day or become exactly the
    /// whole day (a longer one would overlap the next day's, which one cron trigger per
    /// day cannot express).
    pub fn takes_lead(&self, lead: u32) -> bool {
        let length = self.end_offset_minutes() - self.start_minute + lead;
        lead == 0
            || (!self.is_whole_day()
                && self.start_minute >= lead
                && (length < 1440 || (self.start_minute == lead && self.end_minute == 1440)))
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start_minute / 60,
            self.start_minute % 60,
            self.end_minute / 60,
            self.end_minute % 60
        )
    }
}

/// A set of weekdays (bit 0 = Monday … bit 6 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub u8);

impl Weekdays {
    /// Every day of the week.
    pub const ALL: Weekdays = Weekdays(0x7f);

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Whether every weekday is in the set.
    pub fn is_all(self) -> bool {
        self.0 & 0x7f == 0x7f
    }
}

/// Month-day `(month, day)` in a leap year (2028), so that Feb 29 exists.
pub(super) fn leap_year_day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2028, month, day).expect("valid leap-year month-day")
}
