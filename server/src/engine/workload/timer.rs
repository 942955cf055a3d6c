//! The generators' timer. The runtime's timer works in whole milliseconds and
//! ends a sleep 0–2 ms after its deadline, which is too coarse to send each
//! request within a millisecond of its due time at tens of thousands a second.
//! A generator on a thread of its own, on real time, sleeps on a Linux
//! `timerfd` instead: armed to the microsecond and woken through the runtime's
//! own poller, so a sleep ends some tens of microseconds after its deadline
//! (docs/workload.md, "Sending on time"). Anywhere else, and if the kernel
//! refuses a timerfd, it is the runtime's timer, which also follows virtual
//! time in tests.

use tokio::time::Instant;

/// Sleeps until deadlines, finely where it can.
pub(super) struct Timer {
    #[cfg(target_os = "linux")]
    fine: Option<fine::Fine>,
}

impl Timer {
    /// A timer on the runtime's clock; `fine` asks for a timerfd (real time
    /// only: virtual time does not move it). Must be made on the runtime that
    /// polls it.
    pub fn new(fine: bool) -> Self {
        #[cfg(target_os = "linux")]
        {
            Self {
                fine: fine.then(fine::Fine::new).and_then(Result::ok),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = fine;
            Self {}
        }
    }

    /// Whether sleeps end within microseconds of their deadline.
    #[cfg(test)]
    pub fn is_fine(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.fine.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// Returns at `deadline` or soon after.
    pub async fn sleep_until(&self, deadline: Instant) {
        #[cfg(target_os = "linux")]
        if let Some(fine) = &self.fine {
            if fine.sleep_until(deadline).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep_until(deadline).await;
    }
}

#[cfg(target_os = "linux")]
mod fine {
    use std::{io, os::fd::OwnedFd};

    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    use tokio::{
        io::{unix::AsyncFd, Interest},
        time::Instant,
    };

    /// A one-shot monotonic timerfd, registered with the runtime's poller.
    pub(super) struct Fine {
        fd: AsyncFd<OwnedFd>,
    }

    impl Fine {
        pub fn new() -> io::Result<Self> {
            let fd = timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )?;
            // SAFETY: the descriptor is an `OwnedFd` that the `AsyncFd` owns
            // from here until it is dropped, and nothing replaces it (there
            // is no `get_mut`), so it stays open and the same throughout.
            let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }?;
            Ok(Self { fd })
        }

        /// Arms the timer for `deadline` and waits for it. Arming again
        /// discards an expiry that a cancelled sleep left unread.
        pub async fn sleep_until(&self, deadline: Instant) -> io::Result<()> {
            let Some(wait) = deadline
                .checked_duration_since(Instant::now())
                .filter(|wait| !wait.is_zero())
            else {
                return Ok(());
            };
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let value = Itimerspec {
                it_interval: zero,
                it_value: Timespec::try_from(wait).map_err(io::Error::other)?,
            };
            timerfd_settime(self.fd.get_ref(), TimerfdTimerFlags::empty(), &value)?;
            loop {
                let mut ready = self.fd.readable().await?;
                // The expiry count: 8 bytes, or `EAGAIN` for a stale readiness.
                let mut count = [0u8; 8];
                match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut count)?)) {
                    Ok(read) => return read.map(|_| ()),
                    Err(_would_block) => continue,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_fine_timer_ends_its_sleeps_at_their_deadlines_not_before() {
        let timer = Timer::new(true);
        assert_eq!(timer.is_fine(), cfg!(target_os = "linux"));
        for micros in [300, 1_500, 0] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            timer.sleep_until(deadline).await;
            assert!(Instant::now() >= deadline, "{micros} µs");
        }
        // A sleep cancelled before its deadline leaves nothing that ends the next early.
        let cancelled = Instant::now() + Duration::from_millis(1);
        let _ =
            tokio::time::timeout(Duration::from_micros(100), timer.sleep_until(cancelled)).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
        let deadline = Instant::now() + Duration::from_millis(5);
        timer.sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_not_asked_to_be_fine_follows_virtual_time() {
        let timer = Timer::new(false);
        assert!(!timer.is_fine());
        let start = Instant::now();
        timer.sleep_until(start + Duration::from_secs(3600)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(3600));
    }
}
