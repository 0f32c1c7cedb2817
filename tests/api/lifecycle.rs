//! The database lifecycle as seen from `/health` and `/api/v1/settings/status`:
//! configure, restart, wrong password, outage, concurrent migrations, adoption
//! of a Python-era database, reconfigure while connecting, unreadable files.

use std::time::{Duration, Instant};

use migration::MigratorTrait;
use reqwest::StatusCode;
use sea_orm::sqlx::{self, Row};
use serde_json::{Value, json};

use crate::helpers::daemon::ApiResponse;
use crate::helpers::files::entries;
use crate::helpers::net::Blackhole;
use crate::helpers::pg::{PgCluster, TestDb};
use crate::helpers::{TestDaemon, pg};

const STATUS: &str = "/api/v1/settings/status";

fn health_error(r: &ApiResponse) -> Option<&str> {
    (r.status == StatusCode::SERVICE_UNAVAILABLE)
        .then(|| r.body["error"].as_str())
        .flatten()
}

fn summary(db: &TestDb) -> Value {
    json!({
        "host": "127.0.0.1",
        "port": db.port,
        "database": db.name,
        "username": db.role,
        "has_password": true,
    })
}

async fn set_password(cluster: &PgCluster, db: &TestDb, password: &str) {
    let literal = password.replace('\'', "''");
    cluster
        .exec_admin(&format!("ALTER ROLE \"{}\" PASSWORD '{literal}'", db.role))
        .await
        .unwrap_or_else(|e| panic!("ALTER ROLE failed: {}", pg::redact(&e, &db.password)));
}

/// Lines logged at ERROR level (text format, ANSI colours stripped).
fn error_lines(logs: &str) -> Vec<String> {
    logs.lines()
        .map(strip_ansi)
        .filter(|l| l.split_whitespace().nth(1) == Some("ERROR"))
        .collect()
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn unconfigured_status_and_health() {
    let daemon = TestDaemon::start().await;

    let r = daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| !e.starts_with("Database is starting")),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        r.body,
        json!({
            "status": "unhealthy",
            "error": "Database connection is not configured. Save connection settings first."
        })
    );
    let r = daemon.get(STATUS).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({
            "configured": false,
            "state": "unconfigured",
            "attempt": 0,
            "last_error": null,
            "ready_since": null,
            "connection": null,
            "version": env!("CARGO_PKG_VERSION"),
        })
    );
}

#[tokio::test]
async fn save_makes_ready_without_restart_and_survives_a_restart() {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::start().await;
    let pid = daemon.pid();

    let r = daemon.save_connection(&db).await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::OK, json!({"status": "saved"}))
    );
    daemon.wait_until_healthy(Duration::from_secs(2)).await;
    assert_eq!(daemon.pid(), pid, "no restart");

    let r = daemon.get(STATUS).await;
    assert_eq!(r.status, StatusCode::OK);
    let since = r.body["ready_since"]
        .as_str()
        .expect("ready_since")
        .to_owned();
    time::OffsetDateTime::parse(&since, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("ready_since {since:?} is not RFC 3339: {e}"));
    assert_eq!(
        r.body,
        json!({
            "configured": true,
            "state": "ready",
            "attempt": 0,
            "last_error": null,
            "ready_since": since,
            "connection": summary(&db),
            "version": env!("CARGO_PKG_VERSION"),
        })
    );
    assert!(!r.text.contains(&db.password));

    // The DbSupervisor logs every transition at debug with the old and new
    // state words, inside its actor span (DESIGN.md "Operators").
    let transitions: Vec<String> = daemon
        .logs()
        .lines()
        .map(strip_ansi)
        .filter(|l| l.contains(" DEBUG ") && l.contains("db state"))
        .collect();
    for (from, to) in [
        ("unconfigured", "connecting"),
        ("connecting", "migrating"),
        ("migrating", "ready"),
    ] {
        let want = format!("actor=db_supervisor from={from} to={to} ");
        assert!(
            transitions.iter().any(|l| l.contains(&want)),
            "no transition {want:?} in {transitions:#?}"
        );
    }

    let status = daemon.terminate().await;
    assert_eq!(status.code(), Some(0));
    let again = TestDaemon::builder()
        .config_dir(daemon.config_dir_handle())
        .secret(&db.password)
        .start()
        .await;
    again.wait_until_healthy(Duration::from_secs(10)).await;
    assert_eq!(again.get(STATUS).await.body["connection"], summary(&db));
    for d in [&daemon, &again] {
        assert!(!d.logs().contains(&db.password), "password in the log");
    }
}

