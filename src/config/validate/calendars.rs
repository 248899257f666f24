//! Calendar files: seasons, campaigns and blackouts, each on its own (SPEC §2.2).

use super::{IdSeen, Validator};
use crate::config::model::{
    Blackout, DateRange, Entry, EntryKind, Floor, Hours, LoadFactor, Model, TerritoryWorkload,
    Weekdays,
};
use crate::config::parse::{self, Parsed, RawCalendarFile, SStr, Seg};
use crate::config::values::{is_entry_id, parse_date_text, parse_hours, parse_weekdays, DateText};
use crate::diag::{did_you_mean, Closeness, Diagnostic};
use std::collections::BTreeMap;
use toml::Spanned;

impl Validator {
    pub(super) fn calendar_file(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        ids: &mut IdSeen,
        entries: &mut Vec<Entry>,
        blackouts: &mut Vec<Blackout>,
    ) {
        for (kind, list) in [
            (EntryKind::Season, &p.raw.season),
            (EntryKind::Campaign, &p.raw.campaign),
        ] {
            for (i, section) in list.iter().enumerate() {
                let path = [Seg::Key(kind.as_str().into()), Seg::Index(i)];
                if let Some(raw) = p.section(section, &path, &mut self.diags) {
                    self.unique_id(p, &raw.id, ids);
                    if let Some(e) = self.entry(base, p, kind, raw, &path) {
                        entries.push(e);
                    }
                }
            }
        }
        for (i, section) in p.raw.blackout.iter().enumerate() {
            let path = [Seg::Key("blackout".into()), Seg::Index(i)];
            if let Some(raw) = p.section(section, &path, &mut self.diags) {
                self.unique_id(p, &raw.id, ids);
                if let Some(b) = self.blackout(base, p, raw) {
                    blackouts.push(b);
                }
            }
        }
    }

    pub(super) fn unique_id<T>(&mut self, p: &Parsed<T>, id: &SStr, ids: &mut IdSeen) {
        let ok = self.check(
            p,
            id,
            is_entry_id,
            "ids must match `^[a-z0-9][a-z0-9-]*$` and have at most 40 characters",
            "use lower-case letters, digits and `-`, e.g. `black-week-2026`",
        );
        if !ok {
            return;
        }
        if let Some(first) = ids.get(id.get_ref()) {
            let d = Diagnostic::error(format!("duplicate id `{}`", id.get_ref()), p.at(id.span()))
                .with_note(first.clone(), "first defined here")
                .with_help("ids must be unique across all calendar files");
            self.diags.push(d);
        } else {
            ids.insert(id.get_ref().clone(), p.at(id.span()));
        }
    }

    pub(super) fn entry(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        kind: EntryKind,
        raw: &parse::RawEntry,
        path: &[Seg],
    ) -> Option<Entry> {
        let id = raw.id.get_ref();
        let name_ok = raw
            .name
            .as_ref()
            .is_none_or(|n| self.display_name(p, n, "entry name"));
        let dates = self.date_range(p, &raw.from, &raw.to, Some(kind));
        let hours = self.hours(p, &raw.hours);
        let days = match &raw.days {
            None => Some(Weekdays::ALL),
            Some(d) => self.weekdays(p, d),
        };
        let floors = self.floors(base, p, id, path, &raw.floor);
        let load = match &raw.load {
            None => Some(Vec::new()),
            Some(l) => self.load(base, p, path, l),
        };
        let lead = self.entry_lead(p, raw.lead.as_ref(), hours, base.app.prescale_lead);
        let days_at = raw.days.as_ref().map_or(raw.id.span(), |d| d.span());
        self.places.insert(("days", id.clone()), p.at(days_at));
        self.places.insert(("to", id.clone()), p.at(raw.to.span()));
        if !name_ok {
            return None;
        }
        Some(Entry {
            kind,
            id: id.clone(),
            name: raw
                .name
                .as_ref()
                .map_or_else(|| id.clone(), |n| n.get_ref().clone()),
            dates: dates?,
            hours: hours?,
            days: days?,
            floors: floors?,
            load: load?,
            lead: lead?.0,
            floor_lead: lead?.1,
            file: p.file.clone(),
        })
    }

