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
