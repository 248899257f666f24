//! robfig/cron v3 schedule parsing and `Next` (placeholder, issue 3).
