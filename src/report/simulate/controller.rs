//! The controller model of SPEC §8.2: KEDA's throughput and cron metrics feeding a
//! Kubernetes HPA v2, in 15-second steps, in integer arithmetic exactly as written there.
//!
//! One step of a controlled strategy (`reactive`, `scheduled`), with `cur` the replicas
//! before it:
//! 1. observed load `O`: the last eight 15-second samples of `D`, lagged by the metric delay;
//! 2. throughput proposal `⌈O / 8R⌉`, or `cur` inside the HPA tolerance;
//! 3. cron proposal `d` (highest active `desiredReplicas`), or `cur` inside the tolerance;
//!    `p = clamp(max(both), min, max)`;
//! 4. stabilization: `r` rises to the smallest `p` of the scale-up window and falls to the
//!    largest `p` of the scale-down window (both windows as monotonic deques, so a step
//!    costs O(1) amortised and never allocates);
//! 5. scale-up policies limit the rise (selectPolicy over Pods/Percent); scale-down is
//!    unlimited; clamp to `[min, max]`;
//! 6. new replicas are ready `⌈startup / 15⌉` steps later; scale-down removes the newest
//!    not-yet-ready replicas first;
//!
//! [`super::run`] drives it over the steps and does the accounting (rule 7).

/// Length of one step in seconds.
pub const STEP_SECONDS: i64 = 15;

/// Samples in the throughput trigger's 2-minute rate window.
pub const SAMPLES: u64 = 8;

/// How an HPA picks among its scaling policies (`selectPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// The policy allowing the largest change (Kubernetes' default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One HPA scaling policy (`periodSeconds` is not modelled: every policy applies per step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Add at most this many pods.
    Pods(u32),
    /// Grow by at most this many percent.
    Percent(u32),
}

/// The HPA behavior `simulate` models, as rendered into the ScaledObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behavior {
    /// `scaleUp.stabilizationWindowSeconds`.
    pub up_window_seconds: u32,
    /// `scaleUp.selectPolicy`.
    pub up_select: Select,
    /// `scaleUp.policies`.
    pub up_policies: Vec<Policy>,
    /// `scaleDown.stabilizationWindowSeconds` (scale-down itself is unlimited).
    pub down_window_seconds: u32,
    /// `scaleUp.tolerance` in per mille, when rendered.
    pub up_tolerance: Option<u64>,
    /// `scaleDown.tolerance` in per mille, when rendered.
    pub down_tolerance: Option<u64>,
}

impl Default for Behavior {
    /// Kubernetes' defaults: scale-up without stabilization, selectPolicy Max of +100 % or
    /// +4 pods per 15 s; scale-down after a 300-second window; the cluster's tolerance.
    fn default() -> Self {
        Behavior {
            up_window_seconds: 0,
            up_select: Select::Max,
            up_policies: vec![Policy::Percent(100), Policy::Pods(4)],
            down_window_seconds: 300,
            up_tolerance: None,
            down_tolerance: None,
        }
    }
}

impl Behavior {
    /// The highest replica count a scale-up from `cur` may reach in one step.
    pub fn up_limit(&self, cur: u32) -> u32 {
        let one = |p: &Policy| -> u64 {
            let cur = u64::from(cur);
            match *p {
                Policy::Pods(v) => cur + u64::from(v),
                Policy::Percent(v) => (cur * (100 + u64::from(v))).div_ceil(100),
            }
        };
        let limit = match self.up_select {
            Select::Disabled => Some(u64::from(cur)),
            Select::Max => self.up_policies.iter().map(one).max(),
            Select::Min => self.up_policies.iter().map(one).min(),
        };
        limit.map_or(u32::MAX, |l| l.min(u64::from(u32::MAX)) as u32)
    }
}

