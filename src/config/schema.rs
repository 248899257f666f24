//! The JSON Schemas of the input files (SPEC §9), for editors (taplo) and CI
//! (check-jsonschema): draft 2020-12, one per file kind, rejecting every unknown key at
//! every level and carrying the value formats.
//!
//! One source of truth with the parser: the structure — which tables exist, which keys each
//! may hold, which are required — is derived from the parser's own serde types
//! ([`crate::config::parse`], `deny_unknown_fields` everywhere), so a key the parser gains
//! or loses changes the schema by itself. On top of that this module adds what serde types
//! cannot say: the formats ([`FORMATS`], each pattern tested against the parser in
//! [`crate::config::values`]) and the tables keyed by names (territories, workloads,
//! regions). Those names can only be checked against a configuration: given one
//! ([`Known`], from a valid territories file), the schemas enumerate its territory codes,
//! regions and workloads, so `floor.XX` and `floor.DE.querys` are errors; without one they
//! fall back to the naming patterns.

use crate::config::model::Model;
use crate::config::parse::{RawCalendarFile, RawTerritoriesFile};
use schemars::gen::SchemaSettings;
use serde_json::{json, Map, Value};

/// Which input file a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `territories.toml`.
    Territories,
    /// A file of `calendars/`.
    Calendar,
}

/// Names a configuration defines, for schemas that enumerate them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Territory codes with their region codes, in model order.
    pub territories: Vec<(String, Vec<String>)>,
    /// Workload names, in model order.
    pub workloads: Vec<String>,
}

impl Known {
    /// The names of a validated model.
    pub fn from_model(model: &Model) -> Known {
        Known {
            territories: model
                .territories
                .iter()
                .map(|t| {
                    (
                        t.code.clone(),
                        t.regions.iter().map(|r| r.code.clone()).collect(),
                    )
                })
                .collect(),
            workloads: model.workloads.iter().map(|w| w.name.clone()).collect(),
        }
    }
}

/// The JSON Schema (draft 2020-12) of `kind`; names enumerated from `known` when given.
pub fn schema(kind: FileKind, known: Option<&Known>) -> Value {
    let mut root = match kind {
        FileKind::Territories => derived::<RawTerritoriesFile>(),
        FileKind::Calendar => derived::<RawCalendarFile>(),
    };
    let defs = root["$defs"]
        .as_object_mut()
        .expect("derived schemas have $defs");
    for (def, key, keywords) in FORMATS {
        if let Some(prop) = defs
            .get_mut(*def)
            .and_then(|d| d["properties"].get_mut(*key))
        {
            merge(prop, keywords());
        }
    }
    match kind {
        FileKind::Territories => territories_tables(&mut root, known),
        FileKind::Calendar => calendar_tables(&mut root, known),
    }
    root
}

/// The schema schemars derives from the parser's type `T`: `$defs`, no `null` for optional
/// keys (TOML has none), the 2020-12 meta-schema.
fn derived<T: schemars::JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2019_09();
    settings.option_add_null_type = false;
    settings.definitions_path = "#/$defs/".into();
    settings.meta_schema = Some("https://json-schema.org/draft/2020-12/schema".into());
    let root = settings.into_generator().into_root_schema_for::<T>();
    let mut value = serde_json::to_value(root).expect("a schema serializes");
    // schemars 0.8 points at `#/$defs/…` but keeps the map under `definitions`.
    if let Some(map) = value.as_object_mut() {
        let defs = map.remove("definitions").unwrap_or_else(|| json!({}));
        map.insert("$defs".into(), defs);
    }
    unwrap_single_refs(&mut value);
    value
}

/// `{"allOf": [{"$ref": …}], …}` (schemars' way to describe a reference) → `{"$ref": …, …}`.
fn unwrap_single_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let single = map
                .get("allOf")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 1 && a[0].get("$ref").is_some())
                .map(|a| a[0]["$ref"].clone());
            if let Some(r) = single {
                map.remove("allOf");
                map.insert("$ref".into(), r);
            }
            map.values_mut().for_each(unwrap_single_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_single_refs),
        _ => {}
    }
}

/// Adds every keyword of `extra` to the schema object `target`.
fn merge(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}