#[tokio::test]
async fn wrong_saved_password_fails_then_recovers_by_itself() {
    let cluster = pg::shared();
    let db = cluster.create_database().await;
    let first = TestDaemon::start().await;
    assert_eq!(first.save_connection(&db).await.status, StatusCode::OK);
    first.wait_until_healthy(Duration::from_secs(10)).await;
    assert_eq!(first.terminate().await.code(), Some(0));

    set_password(cluster, &db, "other").await;
    let daemon = TestDaemon::builder()
        .config_dir(first.config_dir_handle())
        .env("TASKFLOW_DB_STARTUP_RETRY_ATTEMPTS", "2")
        .secret(&db.password)
        .start()
        .await;
    let reason = format!("password authentication failed for user \"{}\"", db.role);
    let r = daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| e.starts_with("Database startup failed")),
            Duration::from_secs(15),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"status": "unhealthy", "error": format!("Database startup failed: {reason}")})
    );
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "failed");
    assert_eq!(s["configured"], true);
    assert_eq!(s["last_error"], json!(reason));
    assert!(s["attempt"].as_u64().unwrap() >= 2, "{s}");
    assert_eq!(s["connection"], summary(&db));

    let pid = daemon.pid();
    set_password(cluster, &db, &db.password).await;
    // Retries go on at the cap (500 ms in tests).
    daemon.wait_until_healthy(Duration::from_secs(5)).await;
    assert_eq!(daemon.pid(), pid);
    assert!(!daemon.logs().contains(&db.password), "password in the log");
}

#[tokio::test]
async fn outage_of_a_private_cluster_is_reported_and_recovered() {
    let cluster = PgCluster::start();
    let db = cluster.create_database().await;
    let daemon = TestDaemon::start().await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
    let pid = daemon.pid();

    cluster.stop();
    let stopped = Instant::now();
    // ping interval 300 ms + connect timeout 2 s + slack.
    let r = daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| e.starts_with("Database connection lost: ")),
            Duration::from_secs(6),
        )
        .await;
    tracing::debug!(elapsed = ?stopped.elapsed(), body = %r.body, "lost");
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "reconnecting", "{s}");
    assert_eq!(s["ready_since"], Value::Null);
    // Stays "lost" (never "startup failed") while the server is down.
    let r = daemon.get("/health").await;
    assert!(
        health_error(&r).is_some_and(|e| e.starts_with("Database connection lost: ")),
        "{}",
        r.text
    );

    // Once reconnect attempts run, the reason says what they find.
    let refused = format!(
        "Database connection lost: connection refused. Is PostgreSQL running at 127.0.0.1:{}?",
        cluster.port()
    );
    let r = daemon
        .wait_for_health(
            |r| health_error(r) == Some(&refused),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(r.body, json!({"status": "unhealthy", "error": refused}));

    cluster.start_again();
    // backoff cap 500 ms + 1 s + slack.
    daemon.wait_until_healthy(Duration::from_secs(5)).await;
    assert_eq!(daemon.pid(), pid, "same process");
    assert_eq!(daemon.get(STATUS).await.body["state"], "ready");
    assert!(!daemon.logs().contains(&db.password), "password in the log");
}

