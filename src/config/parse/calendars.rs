//! Raw types of a calendar file: `[[season]]`, `[[campaign]]` and `[[blackout]]`.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

use super::{SStr, Section};

/// A calendar file: any number of seasons, campaigns and blackouts.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "calendar file")]
pub struct RawCalendarFile {
    /// Recurring windows.
    #[serde(default)]
    #[schemars(with = "Vec<RawEntry>")]
    pub season: Vec<Section<RawEntry>>,
    /// Dated windows.
    #[serde(default)]
    #[schemars(with = "Vec<RawEntry>")]
    pub campaign: Vec<Section<RawEntry>>,
    /// Days on which no window starts.
    #[serde(default)]
    #[schemars(with = "Vec<RawBlackout>")]
    pub blackout: Vec<Section<RawBlackout>>,
}

/// A `[[season]]` or `[[campaign]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    /// `^[a-z0-9][a-z0-9-]*$`, unique across files.
    #[schemars(with = "String")]
    pub id: SStr,
    /// Display name (default: the id).
    #[schemars(with = "Option<String>")]
    pub name: Option<SStr>,
    /// `MM-DD` (season) or `YYYY-MM-DD` (campaign), a quoted string.
    #[schemars(with = "String")]
    pub from: Spanned<toml::Value>,
    /// Last day, inclusive.
    #[schemars(with = "String")]
    pub to: Spanned<toml::Value>,
    /// `HH:MM-HH:MM`, local.
    #[schemars(with = "String")]
    pub hours: Spanned<toml::Value>,
    /// Weekday filter such as `mon-fri` or `sat,sun`.
    #[schemars(with = "Option<String>")]
    pub days: Option<SStr>,
    /// `floor.XX = { workload = replicas }`.
    #[schemars(with = "BTreeMap<String, BTreeMap<String, i64>>")]
    pub floor: BTreeMap<String, BTreeMap<String, Spanned<i64>>>,
    /// Load multipliers by territory (`DE`) or region (`DE-BY`).
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    pub load: Option<BTreeMap<String, Spanned<f64>>>,
    /// How long before `hours` the floors open (whole minutes, at most "2h"); default
    /// `[app] prescale_lead` where it applies.
    #[schemars(with = "Option<String>")]
    pub lead: Option<SStr>,
}

/// A `[[blackout]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBlackout {
    /// Unique id.
    #[schemars(with = "String")]
    pub id: SStr,
    /// Display name.
    #[schemars(with = "Option<String>")]
    pub name: Option<SStr>,
    /// `MM-DD` or `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub from: Spanned<toml::Value>,
    /// Last day, inclusive.
    #[schemars(with = "String")]
    pub to: Spanned<toml::Value>,
    /// Territory codes (default: all).
    #[schemars(with = "Option<Vec<String>>")]
    pub territories: Option<Spanned<Vec<SStr>>>,
}