/// `^…$` patterns of the value formats. Each is tested against its parser below.
pub mod patterns {
    /// `app.name`: a DNS-1035 label.
    pub const DNS1035: &str = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
    /// Namespaces: a DNS-1123 label.
    pub const DNS1123: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
    /// Secret, ConfigMap and ServiceAccount names: a DNS-1123 subdomain.
    pub const SUBDOMAIN: &str =
        "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$";
    /// Container images: no whitespace.
    pub const IMAGE: &str = "^[^\\s]+$";
    /// Prometheus and other URLs.
    pub const URL: &str = "^https?://[^\\s]+$";
    /// The runbook URL: alerts append `#anchor`, so no fragment of its own.
    pub const RUNBOOK_URL: &str = "^https?://[^\\s#]+$";
    /// `MAJOR.MINOR`.
    pub const KEDA_VERSION: &str = "^[0-9]{1,6}\\.[0-9]{1,6}$";
    /// Prometheus durations: units y, w, d, h, m, s in that order.
    pub const DURATION: &str = "^([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$";
    /// Kubernetes resource quantities (as scalegen reads them).
    pub const QUANTITY: &str =
        "^([0-9]+\\.?[0-9]*|\\.[0-9]+)([numkMGTPE]|[KMGTPE]i|[eE][-+]?[0-9]+)?$";
    /// HTTP paths of probes and scrapes.
    pub const HTTP_PATH: &str = "^/[^\\s]*$";
    /// Territory codes.
    pub const TERRITORY: &str = "^[A-Z]{2}$";
    /// Region codes.
    pub const REGION: &str = "^[A-Z0-9]{1,3}$";
    /// `load` keys: a territory or `TERRITORY-REGION`.
    pub const LOAD_KEY: &str = "^[A-Z]{2}(-[A-Z0-9]{1,3})?$";
    /// Workload names.
    pub const WORKLOAD: &str = "^[a-z][a-z0-9]*$";
    /// Environment names.
    pub const ENVIRONMENT: &str = DNS1035;
    /// Calendar entry ids (at most 40 characters: `maxLength`).
    pub const ID: &str = "^[a-z0-9][a-z0-9-]*$";
    /// `MM-DD` of recurring ranges: real month-days, never `02-29`.
    pub const MONTH_DAY: &str = "^((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))$";
    /// `YYYY-MM-DD` from 1970 on (Feb 29 in every year: validation knows leap years).
    pub const DATE: &str = "^(19[7-9][0-9]|[2-9][0-9]{3})-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-9]))$";
    /// `HH:MM-HH:MM`: hours 00–23, minutes 00–59, `24:00` only as the end.
    pub const HOURS: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
    /// Weekday filters: names and ranges separated by commas.
    pub const DAYS: &str = "^\\s*(mon|tue|wed|thu|fri|sat|sun)(\\s*-\\s*(mon|tue|wed|thu|fri|sat|sun))?\\s*(,\\s*(mon|tue|wed|thu|fri|sat|sun)(\\s*-\\s*(mon|tue|wed|thu|fri|sat|sun))?\\s*)*$";
    /// NOTIFY channels.
    pub const CHANNEL: &str = "^[a-z_][a-z0-9_]{0,62}$";
    /// Event types: at least two dot-separated segments.
    pub const EVENT_TYPE: &str = "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$";
    /// Environment variable names.
    pub const ENV_VAR: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
    /// Label keys: `[prefix/]name`.
    pub const LABEL_KEY: &str = "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
    /// Label values.
    pub const LABEL_VALUE: &str = "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$";
}

type Keywords = fn() -> Value;

