//! Scenario time over `tokio::time`. A [`Schedule`] maps real instants to
//! offsets on the plan's timeline given the time scale, the time spent paused
//! and the time skipped. Waits are always for an absolute offset, so lateness
//! never accumulates; under `tokio::time::pause` every wait is virtual.

use std::time::Duration;

use tokio::{sync::watch, time::Instant};

/// Where the execution is on its timeline. Cheap to copy; shared through a
/// `watch` channel so that every waiting task re-plans on pause, resume or skip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    start: Instant,
    speed: f64,
    paused_real: Duration,
    paused_at: Option<Instant>,
    skipped: Duration,
}

impl Schedule {
    /// A schedule starting now at `speed` (1.0 = real time, 3600 = an hour a second).
    pub fn starting_now(speed: f64) -> Self {
        Self {
            start: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            paused_real: Duration::ZERO,
            paused_at: None,
            skipped: Duration::ZERO,
        }
    }

    /// A schedule at `offset` of the timeline now: a run that resumes at a
    /// phase on a new owner goes on from that phase's start.
    pub fn starting_at(speed: f64, offset: Duration) -> Self {
        Self {
            skipped: offset,
            ..Self::starting_now(speed)
        }
    }

    /// The time scale.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Whether the timeline is frozen.
    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// The timeline offset at `now`.
    pub fn offset_at(&self, now: Instant) -> Duration {
        let now = self.paused_at.unwrap_or(now);
        let real = now
            .saturating_duration_since(self.start)
            .saturating_sub(self.paused_real);
        to_scenario(real, self.speed).saturating_add(self.skipped)
    }

    /// The timeline offset now.
    pub fn offset(&self) -> Duration {
        self.offset_at(Instant::now())
    }

    /// The real instant at which the timeline reaches `offset` (if not paused);
    /// beyond what an `Instant` holds, a time too far away to ever come.
    pub fn instant_of(&self, offset: Duration) -> Instant {
        let ahead = offset.saturating_sub(self.skipped);
        instant_after(
            self.start,
            self.paused_real.saturating_add(to_real(ahead, self.speed)),
        )
    }

    /// Freezes the timeline.
    pub fn pause(&mut self) {
        if self.paused_at.is_none() {
            self.paused_at = Some(Instant::now());
        }
    }

    /// Unfreezes the timeline where it stopped.
    pub fn resume(&mut self) {
        if let Some(at) = self.paused_at.take() {
            self.paused_real += Instant::now().saturating_duration_since(at);
        }
    }

    /// Jumps the timeline forward to `offset` (no-op if already past it).
    pub fn skip_to(&mut self, offset: Duration) {
        let now = self.offset();
        if offset > now {
            self.skipped += offset - now;
        }
    }

    /// A real-time interval for something that should happen every `every` of
    /// scenario time, never shorter than `floor`.
    pub fn real_interval(&self, every: Duration, floor: Duration) -> Duration {
        to_real(every, self.speed).max(floor)
    }
}

/// Real time for `scenario` time at `speed`. Saturates instead of panicking
/// (as `Duration::div_f64` does) when the quotient is too large: an absurd speed
/// must never take an execution's task down.
pub fn to_real(scenario: Duration, speed: f64) -> Duration {
    Duration::try_from_secs_f64(scenario.as_secs_f64() / speed).unwrap_or(Duration::MAX)
}

/// Scenario time for `real` time at `speed`; saturates like [`to_real`].
pub fn to_scenario(real: Duration, speed: f64) -> Duration {
    Duration::try_from_secs_f64(real.as_secs_f64() * speed).unwrap_or(Duration::MAX)
}

/// The instant `scenario` time from now at `speed` (a timeout's deadline).
pub fn deadline_after(scenario: Duration, speed: f64) -> Instant {
    instant_after(Instant::now(), to_real(scenario, speed))
}

/// `from + wait`, or about 30 years from now when that overflows (tokio's own
/// "far future"): a wait that long never ends within a run.
fn instant_after(from: Instant, wait: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    from.checked_add(wait.min(FAR))
        .unwrap_or_else(|| Instant::now() + FAR)
}

/// How close to a precise deadline the timer hands over to spinning: tokio's
/// timer wheel has a 1 ms granularity and rounds deadlines up.
const SPIN: Duration = Duration::from_millis(1);
/// At most this many tasks spin at once; others take the timer's precision.
const MAX_SPINNERS: usize = 4;
static SPINNERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How exactly a wait must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// The timer's own precision (about 1 ms late): polls, phase ends.
    Timer,
    /// Sub-millisecond: the timer wakes 1 ms early and the last stretch is
    /// spent yielding, for timed steps (parallel actions, phase starts).
    /// Never use it on a paused (virtual) clock: spinning measures real time.
    Precise,
}

