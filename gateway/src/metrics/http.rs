//! Requests by route template, method and status, with their latency.
//!
//! One histogram per series; `rappu_http_requests_total` is encoded from the histograms'
//! counts at scrape time, so a request costs one observation, not a counter and an
//! observation. The feed lane's two common answers (`200`, `304` to `GET` of the feed) are
//! series resolved once at start: the busiest path never hashes a label or takes a lock.
//! Every other request looks its series up under a read lock (a write lock only the first
//! time a series appears). Labels are bounded: the route is the router's template (never
//! the path a caller sent), the method one of eight names, the status a number.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;

use super::histogram::{AtomicHistogram, REQUEST_BUCKETS};

/// The route label of requests no route matched (unknown paths, the web app's fallback).
pub const UNMATCHED: &str = "(unmatched)";
/// The route template of the display feed (the lane's route).
pub const FEED_ROUTE: &str = "/api/v1/display/feed";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    route: Arc<str>,
    method: &'static str,
    status: u16,
}

type Series = Arc<AtomicHistogram>;

/// The request metrics; shared by the envelope of every connection.
#[derive(Debug)]
pub struct HttpMetrics {
    series: RwLock<HashMap<SeriesKey, Series, foldhash::fast::RandomState>>,
    feed_ok: Series,
    feed_not_modified: Series,
}

/// A bounded name for `method`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let metrics = Self {
            series: RwLock::new(HashMap::default()),
            feed_ok: Arc::new(AtomicHistogram::new(&REQUEST_BUCKETS)),
            feed_not_modified: Arc::new(AtomicHistogram::new(&REQUEST_BUCKETS)),
        };
        {
            let mut series = metrics.write();
            for (status, s) in [(200, &metrics.feed_ok), (304, &metrics.feed_not_modified)] {
                series.insert(
                    SeriesKey {
                        route: Arc::from(FEED_ROUTE),
                        method: "GET",
                        status,
                    },
                    Arc::clone(s),
                );
            }
        }
        metrics
    }
}

impl HttpMetrics {
    fn write(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<SeriesKey, Series, foldhash::fast::RandomState>>
    {
        self.series.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a `GET` of the feed answered by the lane.
    #[inline]
    pub fn feed(&self, status: StatusCode, elapsed: Duration) {
        match status.as_u16() {
            200 => self.feed_ok.observe(elapsed),
            304 => self.feed_not_modified.observe(elapsed),
            other => self.record(FEED_ROUTE, "GET", other, elapsed),
        }
    }

    /// Records a request to `route` (a template) answered with `status`.
    pub fn request(
        &self,
        route: Option<&str>,
        method: &'static str,
        status: StatusCode,
        elapsed: Duration,
    ) {
        self.record(route.unwrap_or(UNMATCHED), method, status.as_u16(), elapsed);
    }

    fn record(&self, route: &str, method: &'static str, status: u16, elapsed: Duration) {
        let key = SeriesKey {
            route: Arc::from(route),
            method,
            status,
        };
        let found = self
            .series
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let series = match found {
            Some(series) => series,
            None => Arc::clone(
                self.write()
                    .entry(key)
                    .or_insert_with(|| Arc::new(AtomicHistogram::new(&REQUEST_BUCKETS))),
            ),
        };
        series.observe(elapsed);
    }

    /// Requests counted for `route`, `method` and `status` (tests and the console).
    pub fn count(&self, route: &str, method: &str, status: u16) -> u64 {
        self.series
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(k, _)| &*k.route == route && k.method == method && k.status == status)
            .map(|(_, s)| s.count())
            .sum()
    }

    fn snapshot(&self) -> Vec<(SeriesKey, Series)> {
        let mut all: Vec<_> = self
            .series
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, s)| (k.clone(), Arc::clone(s)))
            .collect();
        all.sort_by(|a, b| {
            (&a.0.route, a.0.method, a.0.status).cmp(&(&b.0.route, b.0.method, b.0.status))
        });
        all
    }
}

impl Collector for HttpMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let all = self.snapshot();
        let labels = |k: &SeriesKey| {
            [
                ("route", k.route.to_string()),
                ("method", k.method.to_owned()),
                ("status", k.status.to_string()),
            ]
        };
        {
            let mut family = encoder.encode_descriptor(
                "rappu_http_requests",
                "Requests answered, by route template, method and status.",
                None,
                MetricType::Counter,
            )?;
            for (key, series) in &all {
                let labels = labels(key);
                family
                    .encode_family(&labels)?
                    .encode_counter::<prometheus_client::encoding::NoLabelSet, _, u64>(
                        &series.count(),
                        None,
                    )?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "rappu_http_request_duration_seconds",
            "Time from a request's head to its answer, by route template, method and status.",
            None,
            MetricType::Histogram,
        )?;
        for (key, series) in &all {
            let labels = labels(key);
            series.encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