/// The formats of every value the parser checks, by (`$defs` entry, key).
pub const FORMATS: &[(&str, &str, Keywords)] = &[
    ("RawApp", "name", || pattern(patterns::DNS1035)),
    ("RawApp", "namespace", || pattern(patterns::DNS1123)),
    ("RawApp", "image", || pattern(patterns::IMAGE)),
    ("RawApp", "keda_version", || pattern(patterns::KEDA_VERSION)),
    ("RawApp", "prometheus_url", || pattern(patterns::URL)),
    ("RawApp", "runbook_url", || pattern(patterns::RUNBOOK_URL)),
    ("RawApp", "migration_version", || range(1, u32::MAX.into())),
    ("RawApp", "monitoring_labels", || {
        names(patterns::LABEL_KEY, pattern_string(patterns::LABEL_VALUE))
    }),
    ("RawWorkload", "p95_ms", || range(1, u32::MAX.into())),
    ("RawWorkload", "port", || range(1, 65535)),
    ("RawWorkload", "scale_down_window", duration),
    ("RawWorkload", "metrics_path", || {
        pattern(patterns::HTTP_PATH)
    }),
    ("RawWorkload", "env", || {
        names(patterns::ENV_VAR, json!({"type": "string"}))
    }),
    ("RawWorkload", "service_account", || {
        pattern(patterns::SUBDOMAIN)
    }),
    ("RawResources", "cpu", || pattern(patterns::QUANTITY)),
    ("RawResources", "memory", || pattern(patterns::QUANTITY)),
    ("RawProbes", "startup", || pattern(patterns::HTTP_PATH)),
    ("RawProbes", "readiness", || pattern(patterns::HTTP_PATH)),
    ("RawProbes", "liveness", || pattern(patterns::HTTP_PATH)),
    ("RawEnvSource", "secret", || pattern(patterns::SUBDOMAIN)),
    ("RawEnvSource", "config_map", || {
        pattern(patterns::SUBDOMAIN)
    }),
    ("RawTerritory", "name", display_name),
    ("RawTerritory", "timezone", timezone),
    ("RawTerritory", "p95_ms", || range(1, u32::MAX.into())),
    ("RawTerritoryWorkload", "min", || range(1, 1000)),
    ("RawTerritoryWorkload", "max", || range(1, 1000)),
    (
        "RawTerritoryWorkload",
        "rps_per_replica",
        || json!({"exclusiveMinimum": 0}),
    ),
    (
        "RawTerritoryWorkload",
        "baseline_rps",
        || json!({"minimum": 0}),
    ),
    ("RawTerritoryWorkload", "p95_ms", || {
        range(1, u32::MAX.into())
    }),
    ("RawEvents", "channel", || pattern(patterns::CHANNEL)),
    (
        "RawEvents",
        "types",
        || json!({"minItems": 1, "uniqueItems": true, "items": pattern_string(patterns::EVENT_TYPE)}),
    ),
    (
        "RawEvents",
        "critical",
        || json!({"uniqueItems": true, "items": pattern_string(patterns::EVENT_TYPE)}),
    ),
    ("RawEvents", "journal_threshold", ratio),
    ("RawEvents", "critical_threshold", ratio),
    ("RawEvents", "journal_retention", duration),
    ("RawEvents", "retention_secret", || {
        pattern(patterns::SUBDOMAIN)
    }),
    ("RawAlerts", "emergency_p95_ms", || {
        range(1, u32::MAX.into())
    }),
    ("RawAlerts", "notify_queue_warning", ratio),
    ("RawAlerts", "notify_queue_critical", ratio),
    ("RawAlerts", "outbox_lag_seconds", || {
        range(1, u32::MAX.into())
    }),
    ("RawAlerts", "prescale_idle_ratio", ratio),
    ("RawAlerts", "prescale_idle_for", duration),
    ("RawEnvironment", "namespace", || pattern(patterns::DNS1123)),
    ("RawEnvironment", "image", || pattern(patterns::IMAGE)),
    ("RawEnvironment", "prometheus_url", || {
        pattern(patterns::URL)
    }),
    ("RawEnvironment", "runbook_url", || {
        pattern(patterns::RUNBOOK_URL)
    }),
    ("RawBounds", "min", || range(1, 1000)),
    ("RawBounds", "max", || range(1, 1000)),
    ("RawEntry", "id", id),
    ("RawEntry", "name", display_name),
    ("RawEntry", "hours", || pattern_string(patterns::HOURS)),
    ("RawEntry", "days", || pattern(patterns::DAYS)),
    ("RawBlackout", "id", id),
    ("RawBlackout", "name", display_name),
];

fn pattern(p: &str) -> Value {
    json!({ "pattern": p })
}

/// A string with pattern `p` (for keys whose derived schema is no string: `toml::Value`).
fn pattern_string(p: &str) -> Value {
    json!({ "type": "string", "pattern": p })
}

