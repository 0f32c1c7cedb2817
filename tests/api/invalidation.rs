//! Every documented write drops the cached lists it changes before it
//! answers, through the `WriteConn` of `src/db/write_conn.rs`: a write path
//! added without it leaves a list cached and fails here, and a write added
//! to the API without a row in [`WRITES`] fails
//! [`the_table_lists_every_documented_write`].
//!
//! What is checked is the cache itself (the debug build's `/__test/…-cache`
//! hooks), not a list read after the write: a read may recheck the change
//! counters and hide a missing invalidation, the hook cannot.

use std::collections::BTreeSet;
use std::time::Instant;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestDaemon;
use crate::helpers::team::*;

/// The cached lists a write must drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drops {
    /// `GET /api/v1/members`.
    Members,
    /// `GET /api/v1/tasks` (and the task pages, dropped with it).
    Tasks,
    /// Both: a member rename rewrites the tasks' `assignee_name`.
    Both,
    /// None through a handler's guard. `save-connection` points the daemon
    /// at a database, and the DbSupervisor resets every cache when it leaves
    /// `Ready` or changes database (`db/caches.rs`); `test-connection`
    /// writes nothing; `shutdown` stops the daemon, caches and all.
    Neither,
}

/// Every non-GET operation of the API and what it must drop.
const WRITES: &[(&str, &str, Drops)] = &[
    ("POST", "/api/v1/members", Drops::Members),
    ("PATCH", "/api/v1/members/{id}", Drops::Both),
    ("DELETE", "/api/v1/members/{id}", Drops::Members),
    ("POST", "/api/v1/settings/save-connection", Drops::Neither),
    ("POST", "/api/v1/settings/test-connection", Drops::Neither),
    ("POST", "/api/v1/shutdown", Drops::Neither),
    ("POST", "/api/v1/tasks", Drops::Tasks),
    ("PATCH", "/api/v1/tasks/{task_id}", Drops::Tasks),
    ("DELETE", "/api/v1/tasks/{task_id}", Drops::Tasks),
    ("POST", "/api/v1/tasks/{task_id}/subtasks", Drops::Tasks),
    (
        "PUT",
        "/api/v1/tasks/{task_id}/subtasks/reorder",
        Drops::Tasks,
    ),
    (
        "PATCH",
        "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}",
        Drops::Tasks,
    ),
    (
        "DELETE",
        "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}",
        Drops::Tasks,
    ),
    (
        "PATCH",
        "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}/toggle",
        Drops::Tasks,
    ),
    ("POST", "/api/v1/tasks/{task_id}/updates", Drops::Tasks),
    (
        "PATCH",
        "/api/v1/tasks/{task_id}/updates/{update_id}",
        Drops::Tasks,
    ),
    (
        "DELETE",
        "/api/v1/tasks/{task_id}/updates/{update_id}",
        Drops::Tasks,
    ),
];

#[tokio::test]
async fn the_table_lists_every_documented_write() {
    let daemon = TestDaemon::start().await;
    let doc = daemon.get("/openapi.json").await.body;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method != "get" {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = WRITES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented, listed,
        "a write is documented but not in WRITES (add it with the lists it changes), or the other way round"
    );
}

#[tokio::test]
async fn every_write_drops_the_lists_it_changes() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    for &(method, template, drops) in WRITES {
        if drops == Drops::Neither {
            continue;
        }
        let (url, body) = prepare(&d, method, template, &ada).await;
        warm(&d, MEMBERS, "/__test/members-cache").await;
        warm(&d, TASKS, "/__test/tasks-cache").await;
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = d.request(method.clone(), &url);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let r = d.send(request).await;
        assert!(
            r.status.is_success(),
            "{method} {url}: {} {}",
            r.status,
            r.text
        );
        let members_cached = cached(&d, "/__test/members-cache").await;
        let tasks_cached = cached(&d, "/__test/tasks-cache").await;
        let must_drop_members = matches!(drops, Drops::Members | Drops::Both);
        let must_drop_tasks = matches!(drops, Drops::Tasks | Drops::Both);
        assert!(
            !(must_drop_members && members_cached),
            "{method} {template} left the member list cached"
        );
        assert!(
            !(must_drop_tasks && tasks_cached),
            "{method} {template} left the task list cached"
        );
    }
}

