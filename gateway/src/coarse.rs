//! A coarse clock: whole seconds since the process started, advanced once a second by the
//! gateway's clock task, so hot paths can stamp a use without reading the time, and a stamp
//! shared by many requests is written only when the second changed (polls do not fight over
//! its cache line).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// Seconds since start, as of the last [`CoarseClock::tick`].
#[derive(Debug)]
pub struct CoarseClock {
    started: Instant,
    secs: AtomicU32,
}

impl Default for CoarseClock {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            secs: AtomicU32::new(0),
        }
    }
}

impl CoarseClock {
    /// Reads the time and advances the clock to it; returns the new reading.
    pub fn tick(&self) -> u32 {
        let secs = u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX);
        self.secs.fetch_max(secs, Ordering::Relaxed);
        secs
    }

    /// The seconds of the last tick (no clock read).
    #[inline]
    pub fn now(&self) -> u32 {
        self.secs.load(Ordering::Relaxed)
    }
}

/// When something was last used, in a [`CoarseClock`]'s seconds.
#[derive(Debug, Default)]
pub struct LastUsed(AtomicU32);

impl LastUsed {
    /// Stamped `now`.
    pub fn at(now: u32) -> Self {
        Self(AtomicU32::new(now))
    }

    /// Seconds of the clock at the last use.
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Stamps a use at `now`; writes only when the second changed.
    #[inline]
    pub fn touch(&self, now: u32) {
        if self.0.load(Ordering::Relaxed) != now {
            self.0.store(now, Ordering::Relaxed);
        }
    }
}

impl Clone for LastUsed {
    fn clone(&self) -> Self {
        Self(AtomicU32::new(self.get()))
    }
}

/// Every stamp is equal: when something was used is not part of what it is.
impl PartialEq for LastUsed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LastUsed {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_follows_the_clock_and_never_goes_back() {
        let clock = CoarseClock::default();
        assert_eq!(clock.now(), 0);
        let used = LastUsed::at(clock.now());
        clock.secs.store(5, Ordering::Relaxed);
        used.touch(clock.now());
        assert_eq!(used.get(), 5);
        // A tick that reads an earlier second (it cannot, but a stored later value must
        // survive a racing tick) keeps the later one.
        assert_eq!(clock.tick(), 0);
        assert_eq!(clock.now(), 5);
        assert_eq!(used.clone().get(), 5);
        assert_eq!(
            LastUsed::at(1),
            LastUsed::at(9),
            "stamps do not tell values apart"
        );
    }
}
