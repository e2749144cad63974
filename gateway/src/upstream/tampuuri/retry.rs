//! Backoff for retrying safe Tampuuri calls: exponential with full jitter, so many
//! gateways (or many keys) retrying at once do not hit Tampuuri in step.

use std::time::Duration;

use rand::Rng;

/// How many retries and how long to wait between them.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The ceiling of the first wait; doubles per retry.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl RetryPolicy {
    /// `max_retries` retries, first wait up to 200 ms, never more than 2 s.
    pub fn new(max_retries: u32) -> Self {
        Self {
            max_retries,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(2),
        }
    }

    /// The wait before retry number `attempt` (0-based). A `Retry-After` from Tampuuri is
    /// honoured up to the cap.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let jittered = ceiling.mul_f64(rand::rng().random_range(0.0..=1.0));
        match retry_after {
            Some(wait) => wait.min(self.cap).max(jittered),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_growing_ceiling() {
        let p = RetryPolicy::new(3);
        for attempt in 0..6 {
            let ceiling = Duration::from_millis(200 * (1 << attempt)).min(p.cap);
            for _ in 0..50 {
                assert!(p.delay(attempt, None) <= ceiling);
            }
        }
    }

    #[test]
    fn honours_retry_after_up_to_the_cap() {
        let p = RetryPolicy::new(3);
        assert!(p.delay(0, Some(Duration::from_secs(1))) >= Duration::from_secs(1));
        assert_eq!(p.delay(0, Some(Duration::from_secs(60))), p.cap);
    }
}