/// Everything one deployment's controller needs, in the integer units of §8.2.
#[derive(Debug, Clone)]
pub struct ControllerParams {
    /// `minReplicaCount`.
    pub min: u32,
    /// `maxReplicaCount`.
    pub max: u32,
    /// `R`: milli-requests per second one replica handles (the trigger threshold).
    pub r: u64,
    /// `S`: saturation in percent.
    pub s: u64,
    /// Steps from creation until a replica is ready (`⌈startup / 15⌉`).
    pub startup_steps: u64,
    /// Steps the metric lags (`metric_delay / 15`).
    pub delay_steps: u64,
    /// The rendered HPA behavior.
    pub behavior: Behavior,
    /// HPA tolerance (Kubernetes' default: 10 % both ways).
    pub tolerance: Tolerance,
}

/// How far the metric may be from its target before the HPA acts, in per mille of the
/// target, per direction (Kubernetes 1.33 `behavior.scaleUp/scaleDown.tolerance`; before
/// that, and by default, the controller-wide 10 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// Above the target: no scale-up while `value ≤ target × (1 + up/1000)`.
    pub up: u64,
    /// Below the target: no scale-down while `value ≥ target × (1 − down/1000)`.
    pub down: u64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { up: 100, down: 100 }
    }
}

impl ControllerParams {
    /// Steps a stabilization window of `seconds` holds: those strictly after `t − W`,
    /// `⌈W / 15⌉`, the current one included (at least the current one).
    pub fn window_steps(seconds: u32) -> u64 {
        u64::from(seconds).div_ceil(STEP_SECONDS as u64).max(1)
    }

    /// Whether `value` lies within the tolerance of `target` (`1000·|v − t| ≤ tol·t`,
    /// with the tolerance of the direction `value` lies in).
    #[inline]
    fn within_tolerance(&self, value: u64, target: u64) -> bool {
        let diff = u128::from(value.abs_diff(target));
        let tol = if value >= target {
            self.tolerance.up
        } else {
            self.tolerance.down
        };
        diff * 1000 <= u128::from(tol) * u128::from(target)
    }

    /// `clamp(⌈D / R⌉, min, max)`: the ideal replicas for demand `d` (also the start state).
    pub fn replicas_for(&self, d: u64) -> u32 {
        let need = d.div_ceil(self.r).min(u64::from(self.max));
        (need as u32).clamp(self.min, self.max)
    }
}

