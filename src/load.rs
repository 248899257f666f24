//! stage load (in progress)
