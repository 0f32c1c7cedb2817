//! The team's connection budget (issue #14, DESIGN.md "The team's
//! database"): an idle daemon holds at most one server session, a team of
//! daemons fits a small server and serves bursts without an error, and a
//! server out of slots is reported in words a team lead can act on.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use sea_orm::sqlx::{self, Connection};
use serde_json::json;

use crate::helpers::TestDaemon;
use crate::helpers::pg::{self, PgCluster, TestDb};

const MEMBERS: &str = "/api/v1/members";
const STATUS: &str = "/api/v1/settings/status";

/// taskflowd's sessions on `db`, counted as the superuser (whose reserved
/// slots a full server still has).
pub async fn sessions(cluster: &PgCluster, db: &TestDb) -> i64 {
    let mut admin = sqlx::PgConnection::connect_with(&cluster.admin_options())
        .await
        .unwrap();
    let n = db.daemon_sessions(&mut admin).await;
    let _ = admin.close().await;
    n
}

/// `n` concurrent requests, a create and a list in turn; every answer must
/// be a success.
async fn burst(daemon: &TestDaemon, n: usize, tag: &str) {
    let requests = (0..n).map(|i| async move {
        if i % 2 == 0 {
            let body = json!({"name": format!("M{i}"), "email": format!("{tag}-{i}@example.org")});
            daemon.post_json(MEMBERS, &body).await
        } else {
            daemon.get(MEMBERS).await
        }
    });
    for r in join_all(requests).await {
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::CREATED,
            "{} {}\n{}",
            r.status,
            r.text,
            daemon.log_tail(20)
        );
    }
}

/// A burst opens up to `db_pool_max` sessions; with no request for 30 s the
/// daemon closes all but the one its liveness ping uses. (The 30 s are the
/// design's; this is the one test that waits for them.)
#[tokio::test]
async fn an_idle_daemon_settles_at_one_session() {
    let cluster = pg::shared();
    let db = cluster.create_database().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_POOL_MAX", "3")
        .secret(&db.password)
        .start()
        .await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(30)).await;

    let mut peak = 0;
    for round in 0..5 {
        burst(&daemon, 40, &format!("r{round}")).await;
        peak = peak.max(sessions(cluster, &db).await);
        if peak > 1 {
            break;
        }
    }
    assert!(peak > 1, "the bursts never needed a second session");
    assert!(peak <= 3, "{peak} sessions with TASKFLOW_DB_POOL_MAX=3");

    let quiet = Instant::now();
    let deadline = quiet + Duration::from_secs(50);
    loop {
        let n = sessions(cluster, &db).await;
        if n <= 1 {
            assert_eq!(n, 1, "the ping's session stays (the daemon is healthy)");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {n} sessions after {:?} without a request",
            quiet.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        quiet.elapsed() >= Duration::from_secs(25),
        "closed after {:?}: sooner than the 30 s idle rule",
        quiet.elapsed()
    );
    assert_eq!(daemon.get("/health").await.status, StatusCode::OK);
}

/// 20 daemons, one pool connection each, on a server with 30 slots (27 for
/// ordinary roles): all become healthy and serve concurrent bursts of
/// reads and writes from every daemon without one error.
#[tokio::test]
async fn twenty_daemons_share_a_thirty_slot_server() {
    let cluster = PgCluster::start_sized(30);
    let db = cluster.create_database().await;
    let daemons: Vec<TestDaemon> = join_all((0..20).map(|_| {
        TestDaemon::builder()
            .env("TASKFLOW_DB_POOL_MAX", "1")
            .secret(&db.password)
            .start()
    }))
    .await;
    join_all(daemons.iter().map(|d| async {
        assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
        d.wait_until_healthy(Duration::from_secs(60)).await;
    }))
    .await;

    for round in 0..2 {
        join_all(
            daemons
                .iter()
                .enumerate()
                .map(|(i, d)| async move { burst(d, 10, &format!("d{i}r{round}")).await }),
        )
        .await;
    }
    let n = sessions(&cluster, &db).await;
    assert!(
        n <= 20,
        "{n} sessions for 20 daemons with one connection each"
    );
    // Every write landed: 5 creates per burst, 2 bursts, 20 daemons.
    // (Within the 1 s rule: other daemons' writes may take up to 250 ms.)
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let list = daemons[0].get(MEMBERS).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        if list.body.as_array().map(Vec::len) == Some(200) {
            break;
        }
        assert!(Instant::now() < deadline, "writes missing: {}", list.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A server with no free slot: `/health`, the status endpoint and the 503
/// of a member route say so, name the fix, and the daemon keeps retrying
/// until a slot is free.
#[tokio::test]
async fn a_server_out_of_slots_is_reported_and_retried() {
    // 6 slots, 3 reserved for superusers: the role gets 3, and takes them.
    let cluster = PgCluster::start_sized(6);
    let db = cluster.create_database().await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(db.connect().await.unwrap());
    }
    let daemon = TestDaemon::builder().secret(&db.password).start().await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);

    let expected = format!(
        "the server at 127.0.0.1:{} has no free connection slots (max_connections): \
         run fewer taskflowd daemons against it, raise max_connections, \
         or connect through a pooler such as PgBouncer",
        db.port
    );
    let health = daemon
        .wait_for_health(
            |r| {
                r.body["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("no free connection slots"))
            },
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        health.body["error"],
        json!(format!("Database startup failed: {expected}"))
    );
    let status = daemon.get(STATUS).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(
        status.body["last_error"],
        json!(expected),
        "{}",
        status.text
    );
    let r = daemon.get(MEMBERS).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(
        r.body["error"],
        json!(format!("Database not ready: startup failed: {expected}"))
    );

    // A slot frees up: the retries (which went on) succeed.
    let conn = held.pop().unwrap();
    let _ = conn.close().await;
    daemon.wait_until_healthy(Duration::from_secs(20)).await;
    let r = daemon.get(MEMBERS).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}\n{}",
        r.text,
        daemon.log_tail(30)
    );
}
