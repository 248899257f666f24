//! The step loop of every strategy and its accounting (SPEC §8.2 rule 7): cost counts the
//! replicas after each step, a step is at risk when `100·D > S·R·ready`.
//!
//! Most steps repeat the one before: demand is constant for hours, and a controller
//! that has settled proposes what it has. So after each step the loop asks whether the
//! strategy is steady and how long its inputs stay the same — `D` of the step and of
//! every sample of the observed load (a run of equal minutes, [`MinuteDemand::run_end`])
//! and the cron floor (a [`CronSegment`]) — and accounts that whole stretch at once. The
//! result is the same as stepping through it (tested against the plain loop); a year of
//! 2.1 million steps then costs a few thousand real steps per deployment.

use super::controller::{Controller, ControllerParams, SAMPLES, STEP_SECONDS};
use super::traffic::MinuteDemand;

/// The four strategies of SPEC §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// `max` replicas all the time.
    Static,
    /// The ScaledObject without its cron triggers.
    Reactive,
    /// The ScaledObject as rendered.
    Scheduled,
    /// `clamp(⌈D / R⌉, min, max)`, ready at once.
    Ideal,
}

impl Strategy {
    /// All four, in report order.
    pub const ALL: [Strategy; 4] = [
        Strategy::Static,
        Strategy::Reactive,
        Strategy::Scheduled,
        Strategy::Ideal,
    ];

    /// The name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Static => "static",
            Strategy::Reactive => "reactive",
            Strategy::Scheduled => "scheduled",
            Strategy::Ideal => "ideal",
        }
    }
}

/// The cron floor `d` until step `end` (exclusive); segments follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CronSegment {
    /// First step index after the segment.
    pub end: u64,
    /// Highest `desiredReplicas` of the active triggers, 0 when none is active.
    pub d: u32,
}

/// The inputs every strategy of one deployment shares.
#[derive(Debug, Clone, Copy)]
pub struct Signals<'a> {
    /// `D(m)` covering `[t0 − delay − 120 s, t0 + 15 s·n)`.
    pub demand: &'a MinuteDemand,
    /// Unix time of step 0.
    pub t0: i64,
    /// Number of steps.
    pub n: u64,
    /// The cron floor over the steps (empty: no triggers, `d = 0`).
    pub cron: &'a [CronSegment],
}

impl Signals<'_> {
    /// `D` at step index `k` (negative: before `t0`).
    #[inline]
    pub fn d_at(&self, k: i64) -> u64 {
        self.demand.at(self.t0 + STEP_SECONDS * k)
    }

    /// The largest `e ≥ k` such that `D` is the same at every step of `[lo, e)`
    /// (`k` itself when it is not the same on `[lo, k)`), at most `n`.
    #[inline]
    fn constant_until(&self, lo: i64, k: u64) -> u64 {
        let until = self.demand.constant_until(self.t0 + STEP_SECONDS * lo);
        let first_other = (until - self.t0).max(0) as u64;
        let e = first_other.div_ceil(STEP_SECONDS as u64);
        e.clamp(k, self.n)
    }
}

/// Replicas and ready replicas of every step of a stretch, for charts.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// First traced step index.
    pub first: u64,
    /// Steps traced.
    pub len: u64,
    /// (replicas, ready) per traced step.
    pub steps: Vec<(u32, u32)>,
}

impl Trace {
    /// An empty trace for steps `[first, first + len)`.
    pub fn new(first: u64, len: u64) -> Trace {
        Trace {
            first,
            len,
            steps: Vec::with_capacity(len as usize),
        }
    }

    /// Records steps `[lo, hi)` with the same values.
    fn fill(&mut self, lo: u64, hi: u64, v: (u32, u32)) {
        let (lo, hi) = (lo.max(self.first), hi.min(self.first + self.len));
        for _ in lo..hi {
            self.steps.push(v);
        }
    }
}

/// The step with the highest demand ÷ capacity ratio (the first of equals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worst {
    /// `100 · D`.
    pub num: u64,
    /// `S · R · ready`.
    pub den: u64,
    /// Step index.
    pub step: u64,
}

impl Worst {
    /// The ratio as a float.
    pub fn ratio(&self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            self.num as f64 / self.den as f64
        }
    }
}

/// What one strategy did over the steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Σ replicas after each step (× 15 s = cost).
    pub replica_steps: u64,
    /// Steps at risk.
    pub risk_steps: u64,
    /// The worst step: `100·D` over `S·R·ready`, and its index.
    pub worst: Worst,
    /// One bit per step: at risk.
    pub risk: Vec<u64>,
    /// `(D, ready, at risk)` of the last step: most steps repeat it.
    last: (u64, u32, bool),
}

impl Tally {
    fn new(n: u64) -> Tally {
        Tally {
            replica_steps: 0,
            risk_steps: 0,
            worst: Worst {
                num: 0,
                den: 1,
                step: 0,
            },
            risk: vec![0; n.div_ceil(64) as usize],
            last: (u64::MAX, u32::MAX, false),
        }
    }

