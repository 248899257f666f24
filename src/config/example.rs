//! The FreshFoodz default configuration, embedded for `scalegen init`.
//!
//! The same files live at the repository root, so `scalegen render` works on a
//! fresh checkout; a test checks the embedded copies equal the files.

/// `territories.toml` of the default configuration.
pub const TERRITORIES: &str = include_str!("../../territories.toml");

/// The default calendar files: (file name, contents), in file-name order.
pub const CALENDARS: &[(&str, &str)] = &[
    (
        "campaigns.toml",
        include_str!("../../calendars/campaigns.toml"),
    ),
    (
        "oktoberfest.toml",
        include_str!("../../calendars/oktoberfest.toml"),
    ),
    ("spargel.toml", include_str!("../../calendars/spargel.toml")),
    (
        "weihnachten.toml",
        include_str!("../../calendars/weihnachten.toml"),
    ),
];
