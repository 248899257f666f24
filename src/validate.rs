//! stage validate (in progress)