/// Waits until the timeline reaches `offset`, following pauses, resumes and
/// skips published on `schedule`. Returns early if the sender is gone.
pub async fn sleep_until(
    schedule: &mut watch::Receiver<Schedule>,
    offset: Duration,
    precision: Precision,
) {
    loop {
        let current = *schedule.borrow_and_update();
        if current.is_paused() {
            if schedule.changed().await.is_err() {
                return;
            }
            continue;
        }
        let deadline = current.instant_of(offset);
        let wake = match precision {
            Precision::Timer => deadline,
            Precision::Precise => deadline.checked_sub(SPIN).unwrap_or(deadline),
        };
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {
                if precision == Precision::Precise {
                    spin_until(deadline).await;
                }
                return;
            }
            changed = schedule.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// Yields until `deadline` by the real clock, unless too many tasks spin already.
async fn spin_until(deadline: Instant) {
    use std::sync::atomic::Ordering;
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return;
    }
    if SPINNERS.fetch_add(1, Ordering::Relaxed) >= MAX_SPINNERS {
        SPINNERS.fetch_sub(1, Ordering::Relaxed);
        tokio::time::sleep_until(deadline).await;
        return;
    }
    let until = std::time::Instant::now() + remaining;
    while std::time::Instant::now() < until {
        tokio::task::yield_now().await;
    }
    SPINNERS.fetch_sub(1, Ordering::Relaxed);
}

/// Milliseconds of a duration, for events.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn offsets_advance_at_the_time_scale() {
        let schedule = Schedule::starting_now(60.0);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(schedule.offset(), Duration::from_secs(120));
        assert_eq!(
            schedule.instant_of(Duration::from_secs(600)) - schedule.start,
            Duration::from_secs(10)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_schedule_starting_at_an_offset_goes_on_from_it() {
        let schedule = Schedule::starting_at(60.0, Duration::from_secs(600));
        assert_eq!(schedule.offset(), Duration::from_secs(600));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(schedule.offset(), Duration::from_secs(720));
        assert_eq!(
            schedule.instant_of(Duration::from_secs(900)) - schedule.start,
            Duration::from_secs(5)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pausing_freezes_the_timeline_and_resuming_continues_it() {
        let mut schedule = Schedule::starting_now(1.0);
        tokio::time::advance(Duration::from_secs(5)).await;
        schedule.pause();
        tokio::time::advance(Duration::from_secs(100)).await;
        assert_eq!(schedule.offset(), Duration::from_secs(5));
        schedule.resume();
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(schedule.offset(), Duration::from_secs(6));
    }

    #[tokio::test(start_paused = true)]
    async fn skipping_jumps_forward_and_moves_later_deadlines_closer() {
        let mut schedule = Schedule::starting_now(1.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        schedule.skip_to(Duration::from_secs(60));
        assert_eq!(schedule.offset(), Duration::from_secs(60));
        assert_eq!(
            schedule.instant_of(Duration::from_secs(70)),
            Instant::now() + Duration::from_secs(10)
        );
        schedule.skip_to(Duration::from_secs(30));
        assert_eq!(
            schedule.offset(),
            Duration::from_secs(60),
            "never backwards"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleeping_task_follows_a_pause() {
        let (tx, mut rx) = watch::channel(Schedule::starting_now(1.0));
        let started = Instant::now();
        let sleeper = tokio::spawn(async move {
            sleep_until(&mut rx, Duration::from_secs(10), Precision::Timer).await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_secs(4)).await;
        tx.send_modify(Schedule::pause);
        tokio::time::sleep(Duration::from_secs(20)).await;
        tx.send_modify(Schedule::resume);
        let woke = sleeper.await.unwrap();
        assert_eq!(
            woke - started,
            Duration::from_secs(30),
            "10 s of timeline plus 20 s paused"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_speeds_saturate_instead_of_panicking() {
        // `Duration::div_f64` panics here (issue 13, finding 7).
        let crawl = Schedule::starting_now(1e-300);
        let far = crawl.instant_of(Duration::from_secs(1));
        assert!(far > Instant::now() + Duration::from_secs(86_400 * 365));
        assert_eq!(crawl.offset(), Duration::ZERO);
        assert!(deadline_after(Duration::from_secs(7200), 1e-300) > far - Duration::from_secs(1));
        let rush = Schedule::starting_now(1e308);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(rush.offset(), Duration::MAX);
        assert_eq!(rush.instant_of(Duration::from_secs(3600)), rush.start);
        assert_eq!(to_real(Duration::from_secs(1), 0.0), Duration::MAX);
        assert_eq!(to_scenario(Duration::from_secs(1), f64::NAN), Duration::MAX);
        assert_eq!(
            crawl.real_interval(Duration::from_secs(1), Duration::from_millis(5)),
            Duration::MAX
        );
    }

    #[test]
    fn real_intervals_scale_down_but_not_below_the_floor() {
        let schedule = Schedule {
            start: Instant::now(),
            speed: 3600.0,
            paused_real: Duration::ZERO,
            paused_at: None,
            skipped: Duration::ZERO,
        };
        assert_eq!(
            schedule.real_interval(Duration::from_secs(3600), Duration::from_millis(5)),
            Duration::from_secs(1)
        );
        assert_eq!(
            schedule.real_interval(Duration::from_secs(1), Duration::from_millis(5)),
            Duration::from_millis(5)
        );
    }
}
