//! Fixtures for the team API's tests (tasks, sub-tasks, daily updates): a
//! ready daemon on a fresh database, members and tasks made through the API,
//! direct SQL on the database, and polling with a deadline.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use sea_orm::sqlx;
use serde_json::{Value, json};

use super::TestDaemon;
use super::daemon::ApiResponse;
use super::pg::{self, PgCluster, TestDb};

pub const TASKS: &str = "/api/v1/tasks";
pub const MEMBERS: &str = "/api/v1/members";
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A daemon connected to a fresh database on `cluster`, healthy (migrated).
pub async fn ready_daemon_on(cluster: &PgCluster) -> (TestDaemon, TestDb) {
    let db = cluster.create_database().await;
    let daemon = daemon_on(&db).await;
    (daemon, db)
}

/// A daemon connected to a fresh database of the shared cluster.
pub async fn ready_daemon() -> (TestDaemon, TestDb) {
    ready_daemon_on(pg::shared()).await
}

/// A (further) daemon on `db`, healthy.
pub async fn daemon_on(db: &TestDb) -> TestDaemon {
    let daemon = TestDaemon::start().await;
    let r = daemon.save_connection(db).await;
    assert_eq!(r.status, StatusCode::OK, "save-connection: {}", r.text);
    daemon.wait_until_healthy(READY_TIMEOUT).await;
    daemon
}

pub fn task_url(id: &str) -> String {
    format!("{TASKS}/{id}")
}

pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Creates a member and returns its id.
pub async fn member(d: &TestDaemon, name: &str) -> String {
    let email = format!("{}@example.org", uuid::Uuid::new_v4().simple());
    let r = d
        .post_json(MEMBERS, &json!({"name": name, "email": email}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    id_of(&r.body)
}

/// The smallest valid task body.
pub fn task_body(title: &str) -> Value {
    json!({"title": title, "status": "To Do", "priority": "Medium"})
}

/// POSTs a task (asserting 201) and returns it.
pub async fn create_task(d: &TestDaemon, body: Value) -> Value {
    let r = d.post_json(TASKS, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "create {body}: {}", r.text);
    r.body
}

/// Appends a sub-task (asserting 201) and returns it.
pub async fn create_sub_task(d: &TestDaemon, task: &str, title: &str) -> Value {
    let r = d
        .post_json(
            &format!("{TASKS}/{task}/subtasks"),
            &json!({"title": title}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// Adds a daily update (asserting 201) and returns it.
pub async fn create_update(d: &TestDaemon, task: &str, author: &str, content: &str) -> Value {
    let r = d
        .post_json(
            &format!("{TASKS}/{task}/updates"),
            &json!({"author_id": author, "content": content}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

#[track_caller]
pub fn assert_error(r: &ApiResponse, status: StatusCode, message: &str) {
    assert_eq!(r.error_message(status), message, "body: {}", r.text);
}

/// A 503 with `Retry-After: 5`: not ready, or the connection lost mid-request.
#[track_caller]
pub fn assert_unavailable(r: &ApiResponse, what: &str) {
    let msg = r.error_message(StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        msg.starts_with("Database not ready: ") || msg == "Database connection lost. Please retry.",
        "{what}: {msg}"
    );
    assert_eq!(
        r.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()),
        Some("5"),
        "{what}: Retry-After"
    );
}

/// The contract's timestamp: RFC 3339 UTC, microseconds, `Z`.
#[track_caller]
pub fn assert_timestamp(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    let b = s.as_bytes();
    let ok = s.len() == 27
        && s.ends_with('Z')
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && s.char_indices()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19 | 26) || c.is_ascii_digit());
    assert!(ok, "not RFC 3339 UTC with microseconds: {s}");
}

/// Runs SQL as the database's owner (test-made text, no outside input).
pub async fn sql(db: &TestDb, statements: &str) {
    let mut conn = db.connect().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// One text value from SQL.
pub async fn sql_text(db: &TestDb, query: &str) -> String {
    let mut conn = db.connect().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_owned()))
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// Polls `probe` every 20 ms until `done` holds; fails after `timeout` or on a 500.
pub async fn poll_until(
    timeout: Duration,
    what: &str,
    done: impl Fn(&ApiResponse) -> bool,
    probe: impl AsyncFn() -> ApiResponse,
) -> (ApiResponse, Duration) {
    let start = Instant::now();
    loop {
        let r = probe().await;
        assert_ne!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{what}: a 500 while waiting: {}",
            r.text
        );
        if done(&r) {
            return (r, start.elapsed());
        }
        assert!(
            start.elapsed() < timeout,
            "{what}: not reached within {timeout:?}; last {} {}",
            r.status,
            r.text
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
