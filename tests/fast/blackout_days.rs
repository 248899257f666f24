//! `BlackoutDays` (each territory's blackout days, gathered once) answers exactly what
//! the model's definitions answer (`Model::is_blackout`, `Model::blackout_month_day`)
//! for random recurring and dated blackouts, leap days and multi-year ranges included.

use chrono::{Datelike, Duration, NaiveDate};
use proptest::prelude::*;
use scalegen::config::model::{Blackout, BlackoutDays, DateRange, MonthDay};

fn day(days_from_2024: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid") + Duration::days(days_from_2024.into())
}

/// A blackout from generated numbers: recurring (any month-days of a common year,
/// possibly crossing the year end) or dated (up to six years long), for a subset of
/// the default territories.
fn blackout(i: usize, (recurring, a, b, mask): (bool, u32, u32, u8)) -> Blackout {
    let dates = if recurring {
        let md = |n: u32| {
            let d = day(366 + n % 365); // 2025
            MonthDay {
                month: d.month(),
                day: d.day(),
            }
        };
        DateRange::Recurring {
            from: md(a),
            to: md(b),
        }
    } else {
        let from = day(a % 1500);
        DateRange::Dated {
            from,
            to: from + Duration::days((b % 2200).into()),
        }
    };
    let territories: Vec<String> = ["AT", "CH", "DE"]
        .iter()
        .enumerate()
        .filter(|(k, _)| mask & (1 << k) != 0 || mask % 8 == 0)
        .map(|(_, c)| c.to_string())
        .collect();
    Blackout {
        id: format!("b{i}"),
        name: format!("b{i}"),
        dates,
        territories,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn blackout_days_answer_what_the_model_definitions_answer(
        raw in prop::collection::vec((any::<bool>(), any::<u32>(), any::<u32>(), any::<u8>()), 0..6)
    ) {
        let mut model = crate::support::default_model();
        model.blackouts = raw.into_iter().enumerate().map(|(i, r)| blackout(i, r)).collect();
        for code in ["AT", "CH", "DE", "XX"] {
            let days = BlackoutDays::new(&model, code);
            let leap_year = NaiveDate::from_ymd_opt(2028, 1, 1).expect("valid");
            for d in leap_year.iter_days().take(366) {
                let (m, md) = (d.month(), d.day());
                prop_assert_eq!(days.month_day(m, md), model.blackout_month_day(code, m, md), "{} {}-{}", code, m, md);
            }
            for n in 0..(366 * 10) {
                let d = day(n);
                prop_assert_eq!(days.contains(d), model.is_blackout(code, d), "{} {}", code, d);
            }
        }
    }
}