/// A fixed-capacity ring buffer (power-of-two capacity; never grows while stepping).
#[derive(Debug, Clone)]
struct Ring<T: Copy + Default> {
    buf: Vec<T>,
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Ring<T> {
    fn with_capacity(n: usize) -> Self {
        Ring {
            buf: vec![T::default(); n.next_power_of_two()],
            head: 0,
            len: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.buf.len() - 1
    }

    #[inline]
    fn front(&self) -> Option<T> {
        (self.len > 0).then(|| self.buf[self.head])
    }

    #[inline]
    fn back_mut(&mut self) -> Option<&mut T> {
        if self.len == 0 {
            return None;
        }
        let i = (self.head + self.len - 1) & self.mask();
        Some(&mut self.buf[i])
    }

    #[inline]
    fn push_back(&mut self, v: T) {
        debug_assert!(self.len < self.buf.len(), "ring capacity");
        let i = (self.head + self.len) & self.mask();
        self.buf[i] = v;
        self.len += 1;
    }

    #[inline]
    fn pop_front(&mut self) {
        self.head = (self.head + 1) & self.mask();
        self.len -= 1;
    }

    #[inline]
    fn pop_back(&mut self) {
        self.len -= 1;
    }
}

/// The minimum (`MIN = true`) or maximum of the proposals of the last `steps` steps,
/// kept as a monotonic deque of `(step, proposal)`.
#[derive(Debug, Clone)]
struct Extremum<const MIN: bool> {
    ring: Ring<(u64, u32)>,
    steps: u64,
}

impl<const MIN: bool> Extremum<MIN> {
    fn new(steps: u64) -> Self {
        Extremum {
            ring: Ring::with_capacity(steps as usize + 1),
            steps,
        }
    }

    /// Adds step `k`'s proposal and returns the extremum over the window ending at `k`.
    #[inline]
    fn push(&mut self, k: u64, p: u32) -> u32 {
        while let Some(&mut (_, q)) = self.ring.back_mut() {
            if (MIN && q >= p) || (!MIN && q <= p) {
                self.ring.pop_back();
            } else {
                break;
            }
        }
        self.ring.push_back((k, p));
        while let Some((at, _)) = self.ring.front() {
            if at + self.steps <= k {
                self.ring.pop_front();
            } else {
                break;
            }
        }
        self.ring.front().map_or(p, |(_, q)| q)
    }

    /// Whether the window holds exactly one proposal, `p` (then pushing `p` again only
    /// moves that entry to the new step).
    #[inline]
    fn holds_only(&self, p: u32) -> bool {
        self.ring.len == 1 && self.ring.front().is_some_and(|(_, q)| q == p)
    }

    /// Moves the single entry to step `k` (what [`Self::push`] of the same `p` does).
    #[inline]
    fn retime(&mut self, k: u64) {
        let head = self.ring.head;
        self.ring.buf[head].0 = k;
    }
}

/// The state of one HPA-controlled deployment.
#[derive(Debug, Clone)]
pub struct Controller<'p> {
    params: &'p ControllerParams,
    replicas: u32,
    ready: u32,
    /// Not-yet-ready replicas as `(ready from step, count)`, oldest first.
    pending: Ring<(u64, u32)>,
    up: Extremum<true>,
    down: Extremum<false>,
    /// The last observed load and its `⌈O / 8R⌉` (O changes rarely).
    last_o: (u64, u32),
    /// The inputs `(O, d)` of the last step.
    last_in: (u64, u32),
    /// The last step changed nothing and would change nothing again on the same inputs:
    /// no replica pending, both windows hold only the current proposal, which equals
    /// the replicas.
    steady: bool,
    /// Whether the steady-state shortcut may be taken (off only to test it).
    shortcut: bool,
}

impl<'p> Controller<'p> {
    /// A controller at `start` replicas, all ready, with no stabilization history.
    pub fn new(params: &'p ControllerParams, start: u32) -> Self {
        Controller {
            params,
            replicas: start,
            ready: start,
            pending: Ring::with_capacity(params.startup_steps as usize + 2),
            up: Extremum::new(ControllerParams::window_steps(
                params.behavior.up_window_seconds,
            )),
            down: Extremum::new(ControllerParams::window_steps(
                params.behavior.down_window_seconds,
            )),
            last_o: (0, 0),
            last_in: (u64::MAX, u32::MAX),
            steady: false,
            shortcut: true,
        }
    }

    /// The same controller without the steady-state shortcut (the reference in tests).
    pub fn without_shortcut(mut self) -> Self {
        self.shortcut = false;
        self
    }

    /// Rules 2–3: the proposal `p` for observed load `o` and cron floor `d`.
    #[inline]
    fn proposal(&mut self, o: u64, d: u32) -> u32 {
        let pr = self.params;
        let cur = u64::from(self.replicas);
        let target = SAMPLES * pr.r;
        if o != self.last_o.0 {
            let p = o.div_ceil(target).min(u64::from(u32::MAX)) as u32;
            self.last_o = (o, p);
        }
        let mut p_tp = self.last_o.1;
        if cur > 0 && pr.within_tolerance(o, target * cur) {
            p_tp = self.replicas;
        }
        let mut p_cron = d;
        if cur > 0 && pr.within_tolerance(u64::from(d), cur) {
            p_cron = self.replicas;
        }
        p_tp.max(p_cron).clamp(pr.min, pr.max)
    }

    /// Whether the last step left the controller steady: the same inputs again give the
    /// same replicas (then a stretch of equal inputs can be skipped with [`Self::skip_to`]).
    #[inline]
    pub fn steady(&self) -> bool {
        self.steady
    }

    /// Accounts steps up to `e − 1` as repetitions of the last one (only when [`Self::steady`]).
    #[inline]
    pub fn skip_to(&mut self, e: u64) {
        debug_assert!(self.steady);
        self.up.retime(e - 1);
        self.down.retime(e - 1);
    }

