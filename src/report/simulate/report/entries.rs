//! The per-entry sections of the text report: each entry's windows and floors, the
//! floors to write into the calendar, and cron's repeats outside the windows.

use std::fmt::Write as _;

use super::super::{DeploymentResult, EntryResult, Simulation};
use super::text::{floor_text, name_width};
use super::{grouped, minutes, replica_hours};

/// The per-entry table: each entry's windows, floors and risk per deployment.
pub(super) fn entry_table(out: &mut String, sim: &Simulation) {
    let w = name_width(sim);
    let startup = sim.request.traffic.startup_seconds;
    let _ = writeln!(
        out,
        "\nper calendar entry (its windows in the intended calendar):\n  \
         first hour  risk minutes in the first hour of each window's hours, reactive / scheduled\n  \
         floor       configured → suggested: the smallest floor with which scheduled has no risk \
         in the windows\n              (simulated; the HPA adds replicas before a peak, so it can \
         be below ⌈peak ÷ (rps × saturation)⌉)\n  \
         scheduled   risk minutes in the windows; in brackets those in a window's first {startup} \
         s, while the\n              floor's new replicas start (a lead of at least that long \
         removes them)"
    );
    let mut lead_short = false;
    for e in entry_ids(sim) {
        let rows: Vec<(&DeploymentResult, &EntryResult)> = sim
            .deployments
            .iter()
            .filter_map(|d| d.entries.iter().find(|x| x.id == e).map(|x| (d, x)))
            .collect();
        let Some((_, first)) = rows.first() else {
            continue;
        };
        let lead = match first.lead_minutes {
            0 => String::new(),
            m => format!(", floors open {m} min ahead of its hours"),
        };
        if rows.iter().any(|(_, x)| x.suggested_risk_steps > 0) {
            lead_short = true;
        }
        let _ = writeln!(
            out,
            "\n{} `{}` ({}): {} window(s) in range{lead}",
            first.kind.as_str(),
            first.id,
            first.name,
            first.windows
        );
        repeats(out, &rows);
        if first.windows == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:w$}  {:>16}  {:>12}  {:>9}  {:>16}",
            "deployment", "first hour", "floor", "peak rps", "scheduled"
        );
        for (d, x) in rows {
            let _ = writeln!(
                out,
                "  {:w$}  {:>16}  {:>12}  {:>9}  {:>16}",
                d.name,
                format!(
                    "{} / {}",
                    grouped(minutes(x.reactive_first_hour), 1),
                    grouped(minutes(x.scheduled_first_hour), 1)
                ),
                floor_text(x, d.max),
                grouped(x.peak_milli as f64 / 1000.0, 1),
                format!(
                    "{} ({})",
                    grouped(minutes(x.scheduled_windows), 1),
                    grouped(minutes(x.scheduled_startup), 1)
                )
            );
        }
    }
    if lead_short {
        let _ = writeln!(
            out,
            "\n* even the floor that carries the peak alone leaves risk at the windows' starts: \
             its replicas are still\n  starting when the traffic arrives; open the floors \
             earlier (`lead` or `[app] prescale_lead` of at least the startup time)"
        );
    }
}

/// The floors to write into the calendar files: per entry and territory, the suggested
/// floor of every simulated workload, where it differs from the configured one.
pub(super) fn suggestions(out: &mut String, sim: &Simulation) {
    let mut lines = Vec::new();
    for id in entry_ids(sim) {
        for code in territories_with_windows(sim, &id) {
            lines.extend(suggestion_line(sim, &id, code));
        }
    }
    lines.extend(left_without_floor(sim));
    let _ = writeln!(
        out,
        "\nfloors derived from the load (the suggested floors above as calendar lines; a \
         workload left out needs no floor):"
    );
    if lines.is_empty() {
        let _ = writeln!(
            out,
            "  none to change: the configured floors are the suggested ones"
        );
    }
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
}