fn range(min: i64, max: i64) -> Value {
    json!({ "minimum": min, "maximum": max })
}

fn ratio() -> Value {
    json!({ "exclusiveMinimum": 0, "exclusiveMaximum": 1 })
}

fn duration() -> Value {
    json!({ "pattern": patterns::DURATION, "minLength": 1 })
}

fn id() -> Value {
    json!({ "pattern": patterns::ID, "maxLength": 40 })
}

fn display_name() -> Value {
    json!({ "minLength": 1, "maxLength": 200, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*$" })
}

fn timezone() -> Value {
    let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    json!({ "enum": names })
}

/// A table whose keys match `key_pattern`, each value `value`.
fn names(key_pattern: &str, value: Value) -> Value {
    json!({
        "type": "object",
        "propertyNames": { "pattern": key_pattern },
        "additionalProperties": value,
    })
}

/// A table of exactly the keys `keys`, each value `value` (at least one key).
fn exactly(keys: &[String], value: &Value) -> Value {
    let properties: Map<String, Value> = keys.iter().map(|k| (k.clone(), value.clone())).collect();
    json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "minProperties": 1,
    })
}

/// `[workloads.*]`, `[territories.*]` (fixed keys plus one table per workload) and the
/// environments' tables.
fn territories_tables(root: &mut Value, known: Option<&Known>) {
    let props = &mut root["properties"];
    merge(
        &mut props["workloads"],
        json!({"minProperties": 1, "propertyNames": {"pattern": patterns::WORKLOAD}}),
    );
    merge(
        &mut props["territories"],
        json!({"minProperties": 1, "propertyNames": {"pattern": patterns::TERRITORY}}),
    );
    merge(
        &mut props["environments"],
        json!({"propertyNames": {"pattern": patterns::ENVIRONMENT}}),
    );
    let defs = &mut root["$defs"];
    let workload_table = json!({"$ref": "#/$defs/RawTerritoryWorkload"});
    let territory = &mut defs["RawTerritory"];
    territory["additionalProperties"] = json!(false);
    territory["properties"]["regions"] = names(
        patterns::REGION,
        json!({"type": "number", "exclusiveMinimum": 0, "maximum": 1}),
    );
    match known {
        Some(k) => {
            for w in &k.workloads {
                territory["properties"][w] = workload_table.clone();
            }
            let required = territory["required"].as_array_mut().expect("required keys");
            required.extend(k.workloads.iter().map(|w| json!(w)));
        }
        None => {
            // Every key of the workload pattern but the fixed lower-case ones.
            territory["patternProperties"] =
                json!({ "^(?!(name|timezone|regions)$)[a-z][a-z0-9]*$": workload_table });
        }
    }
    let bounds = json!({"$ref": "#/$defs/RawBounds"});
    defs["RawEnvironment"]["properties"]["territories"] = match known {
        Some(k) => exactly(&codes(k), &exactly(&k.workloads, &bounds)),
        None => names(patterns::TERRITORY, names(patterns::WORKLOAD, bounds)),
    };
    defs["RawEnvSource"]["oneOf"] = json!([{"required": ["secret"]}, {"required": ["config_map"]}]);
}

fn codes(k: &Known) -> Vec<String> {
    k.territories.iter().map(|(c, _)| c.clone()).collect()
}

