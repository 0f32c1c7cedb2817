//! `GET /openapi.json` describes exactly the routes the router serves: every
//! documented (path, method) is routed, every other method on a documented
//! path is a 405, and paths that are not documented are 404s.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestDaemon;
use crate::helpers::paths::concrete;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// Whether `method` is documented on a template that `url` matches other
/// than its own: `…/subtasks/reorder` is also `…/subtasks/{sub_task_id}`
/// with a malformed id, so its PATCH is routed there (a 400), not a 405.
fn served_elsewhere(
    paths: &serde_json::Map<String, Value>,
    own: &str,
    url: &str,
    method: &Method,
) -> bool {
    let segments: Vec<&str> = url.split('/').collect();
    paths.iter().any(|(template, item)| {
        let t: Vec<&str> = template.split('/').collect();
        template != own
            && t.len() == segments.len()
            && t.iter()
                .zip(&segments)
                .all(|(a, b)| a.starts_with('{') || a == b)
            && item.get(method.as_str().to_lowercase()).is_some()
    })
}

#[tokio::test]
async fn document_is_openapi_3_1_json() {
    let daemon = TestDaemon::start().await;

    let r = daemon.get("/openapi.json").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), Some("application/json"));
    let doc: Value = serde_json::from_str(&r.text).expect("valid JSON");
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1"), "openapi {version}");
    assert_eq!(
        doc["components"]["schemas"]["ErrorBody"]["required"],
        json!(["error"])
    );
}

#[tokio::test]
async fn document_is_behind_the_host_guard_but_needs_no_token() {
    let token = "tok-0a1b2c3d4e5f6a7b";
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    let r = daemon.get("/api/v1/settings/status").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the token is in force");

    let r = daemon.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);

    let r = daemon
        .send(
            daemon
                .request(Method::GET, "/openapi.json")
                .header("host", "evil.example"),
        )
        .await;
    assert_eq!(r.error_message(StatusCode::FORBIDDEN), "Forbidden host");
}

#[tokio::test]
async fn document_lists_exactly_the_routes_served() {
    let daemon = TestDaemon::start().await;
    let doc = daemon.get("/openapi.json").await.body;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());

    for (path, item) in paths {
        let url = concrete(path);
        for method in METHODS {
            let documented = item.get(method.as_str().to_lowercase()).is_some();
            if documented && path == "/api/v1/shutdown" && method == Method::POST {
                continue; // it would stop the daemon: stop.rs shows it is routed
            }
            let mut req = daemon.request(method.clone(), &url);
            if documented && item[method.as_str().to_lowercase()]["requestBody"].is_object() {
                req = req.json(&json!({}));
            }
            let r = daemon.send(req).await;
            if documented {
                let routing_error = matches!(
                    (r.status, r.body["error"].as_str()),
                    (StatusCode::NOT_FOUND, Some("Not Found"))
                        | (StatusCode::METHOD_NOT_ALLOWED, _)
                );
                assert!(
                    !routing_error,
                    "documented {method} {path} is not routed: {} {}",
                    r.status, r.text
                );
            } else if !served_elsewhere(paths, path, &url, &method) {
                assert_eq!(
                    r.error_message(StatusCode::METHOD_NOT_ALLOWED),
                    "Method Not Allowed",
                    "undocumented {method} {path}"
                );
            }
        }
    }

    for path in [
        "/",
        "/openapi.yaml",
        "/openapi.json/x",
        "/api/v1/openapi.json",
        "/api/v1/settings",
        "/api/v1/members/67e55044-10b1-426f-9247-bb680e5fe0c8/x",
    ] {
        assert!(
            !paths.contains_key(path),
            "{path} is documented; pick another"
        );
        let r = daemon.get(path).await;
        assert_eq!(
            r.error_message(StatusCode::NOT_FOUND),
            "Not Found",
            "{path}"
        );
    }
}

/// The README's "API at a glance" table lists exactly the operations of the
/// document (`GET/POST /x` rows expand to one operation per method), so the
/// README cannot drift from the API either.
#[tokio::test]
async fn readme_api_table_matches_the_document() {
    let daemon = TestDaemon::start().await;
    let doc: Value = serde_json::from_str(&daemon.get("/openapi.json").await.text).unwrap();
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    documented.sort();

    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## API at a glance")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has an 'API at a glance' section");
    let mut listed: Vec<String> = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let routes = row.split(" | ").next().unwrap_or_default();
        for route in routes.split('`').skip(1).step_by(2) {
            let (methods, path) = route.split_once(' ').unwrap();
            for m in methods.split('/') {
                listed.push(format!("{m} {path}"));
            }
        }
    }
    listed.sort();
    assert_eq!(listed, documented);
}
