//! Every error, from any route, is `{"error": "<message>"}` with the right status.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestDaemon;

const SAVE: &str = "/api/v1/settings/save-connection";

#[tokio::test]
async fn unknown_path_is_404() {
    let daemon = TestDaemon::start().await;

    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/settings/status",
        "/health/extra",
    ] {
        let r = daemon.get(path).await;
        assert_eq!(
            r.error_message(StatusCode::NOT_FOUND),
            "Not Found",
            "{path}"
        );
        assert_eq!(r.body, json!({"error": "Not Found"}), "{path}");
    }
}

#[tokio::test]
async fn wrong_method_is_405() {
    let daemon = TestDaemon::start().await;

    for (method, path) in [
        (Method::DELETE, "/health"),
        (Method::POST, "/health"),
        (Method::GET, SAVE),
        (Method::PUT, SAVE),
    ] {
        let r = daemon.send(daemon.request(method.clone(), path)).await;
        assert_eq!(
            r.error_message(StatusCode::METHOD_NOT_ALLOWED),
            "Method Not Allowed",
            "{method} {path}"
        );
        assert_eq!(
            r.body,
            json!({"error": "Method Not Allowed"}),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_400() {
    let daemon = TestDaemon::start().await;

    for body in ["{", "{\"host\": }", "not json", "[1, 2"] {
        let r = daemon.post_raw(SAVE, "application/json", body).await;
        let msg = r.error_message(StatusCode::BAD_REQUEST);
        assert!(
            msg.starts_with("Invalid JSON body: "),
            "message starts with `Invalid JSON body: `: {msg}"
        );
    }
}

#[tokio::test]
async fn body_over_64_kib_is_413() {
    let daemon = TestDaemon::start().await;
    // A well-formed JSON object of exactly 64 KiB + 1 bytes.
    let prefix = "{\"host\":\"";
    let suffix = "\"}";
    let filler = "a".repeat(64 * 1024 + 1 - prefix.len() - suffix.len());
    let body = format!("{prefix}{filler}{suffix}");
    assert_eq!(body.len(), 64 * 1024 + 1);

    let r = daemon.post_raw(SAVE, "application/json", body).await;

    r.error_message(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        !daemon.config_dir().join("db_credentials.enc").exists(),
        "nothing written"
    );
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let daemon = TestDaemon::start().await;
    let body = json!({
        "host": "127.0.0.1", "port": 5432, "database": "d", "username": "u", "password": "p"
    })
    .to_string();

    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        let r = daemon.post_raw(SAVE, content_type, body.clone()).await;
        r.error_message(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    assert!(
        !daemon.config_dir().join("db_credentials.enc").exists(),
        "nothing written"
    );
}
