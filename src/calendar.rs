//! The intended floor of SPEC §2.2, computed directly from the calendar (placeholder, issue 3).
