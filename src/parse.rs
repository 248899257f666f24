//! stage parse (in progress)