/// The fixtures a write needs (created before the caches are warmed, since
/// creating them is a write too), and its URL and body.
async fn prepare(
    d: &TestDaemon,
    method: &str,
    template: &str,
    ada: &str,
) -> (String, Option<Value>) {
    let task = || async { id_of(&create_task(d, task_body("T")).await) };
    match (method, template) {
        ("POST", "/api/v1/members") => {
            let email = format!("{}@example.org", uuid::Uuid::new_v4().simple());
            (
                MEMBERS.to_owned(),
                Some(json!({"name": "Bo", "email": email})),
            )
        }
        ("PATCH", "/api/v1/members/{id}") => {
            let m = member(d, "Cy").await;
            (format!("{MEMBERS}/{m}"), Some(json!({"name": "Cy L."})))
        }
        ("DELETE", "/api/v1/members/{id}") => {
            let m = member(d, "Di").await;
            (format!("{MEMBERS}/{m}"), None)
        }
        ("POST", "/api/v1/tasks") => (TASKS.to_owned(), Some(task_body("New"))),
        ("PATCH", "/api/v1/tasks/{task_id}") => {
            (task_url(&task().await), Some(json!({"title": "Renamed"})))
        }
        ("DELETE", "/api/v1/tasks/{task_id}") => (task_url(&task().await), None),
        ("POST", "/api/v1/tasks/{task_id}/subtasks") => (
            format!("{}/subtasks", task_url(&task().await)),
            Some(json!({"title": "step"})),
        ),
        ("PUT", "/api/v1/tasks/{task_id}/subtasks/reorder") => {
            let t = task().await;
            let a = id_of(&create_sub_task(d, &t, "a").await);
            let b = id_of(&create_sub_task(d, &t, "b").await);
            (
                format!("{}/subtasks/reorder", task_url(&t)),
                Some(json!({"sub_task_ids": [b, a]})),
            )
        }
        (_, "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}") => {
            let t = task().await;
            let s = id_of(&create_sub_task(d, &t, "a").await);
            let body = (method == "PATCH").then(|| json!({"title": "renamed"}));
            (format!("{}/subtasks/{s}", task_url(&t)), body)
        }
        ("PATCH", "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}/toggle") => {
            let t = task().await;
            let s = id_of(&create_sub_task(d, &t, "a").await);
            (format!("{}/subtasks/{s}/toggle", task_url(&t)), None)
        }
        ("POST", "/api/v1/tasks/{task_id}/updates") => (
            format!("{}/updates", task_url(&task().await)),
            Some(json!({"author_id": ada, "content": "worked on it"})),
        ),
        (_, "/api/v1/tasks/{task_id}/updates/{update_id}") => {
            let t = task().await;
            let u = id_of(&create_update(d, &t, ada, "first").await);
            let body = (method == "PATCH").then(|| json!({"content": "edited"}));
            (format!("{}/updates/{u}", task_url(&t)), body)
        }
        _ => panic!("{method} {template}: no fixture; add one to prepare()"),
    }
}

/// Lists `list` until `hook` says its body is cached.
async fn warm(d: &TestDaemon, list: &str, hook: &str) {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let r = d.get(list).await;
        assert_eq!(r.status, StatusCode::OK, "{list}: {}", r.text);
        if cached(d, hook).await {
            return;
        }
        assert!(Instant::now() < deadline, "{list} was never cached");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whether the hook's list has a cached body (the caches must be enabled).
async fn cached(d: &TestDaemon, hook: &str) -> bool {
    let r = d.get(hook).await;
    assert_eq!(r.status, StatusCode::OK, "{hook}: {}", r.text);
    assert_eq!(r.body["enabled"], true, "{hook}: {}", r.text);
    r.body["cached"].as_bool().unwrap()
}