    pub(super) fn blackout(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        raw: &parse::RawBlackout,
    ) -> Option<Blackout> {
        let name_ok = raw
            .name
            .as_ref()
            .is_none_or(|n| self.display_name(p, n, "blackout name"));
        let dates = self.date_range(p, &raw.from, &raw.to, None);
        self.places
            .insert(("to", raw.id.get_ref().clone()), p.at(raw.to.span()));
        let territories = match &raw.territories {
            None => Some(
                base.territories
                    .iter()
                    .map(|t| t.code.clone())
                    .collect::<Vec<_>>(),
            ),
            Some(list) => {
                if list.get_ref().is_empty() {
                    self.error("blackout `territories` is empty", p.at(list.span()))
                        .help = Some("leave `territories` out to black out every territory".into());
                    None
                } else {
                    let mut codes = Vec::new();
                    let mut ok = true;
                    for code in list.get_ref() {
                        ok &= self.known_territory(base, p, code);
                        if codes.contains(code.get_ref()) {
                            self.error(
                                format!("territory `{}` is listed twice", code.get_ref()),
                                p.at(code.span()),
                            );
                            ok = false;
                        }
                        codes.push(code.get_ref().clone());
                    }
                    codes.sort();
                    ok.then_some(codes)
                }
            }
        };
        if !name_ok {
            return None;
        }
        Some(Blackout {
            id: raw.id.get_ref().clone(),
            name: raw
                .name
                .as_ref()
                .map_or_else(|| raw.id.get_ref().clone(), |n| n.get_ref().clone()),
            dates: dates?,
            territories: territories?,
        })
    }

