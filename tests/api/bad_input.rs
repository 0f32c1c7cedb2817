//! DESIGN.md "Bad input, continued" (issue #22): a NUL byte wherever a
//! client can put text is a 400 naming the field, per route family; two
//! `Host` headers are a 400; the `Authorization` scheme is case-insensitive;
//! a literal path segment (`reorder`) wins over a parameter.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestDaemon;
use crate::helpers::team::{
    self, MEMBERS, TASKS, assert_error, create_task, member, ready_daemon, task_body, task_url,
};

/// What `text` validation says about a NUL (`<field>: …`).
const NUL: &str = "String should not contain NUL characters";

#[tokio::test]
async fn bad_input_nul_in_task_text_and_the_search_parameter_is_a_400_naming_it() {
    let (d, _db) = ready_daemon().await;
    let r = d.get(&format!("{TASKS}?search=%00")).await;
    assert_error(&r, StatusCode::BAD_REQUEST, &format!("search: {NUL}"));
    let r = d.get(&format!("{TASKS}?search=a%00b&sort=updated")).await;
    assert_error(&r, StatusCode::BAD_REQUEST, &format!("search: {NUL}"));
    for field in ["title", "description"] {
        let mut body = task_body("ok");
        body[field] = json!("a\u{0}b");
        let r = d.post_json(TASKS, &body).await;
        assert_error(&r, StatusCode::BAD_REQUEST, &format!("{field}: {NUL}"));
    }
    let task = team::id_of(&create_task(&d, task_body("kept")).await);
    let r = d
        .patch_json(&task_url(&task), &json!({"title": "x\u{0}"}))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, &format!("title: {NUL}"));
    // A NUL in a filter that must be one of its values is that value's 400.
    let r = d.get(&format!("{TASKS}?status=Done%00")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    // And the list still answers.
    assert_eq!(d.get(TASKS).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_nul_in_sub_tasks_and_daily_updates_is_a_400_naming_the_field() {
    let (d, _db) = ready_daemon().await;
    let task = team::id_of(&create_task(&d, task_body("t")).await);
    let r = d
        .post_json(
            &format!("{TASKS}/{task}/subtasks"),
            &json!({"title": "\u{0}"}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, &format!("title: {NUL}"));
    let author = member(&d, "Ada").await;
    let r = d
        .post_json(
            &format!("{TASKS}/{task}/updates"),
            &json!({"author_id": author, "content": "done\u{0}"}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, &format!("content: {NUL}"));
}

#[tokio::test]
async fn bad_input_nul_in_members_and_settings_is_a_400_naming_the_field() {
    let (d, _db) = ready_daemon().await;
    for (field, body) in [
        ("name", json!({"name": "A\u{0}", "email": "a@b.co"})),
        ("email", json!({"name": "A", "email": "a\u{0}@b.co"})),
    ] {
        let r = d.post_json(MEMBERS, &body).await;
        // Members keep their older wording (DESIGN.md); the field is named.
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        let e = r.body["error"].as_str().unwrap_or_default();
        assert!(e.starts_with(&format!("{field}: ")), "{e}");
    }
    let body = json!({"host": "localhost", "port": 5432, "database": "d",
        "username": "u", "password": "p"});
    for field in ["host", "database", "username", "password"] {
        let mut b = body.clone();
        b[field] = json!("x\u{0}y");
        for path in [
            "/api/v1/settings/test-connection",
            "/api/v1/settings/save-connection",
        ] {
            let r = d.post_json(path, &b).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{path} {field}: {}",
                r.text
            );
            let e = r.body["error"].as_str().unwrap_or_default();
            assert!(e.starts_with(&format!("{field}: ")), "{path}: {e}");
        }
    }
}

/// A raw HTTP/1.1 exchange: the status code, the head and the body.
fn raw(port: u16, request: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, head.to_owned(), body.to_owned())
}

#[tokio::test]
async fn bad_input_two_host_headers_are_a_400_on_every_route() {
    let d = TestDaemon::start().await;
    let port = d.port();
    for path in ["/health", "/api/v1/settings/status", "/nope"] {
        for (first, second) in [
            (format!("localhost:{port}"), format!("localhost:{port}")),
            (format!("localhost:{port}"), "evil.example".to_owned()),
        ] {
            let (code, _, body) = raw(
                port,
                &format!(
                    "GET {path} HTTP/1.1\r\nHost: {first}\r\nHost: {second}\r\nConnection: close\r\n\r\n"
                ),
            );
            assert_eq!(code, 400, "{path}: {body}");
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&body).ok(),
                Some(json!({"error": "Bad Request"})),
                "{path}"
            );
        }
    }
    // One Host still passes.
    let (code, _, _) = raw(
        port,
        &format!(
            "GET /health/live HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(code, 200);
}

#[tokio::test]
async fn bad_input_the_bearer_scheme_is_case_insensitive() {
    let token = "t0ken-for-the-scheme-test";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = d
            .send(
                d.client()
                    .get(d.url("/api/v1/settings/status"))
                    .header("Authorization", format!("{scheme} {token}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}: {}", r.text);
    }
    for wrong in [
        format!("Basic {token}"),
        format!("Bearer{token}"),
        "bearer nope".into(),
    ] {
        let r = d
            .send(
                d.client()
                    .get(d.url("/api/v1/settings/status"))
                    .header("Authorization", wrong.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
}

/// `…/subtasks/reorder` is a route of its own (PUT): other methods on it are
/// its 405, not the rename route's `sub_task_id` 400.
#[tokio::test]
async fn bad_input_other_methods_on_the_reorder_path_are_405_with_allow_put() {
    let d = TestDaemon::start().await;
    let path = format!("{TASKS}/{}/subtasks/reorder", uuid::Uuid::new_v4());
    for method in [
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
        reqwest::Method::GET,
    ] {
        let r = d
            .send(
                d.client()
                    .request(method.clone(), d.url(&path))
                    .header("Content-Type", "application/json")
                    .body("{}"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}: {}",
            r.text
        );
        assert_eq!(r.body, json!({"error": "Method Not Allowed"}), "{method}");
        assert_eq!(
            r.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some("PUT"),
            "{method}"
        );
    }
    // A sub-task id in that place still reaches the sub-task routes.
    let item = format!("{TASKS}/{}/subtasks/not-a-uuid", uuid::Uuid::new_v4());
    let r = d.patch_json(&item, &json!({"title": "x"})).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        "sub_task_id: Input should be a valid UUID",
    );
}
