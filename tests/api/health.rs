//! `GET /health`: the readiness contract the desktop shell polls.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestDaemon, pg};

#[tokio::test]
async fn unconfigured_daemon_is_unhealthy_with_the_contract_reason() {
    let daemon = TestDaemon::start().await;

    let r = daemon.get("/health").await;

    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.content_type(), Some("application/json"));
    assert_eq!(
        r.body,
        json!({
            "status": "unhealthy",
            "error": "Database connection is not configured. Save connection settings first."
        })
    );
}

#[tokio::test]
async fn health_is_not_under_api_v1() {
    let daemon = TestDaemon::start().await;

    let r = daemon.get("/api/v1/health").await;

    assert_eq!(r.error_message(StatusCode::NOT_FOUND), "Not Found");
    assert_eq!(r.body, json!({"error": "Not Found"}));
}

#[tokio::test]
async fn saved_connection_makes_the_daemon_healthy() {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::start().await;

    let r = daemon.save_connection(&db).await;
    assert_eq!(r.status, StatusCode::OK, "save-connection status");
    assert_eq!(r.body, json!({"status": "saved"}));

    let r = daemon.wait_until_healthy(Duration::from_secs(30)).await;
    assert_eq!(r.content_type(), Some("application/json"));
    assert_eq!(r.body, json!({"status": "healthy"}));
    assert!(
        !daemon.logs().contains(&db.password),
        "the daemon's log contains the password"
    );
}

#[tokio::test]
async fn database_url_fallback_with_hostile_password_makes_the_daemon_healthy() {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DATABASE_URL", &db.url)
        .secret(&db.password)
        .secret(&db.url)
        .start()
        .await;

    let r = daemon.wait_until_healthy(Duration::from_secs(30)).await;
    assert_eq!(r.body, json!({"status": "healthy"}));
    let logs = daemon.logs();
    assert!(
        !logs.contains(&db.password) && !logs.contains(&db.url),
        "the daemon's log contains the password"
    );
}

#[tokio::test]
async fn sigterm_exits_zero() {
    let daemon = TestDaemon::start().await;

    let status = daemon.terminate().await;

    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status}"
    );
}

/// `/health/live` is what a desktop shell waits on before it opens its window:
/// 200 on a first run with nothing configured (while `/health` is 503), with
/// no token even when one is configured, but behind the Host guard.
#[tokio::test]
async fn live_is_200_on_a_daemon_with_nothing_configured() {
    let token = "tok-live-5e6f7a8b9c0d";
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;

    let r = daemon.get("/health/live").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), Some("application/json"));
    assert_eq!(r.text, r#"{"status":"alive"}"#);
    let r = daemon.get("/health").await;
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "nothing configured"
    );

    let r = daemon
        .send(
            daemon
                .request(reqwest::Method::GET, "/health/live")
                .header("host", "evil.example"),
        )
        .await;
    assert_eq!(r.error_message(StatusCode::FORBIDDEN), "Forbidden host");

    let r = daemon.post_json("/health/live", &json!({})).await;
    assert_eq!(
        r.error_message(StatusCode::METHOD_NOT_ALLOWED),
        "Method Not Allowed"
    );
    assert_eq!(r.headers.get("allow").unwrap(), "GET");
    let r = daemon.get("/health/live/x").await;
    assert_eq!(r.error_message(StatusCode::NOT_FOUND), "Not Found");
}

/// Whatever the database: one that accepts and never answers keeps `/health`
/// at 503 while `/health/live` answers at once.
#[tokio::test]
async fn live_is_200_while_the_database_hangs() {
    let hole = crate::helpers::net::Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env(
            "TASKFLOW_DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{}/d", hole.port()),
        )
        .start()
        .await;
    hole.wait_accepted(1, Duration::from_secs(10)).await;

    let started = std::time::Instant::now();
    let r = daemon.get("/health/live").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"status": "alive"}));
    assert!(started.elapsed() < Duration::from_secs(2));
    let r = daemon.get("/health").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}
