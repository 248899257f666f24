//! The calendar sections of the runbook: which entries raise which floors when, the
//! blackouts, the dated entries' expiry, and an example campaign to copy.

use crate::config::model::{DateRange, Entry, Hours, Model, Territory, Weekdays};
use crate::schedule::Schedule;

use super::markdown::{cell, table};

/// The calendar table of every entry and territory.
pub(super) fn calendar_table(model: &Model, entries: &[Entry]) -> String {
    let entries: Vec<&Entry> = entries.iter().collect();
    calendar_table_for(model, &entries, None)
}

/// One row per entry × territory it floors (only `territory` when given); one column per
/// workload with the floor, `–` where the entry sets none.
pub(super) fn calendar_table_for(
    model: &Model,
    entries: &[&Entry],
    territory: Option<&str>,
) -> String {
    let mut headers = vec![
        "Entry",
        "Kind",
        "Dates",
        "Hours (local)",
        "Floors open (local)",
        "Days",
    ];
    if territory.is_none() {
        headers.push("Territory");
    }
    let workload_headers: Vec<String> = model
        .workloads
        .iter()
        .map(|w| format!("{} floor", w.name))
        .collect();
    headers.extend(workload_headers.iter().map(String::as_str));
    let territories: Vec<&Territory> = model
        .territories
        .iter()
        .filter(|t| territory.is_none_or(|c| c == t.code))
        .collect();
    let mut rows = Vec::new();
    for e in entries {
        for t in &territories {
            if !e.floors_territory(&t.code) {
                continue;
            }
            let mut row = vec![
                cell(&format!("{} ({})", e.name, e.id)),
                cell(e.kind.as_str()),
                cell(&dates_text(&e.dates)),
                cell(&hours_text(e.hours)),
                cell(&floors_open_text(e)),
                cell(&days_text(e.days)),
            ];
            if territory.is_none() {
                row.push(cell(&t.code));
            }
            for w in &model.workloads {
                row.push(cell(
                    &e.floor_for(&t.code, &w.name)
                        .map_or_else(|| "–".to_string(), |f| f.to_string()),
                ));
            }
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return "No season or campaign is configured: every deployment runs at its `min`."
            .to_string();
    }
    table(&headers, rows)
}

/// One row per blackout: name, days, territories.
pub(super) fn blackout_table(model: &Model) -> String {
    let rows = model
        .blackouts
        .iter()
        .map(|b| {
            vec![
                cell(&format!("{} ({})", b.name, b.id)),
                cell(&dates_text(&b.dates)),
                cell(&b.territories.join(", ")),
            ]
        })
        .collect();
    table(&["Blackout", "Days", "Territories"], rows)
}

/// One row per dated entry: its last day and when its expiry alert fires.
pub(super) fn expiry_table(schedule: &Schedule) -> String {
    let rows = schedule
        .expiries
        .iter()
        .map(|e| {
            let at = chrono::DateTime::from_timestamp(e.expires_at_unix, 0).map_or_else(
                || e.expires_at_unix.to_string(),
                |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            vec![
                cell(&format!("{} ({})", e.entry_name, e.entry_id)),
                cell(&e.kind),
                cell(&e.last_day.to_string()),
                cell(&at),
            ]
        })
        .collect();
    table(
        &[
            "Dated entry",
            "Kind",
            "Last day",
            "ScalingCalendarEntryExpired fires after",
        ],
        rows,
    )
}

/// A campaign for the first territory and workload at its max, as SalesOps would write it.
pub(super) fn campaign_example(model: &Model) -> String {
    let mut text = String::from(
        "[[campaign]]\nid = \"spring-promo-2027\"             # unique, lower case, ≤ 40 characters\n\
         name = \"Spring promotion 2027\"\nfrom = \"2027-03-01\"                    # YYYY-MM-DD, inclusive, local time of each territory\n\
         to = \"2027-03-05\"\nhours = \"08:00-20:00\"\n",
    );
    if let Some(t) = model.territories.first() {
        let floors: Vec<String> = t
            .workloads
            .iter()
            .map(|w| format!("{} = {}", w.workload, w.max))
            .collect();
        text.push_str(&format!(
            "floor.{} = {{ {} }}     # at most each deployment's max\n",
            t.code,
            floors.join(", ")
        ));
    }
    text
}

/// Local date range in words.
pub(super) fn dates_text(d: &DateRange) -> String {
    match *d {
        DateRange::Recurring { from, to } if to < from => {
            format!("{from} – {to} every year, across New Year")
        }
        DateRange::Recurring { from, to } => format!("{from} – {to} every year"),
        DateRange::Dated { from, to } if from == to => from.to_string(),
        DateRange::Dated { from, to } => format!("{from} – {to}"),
    }
}

/// `08:00–20:00`, `whole days`, or the hours with a note that they end the next day.
fn hours_text(h: Hours) -> String {
    if h.is_whole_day() {
        return "whole days".to_string();
    }
    let s = h.to_string().replacen('-', "–", 1);
    if h.crosses_midnight() {
        format!("{s} (ends the next day)")
    } else {
        s
    }
}

/// When an entry's floors open next to when its traffic is expected (SPEC §2.2 lead).
fn floors_open_text(e: &Entry) -> String {
    let start = e.floor_hours().start_minute;
    let at = format!("{:02}:{:02}", start / 60, start % 60);
    match (e.floor_lead, e.lead.is_some()) {
        (0, _) if e.hours.is_whole_day() => "whole days".to_string(),
        (0, _) => format!("{at}, with the hours"),
        (lead, true) => format!("{at}, {lead} min ahead (own lead)"),
        (lead, false) => format!("{at}, {lead} min ahead (app-wide lead)"),
    }
}

/// Weekdays as ranges of day names (`mon–fri`, `sat, sun`), `every day` for all.
fn days_text(days: Weekdays) -> String {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    if days.is_all() {
        return "every day".to_string();
    }
    let on = |i: usize| days.0 & (1 << i) != 0;
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        if !on(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < 7 && on(i + 1) {
            i += 1;
        }
        parts.push(match i - start {
            0 => NAMES[start].to_string(),
            1 => format!("{}, {}", NAMES[start], NAMES[i]),
            _ => format!("{}–{}", NAMES[start], NAMES[i]),
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_read_as_ranges() {
        assert_eq!(days_text(Weekdays::ALL), "every day");
        assert_eq!(days_text(Weekdays(0b001_1111)), "mon–fri");
        assert_eq!(days_text(Weekdays(0b110_0000)), "sat, sun");
        assert_eq!(days_text(Weekdays(0b101_0001)), "mon, fri, sun");
    }
}