    /// One step at index `k` with observed load `o` and cron floor `d` (0 for none);
    /// returns (replicas, ready replicas) after it.
    #[inline]
    pub fn step(&mut self, k: u64, o: u64, d: u32) -> (u32, u32) {
        if self.steady && self.last_in == (o, d) {
            // Same inputs, same `cur`: the same proposal, windows and replicas (rules 2–5).
            self.up.retime(k);
            self.down.retime(k);
            return (self.replicas, self.ready);
        }
        self.last_in = (o, d);
        while let Some((at, n)) = self.pending.front() {
            if at > k {
                break;
            }
            self.ready += n;
            self.pending.pop_front();
        }
        let p = self.proposal(o, d);
        let up = self.up.push(k, p);
        let down = self.down.push(k, p);
        let cur = self.replicas;
        let mut r = cur.max(up).min(down);
        if r > cur {
            r = r.min(self.params.behavior.up_limit(cur));
        }
        r = r.clamp(self.params.min, self.params.max);
        if r > cur {
            self.add(k, r - cur);
        } else if r < cur {
            self.remove(cur - r);
        }
        self.replicas = r;
        self.steady = self.shortcut
            && self.pending.len == 0
            && r == p
            && self.up.holds_only(p)
            && self.down.holds_only(p);
        (r, self.ready)
    }

    fn add(&mut self, k: u64, n: u32) {
        if self.params.startup_steps == 0 {
            self.ready += n;
        } else {
            self.pending.push_back((k + self.params.startup_steps, n));
        }
    }