#[tokio::test]
async fn five_daemons_migrate_one_database_once() {
    let db = pg::shared().create_database().await;
    let mut daemons = Vec::new();
    for _ in 0..5 {
        daemons.push(TestDaemon::builder().secret(&db.password).start().await);
    }

    let saves =
        futures_util::future::join_all(daemons.iter().map(|d| d.save_connection(&db))).await;
    for r in saves {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    futures_util::future::join_all(
        daemons
            .iter()
            .map(|d| d.wait_until_healthy(Duration::from_secs(30))),
    )
    .await;

    let mut conn = db.connect().await.unwrap();
    let rows = sqlx::query("SELECT version, count(*) AS n FROM seaql_migrations GROUP BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let expected = migration::Migrator::migrations().len();
    assert_eq!(rows.len(), expected, "one row per migration");
    for row in rows {
        let n: i64 = row.get("n");
        assert_eq!(
            n,
            1,
            "migration {} recorded {n} times",
            row.get::<String, _>("version")
        );
    }
    for d in &daemons {
        let errors = error_lines(&d.logs());
        assert!(errors.is_empty(), "ERROR lines: {errors:#?}");
    }
}

#[tokio::test]
async fn python_era_database_is_adopted() {
    let db = pg::shared().create_database().await;
    let mut conn = db.connect().await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE members (
            id UUID PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            email VARCHAR(320) NOT NULL,
            active BOOLEAN NOT NULL DEFAULT TRUE,
            CONSTRAINT uq_members_email UNIQUE (email)
        );
        CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('3f2a1b9c0d4e');
        INSERT INTO members (id, name, email) VALUES
            ('6f1c3c52-1d0e-4a53-9d1a-2b7c9b1f0a01', 'Ada', 'ada@example.com'),
            ('6f1c3c52-1d0e-4a53-9d1a-2b7c9b1f0a02', 'Linus', 'linus@example.com');",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let daemon = TestDaemon::start().await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;

    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM members ORDER BY name")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(names, ["Ada", "Linus"]);
    let versions: Vec<String> = sqlx::query_scalar("SELECT version_num FROM alembic_version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(versions, ["3f2a1b9c0d4e"]);
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM seaql_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(applied as usize, migration::Migrator::migrations().len());
}

#[tokio::test]
async fn reconfigure_while_connecting_wins_over_the_stale_attempt() {
    let db = pg::shared().create_database().await;
    let blackhole = Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "3")
        .secret(&db.password)
        .start()
        .await;

    daemon.save_blackhole(&blackhole, "stale-password").await;
    let switched = Instant::now();
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;

    // Past the stale attempt's deadline, the state stays on the new settings.
    while switched.elapsed() < Duration::from_secs(4) {
        let r = daemon.get("/health").await;
        assert_eq!(r.status, StatusCode::OK, "flipped back: {}", r.text);
        let s = daemon.get(STATUS).await.body;
        assert_eq!(s["state"], "ready", "{s}");
        assert_eq!(s["connection"], summary(&db), "{s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn corrupt_credential_token_is_reported_then_replaced_and_kept() {
    let db = pg::shared().create_database().await;
    let first = TestDaemon::start().await;
    assert_eq!(first.save_connection(&db).await.status, StatusCode::OK);
    assert_eq!(first.terminate().await.code(), Some(0));
    let dir = first.config_dir().to_owned();
    let file = dir.join("db_credentials.enc");
    std::fs::remove_file(&file).unwrap();
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&file).unwrap();
        f.write_all(b"this is not a fernet token\n").unwrap();
    }

    let daemon = TestDaemon::builder()
        .config_dir(first.config_dir_handle())
        .secret(&db.password)
        .start()
        .await;
    let r = daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| !e.starts_with("Database is starting")),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        r.body,
        json!({
            "status": "unhealthy",
            "error": "Stored connection settings cannot be read: db_credentials.enc cannot be \
                      decrypted with fernet.key. Save connection settings again."
        })
    );
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "failed", "{s}");
    assert_eq!(s["configured"], true, "{s}");
    assert_eq!(
        s["last_error"], "db_credentials.enc cannot be decrypted with fernet.key",
        "{s}"
    );

    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
    let kept: Vec<_> = entries(&dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("db_credentials.enc.corrupt-"))
        })
        .collect();
    assert_eq!(kept.len(), 1, "{:?}", entries(&dir));
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        b"this is not a fernet token\n"
    );
}

/// Waits (5 s at most) until `/health` names the first attempt with the new
/// settings, which the blackhole holds for the whole connect timeout. The
/// DbSupervisor starts the connect and sends the new state to Readiness in
/// the same turn, but Readiness applies it on its own turn: the blackhole can
/// see the connection a moment before `/health` says so.
async fn wait_for_first_attempt(daemon: &TestDaemon) {
    let expected =
        json!({"status": "unhealthy", "error": "Database is starting: connecting (attempt 1)"});
    daemon
        .wait_for_health(|r| r.body == expected, Duration::from_secs(5))
        .await;
}

