//! A circuit breaker per Tampuuri account: after `failures` consecutive calls that found
//! Tampuuri unavailable (5xx, 429, timeouts, no connection) the circuit opens and calls fail
//! at once, without reaching Tampuuri, for `open_for`. Then one call is let through as a
//! probe (half-open) and the calls that come meanwhile wait for its outcome: if Tampuuri
//! answers, the circuit closes and they go on; if not, it opens again for twice as long (at
//! most 8 × `open_for`) and they fail.
//!
//! While it is open, callers get [`UpstreamError::CircuitOpen`], which everything treats
//! like Tampuuri being down: feeds serve their last good data (stale-if-error), reports stay
//! in the outbox, API callers get `503` with `Retry-After`. An answer from Tampuuri of any
//! kind (a 404 too) shows it is up, and closes the circuit.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::error::UpstreamError;

/// The longest an open period grows to, as a multiple of `open_for`.
const MAX_BACKOFF: u32 = 8;

/// What the breaker is doing, as an admin sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls go through.
    Closed,
    /// Calls fail at once until the open period ends.
    Open,
    /// One probe call is on its way; others wait for its answer.
    HalfOpen,
}

/// The breaker's state and history, for the admin view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircuitView {
    /// Closed, open or half-open.
    pub state: CircuitState,
    /// Calls in a row that found Tampuuri unavailable.
    pub consecutive_failures: u32,
    /// Seconds until a probe is let through (open only).
    pub retry_in_secs: Option<u64>,
    /// How many times the circuit opened since the start.
    pub times_opened: u64,
    /// Why the last failing call failed (no URL, no data).
    pub last_failure: Option<String>,
}

#[derive(Debug)]
enum Phase {
    Closed,
    Open { until: Instant },
    HalfOpen,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    failures: u32,
    /// How many open periods in a row (for the growing wait).
    opened_in_a_row: u32,
    times_opened: u64,
    last_failure: Option<String>,
}

/// One account's breaker.
#[derive(Debug)]
pub struct Breaker {
    account: String,
    failures_to_open: u32,
    open_for: Duration,
    state: Mutex<State>,
    /// Woken when a probe's outcome is known.
    probe_done: Notify,
}

/// Leave to make one call; report its outcome with [`Breaker::record`]. A probe that is
/// dropped unreported (its caller went away) frees the half-open slot again.
#[must_use]
#[derive(Debug)]
pub struct Admission<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if self.probe && !self.reported {
            let mut state = self.breaker.lock();
            if matches!(state.phase, Phase::HalfOpen) {
                // Nobody learned anything: let the next call probe.
                state.phase = Phase::Open {
                    until: Instant::now(),
                };
            }
            drop(state);
            self.breaker.probe_done.notify_waiters();
        }
    }
}

impl Breaker {
    /// A closed breaker that opens after `failures_to_open` failures in a row for
    /// `open_for`.
    pub fn new(account: &str, failures_to_open: u32, open_for: Duration) -> Self {
        Self {
            account: account.to_owned(),
            failures_to_open: failures_to_open.max(1),
            open_for,
            state: Mutex::new(State {
                phase: Phase::Closed,
                failures: 0,
                opened_in_a_row: 0,
                times_opened: 0,
                last_failure: None,
            }),
            probe_done: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Leave for a call to `route`, or the refusal while the circuit is open. While a probe
    /// is on its way the call waits for its outcome (at most `wait`).
    pub async fn admit(
        &self,
        route: &'static str,
        wait: Duration,
    ) -> Result<Admission<'_>, UpstreamError> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.probe_done.notified();
            tokio::pin!(notified);
            {
                let mut state = self.lock();
                let now = Instant::now();
                match state.phase {
                    Phase::Closed => return Ok(self.admission(false)),
                    Phase::Open { until } if now < until => {
                        return Err(UpstreamError::CircuitOpen {
                            route,
                            retry_after: until - now,
                        });
                    }
                    Phase::Open { .. } => {
                        state.phase = Phase::HalfOpen;
                        tracing::info!(account = %self.account, route, "Tampuuri circuit half-open: probing");
                        return Ok(self.admission(true));
                    }
                    // Registered before the lock is let go: the probe's outcome cannot
                    // slip by unnoticed.
                    Phase::HalfOpen => notified.as_mut().enable(),
                };
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(UpstreamError::CircuitOpen {
                    route,
                    retry_after: Duration::from_secs(1),
                });
            }
        }
    }

