//! Local-daemon defences: Host (DNS rebinding), Origin (cross-site), CORS,
//! the optional bearer token, and the bind policy. Each is checked on the
//! real daemon over real HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestDaemon;

const STATUS: &str = "/api/v1/settings/status";

/// Sends a raw HTTP/1.1 request (so the Host header can be omitted or mangled
/// in ways a client library refuses) and returns the status line's code and body.
fn raw(port: u16, head: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (code, body)
}

#[tokio::test]
async fn foreign_host_headers_are_403_on_every_route() {
    let d = TestDaemon::start().await;
    let port = d.port();
    for host in [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        format!("localhost.attacker.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!(":{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        "localhost".to_owned(),
    ] {
        for path in ["/health", STATUS, "/nope"] {
            let r = d
                .send(d.request(Method::GET, path).header("host", host.as_str()))
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{host} {path}");
            assert_eq!(r.body, json!({"error": "Forbidden host"}), "{host} {path}");
        }
    }
}

#[tokio::test]
async fn missing_or_empty_host_is_403() {
    let d = TestDaemon::start().await;
    let (code, body) = raw(
        d.port(),
        "GET /health HTTP/1.0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        (code, body.as_str()),
        (403, r#"{"error":"Forbidden host"}"#)
    );
    let (code, body) = raw(
        d.port(),
        "GET /health HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 403, "{body}");
}

#[tokio::test]
async fn loopback_names_with_the_port_are_accepted() {
    let d = TestDaemon::start().await;
    let port = d.port();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("LOCALHOST:{port}"),
    ] {
        let r = d
            .send(
                d.request(Method::GET, "/health")
                    .header("host", host.as_str()),
            )
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{host}");
    }
}

#[tokio::test]
async fn configured_host_names_are_accepted() {
    let d = TestDaemon::builder()
        .env("TASKFLOW_ALLOWED_HOSTS", "taskflow.internal")
        .start()
        .await;
    let host = format!("taskflow.internal:{}", d.port());
    let r = d
        .send(
            d.request(Method::GET, "/health")
                .header("host", host.as_str()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn foreign_origins_are_403_and_get_no_cors_headers() {
    let d = TestDaemon::start().await;
    let port = d.port();
    for origin in [
        "http://evil.example".to_owned(),
        "null".to_owned(),
        format!("http://localhost.evil.example:{port}"),
        format!("https://localhost:{port}"),
        "http://localhosté".to_owned(),
        "http://127.0.0.2:8080".to_owned(),
        "http://[::2]:8080".to_owned(),
        "http://localhost:0".to_owned(),
        "http://localhost:8080.evil.example".to_owned(),
        "http://localhost@evil.example".to_owned(),
        "*".to_owned(),
    ] {
        let r = d
            .send(
                d.request(Method::GET, "/health")
                    .header("origin", origin.as_str()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(r.body, json!({"error": "Forbidden origin"}), "{origin}");
        assert!(r.headers.get("access-control-allow-origin").is_none());
        // A cross-site form post never reaches the handler either.
        let r = d
            .send(
                d.request(Method::POST, "/api/v1/settings/save-connection")
                    .header("origin", origin.as_str())
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
    }
    // Nothing but what the daemon itself keeps there while it runs.
    let written: Vec<String> = std::fs::read_dir(d.config_dir())
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "taskflowd.json" && n != ".taskflowd-instance.lock")
                .collect()
        })
        .unwrap_or_default();
    assert!(written.is_empty(), "{written:?}");
}

#[tokio::test]
async fn allowed_origins_get_their_own_origin_echoed_and_preflights_answered() {
    let d = TestDaemon::builder()
        .env("TASKFLOW_ALLOWED_ORIGINS", "app://taskflow")
        .start()
        .await;
    let port = d.port();
    for origin in [
        format!("http://localhost:{port}"),
        "http://127.0.0.1".to_owned(),
        "app://taskflow".to_owned(),
    ] {
        let r = d
            .send(
                d.request(Method::GET, "/health")
                    .header("origin", origin.as_str()),
            )
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{origin}");
        assert_eq!(
            r.headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(origin.as_str())
        );
        let r = d
            .send(
                d.request(Method::OPTIONS, "/api/v1/settings/save-connection")
                    .header("origin", origin.as_str())
                    .header("access-control-request-method", "POST"),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{origin}");
        assert_eq!(
            r.headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(origin.as_str())
        );
        assert!(r.headers.get("access-control-allow-credentials").is_none());
    }
}

#[tokio::test]
async fn without_origin_requests_pass_and_no_cors_header_is_sent() {
    let d = TestDaemon::start().await;
    let r = d.get("/health").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn content_type_must_be_exactly_json() {
    let d = TestDaemon::start().await;
    for ct in [
        "text/plain",
        "text/plain; application/json",
        "application/jsonp",
        "multipart/form-data; boundary=x",
    ] {
        let r = d
            .post_raw("/api/v1/settings/save-connection", ct, "{}")
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert!(
            r.error_message(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .starts_with("Unsupported Media Type")
        );
    }
    let r = d
        .send(
            d.request(Method::POST, "/api/v1/settings/save-connection")
                .body("{}"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "missing content type"
    );
    let r = d
        .post_raw(
            "/api/v1/settings/save-connection",
            "Application/JSON; charset=utf-8",
            "{}",
        )
        .await;
    assert_eq!(r.body, json!({"error": "host: is required"}));
}

#[tokio::test]
async fn api_token_protects_api_v1_but_not_health() {
    let token = "tok-3f9a8b7c6d5e4f30";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer "),
        Some(token),
        Some("Basic dG9rOg=="),
    ] {
        let mut rb = d.request(Method::GET, STATUS);
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        let r = d.send(rb).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(r.body, json!({"error": "Unauthorized"}));
    }
    let r = d
        .send(
            d.request(Method::GET, STATUS)
                .header("authorization", format!("Bearer {token}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = d.get("/health").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!d.logs().contains(token), "token in the log");
}

#[cfg(unix)]
#[tokio::test]
async fn api_token_file_must_be_owner_only() {
    if crate::helpers::wine::skip_on_windows_run("Unix file modes (Wine keeps no DACLs)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "file-token-5a4b3c2d\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN_FILE", file.as_os_str())
        .spawn();
    let status = d
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("daemon refuses a 0644 token file");
    assert_eq!(
        status.code(),
        Some(2),
        "a bad token file is a configuration error"
    );
    assert!(d.stderr().contains("chmod 600"), "{}", d.stderr());

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN_FILE", file.as_os_str())
        .secret("file-token-5a4b3c2d")
        .start()
        .await;
    let r = d
        .send(
            d.request(Method::GET, STATUS)
                .header("authorization", "Bearer file-token-5a4b3c2d"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(d.get(STATUS).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn non_loopback_bind_needs_opt_in_and_token() {
    for extra in [vec![], vec![("TASKFLOW_ALLOW_REMOTE", "true")]] {
        let mut b = TestDaemon::builder().env("TASKFLOW_HOST", "0.0.0.0");
        for (k, v) in &extra {
            b = b.env(k, *v);
        }
        let d = b.spawn();
        let status = d
            .wait_exit(Duration::from_secs(10))
            .await
            .expect("refused at start");
        assert_eq!(status.code(), Some(2), "{extra:?}");
        assert!(
            d.stderr().contains("TASKFLOW_ALLOW_REMOTE"),
            "{}",
            d.stderr()
        );
        assert!(!d.stderr().contains("panicked"));
    }
}

/// The UI's development server runs on its own port (vite 8080, 5173, …):
/// loopback origins on any port are allowed, with the origin echoed, `Vary:
/// Origin`, and a preflight a browser accepts for the API's methods and the
/// `authorization` / `content-type` headers.
#[tokio::test]
async fn loopback_origins_on_any_port_get_cors_a_browser_accepts() {
    let d = TestDaemon::start().await;
    for origin in [
        "http://localhost:8080",
        "http://localhost:5173",
        "http://127.0.0.1:3000",
        "http://[::1]:8080",
        "http://[::1]",
        "http://localhost",
    ] {
        let r = d
            .send(d.request(Method::GET, STATUS).header("origin", origin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{origin}");
        assert_eq!(r.headers["access-control-allow-origin"], origin);
        assert_eq!(r.headers["vary"], "Origin");

        let r = d
            .send(
                d.request(
                    Method::OPTIONS,
                    "/api/v1/members/67e55044-10b1-426f-9247-bb680e5fe0c8",
                )
                .header("origin", origin)
                .header("access-control-request-method", "PATCH")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{origin}");
        assert_eq!(r.headers["access-control-allow-origin"], origin);
        assert_eq!(r.headers["vary"], "Origin");
        assert_eq!(
            r.headers["access-control-allow-methods"],
            "GET, PATCH, DELETE"
        );
        let headers = r.headers["access-control-allow-headers"].to_str().unwrap();
        for h in ["authorization", "content-type"] {
            assert!(headers.contains(h), "{headers}");
        }
        for (name, value) in &r.headers {
            assert_ne!(value, "*", "{name} is a wildcard");
        }
        assert!(r.headers.get("access-control-allow-credentials").is_none());

        let r = d
            .send(
                d.request(Method::OPTIONS, "/api/v1/members")
                    .header("origin", origin)
                    .header("access-control-request-method", "POST"),
            )
            .await;
        assert_eq!(r.headers["access-control-allow-methods"], "GET, POST");
    }
    // A preflight from a forbidden origin gets no CORS header at all.
    let r = d
        .send(
            d.request(Method::OPTIONS, "/api/v1/members")
                .header("origin", "http://127.0.0.2:8080")
                .header("access-control-request-method", "POST"),
        )
        .await;
    assert_eq!(r.error_message(StatusCode::FORBIDDEN), "Forbidden origin");
    assert!(r.headers.get("access-control-allow-origin").is_none());
    assert!(r.headers.get("access-control-allow-methods").is_none());
}

/// `Origin: null` (a `file://` page, a sandboxed frame) is refused unless
/// `null` is configured, and then echoed as `null`.
#[tokio::test]
async fn null_origin_only_when_configured() {
    let d = TestDaemon::start().await;
    let r = d
        .send(d.request(Method::GET, STATUS).header("origin", "null"))
        .await;
    assert_eq!(r.error_message(StatusCode::FORBIDDEN), "Forbidden origin");

    let d = TestDaemon::builder()
        .env("TASKFLOW_ALLOWED_ORIGINS", "null")
        .start()
        .await;
    let r = d
        .send(d.request(Method::GET, STATUS).header("origin", "null"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["access-control-allow-origin"], "null");
    let r = d
        .send(
            d.request(Method::GET, STATUS)
                .header("origin", "http://evil.example"),
        )
        .await;
    assert_eq!(r.error_message(StatusCode::FORBIDDEN), "Forbidden origin");
}
