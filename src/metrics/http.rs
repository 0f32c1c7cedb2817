//! The request series: `taskflow_http_requests_total` and
//! `taskflow_http_request_duration_seconds`, labelled `method`, `route` (the
//! documented template, never the raw path) and `status`.
//!
//! Why a table: recording must take no lock on the request path (DESIGN.md
//! "Operators"). Looking a labelled series up in the recorder's registry
//! each time would take its shard lock, so the handles are kept here in a
//! fixed table indexed by (route, method, status), each registered the first
//! time it is used (the only time the registry is touched); after that a
//! request costs an atomic load, an atomic add and a lock-free histogram
//! push. The label sets are fixed by the document's routes, [`METHODS`] and
//! [`STATUSES`], so the cardinality is bounded whatever clients send: an
//! undocumented path is `route="unmatched"`, an unusual method
//! `method="other"`, a code outside the list `status="other"`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Counter, Histogram, Key, Label, Recorder};
use metrics_exporter_prometheus::PrometheusRecorder;
use warp::http::{Method, StatusCode};

/// Series names.
pub const REQUESTS: &str = "taskflow_http_requests_total";
/// Series name of the latency histogram.
pub const DURATION: &str = "taskflow_http_request_duration_seconds";

/// The `route` of a path no documented template matches.
pub const UNMATCHED: &str = "unmatched";

/// Methods with their own label; any other is `other`.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
];

/// Every status RFC 9110 (and 6585) defines that a server answers with;
/// anything else is `other`.
const STATUSES: &[u16] = &[
    100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308, 400, 401, 402,
    403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 428,
    429, 431, 451, 500, 501, 502, 503, 504, 505, 511,
];

/// A (route, method)'s series, one per status (+ `other`), made on first use.
type StatusRow = Box<[OnceLock<Series>]>;

struct Series {
    count: Counter,
    seconds: Histogram,
}

/// The table: `routes + 1` (unmatched) × `METHODS + 1` (other) rows, each
/// allocated when its (route, method) first serves.
pub struct RequestSeries {
    routes: Vec<&'static str>,
    rows: Box<[OnceLock<StatusRow>]>,
}

impl RequestSeries {
    /// One row per documented route (as `crate::http::allow` lists them).
    pub fn new(routes: Vec<&'static str>) -> Self {
        let rows = (0..(routes.len() + 1) * (METHODS.len() + 1))
            .map(|_| OnceLock::new())
            .collect();
        Self { routes, rows }
    }

    /// Counts one answered request. `route` is an index into the routes
    /// given to [`Self::new`] (`None`: unmatched).
    pub fn observe(
        &self,
        recorder: &PrometheusRecorder,
        route: Option<usize>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let route = route.filter(|r| *r < self.routes.len());
        let r = route.unwrap_or(self.routes.len());
        let m = METHODS
            .iter()
            .position(|k| k == method)
            .unwrap_or(METHODS.len());
        let s = STATUSES
            .binary_search(&status.as_u16())
            .unwrap_or(STATUSES.len());
        let Some(row) = self.rows.get(r * (METHODS.len() + 1) + m) else {
            return;
        };
        let row = row.get_or_init(|| (0..=STATUSES.len()).map(|_| OnceLock::new()).collect());
        let Some(slot) = row.get(s) else {
            return;
        };
        let series = slot.get_or_init(|| {
            let route = route.map_or(UNMATCHED, |r| self.routes[r]);
            let method = METHODS.get(m).map_or("other", Method::as_str);
            let status = STATUSES
                .get(s)
                .map_or_else(|| "other".to_owned(), u16::to_string);
            let labels = || {
                vec![
                    Label::new("method", method),
                    Label::new("route", route),
                    Label::new("status", status.clone()),
                ]
            };
            Series {
                count: recorder
                    .register_counter(&Key::from_parts(REQUESTS, labels()), &super::META),
                seconds: recorder
                    .register_histogram(&Key::from_parts(DURATION, labels()), &super::META),
            }
        });
        series.count.increment(1);
        series.seconds.record(elapsed.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_sorted_for_the_binary_search() {
        assert!(STATUSES.windows(2).all(|w| w[0] < w[1]));
    }
}
