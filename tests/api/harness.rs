//! The fixtures themselves: the private cluster authenticates with scram, can be
//! stopped and started, hands out distinct databases, and cleans up after itself.

use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{self, Connection};

use crate::helpers::pg::{self, PgCluster, redact};

#[tokio::test]
async fn role_password_is_accepted_over_tcp_with_scram() {
    let db = pg::shared().create_database().await;

    let mut conn = db
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect as the test role: {}", redact(&e, &db.password)));
    let (user, database): (String, String) =
        sqlx::query_as("SELECT current_user::text, current_database()::text")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(user, db.role);
    assert_eq!(database, db.name);

    // The database is owned by the role, and the role can create tables in it.
    let (owner,): (String,) = sqlx::query_as(
        "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(owner, db.role);
    sqlx::raw_sql("CREATE TABLE harness_probe (id int)")
        .execute(&mut conn)
        .await
        .unwrap();

    // The role's password is stored as a SCRAM verifier (so TCP auth used scram).
    let mut admin = sqlx::postgres::PgConnection::connect_with(&pg::shared().admin_options())
        .await
        .unwrap();
    let (method,): (String,) =
        sqlx::query_as("SELECT split_part(rolpassword, '$', 1) FROM pg_authid WHERE rolname = $1")
            .bind(&db.role)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(method, "SCRAM-SHA-256");
    let (auth,): (String,) = sqlx::query_as(
        "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' ORDER BY line_number LIMIT 1",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(auth, "scram-sha-256");
    conn.close().await.unwrap();
    admin.close().await.unwrap();
}

#[tokio::test]
async fn url_with_hostile_password_round_trips() {
    let db = pg::shared().create_database().await;
    assert!(
        ["@", ":", "/", "?", "#", " ", "%"]
            .iter()
            .all(|c| db.password.contains(c)),
        "the password contains URL-hostile characters"
    );
    let opts = PgConnectOptions::from_str(&db.url).expect("TestDb.url parses");
    assert_eq!(opts.get_username(), db.role);
    assert_eq!(opts.get_database(), Some(db.name.as_str()));
    let conn = sqlx::postgres::PgConnection::connect_with(
        &opts.ssl_mode(sqlx::postgres::PgSslMode::Disable),
    )
    .await
    .unwrap_or_else(|e| panic!("connect with TestDb.url: {}", redact(&e, &db.password)));
    conn.close().await.unwrap();
}

#[tokio::test]
async fn wrong_password_is_refused_as_auth_failure() {
    let db = pg::shared().create_database().await;
    let opts = db.connect_options().password("definitely-not-it");

    let Err(err) = sqlx::postgres::PgConnection::connect_with(&opts).await else {
        panic!("a wrong password must be refused");
    };
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(
        code.as_deref(),
        Some("28P01"),
        "invalid_password; got: {}",
        redact(&err, &db.password)
    );
}

#[tokio::test]
async fn two_databases_are_distinct() {
    let cluster = pg::shared();
    let (a, b) = tokio::join!(cluster.create_database(), cluster.create_database());
    assert_ne!(a.name, b.name);
    assert_ne!(a.role, b.role);
    assert_ne!(a.password, b.password);
    assert!(
        a.name.starts_with("t_") && a.name.len() == 34,
        "t_<uuid simple>"
    );

    // Each role reaches its own database; a table in one is absent from the other.
    let mut ca = a.connect().await.unwrap();
    let mut cb = b.connect().await.unwrap();
    sqlx::raw_sql("CREATE TABLE only_in_a (id int)")
        .execute(&mut ca)
        .await
        .unwrap();
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")
            .fetch_one(&mut cb)
            .await
            .unwrap();
    assert_eq!(n, 0);
    ca.close().await.unwrap();
    cb.close().await.unwrap();
}

#[tokio::test]
async fn stop_refuses_connections_and_start_again_restores_them_on_the_same_port() {
    // Its own cluster: stopping the shared one would break other tests.
    let cluster = tokio::task::spawn_blocking(PgCluster::start).await.unwrap();
    let port = cluster.port();
    let db = cluster.create_database().await;
    let conn = db.connect().await.unwrap();
    conn.close().await.unwrap();

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.stop();
        cluster
    })
    .await
    .unwrap();
    assert!(
        cluster.postmaster_pid().is_none(),
        "no postmaster after stop()"
    );
    let Err(err) = db.connect().await else {
        panic!("connecting to a stopped cluster fails");
    };
    assert!(
        matches!(err, sqlx::Error::Io(_)),
        "connection refused expected, got: {}",
        redact(&err, &db.password)
    );

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.start_again();
        cluster
    })
    .await
    .unwrap();
    assert_eq!(cluster.port(), port);
    let mut conn = db
        .connect()
        .await
        .unwrap_or_else(|e| panic!("reconnect after start_again: {}", redact(&e, &db.password)));
    let (one,): (i32,) = sqlx::query_as("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn dropping_a_cluster_stops_it_and_removes_its_files() {
    let cluster = tokio::task::spawn_blocking(PgCluster::start).await.unwrap();
    let root = cluster.root_dir().to_path_buf();
    let pid = cluster.postmaster_pid().expect("postmaster running");
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
    assert!(!root.exists(), "temp dir removed");
    assert!(!process_alive(pid), "postmaster {pid} gone");
}

/// Env var that turns `abandoned_cluster_child` into the child half of the test below.
const LEAK_CHILD_ENV: &str = "TASKFLOWD_HARNESS_LEAK_CHILD";

/// A cluster whose `Drop` never runs (the shared one, in a `static`) is still
/// stopped and removed once the test process is gone.
///
/// The test runs itself again as a child process (same binary, same test,
/// [`LEAK_CHILD_ENV`] set): the child starts a cluster, prints where it lives
/// and exits without dropping it; the parent then waits for the cleanup.
#[test]
fn abandoned_cluster_is_cleaned_up_after_process_exit() {
    if std::env::var_os(LEAK_CHILD_ENV).is_some() {
        let cluster = PgCluster::start();
        println!(
            "LEAKED root={} pid={}",
            cluster.root_dir().display(),
            cluster.postmaster_pid().expect("postmaster running")
        );
        std::mem::forget(cluster);
        std::process::exit(0);
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "--exact",
            "harness::abandoned_cluster_is_cleaned_up_after_process_exit",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LEAK_CHILD_ENV, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("LEAKED ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "child printed no LEAKED line ({}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let (root, pid) = line.split_once(" pid=").unwrap();
    let root = std::path::PathBuf::from(root.strip_prefix("root=").unwrap());
    let pid: i32 = pid.trim().parse().unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    while (root.exists() || process_alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !process_alive(pid),
        "postmaster {pid} still running after its test process exited"
    );
    assert!(
        !root.exists(),
        "{} still exists after its test process exited",
        root.display()
    );
}

fn process_alive(pid: i32) -> bool {
    // postgres is not our child (pg_ctl daemonises it): once dead it may linger as a
    // zombie if the container's init does not reap, so a zombie counts as gone.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}