    fn admission(&self, probe: bool) -> Admission<'_> {
        Admission {
            breaker: self,
            probe,
            reported: false,
        }
    }

    /// Records how the admitted call went: `Err` with an error that means Tampuuri is
    /// unavailable counts as a failure; any answer from Tampuuri as a success.
    pub fn record(&self, mut admission: Admission<'_>, outcome: Result<(), &UpstreamError>) {
        admission.reported = true;
        let failed = matches!(outcome, Err(e) if counts_as_down(e));
        self.update(failed, outcome.err());
        if admission.probe {
            self.probe_done.notify_waiters();
        }
    }

    fn update(&self, failed: bool, error: Option<&UpstreamError>) {
        let mut state = self.lock();
        if failed {
            state.failures = state.failures.saturating_add(1);
            state.last_failure = error.map(ToString::to_string);
            let reopen = matches!(state.phase, Phase::HalfOpen);
            if reopen || state.failures >= self.failures_to_open {
                if matches!(state.phase, Phase::Open { .. }) {
                    return;
                }
                state.opened_in_a_row = state.opened_in_a_row.saturating_add(1);
                let factor = 1u32 << (state.opened_in_a_row - 1).min(3);
                let wait = self.open_for * factor.min(MAX_BACKOFF);
                state.phase = Phase::Open {
                    until: Instant::now() + wait,
                };
                state.times_opened += 1;
                tracing::warn!(
                    account = %self.account,
                    failures = state.failures,
                    open_secs = wait.as_secs(),
                    last_failure = state.last_failure.as_deref().unwrap_or(""),
                    "Tampuuri circuit open: calls fail at once, cached data is served"
                );
            }
        } else {
            if !matches!(state.phase, Phase::Closed) || state.opened_in_a_row > 0 {
                tracing::info!(account = %self.account, "Tampuuri circuit closed: Tampuuri answers again");
            }
            state.phase = Phase::Closed;
            state.failures = 0;
            state.opened_in_a_row = 0;
        }
    }

    /// The state, for the admin view.
    pub fn view(&self) -> CircuitView {
        let state = self.lock();
        let now = Instant::now();
        let (circuit, retry_in_secs) = match state.phase {
            Phase::Closed => (CircuitState::Closed, None),
            Phase::Open { until } => (
                CircuitState::Open,
                Some(until.saturating_duration_since(now).as_secs()),
            ),
            Phase::HalfOpen => (CircuitState::HalfOpen, None),
        };
        CircuitView {
            state: circuit,
            consecutive_failures: state.failures,
            retry_in_secs,
            times_opened: state.times_opened,
            last_failure: state.last_failure.clone(),
        }
    }
}

