//! The configuration stage: input files → a validated [`model::Model`].
//!
//! [`load`] reads the files, [`parse`] turns them into raw TOML types that keep spans,
//! [`validate`] checks every rule of SPEC §2 and builds the model, reporting all problems
//! at once. Nothing after this stage reads TOML. [`values`] parses the value formats,
//! [`zone`] says what a local time of a territory is in real time (SPEC §2.2), and
//! [`example`] is the FreshFoodz configuration `scalegen init` writes.

pub mod example;
pub mod load;
pub mod model;
pub mod parse;
pub mod validate;
pub mod values;
pub mod zone;