#[tokio::test]
async fn reconfigure_after_startup_failed_reports_the_new_attempt() {
    let db = pg::shared().create_database().await;
    let blackhole = Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_STARTUP_RETRY_ATTEMPTS", "1")
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "10")
        .secret(&db.password)
        .start()
        .await;
    let mut wrong = db.credentials_json();
    wrong["password"] = json!("not-the-password");
    let r = daemon
        .post_json("/api/v1/settings/save-connection", &wrong)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| e.starts_with("Database startup failed: ")),
            Duration::from_secs(10),
        )
        .await;

    daemon.save_blackhole(&blackhole, "pw").await;

    // The new settings' first attempt is in flight: the old failure is history.
    wait_for_first_attempt(&daemon).await;
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "connecting", "{s}");
    assert_eq!(s["attempt"], 1, "{s}");
    assert_eq!(s["last_error"], Value::Null, "{s}");
    assert_eq!(s["connection"]["port"], json!(blackhole.port()), "{s}");
}

#[tokio::test]
async fn reconfigure_after_connection_lost_reports_the_new_attempt() {
    let cluster = PgCluster::start();
    let db = cluster.create_database().await;
    let blackhole = Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "10")
        .secret(&db.password)
        .start()
        .await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
    cluster.stop();
    daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| e.starts_with("Database connection lost: ")),
            Duration::from_secs(15),
        )
        .await;

    daemon.save_blackhole(&blackhole, "pw").await;
    wait_for_first_attempt(&daemon).await;
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "connecting", "{s}");
    assert_eq!(s["last_error"], Value::Null, "{s}");
}

#[tokio::test]
async fn a_hung_server_is_detected_within_ping_interval_plus_timeout_and_recovered() {
    let db = pg::shared().create_database().await;
    let proxy = crate::helpers::net::FreezableProxy::start(db.port).await;
    let daemon = TestDaemon::start().await;
    daemon.save_behind(&db, &proxy).await;

    proxy.set_frozen(true);
    let frozen = Instant::now();
    // ping interval 300 ms + connect timeout 2 s + slack.
    let r = daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| e.starts_with("Database connection lost: ")),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(
        r.body["error"],
        "Database connection lost: no answer within 2 s",
        "after {:?}",
        frozen.elapsed()
    );
    // While it hangs, /health and status answer at once.
    for path in ["/health", STATUS] {
        let started = Instant::now();
        daemon.get(path).await;
        assert!(started.elapsed() < Duration::from_millis(500), "{path}");
    }

    proxy.set_frozen(false);
    // A connect attempt in flight may need its full 2 s timeout, then cap 500 ms.
    daemon.wait_until_healthy(Duration::from_secs(6)).await;
}

