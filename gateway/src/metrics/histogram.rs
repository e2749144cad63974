//! A latency histogram recorded with atomics only.
//!
//! `prometheus-client`'s own `Histogram` takes a mutex on every observation; the display
//! feed is answered in a few microseconds on every core, so a request must not queue on a
//! lock to be counted. Here an observation is a bucket search over integers and two relaxed
//! atomic adds (its bucket, the sum in nanoseconds); the count is the buckets' sum, added
//! up when scraped. The scrape reads them without stopping writers (it may see a bucket one
//! ahead of the sum, which Prometheus tolerates as it does for every client library).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds of the request-latency buckets, seconds: a cached feed is answered in tens
/// of microseconds, an upstream call in tens of milliseconds, a slow one in seconds.
pub const REQUEST_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Upper bounds of the upstream-call buckets, seconds.
pub const UPSTREAM_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A histogram of durations with fixed buckets.
#[derive(Debug)]
pub struct AtomicHistogram {
    bounds_secs: &'static [f64],
    bounds_nanos: Box<[u64]>,
    /// One more than the bounds: the last is `+Inf`. Their sum is the count (one atomic
    /// add fewer per request than a count of its own).
    buckets: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl AtomicHistogram {
    /// A histogram with the given upper bounds (seconds, ascending).
    pub fn new(bounds_secs: &'static [f64]) -> Self {
        Self {
            bounds_secs,
            bounds_nanos: bounds_secs.iter().map(|s| (s * 1e9) as u64).collect(),
            buckets: (0..=bounds_secs.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one duration.
    #[inline]
    pub fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let index = self
            .bounds_nanos
            .iter()
            .position(|&bound| nanos <= bound)
            .unwrap_or(self.bounds_nanos.len());
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Sum of the observations, seconds.
    pub fn sum_secs(&self) -> f64 {
        self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// Non-cumulative `(upper bound, count)` pairs, `+Inf` last.
    pub fn buckets(&self) -> Vec<(f64, u64)> {
        self.bounds_secs
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.buckets.iter().map(|b| b.load(Ordering::Relaxed)))
            .collect()
    }

    /// The smallest bucket bound below which at least `q` (0–1) of the observations fall;
    /// `None` without observations. (What the console shows as p50/p95.)
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        let buckets = self.buckets();
        let total: u64 = buckets.iter().map(|(_, n)| n).sum();
        if total == 0 {
            return None;
        }
        let wanted = (total as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (bound, n) in buckets {
            seen += n;
            if seen >= wanted {
                return Some(bound);
            }
        }
        None
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets = self.buckets();
        let count = buckets.iter().map(|(_, n)| n).sum();
        encoder.encode_histogram::<NoLabelSet>(self.sum_secs(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let h = AtomicHistogram::new(&[0.001, 0.01]);
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(1));
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_secs(3));
        assert_eq!(h.buckets(), vec![(0.001, 2), (0.01, 1), (f64::INFINITY, 1)]);
        assert_eq!(h.count(), 4);
        assert!((h.sum_secs() - 3.0065).abs() < 1e-9);
        assert_eq!(h.quantile_bound(0.5), Some(0.001));
        assert_eq!(h.quantile_bound(0.75), Some(0.01));
        assert_eq!(h.quantile_bound(1.0), Some(f64::INFINITY));
    }
}
