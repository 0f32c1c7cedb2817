//! `GET /metrics` (DESIGN.md "Operators"): Prometheus text under the
//! `/api/v1` rules, requests counted by route template (never a raw path),
//! and the database state following the real database.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

use crate::helpers::pg::PgCluster;
use crate::helpers::{TestDaemon, pg};

/// Every series DESIGN.md names.
const SERIES: [&str; 9] = [
    "taskflow_http_requests_total",
    "taskflow_http_request_duration_seconds",
    "taskflow_db_state",
    "taskflow_db_connect_attempts_total",
    "taskflow_db_sessions",
    "taskflow_list_cache_hits_total",
    "taskflow_list_cache_misses_total",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
];

/// The value of the sample written exactly `name{labels}` (or `name` alone).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

async fn scrape(d: &TestDaemon) -> String {
    let r = d.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.content_type(), Some("text/plain; version=0.0.4"));
    r.text
}

#[tokio::test]
async fn requests_are_counted_by_route_template_never_by_raw_path() {
    let d = TestDaemon::start().await;
    let id = "6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f";
    for _ in 0..3 {
        // Not configured: 503, whatever the id.
        let r = d.get(&format!("/api/v1/tasks/{id}")).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(
        d.get("/api/v1/tasks/not-a-uuid").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(d.get("/nope/12345").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        d.send(d.request(Method::PUT, "/health")).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let text = scrape(&d).await;

    let tasks = r#"method="GET",route="/api/v1/tasks/{task_id}""#;
    assert_eq!(
        sample(
            &text,
            &format!(r#"taskflow_http_requests_total{{{tasks},status="503"}}"#)
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(r#"taskflow_http_requests_total{{{tasks},status="400"}}"#)
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!(r#"taskflow_http_request_duration_seconds_count{{{tasks},status="503"}}"#)
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                r#"taskflow_http_request_duration_seconds_bucket{{{tasks},status="503",le="+Inf"}}"#
            )
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"taskflow_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"taskflow_http_requests_total{method="PUT",route="/health",status="405"}"#
        ),
        Some(1.0)
    );
    // No raw path, no id: the label set stays fixed whatever clients send.
    for raw in [id, "not-a-uuid", "/nope", "12345"] {
        assert!(!text.contains(raw), "{raw} is in the metrics");
    }
    for series in SERIES {
        assert!(text.contains(&format!("# TYPE {series} ")), "{series}");
    }
    assert!(text.contains("# TYPE taskflow_http_request_duration_seconds histogram"));
    assert_eq!(
        sample(&text, r#"taskflow_db_state{state="unconfigured"}"#),
        Some(1.0)
    );
    assert!(sample(&text, "process_resident_memory_bytes").unwrap() > 1e6);
    let started = sample(&text, "process_start_time_seconds").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        started <= now && started > now - 120.0,
        "{started} vs {now}"
    );
    // The scrape itself is counted at the next one.
    let again = scrape(&d).await;
    assert_eq!(
        sample(
            &again,
            r#"taskflow_http_requests_total{method="GET",route="/metrics",status="200"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn metrics_need_the_token_and_an_allowed_host_like_api_v1() {
    let token = "tok-metrics-8e7d6c5b4a";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    let r = d.get("/metrics").await;
    assert_eq!(r.error_message(StatusCode::UNAUTHORIZED), "Unauthorized");
    // Before the method, as under /api/v1: no method list without the token.
    let r = d.send(d.request(Method::POST, "/metrics")).await;
    assert_eq!(r.error_message(StatusCode::UNAUTHORIZED), "Unauthorized");
    let r = d
        .send(d.request(Method::POST, "/metrics").bearer_auth(token))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers.get("allow").unwrap(), "GET");
    let r = d
        .send(
            d.request(Method::GET, "/metrics")
                .bearer_auth(token)
                .header("host", "evil.example"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .send(d.request(Method::GET, "/metrics").bearer_auth(token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains(token));
}

/// Polls `/metrics` until `series` has `value`.
async fn wait_for(d: &TestDaemon, series: &str, value: f64, within: Duration) -> String {
    let until = Instant::now() + within;
    loop {
        let text = scrape(d).await;
        if sample(&text, series) == Some(value) {
            return text;
        }
        assert!(
            Instant::now() < until,
            "{series} is not {value} after {within:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn db_state_is_ready_then_reconnecting_while_the_database_is_down() {
    let cluster = PgCluster::start();
    let db = cluster.create_database().await;
    let d = TestDaemon::start().await;
    assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
    d.wait_until_healthy(Duration::from_secs(10)).await;

    let ready = r#"taskflow_db_state{state="ready"}"#;
    let reconnecting = r#"taskflow_db_state{state="reconnecting"}"#;
    let text = wait_for(&d, ready, 1.0, Duration::from_secs(5)).await;
    for state in [
        "unconfigured",
        "connecting",
        "migrating",
        "reconnecting",
        "failed",
    ] {
        assert_eq!(
            sample(&text, &format!(r#"taskflow_db_state{{state="{state}"}}"#)),
            Some(0.0),
            "{state}"
        );
    }
    let attempts = sample(&text, "taskflow_db_connect_attempts_total").unwrap();
    assert!(attempts >= 1.0, "{text}");
    let busy = sample(&text, r#"taskflow_db_sessions{state="busy"}"#).unwrap();
    let idle = sample(&text, r#"taskflow_db_sessions{state="idle"}"#).unwrap();
    // The liveness ping's session, at least; at most the pool's size (1).
    assert_eq!(busy + idle, 1.0, "{busy} + {idle}");

    cluster.stop();
    // Ping interval 300 ms + connect timeout 2 s + slack (lifecycle.rs).
    let text = wait_for(&d, reconnecting, 1.0, Duration::from_secs(8)).await;
    assert_eq!(sample(&text, ready), Some(0.0));
    assert_eq!(
        sample(&text, r#"taskflow_db_sessions{state="idle"}"#),
        Some(0.0)
    );
    // Reconnect attempts are counted while it is down.
    let text = wait_for_more(&d, attempts + 2.0, Duration::from_secs(5)).await;
    assert_eq!(sample(&text, reconnecting), Some(1.0));

    cluster.start_again();
    wait_for(&d, ready, 1.0, Duration::from_secs(8)).await;
    assert!(!d.logs().contains(&db.password));
}

/// Polls until at least `n` connection attempts were counted.
async fn wait_for_more(d: &TestDaemon, n: f64, within: Duration) -> String {
    let until = Instant::now() + within;
    loop {
        let text = scrape(d).await;
        if sample(&text, "taskflow_db_connect_attempts_total").is_some_and(|a| a >= n) {
            return text;
        }
        assert!(Instant::now() < until, "fewer than {n} attempts:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn list_cache_hits_and_misses_are_counted() {
    let db = pg::shared().create_database().await;
    let d = TestDaemon::start().await;
    assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
    d.wait_until_healthy(Duration::from_secs(10)).await;
    let before = scrape(&d).await;
    let hits = sample(&before, "taskflow_list_cache_hits_total").unwrap();
    let misses = sample(&before, "taskflow_list_cache_misses_total").unwrap();
    for _ in 0..3 {
        assert_eq!(d.get("/api/v1/members").await.status, StatusCode::OK);
    }
    let after = scrape(&d).await;
    // The first list reads the database; the next two are served from the cache.
    assert_eq!(
        sample(&after, "taskflow_list_cache_misses_total").unwrap(),
        misses + 1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, "taskflow_list_cache_hits_total").unwrap(),
        hits + 2.0
    );
}
