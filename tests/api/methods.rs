//! A method a path does not serve is `405 {"error":"Method Not Allowed"}` with
//! an `Allow` header listing exactly that path's methods (RFC 9110), for every
//! documented path; `tests/api/openapi.rs` proves the document equals the
//! routes, and the literal table below pins the common ones independently.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestDaemon;
use crate::helpers::paths::concrete;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// The methods of the documented templates `url` matches (literal segments
/// equal, `{param}` any), a literal segment winning over a parameter
/// (issue #22): `…/subtasks/reorder` is not `…/subtasks/{sub_task_id}`, so
/// its `Allow` is `PUT` alone.
fn served_on(paths: &serde_json::Map<String, serde_json::Value>, url: &str) -> BTreeSet<String> {
    let segments: Vec<&str> = url.split('/').collect();
    let matching: Vec<(Vec<bool>, &serde_json::Value)> = paths
        .iter()
        .filter_map(|(template, item)| {
            let t: Vec<&str> = template.split('/').collect();
            let matches = t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(a, b)| a.starts_with('{') || a == b);
            matches.then(|| (t.iter().map(|s| !s.starts_with('{')).collect(), item))
        })
        .collect();
    let best = matching.iter().map(|(shape, _)| shape.clone()).max();
    matching
        .into_iter()
        .filter(|(shape, _)| Some(shape) == best.as_ref())
        .flat_map(|(_, item)| item.as_object().unwrap().keys().map(|m| m.to_uppercase()))
        .collect()
}

fn allow_set(r: &crate::helpers::daemon::ApiResponse) -> BTreeSet<String> {
    let allow = r
        .headers
        .get("allow")
        .unwrap_or_else(|| panic!("405 without Allow"))
        .to_str()
        .unwrap();
    allow.split(',').map(|m| m.trim().to_owned()).collect()
}

#[tokio::test]
async fn every_path_answers_an_unserved_method_with_405_and_its_allow() {
    let d = TestDaemon::start().await;
    let doc = d.get("/openapi.json").await.body;
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for path in paths.keys() {
        let served = served_on(paths, &concrete(path));
        for method in METHODS.iter().filter(|m| !served.contains(**m)) {
            let r = d
                .send(d.request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete(path),
                ))
                .await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if *method != "HEAD" {
                assert_eq!(
                    r.body,
                    json!({"error": "Method Not Allowed"}),
                    "{method} {path}"
                );
            }
            assert_eq!(allow_set(&r), served, "Allow of {method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} (path, method) pairs checked");
}

#[tokio::test]
async fn allow_lists_the_known_paths_methods() {
    let d = TestDaemon::start().await;
    for (method, path, allow) in [
        (Method::POST, "/health", "GET"),
        (Method::DELETE, "/health/live", "GET"),
        (Method::PUT, "/openapi.json", "GET"),
        (Method::POST, "/metrics", "GET"),
        (Method::POST, "/api/v1/settings/status", "GET"),
        (Method::GET, "/api/v1/settings/save-connection", "POST"),
        (Method::GET, "/api/v1/settings/test-connection", "POST"),
        (Method::PUT, "/api/v1/members", "GET, POST"),
        (
            Method::POST,
            "/api/v1/members/67e55044-10b1-426f-9247-bb680e5fe0c8",
            "GET, PATCH, DELETE",
        ),
    ] {
        let r = d.send(d.request(method.clone(), path)).await;
        assert_eq!(
            r.error_message(StatusCode::METHOD_NOT_ALLOWED),
            "Method Not Allowed",
            "{method} {path}"
        );
        assert_eq!(r.headers.get("allow").unwrap(), allow, "{method} {path}");
    }
    // 404s and other statuses carry no Allow.
    let r = d.send(d.request(Method::POST, "/nowhere")).await;
    assert_eq!(r.error_message(StatusCode::NOT_FOUND), "Not Found");
    assert!(r.headers.get("allow").is_none());
    let r = d.get("/health").await;
    assert!(r.headers.get("allow").is_none());
}

/// The token check comes before routing under `/api/v1`: without it, a wrong
/// method is a 401 (no method list leaks); with it, the 405 and its Allow.
#[tokio::test]
async fn api_405_needs_the_token_first() {
    let token = "tok-allow-1a2b3c4d5e6f";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    let r = d.send(d.request(Method::PUT, "/api/v1/members")).await;
    assert_eq!(r.error_message(StatusCode::UNAUTHORIZED), "Unauthorized");
    let r = d
        .send(d.request(Method::PUT, "/api/v1/members").bearer_auth(token))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers.get("allow").unwrap(), "GET, POST");
}
