//! `GET /metrics`: the series DESIGN.md "Operators" lists, kept in a
//! `metrics-exporter-prometheus` recorder and rendered as Prometheus text
//! (0.0.4).
//!
//! Two kinds of series: those counted on the request path ([`http`]:
//! handles registered once, then atomics), and those read at scrape time
//! from where the truth already is — the DbSupervisor's state as Readiness
//! publishes it, the pool's sessions, the totals of [`counters`], the
//! process's memory — so nothing else on a hot path changes. The recorder is
//! the process's own (not installed as the `metrics` global): [`install`] builds
//! it once, at startup, with the route templates the HTTP layer hands in
//! (so this module knows no route), and the caller passes the `&'static`
//! reference on: to the handler context and to the accept loop.
//!
//! Histogram samples wait in lock-free buckets until they are folded into
//! the histogram: at each scrape, and every [`UPKEEP`] by [`spawn_upkeep`],
//! so a daemon nobody scrapes does not grow.

pub mod counters;
pub mod http;

use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{Counter, Gauge, Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::domain::db_state::StateName;

/// Where the metrics come from, for the `metrics` API (not shown anywhere).
const META: Metadata<'static> = Metadata::new("taskflowd", Level::INFO, Some(module_path!()));

/// Latency buckets in seconds: from a `/health` poll (tens of µs) to the
/// connect timeout's order (a request waiting for a pool session).
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// How often histogram samples are folded in when nobody scrapes. Each
/// waiting sample is 8 bytes: at 50 000 requests a second (the /health
/// benchmark) one second of them is about 0.4 MiB.
pub const UPKEEP: Duration = Duration::from_secs(1);

/// The recorder and the handles of every series.
pub struct Registry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// The request series.
    pub requests: http::RequestSeries,
    db_state: Vec<(StateName, Gauge)>,
    db_connect_attempts: Counter,
    sessions_busy: Gauge,
    sessions_idle: Gauge,
    cache_hits: Counter,
    cache_misses: Counter,
    resident: Gauge,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The handles say nothing useful; the series are what /metrics shows.
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

/// What the scrape reads from the daemon's parts.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The DbSupervisor's current state.
    pub db_state: StateName,
    /// (busy, idle) server sessions of the pool; (0, 0) without a pool.
    pub sessions: (u32, u32),
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The process's registry, built by the first call with `routes` (the
/// documented route templates, the `route` label's values; later calls get
/// the same registry: one process, one set of series).
pub fn install(routes: Vec<&'static str>) -> &'static Registry {
    REGISTRY.get_or_init(|| Registry::new(routes))
}

/// When the process started, for `process_start_time_seconds`; taken on
/// first use, so `startup` calls [`install`] early.
static STARTED: LazyLock<f64> = LazyLock::new(|| {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
});

impl Registry {
    fn new(routes: Vec<&'static str>) -> Self {
        LazyLock::force(&STARTED);
        // `set_buckets` fails only for an empty list; without buckets the
        // latencies would be a summary, still scrapeable.
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_gauge(name.into(), unit, help.into());
        };
        describe(
            http::REQUESTS,
            None,
            "Requests answered, by method, route template and status.",
        );
        describe(
            http::DURATION,
            Some(Unit::Seconds),
            "Time from a request's arrival to its response, by method, route template and status.",
        );
        describe(
            "taskflow_db_state",
            None,
            "1 for the DbSupervisor's current state, 0 for the others.",
        );
        describe(
            "taskflow_db_connect_attempts_total",
            None,
            "Connection attempts to the team database since start (first, retries, reconnects).",
        );
        describe(
            "taskflow_db_sessions",
            None,
            "Server sessions the daemon's pool holds, busy or idle.",
        );
        describe(
            "taskflow_list_cache_hits_total",
            None,
            "Task and member lists and task pages answered from the in-daemon cache.",
        );
        describe(
            "taskflow_list_cache_misses_total",
            None,
            "Task and member lists and task pages read from the database.",
        );
        describe(
            "process_resident_memory_bytes",
            Some(Unit::Bytes),
            "Resident memory size in bytes.",
        );
        describe(
            "process_start_time_seconds",
            Some(Unit::Seconds),
            "Start time of the process since the Unix epoch in seconds.",
        );
        let gauge = |name: &'static str, labels: Vec<Label>| {
            recorder.register_gauge(&Key::from_parts(name, labels), &META)
        };
        let counter = |name: &'static str| recorder.register_counter(&Key::from_name(name), &META);
        let db_state = StateName::ALL
            .iter()
            .map(|s| {
                (
                    *s,
                    gauge("taskflow_db_state", vec![Label::new("state", s.as_str())]),
                )
            })
            .collect();
        gauge("process_start_time_seconds", Vec::new()).set(*STARTED);
        Registry {
            requests: http::RequestSeries::new(routes),
            db_state,
            db_connect_attempts: counter("taskflow_db_connect_attempts_total"),
            sessions_busy: gauge("taskflow_db_sessions", vec![Label::new("state", "busy")]),
            sessions_idle: gauge("taskflow_db_sessions", vec![Label::new("state", "idle")]),
            cache_hits: counter("taskflow_list_cache_hits_total"),
            cache_misses: counter("taskflow_list_cache_misses_total"),
            resident: gauge("process_resident_memory_bytes", Vec::new()),
            recorder,
            handle,
        }
    }

    /// The recorder, for the request series.
    pub fn recorder(&self) -> &PrometheusRecorder {
        &self.recorder
    }

    /// Sets the scrape-time series from `sample` and renders everything.
    pub fn render(&self, sample: Sample) -> String {
        for (state, gauge) in &self.db_state {
            gauge.set(if *state == sample.db_state { 1.0 } else { 0.0 });
        }
        let (attempts, hits, misses) = counters::totals();
        self.db_connect_attempts.absolute(attempts);
        self.cache_hits.absolute(hits);
        self.cache_misses.absolute(misses);
        self.sessions_busy.set(f64::from(sample.sessions.0));
        self.sessions_idle.set(f64::from(sample.sessions.1));
        if let Some(rss) = crate::platform::resident_memory_bytes() {
            // Exact below 2^53 bytes (8 PiB).
            #[allow(clippy::cast_precision_loss)]
            self.resident.set(rss as f64);
        }
        self.handle.render()
    }

    /// Folds waiting histogram samples in.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// Folds histogram samples in every [`UPKEEP`] until the runtime stops.
pub fn spawn_upkeep(registry: &'static Registry) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            registry.upkeep();
        }
    });
}
