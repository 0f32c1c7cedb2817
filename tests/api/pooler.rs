//! taskflowd through PgBouncer (issue #14): Debian's package with its stock
//! settings, in session and in transaction mode. Five daemons migrate once,
//! CRUD is right, a write through another daemon or by direct SQL shows
//! within 1 s, and an outage of the server behind the pooler is reported
//! and healed.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use migration::MigratorTrait;
use reqwest::StatusCode;
use sea_orm::sqlx::{self, Row};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestDaemon;
use crate::helpers::daemon::ApiResponse;
use crate::helpers::pg::{self, PgCluster, TestDb};
use crate::helpers::pgbouncer::{PgBouncer, PoolMode};

const MEMBERS: &str = "/api/v1/members";
const READY: Duration = Duration::from_secs(30);
/// TASKS-API.md: another daemon's or direct SQL's write within 1 s.
const COHERENCE: Duration = Duration::from_secs(1);

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// Lists on `daemon` until the names are `want`, within [`COHERENCE`].
async fn list_until(daemon: &TestDaemon, want: &[&str], what: &str) {
    let deadline = Instant::now() + COHERENCE;
    loop {
        let r = daemon.get(MEMBERS).await;
        assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.text);
        if names(&r.body) == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within {COHERENCE:?}; list {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_ok(r: &ApiResponse, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
}

/// No ERROR line in a daemon's log (a prepared-statement clash or a failed
/// migration would log one).
fn assert_no_errors(daemon: &TestDaemon) {
    let logs = daemon.logs();
    let errors: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(" ERROR ") || l.contains("sqlx_s_"))
        .collect();
    assert!(errors.is_empty(), "errors in the log: {errors:#?}");
}

async fn daemons_through(via: &TestDb, n: usize) -> Vec<TestDaemon> {
    let daemons: Vec<TestDaemon> =
        join_all((0..n).map(|_| TestDaemon::builder().secret(&via.password).start())).await;
    for r in join_all(daemons.iter().map(|d| d.save_connection(via))).await {
        assert_ok(&r, StatusCode::OK, "save-connection");
    }
    join_all(daemons.iter().map(|d| d.wait_until_healthy(READY))).await;
    daemons
}

async fn migrate_crud_and_coherence(mode: PoolMode) {
    let cluster = pg::shared();
    let db = cluster.create_database().await;
    let bouncer = PgBouncer::start(cluster, mode, &[&db]);
    let via = bouncer.db(&db);

    // Five daemons at once: the migrations are applied exactly once.
    let daemons = daemons_through(&via, 5).await;
    let mut direct = db.connect().await.unwrap();
    let rows = sqlx::query("SELECT version, count(*) AS n FROM seaql_migrations GROUP BY version")
        .fetch_all(&mut direct)
        .await
        .unwrap();
    assert_eq!(rows.len(), migration::Migrator::migrations().len());
    assert!(rows.iter().all(|r| r.get::<i64, _>("n") == 1));
    let (a, b) = (&daemons[0], &daemons[1]);

    // CRUD through A; A sees its own writes at once, B within 1 s.
    let r = a
        .post_json(MEMBERS, &json!({"name": "Ada", "email": "ada@example.org"}))
        .await;
    assert_ok(&r, StatusCode::CREATED, "create");
    let ada = r.body.clone();
    let id = ada["id"].as_str().unwrap().to_owned();
    assert_eq!(a.get(MEMBERS).await.body, json!([ada]));
    list_until(b, &["Ada"], "A's create in B").await;
    assert_eq!(a.get(&format!("{MEMBERS}/{id}")).await.body, ada);
    let r = a
        .patch_json(&format!("{MEMBERS}/{id}"), &json!({"name": "Ada L."}))
        .await;
    assert_ok(&r, StatusCode::OK, "patch");
    assert_eq!(names(&a.get(MEMBERS).await.body), ["Ada L."]);
    list_until(b, &["Ada L."], "A's patch in B").await;
    let r = a
        .post_json(MEMBERS, &json!({"name": "Dup", "email": "ada@example.org"}))
        .await;
    assert_ok(&r, StatusCode::CONFLICT, "duplicate e-mail");

    // Direct SQL, as the Python backend would.
    sqlx::query(
        "INSERT INTO members (id, name, email, active) VALUES ($1, 'Bo', 'bo@example.org', true)",
    )
    .bind(Uuid::new_v4())
    .execute(&mut direct)
    .await
    .unwrap();
    list_until(a, &["Ada L.", "Bo"], "direct INSERT in A").await;
    list_until(b, &["Ada L.", "Bo"], "direct INSERT in B").await;

    // Delete through B.
    assert_ok(
        &b.delete(&format!("{MEMBERS}/{id}")).await,
        StatusCode::NO_CONTENT,
        "delete",
    );
    assert_eq!(names(&b.get(MEMBERS).await.body), ["Bo"]);
    list_until(a, &["Bo"], "B's delete in A").await;

    // Every daemon writes and reads at once: server sessions pass between
    // clients all the time in transaction mode.
    let bursts = daemons.iter().enumerate().map(|(i, d)| async move {
        for j in 0..6 {
            let r = d
                .post_json(
                    MEMBERS,
                    &json!({"name": format!("D{i}-{j}"), "email": format!("d{i}-{j}@example.org")}),
                )
                .await;
            assert_ok(&r, StatusCode::CREATED, "burst create");
            assert_ok(&d.get(MEMBERS).await, StatusCode::OK, "burst list");
        }
    });
    join_all(bursts).await;
    for d in &daemons {
        let deadline = Instant::now() + COHERENCE;
        loop {
            let list = d.get(MEMBERS).await;
            assert_ok(&list, StatusCode::OK, "list after the bursts");
            if list.body.as_array().map(Vec::len) == Some(31) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "not every write seen: {}",
                list.text
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_no_errors(d);
    }
}

#[tokio::test]
async fn session_mode_migrates_once_serves_crud_and_stays_coherent() {
    migrate_crud_and_coherence(PoolMode::Session).await;
}

#[tokio::test]
async fn transaction_mode_migrates_once_serves_crud_and_stays_coherent() {
    migrate_crud_and_coherence(PoolMode::Transaction).await;
}

/// The server behind the pooler stops: the pooler still answers, but the
/// daemon's liveness check fails, `/health` says 503, and once the server is
/// back the daemon is healthy again by itself.
async fn outage_behind_the_pooler(mode: PoolMode) {
    let cluster = PgCluster::start();
    let db = cluster.create_database().await;
    let bouncer = PgBouncer::start(&cluster, mode, &[&db]);
    let via = bouncer.db(&db);
    let daemon = daemons_through(&via, 1).await.remove(0);
    assert_ok(
        &daemon
            .post_json(MEMBERS, &json!({"name": "Ada", "email": "ada@example.org"}))
            .await,
        StatusCode::CREATED,
        "create",
    );

    // The harness's cluster runs without fsync; make the row durable first.
    cluster.exec_admin("CHECKPOINT").await.unwrap();
    cluster.stop();
    let r = daemon
        .wait_for_health(
            |r| r.status == StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(20),
        )
        .await;
    assert!(
        r.body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Database")),
        "{}",
        r.text
    );
    let r = daemon.get(MEMBERS).await;
    assert_ok(&r, StatusCode::SERVICE_UNAVAILABLE, "list while down");

    cluster.start_again();
    daemon.wait_until_healthy(READY).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = daemon.get(MEMBERS).await;
        if r.status == StatusCode::OK {
            assert_eq!(names(&r.body), ["Ada"]);
            break;
        }
        assert!(Instant::now() < deadline, "not serving again: {}", r.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(bouncer);
}

#[tokio::test]
async fn session_mode_outage_behind_the_pooler_is_detected_and_healed() {
    outage_behind_the_pooler(PoolMode::Session).await;
}

#[tokio::test]
async fn transaction_mode_outage_behind_the_pooler_is_detected_and_healed() {
    outage_behind_the_pooler(PoolMode::Transaction).await;
}
