//! The day fields of cron expressions: which `dom`, `month` and `dow` values cover a set
//! of days, written the way robfig/cron parses them (ranges ascend; lists only where
//! KEDA ≥ 2.20 allows commas).

use crate::config::model::Weekdays;

/// Month-day grid: `[month - 1][day - 1]`, Feb 29 meaning "in leap years".
pub(super) type Grid = [[bool; 31]; 12];

/// Days of `month` in a leap year (the grid's slots).
pub(super) fn slots(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days of `month` in a common year.
pub(super) fn common_len(month: u32) -> u32 {
    if month == 2 {
        28
    } else {
        slots(month)
    }
}

/// The day after `(month, day)` in a common year.
pub(super) fn next_common(month: u32, day: u32) -> (u32, u32) {
    if day < common_len(month) {
        (month, day + 1)
    } else {
        (month % 12 + 1, 1)
    }
}

/// `(dom, month)` fields covering exactly the days of `g` (days a month lacks are
/// free to include). Without lists: one rectangle per day range and run of months
/// sharing it; with lists: one per distinct set of days.
pub(super) fn rectangles(g: &Grid, commas: bool) -> Vec<(String, String)> {
    // Per month: day ranges, with the days past the month's last slot added when the
    // last slot is in (so `20-30` in September and `20-31` in October agree).
    let mut runs: Vec<Vec<(u32, u32)>> = Vec::with_capacity(12);
    for m in 1..=12u32 {
        let row = &g[m as usize - 1];
        let mut rs = Vec::new();
        let mut d = 1;
        while d <= slots(m) {
            if row[d as usize - 1] {
                let a = d;
                while d <= slots(m) && row[d as usize - 1] {
                    d += 1;
                }
                let b = if d > slots(m) { 31 } else { d - 1 };
                rs.push((a, b));
            } else {
                d += 1;
            }
        }
        runs.push(rs);
    }
    let mut out: Vec<((u32, u32), String, String)> = Vec::new();
    if commas {
        // (day ranges, months having exactly them)
        type Group = (Vec<(u32, u32)>, Vec<u32>);
        let mut groups: Vec<Group> = Vec::new();
        for (i, rs) in runs.iter().enumerate() {
            if rs.is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(k, _)| k == rs) {
                Some((_, ms)) => ms.push(i as u32 + 1),
                None => groups.push((rs.clone(), vec![i as u32 + 1])),
            }
        }
        for (rs, ms) in groups {
            let dom = rs
                .iter()
                .map(|&(a, b)| range_text(a, b, 1, 31))
                .collect::<Vec<_>>()
                .join(",");
            out.push(((ms[0], rs[0].0), dom, months_text(&ms, true)));
        }
    } else {
        let mut done: Vec<Vec<bool>> = runs.iter().map(|rs| vec![false; rs.len()]).collect();
        for m in 0..12 {
            for (k, &r) in runs[m].iter().enumerate() {
                if done[m][k] {
                    continue;
                }
                let mut last = m;
                while last + 1 < 12 {
                    match runs[last + 1].iter().position(|&x| x == r) {
                        Some(j) if !done[last + 1][j] => {
                            done[last + 1][j] = true;
                            last += 1;
                        }
                        _ => break,
                    }
                }
                done[m][k] = true;
                let ms: Vec<u32> = (m as u32 + 1..=last as u32 + 1).collect();
                out.push((
                    (m as u32 + 1, r.0),
                    range_text(r.0, r.1, 1, 31),
                    months_text(&ms, false),
                ));
            }
        }
    }
    out.sort_by_key(|r| r.0);
    out.into_iter().map(|(_, d, m)| (d, m)).collect()
}

/// `a-b`, `a`, or `*` when the range is the whole field `lo..=hi`.
pub(super) fn range_text(a: u32, b: u32, lo: u32, hi: u32) -> String {
    if a == lo && b == hi {
        "*".into()
    } else if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// Consecutive values as ranges: `[1,2,3,5]` → `1-3,5` (callers without lists pass
/// one run).
pub(super) fn runs_text(vals: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < vals.len() {
        let mut j = i;
        while j + 1 < vals.len() && vals[j + 1] == vals[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            vals[i].to_string()
        } else {
            format!("{}-{}", vals[i], vals[j])
        });
        i = j + 1;
    }
    out
}

pub(super) fn months_text(ms: &[u32], commas: bool) -> String {
    if ms.len() == 12 {
        return "*".into();
    }
    let parts = runs_text(ms);
    debug_assert!(commas || parts.len() == 1);
    parts.join(",")
}

/// robfig's day-of-week numbers (0 = Sunday) of a weekday set.
pub(super) fn cron_dows(w: Weekdays) -> Vec<u32> {
    let mut v: Vec<u32> = (0..7u32)
        .filter(|i| w.0 & (1 << i) != 0)
        .map(|i| (i + 1) % 7)
        .collect();
    v.sort_unstable();
    v
}

/// Cyclic runs of weekdays `(first, last)` in robfig numbers, e.g. `{6, 0}` → `(6, 0)`.
pub(super) fn dow_cycles(dows: &[u32]) -> Vec<(u32, u32)> {
    let has = |d: u32| dows.contains(&(d % 7));
    let mut out = Vec::new();
    for &a in dows {
        if has(a + 6) {
            continue; // not the first day of its run
        }
        let mut b = a;
        while has(b + 1) && (b + 1) % 7 != a {
            b = (b + 1) % 7;
        }
        out.push((a, b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(days: &[(u32, u32)]) -> Grid {
        let mut g = [[false; 31]; 12];
        for &(m, d) in days {
            g[m as usize - 1][d as usize - 1] = true;
        }
        g
    }

    #[test]
    fn rectangles_merge_whole_months_and_split_runs() {
        let mut days = Vec::new();
        for d in 2..=30 {
            days.push((9, d));
        }
        for d in 1..=31 {
            days.push((10, d));
            days.push((12, d));
        }
        for d in 1..=16 {
            days.push((11, d));
        }
        let r = rectangles(&grid(&days), false);
        assert_eq!(
            r,
            vec![
                ("2-31".to_string(), "9".to_string()),
                ("*".to_string(), "10".to_string()),
                ("1-16".to_string(), "11".to_string()),
                ("*".to_string(), "12".to_string()),
            ]
        );
        let r = rectangles(&grid(&days), true);
        assert_eq!(r[1], ("*".to_string(), "10,12".to_string()));
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn feb_29_is_a_day_of_its_own() {
        // Feb 20-29 is not "the whole tail of February" unless 29 is in.
        assert_eq!(
            rectangles(&grid(&[(2, 27), (2, 28)]), false),
            vec![("27-28".to_string(), "2".to_string())]
        );
        assert_eq!(
            rectangles(&grid(&[(2, 28), (2, 29)]), false),
            vec![("28-31".to_string(), "2".to_string())]
        );
    }

    #[test]
    fn weekday_cycles_wrap_the_week() {
        assert_eq!(dow_cycles(&[0, 6]), vec![(6, 0)]);
        assert_eq!(dow_cycles(&[1, 2, 3, 4, 5]), vec![(1, 5)]);
        assert_eq!(dow_cycles(&[1, 3]), vec![(1, 1), (3, 3)]);
        assert_eq!(cron_dows(Weekdays(0b110_0000)), vec![0, 6]);
    }
}