    pub(super) fn known_territory<T>(&mut self, base: &Model, p: &Parsed<T>, code: &SStr) -> bool {
        if base.territory(code.get_ref()).is_some() {
            return true;
        }
        if self.broken_territories.contains(code.get_ref()) {
            // Configured but invalid: already reported in territories.toml.
            return false;
        }
        let codes: Vec<&str> = base.territories.iter().map(|t| t.code.as_str()).collect();
        let help = match did_you_mean(code.get_ref(), codes.iter().copied(), Closeness::Spelling) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("configured territories: {}", codes.join(", ")),
        };
        self.error(
            format!("unknown territory `{}`", code.get_ref()),
            p.at(code.span()),
        )
        .help = Some(help);
        false
    }

    pub(super) fn floors(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        id: &str,
        path: &[Seg],
        raw: &BTreeMap<String, BTreeMap<String, Spanned<i64>>>,
    ) -> Option<Vec<Floor>> {
        let mut floor_path = path.to_vec();
        floor_path.push(Seg::Key("floor".into()));
        if raw.is_empty() {
            self.error(
                format!("`{id}` sets no floor"),
                p.at(p.span_of(&floor_path).unwrap_or(0..0)),
            )
            .help = Some(
                "an entry without floors does nothing; add e.g. `floor.DE = { queries = 4 }`"
                    .into(),
            );
            return None;
        }
        let mut ok = true;
        let mut out = Vec::new();
        let at = |keys: &[&str]| {
            let mut full = path.to_vec();
            full.push(Seg::Key("floor".into()));
            full.extend(keys.iter().map(|k| Seg::Key(k.to_string())));
            p.key(&full)
        };
        for (code, table) in raw {
            let code = &at(&[code]);
            if !self.known_territory(base, p, code) {
                ok = false;
                continue;
            }
            let territory = base.territory(code.get_ref()).expect("known");
            if table.is_empty() {
                self.error(
                    format!("empty floor table for {} in `{id}`", code.get_ref()),
                    p.at(code.span()),
                )
                .help = Some(
                    "name at least one workload, e.g. `{ queries = 4 }`, or remove the table"
                        .into(),
                );
                ok = false;
            }
            for (workload, replicas) in table {
                let workload = &at(&[code.get_ref(), workload]);
                let Some(tw) = territory.workload(workload.get_ref()) else {
                    self.unknown_floor_workload(base, p, id, workload);
                    ok = false;
                    continue;
                };
                match self.floor_replicas(p, id, (code.get_ref(), workload.get_ref()), tw, replicas)
                {
                    Some(r) => out.push(Floor {
                        territory: code.get_ref().clone(),
                        workload: workload.get_ref().clone(),
                        replicas: {
                            let at = (code.get_ref().as_str(), workload.get_ref().as_str());
                            self.tolerance_gap(base, p, (id, at, tw.min), r, replicas.span());
                            r
                        },
                    }),
                    None => ok = false,
                }
            }
        }
        let workload_order = |w: &str| base.workloads.iter().position(|x| x.name == w);
        out.sort_by(|a, b| {
            (&a.territory, workload_order(&a.workload))
                .cmp(&(&b.territory, workload_order(&b.workload)))
        });
        ok.then_some(out)
    }

    fn unknown_floor_workload(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        id: &str,
        workload: &SStr,
    ) {
        let names: Vec<&str> = base.workloads.iter().map(|w| w.name.as_str()).collect();
        let help = match did_you_mean(
            workload.get_ref(),
            names.iter().copied(),
            Closeness::Spelling,
        ) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("workloads: {}", names.join(", ")),
        };
        self.error(
            format!(
                "unknown workload `{}` in floor of `{id}`",
                workload.get_ref()
            ),
            p.at(workload.span()),
        )
        .help = Some(help);
    }

    /// The replicas of one floor: at least 1, at most the workload's max (a warning when
    /// not above its min).
    fn floor_replicas(
        &mut self,
        p: &Parsed<RawCalendarFile>,
        id: &str,
        (code, workload): (&str, &str),
        tw: &TerritoryWorkload,
        replicas: &Spanned<i64>,
    ) -> Option<u32> {
        let r = *replicas.get_ref();
        if r < 1 {
            self.error(
                format!("floor for {code}.{workload} in `{id}` must be at least 1, found {r}"),
                p.at(replicas.span()),
            );
            return None;
        }
        if r > tw.max as i64 {
            self.error(
                format!(
                    "`{id}` floor for {code}.{workload} ({r}) exceeds {code}.{workload}.max ({})",
                    tw.max
                ),
                p.at(replicas.span()),
            )
            .help = Some(format!(
                "raise territories.{code}.{workload}.max or lower the floor"
            ));
            return None;
        }
        if r <= tw.min as i64 {
            self.diags.push(
                Diagnostic::warning(
                    format!(
                        "`{id}` floor for {code}.{workload} ({r}) is not above min ({}): it does nothing",
                        tw.min
                    ),
                    p.at(replicas.span()),
                )
                .with_help("raise the floor above min or remove it"),
            );
        }
        Some(r as u32)
    }

    pub(super) fn load(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        path: &[Seg],
        raw: &BTreeMap<String, Spanned<f64>>,
    ) -> Option<Vec<LoadFactor>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (key, factor) in raw {
            let mut full = path.to_vec();
            full.extend([Seg::Key("load".into()), Seg::Key(key.clone())]);
            let key = &p.key(&full);
            let (code, region) = match key.get_ref().split_once('-') {
                Some((c, r)) => (c, Some(r)),
                None => (key.get_ref().as_str(), None),
            };
            if self.broken_territories.iter().any(|b| b == code) {
                ok = false;
                continue;
            }
            let Some(t) = base.territory(code) else {
                let codes: Vec<&str> = base.territories.iter().map(|t| t.code.as_str()).collect();
                self.error(format!("unknown territory `{code}` in load key `{}`", key.get_ref()), p.at(key.span()))
                    .help = Some(format!("load keys are a territory (`DE`) or a configured region (`DE-BY`); territories: {}", codes.join(", ")));
                ok = false;
                continue;
            };
            if let Some(r) = region {
                if !t.regions.iter().any(|x| x.code == r) {
                    let regions: Vec<&str> = t.regions.iter().map(|x| x.code.as_str()).collect();
                    let help = match did_you_mean(r, regions.iter().copied(), Closeness::Spelling) {
                        Some(s) => format!("did you mean `{code}-{s}`?"),
                        None => {
                            format!("configure the region under territories.{code}.regions first")
                        }
                    };
                    self.error(
                        format!(
                            "unknown region `{r}` of {code} in load key `{}`",
                            key.get_ref()
                        ),
                        p.at(key.span()),
                    )
                    .help = Some(help);
                    ok = false;
                    continue;
                }
            }
            let f = *factor.get_ref();
            if !(f.is_finite() && f > 0.0) {
                self.error(
                    format!("load factor of `{}` must be greater than 0", key.get_ref()),
                    p.at(factor.span()),
                );
                ok = false;
                continue;
            }
            out.push(LoadFactor {
                territory: code.to_string(),
                region: region.map(str::to_string),
                factor: f,
            });
        }
        ok.then_some(out)
    }

    pub(super) fn date_range(
        &mut self,
        p: &Parsed<RawCalendarFile>,
        from: &Spanned<toml::Value>,
        to: &Spanned<toml::Value>,
        kind: Option<EntryKind>,
    ) -> Option<DateRange> {
        let f = self.date(p, from, "from");
        let t = self.date(p, to, "to");
        let (f, t) = (f?, t?);
        match (f, t) {
            (DateText::Recurring(a), DateText::Recurring(b)) => {
                if kind == Some(EntryKind::Campaign) {
                    self.error(
                        "campaign dates need a year (`YYYY-MM-DD`)",
                        p.at(from.span()),
                    )
                    .help = Some(
                        "campaigns are one-off; use a `[[season]]` for dates that recur every year"
                            .into(),
                    );
                    return None;
                }
                Some(DateRange::Recurring { from: a, to: b })
            }
            (DateText::Dated(a), DateText::Dated(b)) => {
                if kind == Some(EntryKind::Season) {
                    self.error(
                        "season dates are `MM-DD` (seasons recur every year)",
                        p.at(from.span()),
                    )
                    .help = Some("use a `[[campaign]]` for one-off dates".into());
                    return None;
                }
                if a > b {
                    let d = Diagnostic::error(
                        format!("`to` ({b}) is before `from` ({a})"),
                        p.at(to.span()),
                    )
                    .with_note(p.at(from.span()), "`from` is set here")
                    .with_help("a dated range cannot cross backwards; swap the dates");
                    self.diags.push(d);
                    return None;
                }
                Some(DateRange::Dated { from: a, to: b })
            }
            _ => {
                self.error(
                    "`from` and `to` mix `MM-DD` and `YYYY-MM-DD`",
                    p.at(to.span()),
                )
                .help = Some(
                    "use `MM-DD` for both (every year) or `YYYY-MM-DD` for both (one-off)".into(),
                );
                None
            }
        }
    }

    pub(super) fn date(
        &mut self,
        p: &Parsed<RawCalendarFile>,
        v: &Spanned<toml::Value>,
        key: &str,
    ) -> Option<DateText> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s,
            toml::Value::Datetime(d) => {
                self.error(
                    format!("`{key}` is a TOML date, not a string"),
                    p.at(v.span()),
                )
                .help = Some(format!("quote it: {key} = \"{d}\""));
                return None;
            }
            other => {
                self.error(
                    format!(
                        "`{key}` must be a string (`MM-DD` or `YYYY-MM-DD`), found {}",
                        other.type_str()
                    ),
                    p.at(v.span()),
                );
                return None;
            }
        };
        match parse_date_text(text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(
                    format!("invalid date `{text}` in `{key}`: {}", e.message),
                    p.at(v.span()),
                )
                .help = Some(e.help.into());
                None
            }
        }
    }

    pub(super) fn hours(
        &mut self,
        p: &Parsed<RawCalendarFile>,
        v: &Spanned<toml::Value>,
    ) -> Option<Hours> {
        let Some(text) = v.get_ref().as_str() else {
            self.error(
                format!(
                    "`hours` must be a string like \"08:00-20:00\", found {}",
                    v.get_ref().type_str()
                ),
                p.at(v.span()),
            );
            return None;
        };
        match parse_hours(text) {
            Ok(h) => Some(h),
            Err(e) => {
                self.error(
                    format!("invalid hours `{text}`: {}", e.message),
                    p.at(v.span()),
                )
                .help = Some(e.help.into());
                None
            }
        }
    }

    pub(super) fn weekdays(&mut self, p: &Parsed<RawCalendarFile>, v: &SStr) -> Option<Weekdays> {
        match parse_weekdays(v.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(
                    format!("invalid days `{}`: {}", v.get_ref(), e.message),
                    p.at(v.span()),
                )
                .help = Some(e.help.into());
                None
            }
        }
    }
}
