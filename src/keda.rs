//! KEDA's cron activation evaluated on generated triggers (placeholder, issue 3).
