//! The supervisor: panicking actors are restarted and the daemon converges
//! back to healthy; a panicking handler is a 500; a restart storm ends the
//! process with a non-zero exit.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestDaemon, pg};

async fn healthy_daemon() -> (TestDaemon, pg::TestDb) {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::builder().secret(&db.password).start().await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
    (daemon, db)
}

/// How many lines of `log` carry `event` for `actor`.
fn logged(log: &str, event: &str, actor: &str) -> usize {
    log.lines()
        .filter(|l| l.contains(event) && l.contains(actor))
        .count()
}

async fn panic_actor(daemon: &TestDaemon, actor: &str) {
    let r = daemon
        .send(daemon.request(
            reqwest::Method::POST,
            &format!("/__test/actor-panic/{actor}"),
        ))
        .await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::ACCEPTED, json!({"sent": true})),
        "{actor}"
    );
}

/// Waits until `actor` has been restarted `n` times *and* the new instance
/// is published: the supervisor logs "actor started" only after it put the
/// new ref in the directory, and until then a request to the actor is a
/// 503 "did not answer" (the restart window, as documented).
async fn wait_restart(daemon: &TestDaemon, actor: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = daemon.stderr();
        let restarted = logged(&log, "child actor ended; restarting", actor) >= n;
        // The first start logs "actor started" too: n restarts make n + 1.
        let published = logged(&log, "actor started", actor) > n;
        if restarted && published {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{actor} was not restarted\n{}",
            daemon.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_ready_since_changed(daemon: &TestDaemon, before: &serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = daemon.get("/api/v1/settings/status").await;
        if r.body["state"] == "ready" && r.body["ready_since"] != *before {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no new ready after the restart: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn each_panicking_actor_is_restarted_and_the_daemon_converges() {
    let (daemon, db) = healthy_daemon().await;
    let pid = daemon.pid();

    for actor in ["credential_store", "readiness", "db_supervisor"] {
        let before = daemon.get("/api/v1/settings/status").await.body["ready_since"].clone();
        panic_actor(&daemon, actor).await;
        wait_restart(&daemon, actor, 1).await;
        if actor == "db_supervisor" {
            // The new instance connects anew: wait for *its* ready, not a
            // glimpse of the previous one's.
            wait_ready_since_changed(&daemon, &before).await;
        }
        daemon.wait_until_healthy(Duration::from_secs(10)).await;
        // The restarted children answer.
        let r = daemon.get("/api/v1/settings/connection").await;
        assert_eq!(r.status, StatusCode::OK, "{actor}: {}", r.text);
        assert_eq!(r.body["database"], json!(db.name));
        let r = daemon.get("/api/v1/settings/status").await;
        assert_eq!(r.body["state"], "ready", "{actor}: {}", r.text);
        assert_eq!(r.body["connection"]["database"], json!(db.name));
    }
    assert_eq!(daemon.pid(), pid, "same process");
    assert!(daemon.try_exit_status().is_none());
}

#[tokio::test]
async fn panicking_handler_is_a_500_and_the_next_request_works() {
    let daemon = TestDaemon::start().await;

    let r = daemon.get("/__test/panic").await;
    assert_eq!(
        r.error_message(StatusCode::INTERNAL_SERVER_ERROR),
        "Internal server error"
    );
    assert_eq!(r.body, json!({"error": "Internal server error"}));

    let r = daemon.get("/api/v1/settings/status").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = daemon.get("/health").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(daemon.try_exit_status().is_none());
}

#[tokio::test]
async fn restart_storm_stops_the_daemon_with_a_non_zero_exit() {
    let daemon = TestDaemon::start().await;

    // Six restarts of one child well inside 10 s; each panic goes to the
    // current (restarted) actor.
    for n in 1..=6 {
        if daemon.try_exit_status().is_some() {
            break;
        }
        panic_actor(&daemon, "readiness").await;
        if n < 6 {
            wait_restart(&daemon, "readiness", n).await;
        }
    }
    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| {
            panic!(
                "daemon still runs after a restart storm\n{}",
                daemon.log_tail(30)
            )
        });
    assert!(!status.success(), "exit status {status}");
    assert_eq!(status.code(), Some(1), "exit status {status}");
    assert!(!daemon.stderr().contains("panicked at") || daemon.stderr().contains("test hook"));
}

/// taskflowd sessions on the test database that started before `since`
/// (PostgreSQL's clock, so no skew between the test and the server).
async fn sessions_older_than(db: &pg::TestDb, since: &str) -> i64 {
    let mut conn = db.connect().await.unwrap();
    sea_orm::sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name IN ('taskflowd', 'taskflowd-listener') AND datname = $1 \
         AND backend_start < $2::timestamptz",
    )
    .bind(&db.name)
    .bind(since)
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

async fn server_now(db: &pg::TestDb) -> String {
    let mut conn = db.connect().await.unwrap();
    sea_orm::sqlx::query_scalar("SELECT now()::text")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// A crashed DbSupervisor's pool must not outlive it: after each restart,
/// every session opened before the crash goes away. (The pool's size itself
/// varies with load, so the check is on the sessions' age, not their number.)
#[tokio::test]
async fn restarted_db_supervisor_does_not_leak_sessions() {
    let (daemon, db) = healthy_daemon().await;
    for n in 1..=3 {
        let before_crash = server_now(&db).await;
        panic_actor(&daemon, "db_supervisor").await;
        wait_restart(&daemon, "db_supervisor", n).await;
        daemon.wait_until_healthy(Duration::from_secs(10)).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let old = sessions_older_than(&db, &before_crash).await;
            if old == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{old} sessions of the crashed supervisor's pool still open after restart {n}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