    /// Accounts steps `[lo, hi)`, each with demand `d`, `replicas` and `ready`.
    #[inline]
    fn record(&mut self, lo: u64, hi: u64, d: u64, (replicas, ready): (u32, u32), sr: u64) {
        self.replica_steps += u64::from(replicas) * (hi - lo);
        let at_risk = if (d, ready) == (self.last.0, self.last.1) {
            // Same ratio as the last step: it cannot beat the worst (first of equals wins).
            self.last.2
        } else {
            let num = 100 * d;
            let den = sr * u64::from(ready);
            if u128::from(num) * u128::from(self.worst.den)
                > u128::from(self.worst.num) * u128::from(den)
            {
                self.worst = Worst { num, den, step: lo };
            }
            let at_risk = num > den;
            self.last = (d, ready, at_risk);
            at_risk
        };
        if at_risk {
            self.risk_steps += hi - lo;
            set_bits(&mut self.risk, lo, hi);
        }
    }

    /// Whether step `k` was at risk.
    pub fn at_risk(&self, k: u64) -> bool {
        self.risk[(k >> 6) as usize] >> (k & 63) & 1 == 1
    }

    /// At-risk steps in `[lo, hi)`.
    pub fn risk_steps_in(&self, lo: u64, hi: u64) -> u64 {
        let mut count = 0;
        let mut k = lo;
        while k < hi {
            let word = (k >> 6) as usize;
            let from = k & 63;
            let to = (hi - (k - from)).min(64);
            let mask = if to == 64 { !0 } else { (1u64 << to) - 1 } & !((1u64 << from) - 1);
            count += u64::from((self.risk[word] & mask).count_ones());
            k = (k - from) + to;
        }
        count
    }
}

fn set_bits(bits: &mut [u64], lo: u64, hi: u64) {
    let mut k = lo;
    while k < hi {
        let from = k & 63;
        let to = (hi - (k - from)).min(64);
        let mask = if to == 64 { !0 } else { (1u64 << to) - 1 } & !((1u64 << from) - 1);
        bits[(k >> 6) as usize] |= mask;
        k = (k - from) + to;
    }
}

/// How a strategy turns a step's inputs into replicas.
trait Policy {
    /// Whether the strategy reads the observed load `O` (and how many steps back it reaches).
    const OBSERVES: bool;
    /// (replicas, ready) after step `k` with demand `d`, observed load `o`, cron floor `c`.
    fn step(&mut self, k: u64, d: u64, o: u64, c: u32) -> (u32, u32);
    /// Whether the same inputs again give the same result.
    fn steady(&self) -> bool;
    /// Steps up to `e − 1` repeat the last one.
    fn skip_to(&mut self, e: u64);
}

struct Static(u32);

impl Policy for Static {
    const OBSERVES: bool = false;
    fn step(&mut self, _: u64, _: u64, _: u64, _: u32) -> (u32, u32) {
        (self.0, self.0)
    }
    fn steady(&self) -> bool {
        true
    }
    fn skip_to(&mut self, _: u64) {}
}

struct Ideal<'p>(&'p ControllerParams);

impl Policy for Ideal<'_> {
    const OBSERVES: bool = false;
    fn step(&mut self, _: u64, d: u64, _: u64, _: u32) -> (u32, u32) {
        let r = self.0.replicas_for(d);
        (r, r)
    }
    fn steady(&self) -> bool {
        true
    }
    fn skip_to(&mut self, _: u64) {}
}

struct Hpa<'p> {
    controller: Controller<'p>,
    cron: bool,
}

impl Policy for Hpa<'_> {
    const OBSERVES: bool = true;
    fn step(&mut self, k: u64, _: u64, o: u64, c: u32) -> (u32, u32) {
        self.controller.step(k, o, if self.cron { c } else { 0 })
    }
    fn steady(&self) -> bool {
        self.controller.steady()
    }
    fn skip_to(&mut self, e: u64) {
        self.controller.skip_to(e);
    }
}

/// Whether the loop may skip stretches of equal inputs (off only to test that it changes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcuts {
    /// Skip steady stretches (the default).
    On,
    /// Evaluate every step.
    Off,
}

/// Runs `strategy` over every step; `trace` records a stretch of it.
pub fn run(
    strategy: Strategy,
    params: &ControllerParams,
    sig: &Signals,
    trace: Option<&mut Trace>,
) -> Tally {
    run_with(strategy, params, sig, trace, Shortcuts::On)
}