/// Seasons with `MM-DD`, campaigns with `YYYY-MM-DD`, blackouts with either (both the
/// same), and the floor, load and blackout territory tables.
fn calendar_tables(root: &mut Value, known: Option<&Known>) {
    let defs = root["$defs"].as_object_mut().expect("$defs");
    let floor_count = json!({"type": "integer", "minimum": 1, "maximum": 1000});
    let (floor, load, territory) = match known {
        Some(k) => {
            let load_keys: Vec<String> = k
                .territories
                .iter()
                .flat_map(|(c, regions)| {
                    std::iter::once(c.clone())
                        .chain(regions.iter().map(move |r| format!("{c}-{r}")))
                })
                .collect();
            (
                exactly(&codes(k), &exactly(&k.workloads, &floor_count)),
                exactly(
                    &load_keys,
                    &json!({"type": "number", "exclusiveMinimum": 0}),
                ),
                json!({"enum": codes(k)}),
            )
        }
        None => (
            json!({"type": "object", "minProperties": 1, "propertyNames": {"pattern": patterns::TERRITORY},
                   "additionalProperties": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": patterns::WORKLOAD}, "additionalProperties": floor_count}}),
            names(
                patterns::LOAD_KEY,
                json!({"type": "number", "exclusiveMinimum": 0}),
            ),
            pattern_string(patterns::TERRITORY),
        ),
    };
    let entry = defs.get_mut("RawEntry").expect("RawEntry");
    entry["properties"]["floor"] = floor;
    entry["properties"]["load"] = load;
    let mut season = entry.clone();
    let mut campaign = entry.clone();
    for (def, date) in [
        (&mut season, patterns::MONTH_DAY),
        (&mut campaign, patterns::DATE),
    ] {
        def["properties"]["from"] = pattern_string(date);
        def["properties"]["to"] = pattern_string(date);
    }
    defs.remove("RawEntry");
    defs.insert("Season".into(), season);
    defs.insert("Campaign".into(), campaign);
    let blackout = defs.get_mut("RawBlackout").expect("RawBlackout");
    blackout["properties"]["territories"] =
        json!({"type": "array", "minItems": 1, "uniqueItems": true, "items": territory});
    for key in ["from", "to"] {
        blackout["properties"][key] = json!({"type": "string"});
    }
    blackout["anyOf"] = json!([
        {"properties": {"from": pattern(patterns::MONTH_DAY), "to": pattern(patterns::MONTH_DAY)}},
        {"properties": {"from": pattern(patterns::DATE), "to": pattern(patterns::DATE)}},
    ]);
    let props = &mut root["properties"];
    props["season"]["items"] = json!({"$ref": "#/$defs/Season"});
    props["campaign"]["items"] = json!({"$ref": "#/$defs/Campaign"});
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values;

    fn matches(p: &str, s: &str) -> bool {
        regex::Regex::new(p).expect("pattern compiles").is_match(s)
    }

    /// Every string of `alphabet` up to `len` characters (a small exhaustive corpus).
    fn strings(alphabet: &[&str], len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..len {
            layer = layer
                .iter()
                .flat_map(|s| alphabet.iter().map(move |a| format!("{s}{a}")))
                .collect();
            out.extend(layer.iter().cloned());
        }
        out
    }

    fn agree(name: &str, p: &str, corpus: &[String], parser: impl Fn(&str) -> bool) {
        let re = regex::Regex::new(p).expect("pattern compiles");
        for s in corpus {
            assert_eq!(
                re.is_match(s),
                parser(s),
                "{name}: pattern and parser disagree on {s:?}"
            );
        }
    }

    #[test]
    fn date_and_hour_patterns_agree_with_the_parser() {
        let two = |n: u32| (0..n).map(|i| format!("{i:02}")).collect::<Vec<_>>();
        let month_days: Vec<String> = two(14)
            .iter()
            .flat_map(|m| two(33).into_iter().map(move |d| format!("{m}-{d}")))
            .collect();
        agree("MM-DD", patterns::MONTH_DAY, &month_days, |s| {
            matches!(
                values::parse_date_text(s),
                Ok(values::DateText::Recurring(_))
            )
        });
        for y in ["1969", "1970", "2027", "2028", "9999"] {
            for md in &month_days {
                let s = format!("{y}-{md}");
                let parsed = matches!(values::parse_date_text(&s), Ok(values::DateText::Dated(_)));
                // The pattern admits Feb 29 of every year; validation knows the leap years.
                let leap_gap = md == "02-29" && y != "1969";
                assert_eq!(matches(patterns::DATE, &s), parsed || leap_gap, "{s}");
            }
        }
        let times: Vec<String> = ["00", "09", "23", "24", "25"]
            .iter()
            .flat_map(|h| ["00", "30", "59", "60"].map(|m| format!("{h}:{m}")))
            .collect();
        let hours = times
            .iter()
            .flat_map(|a| times.iter().map(move |b| format!("{a}-{b}")))
            .chain(["8:00-20:00", "08:00-20:00 ", "08:00"].map(String::from));
        for s in hours {
            // Start = end is the one rule the pattern leaves to validation.
            let same = s.split_once('-').is_some_and(|(a, b)| a == b);
            assert_eq!(
                matches(patterns::HOURS, &s) && !same,
                values::parse_hours(&s).is_ok(),
                "{s}"
            );
        }
    }

    #[test]
    fn name_patterns_agree_with_the_parser() {
        let corpus = strings(&["a", "Z", "0", "-", "_", ".", "/"], 4);
        agree(
            "workload",
            patterns::WORKLOAD,
            &corpus,
            values::is_workload_name,
        );
        agree(
            "territory",
            patterns::TERRITORY,
            &corpus,
            values::is_territory_code,
        );
        agree("region", patterns::REGION, &corpus, values::is_region_code);
        agree(
            "dns1123",
            patterns::DNS1123,
            &corpus,
            values::is_dns1123_label,
        );
        agree(
            "dns1035",
            patterns::DNS1035,
            &corpus,
            values::is_dns1035_label,
        );
        agree(
            "subdomain",
            patterns::SUBDOMAIN,
            &corpus,
            values::is_dns1123_subdomain,
        );
        agree("id", patterns::ID, &corpus, values::is_entry_id);
        agree("channel", patterns::CHANNEL, &corpus, values::is_channel);
        agree(
            "event type",
            patterns::EVENT_TYPE,
            &corpus,
            values::is_event_type,
        );
        agree(
            "env var",
            patterns::ENV_VAR,
            &corpus,
            values::is_env_var_name,
        );
        agree(
            "label key",
            patterns::LABEL_KEY,
            &corpus,
            values::is_label_key,
        );
        agree(
            "label value",
            patterns::LABEL_VALUE,
            &corpus,
            values::is_label_value,
        );
        agree("path", patterns::HTTP_PATH, &corpus, values::is_http_path);
        let long = "a".repeat(64);
        assert!(!matches(patterns::DNS1123, &long) && !values::is_dns1123_label(&long));
    }

    #[test]
    fn duration_quantity_and_day_patterns_agree_with_the_parser() {
        let durations = strings(&["1", "0", "y", "w", "d", "h", "m", "s", "ms", "."], 4);
        agree("duration", patterns::DURATION, &durations, |s| {
            values::parse_duration(s).is_some() || s.is_empty()
        });
        let quantities = strings(&["1", ".", "m", "Mi", "Gi", "k", "e3", "x", "-"], 3);
        agree("quantity", patterns::QUANTITY, &quantities, |s| {
            values::quantity_value(s).is_some()
        });
        let days = strings(&["mon", "fri", "sun", "-", ",", " ", "xyz"], 4);
        // Days named twice are the one rule the pattern leaves to validation.
        let days: Vec<String> = days
            .into_iter()
            .filter(|s| {
                !values::parse_weekdays(s).is_err_and(|e| e.message.contains("more than once"))
            })
            .collect();
        agree("days", patterns::DAYS, &days, |s| {
            values::parse_weekdays(s).is_ok()
        });
    }

    #[test]
    fn every_format_lands_on_a_key_of_the_parser() {
        let roots = [
            derived::<RawTerritoriesFile>(),
            derived::<RawCalendarFile>(),
        ];
        for (def, key, _) in FORMATS {
            assert!(
                roots
                    .iter()
                    .any(|r| r["$defs"][*def]["properties"].get(*key).is_some()),
                "a format for {def}.{key}, which the parser does not have"
            );
        }
    }

    #[test]
    fn strict_everywhere_no_null_and_draft_2020_12() {
        for kind in [FileKind::Territories, FileKind::Calendar] {
            for known in [
                None,
                Some(Known {
                    territories: vec![("DE".into(), vec!["BY".into()])],
                    workloads: vec!["queries".into()],
                }),
            ] {
                let s = schema(kind, known.as_ref());
                assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
                let text = s.to_string();
                assert!(!text.contains("\"null\""), "{text}");
                assert!(!text.contains("#/definitions/"), "{text}");
                for (name, def) in s["$defs"].as_object().unwrap() {
                    if def.get("properties").is_some() {
                        assert_eq!(
                            def["additionalProperties"],
                            json!(false),
                            "{name} is not strict"
                        );
                    }
                }
            }
        }
    }
}
