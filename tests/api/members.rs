//! `/api/v1/members`: the TaskFlow members contract against a real daemon and a
//! real PostgreSQL (DESIGN.md "Members").

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use sea_orm::sqlx;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestDaemon;
use crate::helpers::daemon::ApiResponse;
use crate::helpers::pg::{self, PgCluster, TestDb};
use crate::helpers::team::{MEMBERS, READY_TIMEOUT, daemon_on, ready_daemon, ready_daemon_on};

fn item(id: &str) -> String {
    format!("{MEMBERS}/{id}")
}

/// POSTs a member and returns the created body (asserting 201).
async fn create(daemon: &TestDaemon, name: &str, email: &str) -> Value {
    let r = daemon
        .post_json(MEMBERS, &json!({"name": name, "email": email}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "create {email}: {}", r.text);
    r.body
}

fn id_of(member: &Value) -> String {
    member["id"]
        .as_str()
        .expect("member id is a string")
        .to_owned()
}

#[track_caller]
fn assert_error(r: &ApiResponse, status: StatusCode, message: &str) {
    assert_eq!(r.error_message(status), message, "body: {}", r.text);
}

#[track_caller]
fn assert_not_ready(r: &ApiResponse, what: &str) {
    let msg = r.error_message(StatusCode::SERVICE_UNAVAILABLE);
    // Or, when the connection failed in the middle of the request:
    let lost = msg == "Database connection lost. Please retry.";
    assert!(
        lost || msg.starts_with("Database not ready: ")
            && !msg.contains("Database not ready: Database"),
        "{what}: {msg}"
    );
    assert_eq!(
        r.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()),
        Some("5"),
        "{what}: Retry-After"
    );
}

/// One request of every member route (valid input, `id` for the item routes).
async fn every_route(daemon: &TestDaemon, id: &str) -> Vec<(&'static str, ApiResponse)> {
    vec![
        ("list", daemon.get(MEMBERS).await),
        ("get", daemon.get(&item(id)).await),
        (
            "create",
            daemon
                .post_json(
                    MEMBERS,
                    &json!({"name": "Late", "email": format!("{}@x.io", Uuid::new_v4())}),
                )
                .await,
        ),
        (
            "patch",
            daemon
                .patch_json(&item(id), &json!({"active": false}))
                .await,
        ),
        ("delete", daemon.delete(&item(id)).await),
    ]
}

