//! `[traffic]`: the traffic model `simulate` plays (SPEC §8.1).

/// The `[traffic]` table of SPEC §8.1 with its defaults: how demand varies over a day
/// and how replicas and the throughput metric behave in `simulate`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficSettings {
    /// Factor of each local hour on Monday to Friday.
    pub profile_weekday: [f64; 24],
    /// Factor of each local hour on Saturday and Sunday.
    pub profile_weekend: [f64; 24],
    /// Seconds from a replica's creation until it serves traffic.
    pub startup_seconds: u32,
    /// Multiple of `rps_per_replica` a replica carries within the p95 target.
    pub saturation: f64,
    /// Scrape and polling delay of the throughput metric (a multiple of 15).
    pub metric_delay_seconds: u32,
}

impl Default for TrafficSettings {
    fn default() -> Self {
        TrafficSettings {
            profile_weekday: [1.0; 24],
            profile_weekend: [1.0; 24],
            startup_seconds: 60,
            saturation: 1.25,
            metric_delay_seconds: 30,
        }
    }
}

impl TrafficSettings {
    /// Whether both profiles are 1.0 everywhere (the default).
    pub fn is_flat(&self) -> bool {
        self.profile_weekday
            .iter()
            .chain(&self.profile_weekend)
            .all(|&f| f == 1.0)
    }

    /// `S = ⌊saturation × 100 + 0.5⌋` (percent).
    pub fn saturation_percent(&self) -> u64 {
        (self.saturation * 100.0 + 0.5).floor() as u64
    }
}
