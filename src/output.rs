//! stage output (in progress)
