//! Fault switches: added latency, a share of random 500s, an outage (503) and a
//! deterministic number of failures for tests.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::data::rng::Rng;
use crate::error::ApiError;

/// The fault switches, as `GET/PUT /_sim/faults` carry them. Absent fields take their
/// defaults (all off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every API call.
    pub latency_ms: u64,
    /// Share (0–1) of API calls answered 500, drawn from a seeded generator.
    pub error_rate: f64,
    /// Every API call answers 503.
    pub outage: bool,
    /// The next this many API calls answer `fail_status`.
    pub fail_next: u32,
    /// The status of the `fail_next` failures.
    pub fail_status: u16,
    /// Held back from every API call's answer *after* the call has had its effect: the
    /// caller sees a slow or lost answer to a change that was made.
    pub response_delay_ms: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            error_rate: 0.0,
            outage: false,
            fail_next: 0,
            fail_status: 500,
            response_delay_ms: 0,
        }
    }
}

impl Faults {
    /// Why these switches are not acceptable, if they are not.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err("error_rate must be between 0 and 1".to_owned());
        }
        if !(400..=599).contains(&self.fail_status) {
            return Err("fail_status must be 400–599".to_owned());
        }
        if self.latency_ms > 600_000 {
            return Err("latency_ms must be at most 600000".to_owned());
        }
        if self.response_delay_ms > 600_000 {
            return Err("response_delay_ms must be at most 600000".to_owned());
        }
        Ok(())
    }
}

/// What the switches decided for one call.
pub(crate) struct Verdict {
    pub(crate) latency: Duration,
    pub(crate) failure: Option<ApiError>,
}

/// The live switches and the generator behind `error_rate`.
pub(crate) struct FaultSwitch {
    state: Mutex<(Faults, Rng)>,
}

impl FaultSwitch {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            state: Mutex::new((Faults::default(), Rng::new(seed))),
        }
    }

    pub(crate) fn get(&self) -> Faults {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    pub(crate) fn set(&self, faults: Faults) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0 = faults;
    }

    /// Decide the fate of one API call (and use up one `fail_next`).
    pub(crate) fn decide(&self) -> Verdict {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (faults, rng) = &mut *guard;
        let latency = Duration::from_millis(faults.latency_ms);
        let failure = if faults.outage {
            Some(ApiError::Status(
                StatusCode::SERVICE_UNAVAILABLE,
                "Palvelu ei ole käytettävissä".to_owned(),
            ))
        } else if faults.fail_next > 0 {
            faults.fail_next -= 1;
            let status = StatusCode::from_u16(faults.fail_status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(ApiError::Status(status, "Simuloitu virhe".to_owned()))
        } else if faults.error_rate > 0.0 && rng.chance(faults.error_rate) {
            Some(ApiError::Status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Simuloitu satunnainen virhe".to_owned(),
            ))
        } else {
            None
        };
        Verdict { latency, failure }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_counts_down() {
        let s = FaultSwitch::new(1);
        s.set(Faults {
            fail_next: 2,
            fail_status: 502,
            ..Faults::default()
        });
        let statuses: Vec<Option<u16>> = (0..3)
            .map(|_| s.decide().failure.map(|e| e.status().as_u16()))
            .collect();
        assert_eq!(statuses, vec![Some(502), Some(502), None]);
        assert_eq!(s.get().fail_next, 0);
    }

    #[test]
    fn error_rate_is_roughly_honoured() {
        let s = FaultSwitch::new(1);
        s.set(Faults {
            error_rate: 0.25,
            ..Faults::default()
        });
        let failures = (0..4000).filter(|_| s.decide().failure.is_some()).count();
        assert!((800..1200).contains(&failures), "{failures}");
    }

    #[test]
    fn validation() {
        assert!(Faults::default().validate().is_ok());
        let bad = Faults {
            error_rate: 1.5,
            ..Faults::default()
        };
        assert!(bad.validate().is_err());
    }
}