/// [`run`] with or without the shortcuts.
pub fn run_with(
    strategy: Strategy,
    params: &ControllerParams,
    sig: &Signals,
    trace: Option<&mut Trace>,
    shortcuts: Shortcuts,
) -> Tally {
    let sr = params.s * params.r;
    match strategy {
        Strategy::Static => drive(sig, sr, 0, trace, shortcuts, Static(params.max)),
        Strategy::Ideal => drive(sig, sr, 0, trace, shortcuts, Ideal(params)),
        Strategy::Reactive | Strategy::Scheduled => {
            let cron = strategy == Strategy::Scheduled;
            let d0 = if cron {
                sig.cron.first().map_or(0, |c| c.d)
            } else {
                0
            };
            // Start state (§8.2): clamp(max(d, ⌈D/R⌉), min, max), all ready, no history.
            let start = params
                .replicas_for(sig.d_at(0))
                .max(d0.clamp(params.min, params.max));
            let mut controller = Controller::new(params, start);
            if shortcuts == Shortcuts::Off {
                controller = controller.without_shortcut();
            }
            let lag = params.delay_steps;
            drive(sig, sr, lag, trace, shortcuts, Hpa { controller, cron })
        }
    }
}

/// The step loop: demand, observed load (lagged `lag` steps), cron floor, accounting.
fn drive<P: Policy>(
    sig: &Signals,
    sr: u64,
    lag: u64,
    mut trace: Option<&mut Trace>,
    shortcuts: Shortcuts,
    mut policy: P,
) -> Tally {
    let mut tally = Tally::new(sig.n);
    let lag = lag as i64;
    let samples = SAMPLES as i64;
    // The oldest step whose D the last step read (its own, or its oldest sample).
    let back = if P::OBSERVES { lag + samples } else { 0 };
    let observed = |k: i64| -> u64 { (1..=samples).map(|j| sig.d_at(k - lag - j)).sum() };
    let mut o = if P::OBSERVES { observed(0) } else { 0 };
    let (mut k, mut seg) = (0u64, 0usize);
    while k < sig.n {
        while seg < sig.cron.len() && sig.cron[seg].end <= k {
            seg += 1;
        }
        let c = sig.cron.get(seg).map_or(0, |s| s.d);
        let ki = k as i64;
        if P::OBSERVES && k > 0 {
            o = o + sig.d_at(ki - lag - 1) - sig.d_at(ki - lag - 1 - samples);
        }
        let d = sig.d_at(ki);
        let out = policy.step(k, d, o, c);
        tally.record(k, k + 1, d, out, sr);
        if let Some(t) = trace.as_deref_mut() {
            t.fill(k, k + 1, out);
        }
        k += 1;
        if shortcuts == Shortcuts::On && k < sig.n && policy.steady() {
            let seg_end = sig.cron.get(seg).map_or(sig.n, |s| s.end);
            let e = sig.constant_until(ki - back, k).min(seg_end.max(k));
            if e > k {
                // Steps [k, e) see what step k − 1 saw: the same D, O and cron floor.
                tally.record(k, e, d, out, sr);
                if let Some(t) = trace.as_deref_mut() {
                    t.fill(k, e, out);
                }
                policy.skip_to(e);
                k = e;
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::simulate::controller::Behavior;

    #[test]
    fn bit_ranges_count_and_set() {
        let mut bits = vec![0u64; 4];
        set_bits(&mut bits, 3, 70);
        set_bits(&mut bits, 128, 192);
        let t = Tally {
            risk: bits,
            ..Tally::new(256)
        };
        assert_eq!(t.risk_steps_in(0, 256), 67 + 64);
        assert_eq!(t.risk_steps_in(60, 130), 10 + 2);
        assert_eq!(t.risk_steps_in(5, 5), 0);
        assert!(t.at_risk(3) && t.at_risk(69) && !t.at_risk(70) && !t.at_risk(2));
    }

    fn params() -> ControllerParams {
        ControllerParams {
            min: 1,
            max: 12,
            r: 50_000,
            s: 125,
            startup_steps: 4,
            delay_steps: 2,
            behavior: Behavior::default(),
            tolerance: Default::default(),
        }
    }

    #[test]
    fn skipping_steady_stretches_changes_nothing() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..40 {
            let mut p = params();
            p.startup_steps = next(6);
            p.delay_steps = next(4);
            p.behavior.down_window_seconds = [0, 45, 300, 600][next(4) as usize];
            let len = 3000;
            let mut milli = Vec::with_capacity(len);
            let mut v = 0;
            for _ in 0..len {
                if next(30) == 0 {
                    v = next(700_000);
                }
                milli.push(v);
            }
            let demand = MinuteDemand::new(0, milli);
            let n = 4 * (len as u64 - 20);
            let mut cron = Vec::new();
            let mut end = 0;
            while end < n {
                end = (end + 1 + next(900)).min(n);
                cron.push(CronSegment {
                    end,
                    d: next(14) as u32,
                });
            }
            let sig = Signals {
                demand: &demand,
                t0: 60 * 10,
                n,
                cron: &cron,
            };
            for s in Strategy::ALL {
                let mut fast_trace = Trace::new(100, 2000);
                let mut slow_trace = Trace::new(100, 2000);
                let fast = run_with(s, &p, &sig, Some(&mut fast_trace), Shortcuts::On);
                let slow = run_with(s, &p, &sig, Some(&mut slow_trace), Shortcuts::Off);
                assert_eq!(fast, slow, "case {case} {}", s.as_str());
                assert_eq!(fast_trace.steps, slow_trace.steps, "case {case}");
            }
        }
    }
}