    /// Removes `n` replicas: the newest not-yet-ready ones first, then ready ones.
    fn remove(&mut self, mut n: u32) {
        while n > 0 {
            let Some(back) = self.pending.back_mut() else {
                break;
            };
            let take = back.1.min(n);
            back.1 -= take;
            n -= take;
            if back.1 == 0 {
                self.pending.pop_back();
            }
        }
        self.ready -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn behavior() -> Behavior {
        Behavior::default()
    }

    #[test]
    fn scale_up_limit_is_the_larger_policy() {
        let b = behavior();
        assert_eq!(b.up_limit(1), 5);
        assert_eq!(b.up_limit(4), 8);
        assert_eq!(b.up_limit(10), 20);
        let min = Behavior {
            up_select: Select::Min,
            ..b.clone()
        };
        assert_eq!(min.up_limit(10), 14);
        let pct = Behavior {
            up_policies: vec![Policy::Percent(50)],
            ..b.clone()
        };
        assert_eq!(pct.up_limit(3), 5, "⌈3 × 150 / 100⌉");
        let off = Behavior {
            up_select: Select::Disabled,
            ..b
        };
        assert_eq!(off.up_limit(3), 3);
    }

    #[test]
    fn window_steps_count_steps_strictly_after_t_minus_w() {
        assert_eq!(ControllerParams::window_steps(0), 1);
        assert_eq!(ControllerParams::window_steps(15), 1);
        assert_eq!(ControllerParams::window_steps(16), 2);
        assert_eq!(ControllerParams::window_steps(300), 20);
    }

    #[test]
    fn extremum_windows_follow_the_last_steps() {
        let mut min = Extremum::<true>::new(3);
        let mut max = Extremum::<false>::new(3);
        let ps = [5, 3, 4, 6, 6, 2, 7];
        let mins: Vec<u32> = ps
            .iter()
            .enumerate()
            .map(|(k, &p)| min.push(k as u64, p))
            .collect();
        let maxs: Vec<u32> = ps
            .iter()
            .enumerate()
            .map(|(k, &p)| max.push(k as u64, p))
            .collect();
        assert_eq!(mins, [5, 3, 3, 3, 4, 2, 2]);
        assert_eq!(maxs, [5, 5, 5, 6, 6, 6, 7]);
    }

    fn params(startup_steps: u64) -> ControllerParams {
        ControllerParams {
            min: 1,
            max: 20,
            r: 10_000,
            s: 125,
            startup_steps,
            delay_steps: 2,
            behavior: behavior(),
            tolerance: Tolerance::default(),
        }
    }

    #[test]
    fn tolerance_keeps_cur_and_a_floor_of_11_is_never_reached_from_10() {
        let p = params(0);
        let mut c = Controller::new(&p, 10);
        // O = 8 samples of 10.5 replicas' worth: 5 % off, within tolerance.
        let o = 8 * 10_500 * 10;
        assert_eq!(c.step(0, o, 11), (10, 10));
        assert_eq!(c.step(1, o, 12), (12, 12), "a floor 20 % above is reached");
    }

    #[test]
    fn tolerance_is_per_direction() {
        let mut p = params(0);
        p.tolerance = Tolerance { up: 0, down: 300 };
        let target = 8 * p.r;
        let mut c = Controller::new(&p, 10);
        // 10.5 replicas' worth: any excess scales up without an up tolerance ...
        assert_eq!(c.step(0, target * 105 / 10, 0), (11, 11));
        // ... while 8 of 11 (27 % below) stays inside a 30 % down tolerance.
        assert_eq!(c.step(1, target * 8, 0), (11, 11));
        assert_eq!(
            c.step(2, target * 7, 0).0,
            11,
            "the 5-minute window still holds 11"
        );
    }

    #[test]
    fn new_replicas_are_ready_after_startup_and_leave_first() {
        let p = params(4);
        let mut c = Controller::new(&p, 2);
        let need = |n: u64| 8 * p.r * n;
        assert_eq!(c.step(0, need(6), 0), (6, 2));
        assert_eq!(c.step(3, need(6), 0), (6, 2));
        assert_eq!(c.step(4, need(6), 0), (6, 6));
        let mut c = Controller::new(&p, 2);
        c.step(0, need(4), 0);
        assert_eq!(c.step(1, need(5), 0), (5, 2));
        // Scale-down: the stabilization window still holds 5, so nothing happens ...
        assert_eq!(c.step(2, need(1), 0), (5, 2));
        // ... until the window has passed; the three unready replicas go first.
        let mut last = (0, 0);
        for k in 3..=20 {
            last = c.step(k, need(1), 0);
        }
        assert_eq!(
            last,
            (5, 5),
            "the window of 20 steps still holds step 1's 5"
        );
        assert_eq!(c.step(21, need(1), 0), (1, 1));
    }

    #[test]
    fn scale_down_removes_unready_replicas_newest_first() {
        let mut p = params(8);
        p.behavior.down_window_seconds = 0;
        let mut c = Controller::new(&p, 2);
        let need = |n: u64| 8 * p.r * n;
        assert_eq!(c.step(0, need(4), 0), (4, 2));
        assert_eq!(c.step(1, need(6), 0), (6, 2));
        assert_eq!(c.step(2, need(3), 0), (3, 2));
        // One replica of step 0's batch is left; it is ready at step 8.
        assert_eq!(c.step(8, need(3), 0), (3, 3));
    }

    #[test]
    fn steady_state_shortcut_changes_nothing() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..200 {
            let mut p = params(next(6));
            p.min = 1 + next(3) as u32;
            p.max = p.min + next(25) as u32;
            p.behavior.up_window_seconds = [0, 15, 60][next(3) as usize];
            p.behavior.down_window_seconds = [0, 30, 300][next(3) as usize];
            let start = p.min + next(u64::from(p.max - p.min + 1)) as u32;
            let mut fast = Controller::new(&p, start);
            let mut slow = Controller::new(&p, start).without_shortcut();
            let (mut o, mut d) = (0, 0);
            for k in 0..3000 {
                // Inputs hold for a while, then jump: long steady stretches and edges.
                if next(40) == 0 {
                    o = next(8 * p.r * u64::from(p.max) * 2);
                }
                if next(200) == 0 {
                    d = next(u64::from(p.max) + 3) as u32;
                }
                assert_eq!(
                    fast.step(k, o, d),
                    slow.step(k, o, d),
                    "case {case} step {k}"
                );
            }
        }
    }
}
