//! Seasons and campaigns: the entries that raise floors, with their per-(territory,
//! workload) floors, load factors and lead time.

use super::{DateRange, Hours, Region, Territory, Weekdays};

/// Whether an entry recurs every year or is dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// `[[season]]`, recurs every year.
    Season,
    /// `[[campaign]]`, one-off dates.
    Campaign,
}

impl EntryKind {
    /// `season` or `campaign`, as in the TOML table name and trigger names.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Season => "season",
            EntryKind::Campaign => "campaign",
        }
    }
}

/// A pre-scale floor of an entry for one (territory, workload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    /// Territory code.
    pub territory: String,
    /// Workload name.
    pub workload: String,
    /// Replicas, 1..=max of the territory workload.
    pub replicas: u32,
}

/// A load multiplier of an entry for a territory (`DE`) or region (`DE-BY`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadFactor {
    /// Territory code.
    pub territory: String,
    /// Region code within the territory, when the key was `DE-BY`.
    pub region: Option<String>,
    /// Multiplier of the baseline load.
    pub factor: f64,
}

/// A season or campaign: a recurring or dated window that raises floors.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Season or campaign.
    pub kind: EntryKind,
    /// `^[a-z0-9][a-z0-9-]*$`, ≤ 40 characters, unique across all files.
    pub id: String,
    /// Display name (defaults to the id).
    pub name: String,
    /// Recurring for seasons, dated for campaigns.
    pub dates: DateRange,
    /// Local hours of each window.
    pub hours: Hours,
    /// Weekdays on which a window may start.
    pub days: Weekdays,
    /// Floors, sorted by (territory, workload order of the model).
    pub floors: Vec<Floor>,
    /// Load multipliers, sorted by key.
    pub load: Vec<LoadFactor>,
    /// The entry's own `lead` in minutes, as configured.
    pub lead: Option<u32>,
    /// Minutes the floors open before `hours.start`: the entry's own lead, else the
    /// app-wide `prescale_lead` where it applies ([`Hours::takes_lead`]), else 0 (SPEC
    /// §2.2 "Lead time").
    pub floor_lead: u32,
    /// Calendar file (relative path as given) that defined the entry.
    pub file: String,
}

impl Entry {
    /// The local hours of the entry's floor windows: `hours` opened [`Self::floor_lead`]
    /// minutes earlier on the same day (traffic still follows `hours`).
    pub fn floor_hours(&self) -> Hours {
        Hours {
            start_minute: self.hours.start_minute - self.floor_lead,
            end_minute: self.hours.end_minute,
        }
    }

    /// The load factor of this entry for `territory` (SPEC §8.1), or `None` without a
    /// `load` key for it: `(1 − Σ s_r) × L(T) + Σ s_r × L(T-r)`, where `L(T)` is the
    /// territory's key (else 1.0) and `L(T-r)` a region's key (else `L(T)`), mixed by
    /// the configured region shares `s_r`. A load given only as region keys is a load
    /// for the territory.
    pub fn load_factor(&self, territory: &Territory) -> Option<f64> {
        let (own, regions) = self.load_levels(territory)?;
        let mut shares = 0.0;
        let mut regional = 0.0;
        for (region, factor) in regions {
            shares += region.share;
            regional += region.share * factor;
        }
        Some((1.0 - shares) * own + regional)
    }

    /// `L(T)` and, for each configured region of `territory` in order, `L(T-r)` (SPEC
    /// §8.1), or `None` when the entry has no load key for the territory.
    fn load_levels<'a>(&self, territory: &'a Territory) -> Option<(f64, Vec<(&'a Region, f64)>)> {
        let keys: Vec<&LoadFactor> = self
            .load
            .iter()
            .filter(|l| l.territory == territory.code)
            .collect();
        if keys.is_empty() {
            return None;
        }
        let own = keys
            .iter()
            .find(|l| l.region.is_none())
            .map_or(1.0, |l| l.factor);
        let regions = territory
            .regions
            .iter()
            .map(|r| {
                let factor = keys
                    .iter()
                    .find(|l| l.region.as_deref() == Some(r.code.as_str()))
                    .map_or(own, |l| l.factor);
                (r, factor)
            })
            .collect();
        Some((own, regions))
    }

    /// The floor this entry sets for (territory, workload), if any.
    pub fn floor_for(&self, territory: &str, workload: &str) -> Option<u32> {
        // Floors are sorted by territory, so a territory's floors are found by bisection
        // (an entry may floor hundreds of territories).
        let first = self
            .floors
            .partition_point(|f| f.territory.as_str() < territory);
        self.floors[first..]
            .iter()
            .take_while(|f| f.territory == territory)
            .find(|f| f.workload == workload)
            .map(|f| f.replicas)
    }

    /// Whether the entry sets a floor in `territory`.
    pub fn floors_territory(&self, territory: &str) -> bool {
        let first = self
            .floors
            .partition_point(|f| f.territory.as_str() < territory);
        self.floors
            .get(first)
            .is_some_and(|f| f.territory == territory)
    }
}

/// One part of a territory's traffic under an entry's `load` (SPEC §8.1): a configured
/// region, or the rest of the territory, with its share and load factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadPart<'a> {
    /// Region code, `None` for the rest of the territory.
    pub region: Option<&'a str>,
    /// Share of the territory's baseline traffic (the rest: 1 − Σ region shares).
    pub share: f64,
    /// `L(T-r)` for a region (default `L(T)`), `L(T)` for the rest (default 1).
    pub factor: f64,
}

impl Entry {
    /// The parts of `territory`'s traffic under this entry's load — its regions in order,
    /// then the rest — or `None` when the entry has no load key for the territory (a
    /// `T-r` key alone is a load for T). The entry's factor for T is Σ share × factor.
    pub fn load_parts<'a>(&self, territory: &'a Territory) -> Option<Vec<LoadPart<'a>>> {
        let (own, regions) = self.load_levels(territory)?;
        let mut parts: Vec<LoadPart<'a>> = regions
            .into_iter()
            .map(|(r, factor)| LoadPart {
                region: Some(r.code.as_str()),
                share: r.share,
                factor,
            })
            .collect();
        let shares: f64 = parts.iter().map(|p| p.share).sum();
        parts.push(LoadPart {
            region: None,
            share: (1.0 - shares).max(0.0),
            factor: own,
        });
        Some(parts)
    }
}

/// The lowest running replica count from which the HPA never reaches `floor` through the
/// cron trigger alone, or `None` when every count below it reaches it. KEDA serves a cron
/// trigger to the HPA as a metric with target 1, and the HPA keeps its replicas `cur`
/// while `|floor − cur| ≤ tolerance × cur` (SPEC §8.2 step 3); `tolerance` in thousandths
/// (Kubernetes' default: 100). From 10 replicas a floor of 11 is never reached.
pub fn floor_held_back_from(floor: u32, tolerance: u32) -> Option<u32> {
    let from = (1000 * u64::from(floor)).div_ceil(1000 + u64::from(tolerance));
    (from < u64::from(floor)).then_some(from as u32)
}
