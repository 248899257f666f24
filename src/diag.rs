//! stage diag (in progress)