#[tokio::test]
async fn crud_happy_path() {
    let (daemon, _db) = ready_daemon().await;

    let r = daemon.get(MEMBERS).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!([]));

    let r = daemon
        .post_json(MEMBERS, &json!({"name": "Ada", "email": "ada@example.org"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.content_type(), Some("application/json"));
    let id = id_of(&r.body);
    assert_eq!(Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    let ada = json!({"id": id, "name": "Ada", "email": "ada@example.org", "active": true});
    assert_eq!(r.body, ada);

    let r = daemon.get(&item(&id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, ada);

    // Only the given field changes; the whole member comes back.
    let r = daemon
        .patch_json(&item(&id), &json!({"active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ada = json!({"id": id, "name": "Ada", "email": "ada@example.org", "active": false});
    assert_eq!(r.body, ada);

    let r = daemon
        .patch_json(
            &item(&id),
            &json!({"name": "Ada L.", "email": "ada.l@example.org", "ignored": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ada = json!({"id": id, "name": "Ada L.", "email": "ada.l@example.org", "active": false});
    assert_eq!(r.body, ada);

    // An empty patch changes nothing and still answers with the member.
    let r = daemon.patch_json(&item(&id), &json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, ada);

    let r = daemon
        .post_json(
            MEMBERS,
            &json!({"name": "Bo", "email": "bo@example.org", "active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["active"], json!(false));
    let bo = r.body;

    let r = daemon.get(MEMBERS).await;
    assert_eq!(r.body, json!([ada, bo]));

    let r = daemon.delete(&item(&id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.text, "");
    assert_error(
        &daemon.get(&item(&id)).await,
        StatusCode::NOT_FOUND,
        "Member not found",
    );
    assert_eq!(daemon.get(MEMBERS).await.body, json!([bo]));
}

#[tokio::test]
async fn list_is_ordered_by_name() {
    let (daemon, _db) = ready_daemon().await;
    for name in ["Charlie", "Alice", "Dora", "Bob"] {
        create(
            &daemon,
            name,
            &format!("{}@example.org", name.to_lowercase()),
        )
        .await;
    }

    let r = daemon.get(MEMBERS).await;

    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alice", "Bob", "Charlie", "Dora"]);
}

#[tokio::test]
async fn name_and_email_are_trimmed() {
    let (daemon, _db) = ready_daemon().await;

    let r = daemon
        .post_json(
            MEMBERS,
            &json!({"name": "  Grace Hopper\t", "email": " grace@navy.mil  "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["name"], "Grace Hopper");
    assert_eq!(r.body["email"], "grace@navy.mil");
    let id = id_of(&r.body);

    let r = daemon
        .patch_json(
            &item(&id),
            &json!({"name": " G. Hopper ", "email": "\ng@navy.mil "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "G. Hopper");
    assert_eq!(r.body["email"], "g@navy.mil");

    // 100 characters after trimming is the limit, inclusive.
    let r = daemon
        .post_json(
            MEMBERS,
            &json!({"name": format!("  {}  ", "é".repeat(100)), "email": "long@x.io"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn invalid_bodies_are_400_and_change_nothing() {
    let (daemon, _db) = ready_daemon().await;
    let existing = create(&daemon, "Kept", "kept@example.org").await;
    let id = id_of(&existing);

    let name_101 = "n".repeat(101);
    let post_cases = [
        (json!({"email": "a@b.co"}), "name: is required"),
        (
            json!({"name": "", "email": "a@b.co"}),
            "name: must not be empty",
        ),
        (
            json!({"name": "   ", "email": "a@b.co"}),
            "name: must not be empty",
        ),
        (
            json!({"name": name_101, "email": "a@b.co"}),
            "name: must be at most 100 characters",
        ),
        (
            json!({"name": 7, "email": "a@b.co"}),
            "name: must be a string",
        ),
        (
            json!({"name": ["A"], "email": "a@b.co"}),
            "name: must be a string",
        ),
        (
            json!({"name": "A\u{0}B", "email": "a@b.co"}),
            "name: must not contain control characters",
        ),
        (json!({"name": "A"}), "email: is required"),
        (
            json!({"name": "A", "email": ""}),
            "email: must not be empty",
        ),
        (
            json!({"name": "A", "email": true}),
            "email: must be a string",
        ),
        (
            json!({"name": "A", "email": format!("{}@b.co", "a".repeat(320))}),
            "email: must be at most 320 characters",
        ),
        (
            json!({"name": "A", "email": "a@b.co", "active": "yes"}),
            "active: must be a boolean",
        ),
        (
            json!({"name": "A", "email": "a@b.co", "active": 1}),
            "active: must be a boolean",
        ),
        (json!([{"name": "A"}]), "body: must be a JSON object"),
        (json!("A"), "body: must be a JSON object"),
        (json!(null), "body: must be a JSON object"),
    ];
    for (body, message) in &post_cases {
        let r = daemon.post_json(MEMBERS, body).await;
        assert_error(&r, StatusCode::BAD_REQUEST, message);
    }
    for bad in [
        "plain",
        "a@b",
        "@b.co",
        "a@.co",
        "a@b.",
        "a b@c.de",
        "a@b@c.de",
        "a@b .co",
        "a\u{0}@b.co",
    ] {
        let r = daemon
            .post_json(MEMBERS, &json!({"name": "A", "email": bad}))
            .await;
        assert_error(
            &r,
            StatusCode::BAD_REQUEST,
            "email: must be a valid email address",
        );
    }

    let patch_cases = [
        (json!({"name": null}), "name: field cannot be null"),
        (json!({"email": null}), "email: field cannot be null"),
        (json!({"active": null}), "active: field cannot be null"),
        (json!({"name": ""}), "name: must not be empty"),
        (json!({"name": 1}), "name: must be a string"),
        (
            json!({"name": "n".repeat(101)}),
            "name: must be at most 100 characters",
        ),
        (
            json!({"email": "nope"}),
            "email: must be a valid email address",
        ),
        (json!({"email": 5}), "email: must be a string"),
        (json!({"active": "false"}), "active: must be a boolean"),
        (json!([1, 2]), "body: must be a JSON object"),
        (json!(3), "body: must be a JSON object"),
    ];
    for (body, message) in &patch_cases {
        let r = daemon.patch_json(&item(&id), body).await;
        assert_error(&r, StatusCode::BAD_REQUEST, message);
    }

    for body in ["{", "{\"name\": }", "not json"] {
        let r = daemon.post_raw(MEMBERS, "application/json", body).await;
        let msg = r.error_message(StatusCode::BAD_REQUEST);
        assert!(
            msg.starts_with("Invalid JSON body: "),
            "POST {body:?}: {msg}"
        );
        let r = daemon
            .send(
                daemon
                    .request(Method::PATCH, &item(&id))
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        let msg = r.error_message(StatusCode::BAD_REQUEST);
        assert!(
            msg.starts_with("Invalid JSON body: "),
            "PATCH {body:?}: {msg}"
        );
    }
    let r = daemon
        .post_raw(MEMBERS, "text/plain", r#"{"name":"A","email":"a@b.co"}"#)
        .await;
    r.error_message(StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(daemon.get(MEMBERS).await.body, json!([existing]));
}

#[tokio::test]
async fn unknown_id_is_404() {
    let (daemon, _db) = ready_daemon().await;
    let id = Uuid::new_v4().to_string();

    for r in [
        daemon.get(&item(&id)).await,
        daemon.patch_json(&item(&id), &json!({"name": "X"})).await,
        daemon.patch_json(&item(&id), &json!({})).await,
        daemon.delete(&item(&id)).await,
    ] {
        assert_error(&r, StatusCode::NOT_FOUND, "Member not found");
    }
}

#[tokio::test]
async fn malformed_id_is_400() {
    let (daemon, _db) = ready_daemon().await;

    for id in ["not-a-uuid", "123", "67e55044-10b1-426f-9247-bb680e5fe0cz"] {
        for r in [
            daemon.get(&item(id)).await,
            daemon.patch_json(&item(id), &json!({"name": "X"})).await,
            daemon.delete(&item(id)).await,
        ] {
            assert_error(&r, StatusCode::BAD_REQUEST, "id: must be a UUID");
        }
    }
    // Wrong methods on member paths are still 405, deeper paths 404.
    let r = daemon.send(daemon.request(Method::PUT, MEMBERS)).await;
    assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    let r = daemon
        .get(&format!("{MEMBERS}/{}/tasks", Uuid::new_v4()))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "Not Found");
}

#[tokio::test]
async fn duplicate_email_is_409() {
    let (daemon, _db) = ready_daemon().await;
    let ada = create(&daemon, "Ada", "ada@example.org").await;
    let bo = create(&daemon, "Bo", "bo@example.org").await;

    let r = daemon
        .post_json(
            MEMBERS,
            &json!({"name": "Other", "email": " ada@example.org "}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::CONFLICT,
        "Member with this email already exists",
    );

    let r = daemon
        .patch_json(
            &item(&id_of(&bo)),
            &json!({"email": "ada@example.org", "name": "Changed"}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::CONFLICT,
        "Member with this email already exists",
    );
    // The failed PATCH changed nothing (one statement: all or nothing).
    assert_eq!(daemon.get(&item(&id_of(&bo))).await.body, bo);

    // Keeping one's own address is not a conflict.
    let r = daemon
        .patch_json(&item(&id_of(&ada)), &json!({"email": "ada@example.org"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(daemon.get(MEMBERS).await.body, json!([ada, bo]));
}

#[tokio::test]
async fn concurrent_creates_with_one_email_give_one_201() {
    let (daemon, _db) = ready_daemon().await;

    let bodies: Vec<Value> = (0..50)
        .map(|i| json!({"name": format!("Racer {i}"), "email": "race@example.org"}))
        .collect();
    let responses = join_all(bodies.iter().map(|b| daemon.post_json(MEMBERS, b))).await;

    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "exactly one create wins");
    for r in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_error(
            r,
            StatusCode::CONFLICT,
            "Member with this email already exists",
        );
    }
    let list = daemon.get(MEMBERS).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

/// A connection to add referencing rows with, as the database's owner.
async fn referencing_tables(db: &TestDb) -> sqlx::PgConnection {
    db.connect().await.unwrap()
}

async fn add_rows(conn: &mut sqlx::PgConnection, sql: &'static str, member: &str, n: usize) {
    let member = Uuid::parse_str(member).unwrap();
    for _ in 0..n {
        sqlx::query(sql)
            .bind(Uuid::new_v4())
            .bind(member)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn delete_is_refused_while_tasks_or_daily_updates_reference_the_member() {
    let (daemon, db) = ready_daemon().await;
    let ada = id_of(&create(&daemon, "Ada", "ada@example.org").await);
    let bo = id_of(&create(&daemon, "Bo", "bo@example.org").await);
    let cy = id_of(&create(&daemon, "Cy", "cy@example.org").await);
    let free = id_of(&create(&daemon, "Free", "free@example.org").await);
    let mut conn = referencing_tables(&db).await;
    const TASK: &str = "INSERT INTO tasks (id, title, status, priority, assignee_id) \
                        VALUES ($1, 't', 'To Do', 'Low', $2)";
    const UPDATE: &str = "INSERT INTO daily_updates (id, task_id, author_id, author_name, content) \
                          SELECT $1, id, $2, 'x', 'c' FROM tasks ORDER BY id LIMIT 1";
    add_rows(&mut conn, TASK, &ada, 2).await;
    add_rows(&mut conn, UPDATE, &bo, 1).await;
    add_rows(&mut conn, TASK, &cy, 2).await;
    add_rows(&mut conn, UPDATE, &cy, 1).await;

    assert_error(
        &daemon.delete(&item(&ada)).await,
        StatusCode::CONFLICT,
        "Cannot delete member with 2 assigned task(s). Reassign or complete them first.",
    );
    assert_error(
        &daemon.delete(&item(&bo)).await,
        StatusCode::CONFLICT,
        "Cannot delete member with 1 authored daily update(s). Delete those updates first.",
    );
    // Tasks are named first.
    assert_error(
        &daemon.delete(&item(&cy)).await,
        StatusCode::CONFLICT,
        "Cannot delete member with 2 assigned task(s). Reassign or complete them first.",
    );
    assert_eq!(daemon.get(MEMBERS).await.body.as_array().unwrap().len(), 4);

    // Unreferenced members go, with the tables present.
    assert_eq!(
        daemon.delete(&item(&free)).await.status,
        StatusCode::NO_CONTENT
    );
    // Once the tasks are reassigned, the member can go.
    sqlx::query("UPDATE tasks SET assignee_id = NULL WHERE assignee_id = $1")
        .bind(Uuid::parse_str(&ada).unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        daemon.delete(&item(&ada)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &daemon.get(&item(&ada)).await,
        StatusCode::NOT_FOUND,
        "Member not found",
    );
}

#[tokio::test]
async fn every_member_route_is_503_before_the_database_is_configured() {
    let daemon = TestDaemon::start().await;
    // The port opens before the credential folder is read ("starting");
    // a slow start (Wine) can answer the first requests in between.
    daemon
        .wait_for_health(
            |r| r.text.contains("not configured"),
            std::time::Duration::from_secs(10),
        )
        .await;
    let id = Uuid::new_v4().to_string();

    for (route, r) in every_route(&daemon, &id).await {
        assert_error(
            &r,
            StatusCode::SERVICE_UNAVAILABLE,
            "Database not ready: connection is not configured. Save connection settings first.",
        );
        assert_not_ready(&r, route);
    }
}

/// Polls `probe` (every 50 ms) until `done` holds, failing after `timeout`.
async fn poll_until(
    daemon: &TestDaemon,
    timeout: Duration,
    what: &str,
    done: impl Fn(&ApiResponse) -> bool,
    probe: impl AsyncFn(&TestDaemon) -> ApiResponse,
) -> ApiResponse {
    let deadline = Instant::now() + timeout;
    loop {
        let r = probe(daemon).await;
        assert_ne!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{what}: a 500 while waiting: {}",
            r.text
        );
        if done(&r) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not reached within {timeout:?}; last {} {}",
            r.status,
            r.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn losing_the_database_gives_503_then_recovers_in_the_same_process() {
    let cluster = PgCluster::start();
    let (daemon, _db) = ready_daemon_on(&cluster).await;
    let ada = create(&daemon, "Ada", "ada@example.org").await;
    let id = id_of(&ada);
    // The harness runs PostgreSQL with `synchronous_commit = off` and stops it
    // with `-m immediate`, which can lose the last commits; make Ada durable.
    cluster.exec_admin("CHECKPOINT").await.unwrap();

    cluster.stop();

    poll_until(
        &daemon,
        Duration::from_secs(10),
        "list becomes 503",
        |r| r.status == StatusCode::SERVICE_UNAVAILABLE,
        async |d: &TestDaemon| d.get(MEMBERS).await,
    )
    .await;
    for (route, r) in every_route(&daemon, &id).await {
        assert_not_ready(&r, route);
    }

    cluster.start_again();

    poll_until(
        &daemon,
        READY_TIMEOUT,
        "list works again",
        |r| r.status == StatusCode::OK,
        async |d: &TestDaemon| d.get(MEMBERS).await,
    )
    .await;
    assert_eq!(daemon.get(MEMBERS).await.body, json!([ada]));
    assert_eq!(daemon.get(&item(&id)).await.body, ada);
    let r = daemon
        .patch_json(&item(&id), &json!({"name": "Ada again"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    create(&daemon, "Bo", "bo@example.org").await;
    assert_eq!(
        daemon.delete(&item(&id)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(daemon.try_exit_status(), None, "the daemon kept running");
}

// ---------------------------------------------------------------------------
// The member-list cache (issues #7, #14): served from memory while the
// `members` change counter (bumped by the `taskflow_members_count` trigger)
// is unchanged, and dropped by this daemon's own writes.

/// The consistency rule's 1 s: every read checks the counter, so a committed
/// write shows at the very next list.
const COHERENCE_DEADLINE: Duration = Duration::from_secs(1);

/// The cache's state from the test hook: (enabled, cached).
async fn cache_state(daemon: &TestDaemon) -> (bool, bool) {
    let r = daemon.get("/__test/members-cache").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (
        r.body["enabled"].as_bool().unwrap(),
        r.body["cached"].as_bool().unwrap(),
    )
}

/// Fills the cache with a GET and checks that the list is really cached now.
/// Retries: a GET racing this daemon's own write (a create just answered
/// is already committed, but a test may still be writing) does not store.
async fn cached_list(daemon: &TestDaemon) -> ApiResponse {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let r = daemon.get(MEMBERS).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        if cache_state(daemon).await == (true, true) {
            return r;
        }
        assert!(Instant::now() < deadline, "the list was never cached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls the list until `done` holds, within [`COHERENCE_DEADLINE`].
async fn list_until(daemon: &TestDaemon, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    poll_until(
        daemon,
        COHERENCE_DEADLINE,
        what,
        |r| r.status == StatusCode::OK && done(&r.body),
        async |d: &TestDaemon| d.get(MEMBERS).await,
    )
    .await
    .body
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn direct_writes_in_postgresql_invalidate_the_cached_list() {
    let (daemon, db) = ready_daemon().await;
    let ada = create(&daemon, "Ada", "ada@example.org").await;
    cached_list(&daemon).await;
    let mut conn = db.connect().await.unwrap();

    // INSERT, as another daemon or the Python backend would.
    let bo = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO members (id, name, email, active) VALUES ($1, 'Bo', 'bo@example.org', true)",
    )
    .bind(bo)
    .execute(&mut conn)
    .await
    .unwrap();
    list_until(&daemon, "direct INSERT visible", |l| {
        names(l) == ["Ada", "Bo"]
    })
    .await;

    // UPDATE.
    cached_list(&daemon).await;
    sqlx::query("UPDATE members SET name = 'Ada L.' WHERE id = $1")
        .bind(Uuid::parse_str(&id_of(&ada)).unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    list_until(&daemon, "direct UPDATE visible", |l| {
        names(l) == ["Ada L.", "Bo"]
    })
    .await;

    // DELETE.
    cached_list(&daemon).await;
    sqlx::query("DELETE FROM members WHERE id = $1")
        .bind(bo)
        .execute(&mut conn)
        .await
        .unwrap();
    list_until(&daemon, "direct DELETE visible", |l| names(l) == ["Ada L."]).await;

    // TRUNCATE (statement-level trigger).
    cached_list(&daemon).await;
    // CASCADE: tasks and daily_updates reference members (empty here).
    sqlx::query("TRUNCATE members CASCADE")
        .execute(&mut conn)
        .await
        .unwrap();
    list_until(&daemon, "TRUNCATE visible", |l| names(l).is_empty()).await;
}

#[tokio::test]
async fn a_write_through_one_daemon_appears_in_another_daemons_list() {
    let (a, db) = ready_daemon().await;
    let b = daemon_on(&db).await;

    cached_list(&b).await;
    let ada = create(&a, "Ada", "ada@example.org").await;
    // The writer sees its own write at once (no wait for the NOTIFY).
    assert_eq!(a.get(MEMBERS).await.body, json!([ada.clone()]));
    let seen = list_until(&b, "A's create in B", |l| names(l) == ["Ada"]).await;
    assert_eq!(seen, json!([ada]));

    cached_list(&b).await;
    let r = a.delete(&item(&id_of(&ada))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    list_until(&b, "A's delete in B", |l| names(l).is_empty()).await;
}

#[tokio::test]
async fn the_cached_list_is_byte_for_byte_the_uncached_one() {
    let (daemon, _db) = ready_daemon().await;
    for (name, email) in [("Zed", "z@example.org"), ("Ann", "a@example.org")] {
        create(&daemon, name, email).await;
    }
    let r = daemon
        .patch_json(
            &item(&id_of(
                &create(&daemon, "Mo \"Q\" Émile", "e@example.org").await,
            )),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // A GET on an empty cache is uncached (it fills the cache) and the next
    // one is served from memory.
    assert!(
        !cache_state(&daemon).await.1,
        "nothing has listed since the writes"
    );
    let uncached = daemon.get(MEMBERS).await;
    assert_eq!(cache_state(&daemon).await, (true, true));
    let cached = daemon.get(MEMBERS).await;

    assert_eq!(uncached.status, StatusCode::OK);
    assert_eq!(cached.status, StatusCode::OK);
    assert_eq!(cached.text, uncached.text, "same bytes");
    assert_eq!(cached.content_type(), Some("application/json"));
    assert_eq!(uncached.content_type(), Some("application/json"));
    assert_eq!(names(&cached.body), ["Ann", "Mo \"Q\" Émile", "Zed"]);
    // The shape is the member resource, as before the cache.
    assert_eq!(
        cached.body[1],
        json!({
            "id": cached.body[1]["id"],
            "name": "Mo \"Q\" Émile",
            "email": "e@example.org",
            "active": false,
        })
    );
}

#[tokio::test]
async fn after_a_database_restart_direct_writes_are_still_seen() {
    let cluster = PgCluster::start();
    let (daemon, db) = ready_daemon_on(&cluster).await;
    create(&daemon, "Ada", "ada@example.org").await;
    cluster.exec_admin("CHECKPOINT").await.unwrap();
    cached_list(&daemon).await;

    cluster.stop();
    poll_until(
        &daemon,
        Duration::from_secs(10),
        "list becomes 503",
        |r| r.status == StatusCode::SERVICE_UNAVAILABLE,
        async |d: &TestDaemon| d.get(MEMBERS).await,
    )
    .await;
    // Leaving Ready resets the cache (a version read before the outage is
    // never compared with one read after it).
    daemon
        .wait_for_health(
            |r| r.status == StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        cache_state(&daemon).await,
        (false, false),
        "cache reset while down"
    );
    cluster.start_again();
    daemon.wait_until_healthy(READY_TIMEOUT).await;

    // Caching again, and still coherent for a write made after the restart.
    cached_list(&daemon).await;
    let mut conn = db.connect().await.unwrap();
    sqlx::query(
        "INSERT INTO members (id, name, email, active) VALUES ($1, 'Bo', 'bo@example.org', true)",
    )
    .bind(Uuid::new_v4())
    .execute(&mut conn)
    .await
    .unwrap();
    list_until(&daemon, "post-restart INSERT visible", |l| {
        names(l) == ["Ada", "Bo"]
    })
    .await;
}

/// The cache holds no session of its own: ending every session of the
/// daemon (the database stays up) and writing at once never leaves a stale
/// list, and caching goes on over the pool's new sessions.
#[tokio::test]
async fn killed_sessions_never_leave_a_stale_list() {
    let (daemon, db) = ready_daemon().await;
    create(&daemon, "Ada", "ada@example.org").await;
    cached_list(&daemon).await;
    let mut conn = db.connect().await.unwrap();
    let killed = db.terminate_daemon_sessions(&mut conn).await;
    assert!(!killed.is_empty(), "the daemon had a session");
    sqlx::query(
        "INSERT INTO members (id, name, email, active) VALUES ($1, 'Bo', 'bo@example.org', true)",
    )
    .bind(Uuid::new_v4())
    .execute(&mut conn)
    .await
    .unwrap();
    // A list may meet a killed session (503, and the DbSupervisor checks the
    // connection); a list without Bo is allowed only within the 1 s rule.
    let written = Instant::now();
    let deadline = written + READY_TIMEOUT;
    loop {
        let r = daemon.get(MEMBERS).await;
        if r.status == StatusCode::OK {
            if names(&r.body) == ["Ada", "Bo"] {
                break;
            }
            assert!(
                written.elapsed() < COHERENCE_DEADLINE,
                "stale list {:?} after the write",
                written.elapsed()
            );
        } else {
            assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
        }
        assert!(Instant::now() < deadline, "never served again: {}", r.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    cached_list(&daemon).await;
    sqlx::query("DELETE FROM members WHERE name = 'Bo'")
        .execute(&mut conn)
        .await
        .unwrap();
    list_until(&daemon, "write after the new sessions visible", |l| {
        names(l) == ["Ada"]
    })
    .await;
}

#[tokio::test]
async fn without_the_trigger_the_list_is_never_cached() {
    let (daemon, db) = ready_daemon().await;
    create(&daemon, "Ada", "ada@example.org").await;
    cached_list(&daemon).await;
    let mut conn = db.connect().await.unwrap();

    // Disabling the trigger stops the counting; the next list's check (at
    // most RECHECK_AFTER, 250 ms, after the last one) notices and drops the
    // body; from then on no body is served or kept.
    sqlx::query("ALTER TABLE members DISABLE TRIGGER taskflow_members_count")
        .execute(&mut conn)
        .await
        .unwrap();
    let deadline = Instant::now() + COHERENCE_DEADLINE;
    loop {
        assert_eq!(daemon.get(MEMBERS).await.status, StatusCode::OK);
        if cache_state(&daemon).await == (false, false) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cache still on without the trigger"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..3 {
        assert_eq!(daemon.get(MEMBERS).await.status, StatusCode::OK);
        assert_eq!(cache_state(&daemon).await, (false, false));
    }
    sqlx::query(
        "INSERT INTO members (id, name, email, active) VALUES ($1, 'Bo', 'bo@example.org', true)",
    )
    .bind(Uuid::new_v4())
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(names(&daemon.get(MEMBERS).await.body), ["Ada", "Bo"]);

    // Enabled again: the next list caches again.
    sqlx::query("ALTER TABLE members ENABLE TRIGGER taskflow_members_count")
        .execute(&mut conn)
        .await
        .unwrap();
    cached_list(&daemon).await;
}

/// A database whose `members` table belongs to another role (adopted from an
/// older deployment): the role may use the table but cannot put a trigger on
/// it. The daemon still becomes ready, keeps the list cache off, and every
/// list is read from the database, so a direct write shows at once.
#[tokio::test]
async fn members_owned_by_another_role_work_without_the_cache() {
    use sea_orm::sqlx::Connection;
    let cluster = pg::shared();
    let db = cluster.create_database().await;
    let mut admin =
        sqlx::postgres::PgConnection::connect_with(&cluster.admin_options().database(&db.name))
            .await
            .unwrap();
    for sql in [
        "CREATE TABLE members (id uuid PRIMARY KEY, name varchar(100) NOT NULL, \
         email varchar(320) NOT NULL CONSTRAINT uq_members_email UNIQUE, active boolean NOT NULL DEFAULT true)"
            .to_owned(),
        // REFERENCES: the task tables' foreign keys point at members.
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON members TO \"{}\"",
            db.role
        ),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
    }
    let daemon = TestDaemon::builder()
        .secret(db.password.clone())
        .start()
        .await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(20)).await;
    let created = create(&daemon, "Ada", "ada@example.com").await;
    assert_eq!(daemon.get("/api/v1/members").await.body, json!([created]));
    assert_eq!(
        daemon.get("/__test/members-cache").await.body["enabled"],
        json!(false)
    );

    sqlx::query("INSERT INTO members (id, name, email) VALUES ($1, 'Bob', 'bob@example.com')")
        .bind(Uuid::new_v4())
        .execute(&mut admin)
        .await
        .unwrap();
    let list = daemon.get("/api/v1/members").await.body;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(2),
        "a direct write shows at once"
    );
}

/// Two daemons patch different fields of one member at the same moment,
/// again and again: each patch lands, none undoes the other (the patch is
/// merged under the row's lock, not over a copy read before it).
#[tokio::test]
async fn concurrent_patches_of_different_fields_both_land() {
    let (a, db) = ready_daemon().await;
    let b = daemon_on(&db).await;
    let ada = create(&a, "Ada", "ada@example.org").await;
    let url = item(&id_of(&ada));
    for round in 0..20 {
        let name = format!("Ada {round}");
        let email = format!("ada{round}@example.org");
        let name_patch = json!({"name": name});
        let email_patch = json!({"email": email, "active": round % 2 == 0});
        let (ra, rb) = tokio::join!(
            a.patch_json(&url, &name_patch),
            b.patch_json(&url, &email_patch),
        );
        assert_eq!(ra.status, StatusCode::OK, "{}", ra.text);
        assert_eq!(rb.status, StatusCode::OK, "{}", rb.text);
        let stored = a.get(&url).await.body;
        assert_eq!(
            stored,
            json!({"id": id_of(&ada), "name": name, "email": email, "active": round % 2 == 0}),
            "round {round}"
        );
    }
}