/// sqlx checks every connection it takes back with one round trip of its
/// own, without a timeout: a server that stops answering right then leaves
/// that connection out of the pool for good. The ping must not take "no
/// connection free" for a sign of life.
#[tokio::test]
async fn a_server_that_hangs_while_a_connection_is_taken_back_is_detected() {
    let db = pg::shared().create_database().await;
    let proxy = crate::helpers::net::FreezableProxy::start(db.port).await;
    let daemon = TestDaemon::start().await;
    daemon.save_behind(&db, &proxy).await;

    // The next ping's answer arrives; the check on its release hangs.
    proxy.freeze_after_next_answer();
    let r = daemon
        .wait_for_health(
            |r| health_error(r).is_some_and(|e| e.starts_with("Database connection lost: ")),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        r.body["error"],
        "Database connection lost: no answer within 2 s"
    );

    proxy.set_frozen(false);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn reconfigure_while_migrating_wins_and_the_stale_migration_is_ignored() {
    let cluster = pg::shared();
    let a = cluster.create_database().await;
    let b = cluster.create_database().await;
    // Another "daemon" holds the migration lock on A: ours waits in Migrating.
    let mut holder = a.connect().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(taskflowd::db::migrate::MIGRATION_LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();
    let daemon = TestDaemon::builder()
        .secret(&a.password)
        .secret(&b.password)
        .start()
        .await;
    assert_eq!(daemon.save_connection(&a).await.status, StatusCode::OK);
    let r = daemon
        .wait_for_health(
            |r| health_error(r) == Some("Database is starting: migrating"),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"status": "unhealthy", "error": "Database is starting: migrating"})
    );
    assert_eq!(daemon.get(STATUS).await.body["state"], "migrating");

    assert_eq!(daemon.save_connection(&b).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;

    // Let the stale migration on A go on: it must not change anything.
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(taskflowd::db::migrate::MIGRATION_LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();
    let released = Instant::now();
    while released.elapsed() < Duration::from_secs(2) {
        let s = daemon.get(STATUS).await.body;
        assert_eq!(s["state"], "ready", "{s}");
        assert_eq!(s["connection"], summary(&b), "{s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let errors = error_lines(&daemon.logs());
    assert!(errors.is_empty(), "ERROR lines: {errors:#?}");
}

#[tokio::test]
async fn health_answers_starting_or_unconfigured_from_the_first_moment() {
    let daemon = TestDaemon::builder().spawn();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut answers = Vec::new();
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no stable answer: {answers:?}"
        );
        let Ok(resp) = daemon
            .client()
            .get(daemon.url("/health"))
            .timeout(Duration::from_secs(1))
            .send()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        };
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        let error = body["error"].as_str().unwrap().to_owned();
        assert_eq!(body, json!({"status": "unhealthy", "error": error}));
        let done =
            error == "Database connection is not configured. Save connection settings first.";
        assert!(
            done || error.starts_with("Database is starting: "),
            "unexpected reason {error:?}"
        );
        answers.push(error);
        if done {
            break;
        }
    }
}

#[tokio::test]
async fn server_not_running_at_startup_is_named_in_health() {
    let port = crate::helpers::net::closed_port();
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_STARTUP_RETRY_ATTEMPTS", "2")
        .start()
        .await;
    let body = json!({
        "host": "127.0.0.1", "port": port, "database": "d", "username": "u", "password": "pw",
    });
    let r = daemon
        .post_json("/api/v1/settings/save-connection", &body)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let reason = format!("connection refused. Is PostgreSQL running at 127.0.0.1:{port}?");
    let expected = format!("Database startup failed: {reason}");
    // Two refused attempts and one backoff (≤ 500 ms): well under the connect timeout.
    let r = daemon
        .wait_for_health(
            |r| health_error(r) == Some(expected.as_str()),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(r.body, json!({"status": "unhealthy", "error": expected}));
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "failed", "{s}");
    assert_eq!(s["last_error"], json!(reason), "{s}");
}

#[tokio::test]
async fn daemon_started_while_the_server_is_down_connects_once_it_is_up() {
    let cluster = PgCluster::start();
    let db = cluster.create_database().await;
    let first = TestDaemon::builder().secret(&db.password).start().await;
    assert_eq!(first.save_connection(&db).await.status, StatusCode::OK);
    first.wait_until_healthy(Duration::from_secs(10)).await;
    assert_eq!(first.terminate().await.code(), Some(0));
    cluster.stop();

    let daemon = TestDaemon::builder()
        .config_dir(first.config_dir_handle())
        .secret(&db.password)
        .start()
        .await;
    let expected = format!(
        "Database startup failed: connection refused. Is PostgreSQL running at 127.0.0.1:{}?",
        cluster.port()
    );
    // Three attempts (the default) with backoff ≤ 500 ms.
    daemon
        .wait_for_health(
            |r| health_error(r) == Some(expected.as_str()),
            Duration::from_secs(5),
        )
        .await;
    let s = daemon.get(STATUS).await.body;
    assert_eq!(s["state"], "failed", "{s}");
    assert!(s["attempt"].as_u64().unwrap() >= 3, "{s}");

    cluster.start_again();
    daemon.wait_until_healthy(Duration::from_secs(5)).await;
    let s = daemon.get(STATUS).await.body;
    assert_eq!(
        (s["state"].clone(), s["attempt"].clone()),
        (json!("ready"), json!(0))
    );
}

/// A migration lock that is never released (another daemon whose network
/// died silently) does not keep the daemon in Migrating forever: after the
/// deadline the attempt fails with the reason and is retried, and once the
/// lock goes away the daemon becomes healthy by itself.
#[tokio::test]
async fn a_migration_lock_held_forever_fails_the_attempt_and_is_retried() {
    let db = pg::shared().create_database().await;
    let mut holder = db.connect().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(taskflowd::db::migrate::MIGRATION_LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_MIGRATION_TIMEOUT_SECS", "1")
        .secret(&db.password)
        .start()
        .await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);

    let reason =
        "migrations did not finish within 1 s (is another taskflowd migrating this database?)";
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = daemon.get(STATUS).await.body;
        if s["last_error"] == json!(reason) {
            assert!(s["attempt"].as_u64().unwrap() >= 1, "{s}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never reported the lock timeout: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(taskflowd::db::migrate::MIGRATION_LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
}
