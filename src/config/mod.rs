//! The configuration stage: input files → a validated [`model::Model`].

pub mod example;
pub mod load;
pub mod model;
pub mod parse;
pub mod validate;
pub mod values;
pub mod zone;