/// The territories in which entry `id` opens windows, in deployment order.
fn territories_with_windows<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a str> {
    let mut territories: Vec<&str> = Vec::new();
    for d in &sim.deployments {
        if d.entries.iter().any(|e| e.id == id && e.windows > 0)
            && !territories.contains(&d.territory.as_str())
        {
            territories.push(&d.territory);
        }
    }
    territories
}

/// The calendar line of entry `id` in territory `code` with its suggested floors, or
/// `None` when every workload's configured floor is the suggested one.
fn suggestion_line(sim: &Simulation, id: &str, code: &str) -> Option<String> {
    let rows: Vec<(&DeploymentResult, &EntryResult)> = sim
        .deployments
        .iter()
        .filter(|d| d.territory == code)
        .filter_map(|d| d.entries.iter().find(|e| e.id == id).map(|e| (d, e)))
        .collect();
    if rows.iter().all(|(_, e)| e.floor == e.suggested_floor) {
        return None;
    }
    let table = |f: fn(&EntryResult) -> Option<u32>| {
        let parts: Vec<String> = rows
            .iter()
            .filter_map(|(d, e)| f(e).map(|n| format!("{} = {n}", d.workload)))
            .collect();
        (!parts.is_empty()).then(|| format!("{{ {} }}", parts.join(", ")))
    };
    let kind = rows[0].1.kind.as_str();
    let suggested = match table(|e| e.suggested_floor) {
        Some(t) => format!("floor.{code} = {t}"),
        None if rows.iter().all(|(_, e)| e.carrying_floor.is_none()) => {
            format!("no floor for {code} (min carries the peak)")
        }
        None => format!("no floor for {code} (the HPA keeps up from min)"),
    };
    let configured = table(|e| e.floor).unwrap_or_else(|| "none".to_string());
    let beyond = rows
        .iter()
        .any(|(d, e)| e.suggested_floor.is_some_and(|f| f > d.max));
    Some(format!(
        "  {kind} `{id}`: {suggested}   (configured {configured}){}",
        if beyond {
            "; above max: see the capacity findings"
        } else {
            ""
        }
    ))
}

/// A note for every floored entry the suggestions would leave without any floor (which
/// validation rejects); only when every territory and workload was simulated.
fn left_without_floor(sim: &Simulation) -> Vec<String> {
    let everything = sim.request.territory.is_none() && sim.request.workload.is_none();
    let mut lines = Vec::new();
    for id in entry_ids(sim).into_iter().filter(|_| everything) {
        let rows = sim
            .deployments
            .iter()
            .filter_map(|d| d.entries.iter().find(|e| e.id == id));
        let (mut floored, mut suggested) = (false, false);
        for e in rows {
            floored |= e.floor.is_some();
            suggested |= e.suggested_floor.is_some() || e.windows == 0;
        }
        if floored && !suggested {
            lines.push(format!(
                "  (`{id}` would be left without a floor, which validate rejects: keep its \
                 smallest floor, or drop the entry and its load)"
            ));
        }
    }
    lines
}

/// The hours an entry's cron triggers are active outside its windows, per deployment.
fn repeats(out: &mut String, rows: &[(&DeploymentResult, &EntryResult)]) {
    let repeated: Vec<_> = rows.iter().filter(|(_, x)| x.repeat_steps > 0).collect();
    if repeated.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  its cron triggers are also active outside its windows (cron has no year), so \
         scheduled pays\n  for its floor without its traffic:"
    );
    for (d, x) in repeated {
        let _ = writeln!(
            out,
            "    {}  {} h",
            d.name,
            grouped(replica_hours(x.repeat_steps), 1)
        );
    }
}

/// Entry ids of every deployment, in model order.
fn entry_ids(sim: &Simulation) -> Vec<String> {
    let mut ids: Vec<(usize, String)> = Vec::new();
    for d in &sim.deployments {
        for e in &d.entries {
            if !ids.iter().any(|(_, id)| *id == e.id) {
                ids.push((e.index, e.id.clone()));
            }
        }
    }
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}