/// Whether `e` says Tampuuri is down (as opposed to Tampuuri answering "no").
fn counts_as_down(e: &UpstreamError) -> bool {
    matches!(e, UpstreamError::Unavailable { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> UpstreamError {
        UpstreamError::Unavailable {
            route: "GET x",
            reason: "status 503".into(),
            retry_after: None,
        }
    }

    const WAIT: Duration = Duration::from_secs(5);

    async fn fail(b: &Breaker) {
        let a = b.admit("GET x", WAIT).await.unwrap();
        b.record(a, Err(&down()));
    }

    async fn succeed(b: &Breaker) {
        let a = b.admit("GET x", WAIT).await.unwrap();
        b.record(a, Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_and_refuses_without_calling() {
        let b = Breaker::new("acct", 3, Duration::from_secs(10));
        fail(&b).await;
        fail(&b).await;
        succeed(&b).await; // an answer resets the count
        fail(&b).await;
        fail(&b).await;
        assert_eq!(b.view().state, CircuitState::Closed);
        fail(&b).await;
        let view = b.view();
        assert_eq!(view.state, CircuitState::Open);
        assert_eq!(view.retry_in_secs, Some(10));
        assert_eq!(view.times_opened, 1);
        match b.admit("GET y", WAIT).await {
            Err(UpstreamError::CircuitOpen { retry_after, .. }) => {
                assert_eq!(retry_after, Duration::from_secs(10));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_of_any_kind_counts_as_up() {
        let b = Breaker::new("acct", 1, Duration::from_secs(10));
        let a = b.admit("GET x", WAIT).await.unwrap();
        b.record(a, Err(&UpstreamError::NotFound { route: "GET x" }));
        let a = b.admit("GET x", WAIT).await.unwrap();
        b.record(
            a,
            Err(&UpstreamError::Rejected {
                route: "GET x",
                status: 400,
            }),
        );
        assert_eq!(b.view().state, CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_lets_one_probe_through_the_others_wait_for_its_answer() {
        let b = std::sync::Arc::new(Breaker::new("acct", 1, Duration::from_secs(10)));
        fail(&b).await;
        tokio::time::advance(Duration::from_secs(10)).await;
        let probe = b.admit("GET x", WAIT).await.unwrap();
        assert_eq!(b.view().state, CircuitState::HalfOpen);
        let waiting = {
            let b = std::sync::Arc::clone(&b);
            tokio::spawn(async move { b.admit("GET y", WAIT).await.map(|a| a.probe) })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "a second call waits for the probe");
        b.record(probe, Ok(()));
        assert_eq!(waiting.await.unwrap().ok(), Some(false), "then goes on");
        assert_eq!(b.view().state, CircuitState::Closed);

        // A failed probe fails the waiting calls, and a probe that never answers makes
        // them give up after their wait.
        fail(&b).await;
        tokio::time::advance(Duration::from_secs(10)).await;
        let probe = b.admit("GET x", WAIT).await.unwrap();
        let waiting = {
            let b = std::sync::Arc::clone(&b);
            tokio::spawn(async move { b.admit("GET y", WAIT).await.map(|a| a.probe) })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.record(probe, Err(&down()));
        assert!(matches!(
            waiting.await.unwrap(),
            Err(UpstreamError::CircuitOpen { .. })
        ));
        tokio::time::advance(Duration::from_secs(20)).await;
        let _silent_probe = b.admit("GET x", WAIT).await.unwrap();
        let started = Instant::now();
        assert!(matches!(
            b.admit("GET y", WAIT).await,
            Err(UpstreamError::CircuitOpen { .. })
        ));
        assert_eq!(started.elapsed(), WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_again_for_longer_up_to_a_cap() {
        let b = Breaker::new("acct", 1, Duration::from_secs(10));
        fail(&b).await;
        let mut waits = Vec::new();
        for _ in 0..5 {
            let wait = b.view().retry_in_secs.unwrap();
            waits.push(wait);
            tokio::time::advance(Duration::from_secs(wait)).await;
            fail(&b).await;
        }
        assert_eq!(waits, vec![10, 20, 40, 80, 80]);
        assert_eq!(b.view().times_opened, 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_probe_frees_the_slot() {
        let b = Breaker::new("acct", 1, Duration::from_secs(10));
        fail(&b).await;
        tokio::time::advance(Duration::from_secs(10)).await;
        drop(b.admit("GET x", WAIT).await.unwrap());
        let probe = b.admit("GET x", WAIT).await.expect("the next call probes");
        b.record(probe, Ok(()));
        assert_eq!(b.view().state, CircuitState::Closed);
    }
}
