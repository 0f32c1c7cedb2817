//! `/api/v1/settings/*`: test-connection, save-connection, connection, and
//! what they leave (or must not leave) in the config folder.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::daemon::ConfigDir;
use crate::helpers::files::entries;
use crate::helpers::net::{Blackhole, closed_port};
use crate::helpers::{TestDaemon, pg};

const TEST: &str = "/api/v1/settings/test-connection";
const SAVE: &str = "/api/v1/settings/save-connection";
const CONNECTION: &str = "/api/v1/settings/connection";

#[track_caller]
fn assert_no_files(daemon: &TestDaemon) {
    // The daemon's own discovery file and instance lock are there from its start.
    let found: Vec<_> = entries(daemon.config_dir())
        .into_iter()
        .filter(|p| !p.ends_with("taskflowd.json") && !p.ends_with(".taskflowd-instance.lock"))
        .collect();
    assert!(found.is_empty(), "config folder is not empty: {found:?}");
}

#[tokio::test]
async fn test_connection_ok_ignores_hostile_pg_environment() {
    let db = pg::shared().create_database().await;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("never-created");
    let daemon = TestDaemon::builder()
        .config_dir(ConfigDir::Path(dir.clone()))
        .env("PGPASSWORD", "wrong")
        .env("PGSSLMODE", "verify-full")
        .env("PGOPTIONS", "-cbogus=1")
        .env("PGHOST", "/nonexistent")
        .env("PGUSER", "nobody")
        .secret(&db.password)
        .start()
        .await;

    let r = daemon.post_json(TEST, &db.credentials_json()).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"status": "ok"}));
    assert!(
        !dir.join("fernet.key").exists() && !dir.join("db_credentials.enc").exists(),
        "test-connection wrote a key or credentials"
    );

    // `localhost` resolves to ::1 as well; the server listens on 127.0.0.1 only.
    let mut local = db.credentials_json();
    local["host"] = json!("localhost");
    let r = daemon.post_json(TEST, &local).await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert!(
        !dir.join("fernet.key").exists() && !dir.join("db_credentials.enc").exists(),
        "test-connection wrote a key or credentials"
    );

    // The daemon's own pool ignores the environment too.
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
    assert!(!daemon.logs().contains(&db.password), "password in the log");
}

#[tokio::test]
async fn test_connection_failures_are_specific_and_secret_free() {
    let cluster = pg::shared();
    let db = cluster.create_database().await;
    let blackhole = Blackhole::start().await;
    let wrong = "wr0ng-pässword-%s-\"x\"";
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "10")
        .secret(&db.password)
        .secret(wrong)
        .start()
        .await;
    let fast = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "1")
        .secret(&db.password)
        .start()
        .await;
    let closed = closed_port();

    let mut wrong_pw = db.credentials_json();
    wrong_pw["password"] = json!(wrong);
    let mut missing_db = db.credentials_json();
    missing_db["database"] = json!("no_such_db_here");
    let mut refused = db.credentials_json();
    refused["port"] = json!(closed);
    let mut unresolvable = db.credentials_json();
    unresolvable["host"] = json!("x.invalid");

    let cases: Vec<(&TestDaemon, Value, String)> = vec![
        (
            &daemon,
            wrong_pw,
            format!(
                "Connection failed: password authentication failed for user \"{}\"",
                db.role
            ),
        ),
        (
            &daemon,
            missing_db,
            "Connection failed: database \"no_such_db_here\" does not exist".to_owned(),
        ),
        (
            &daemon,
            refused,
            format!(
                "Connection failed: connection refused. Is PostgreSQL running at 127.0.0.1:{closed}?"
            ),
        ),
        (
            &daemon,
            unresolvable,
            "Connection failed: host name \"x.invalid\" could not be resolved".to_owned(),
        ),
    ];
    for (d, body, expected) in cases {
        let r = d.post_json(TEST, &body).await;
        assert_eq!(r.error_message(StatusCode::BAD_REQUEST), expected);
        assert!(!r.text.contains(&db.password) && !r.text.contains(wrong));
        assert_no_files(d);
    }

    let started = Instant::now();
    let r = fast
        .post_json(TEST, &blackhole.credentials_json(&db.password))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(
        r.error_message(StatusCode::BAD_REQUEST),
        format!(
            "Connection failed: timed out after 1 s connecting to 127.0.0.1:{}",
            blackhole.port()
        )
    );
    assert!(elapsed < Duration::from_secs(3), "probe took {elapsed:?}");
    assert_no_files(&fast);

    for d in [&daemon, &fast] {
        let logs = d.logs();
        assert!(!logs.contains(&db.password), "password in the log");
        assert!(!logs.contains(wrong), "wrong password in the log");
    }
}

fn valid_body() -> Value {
    json!({
        "host": "127.0.0.1",
        "port": closed_port(),
        "database": "d",
        "username": "u",
        "password": "secret-pw",
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut b = valid_body();
    b[field] = value;
    b
}

fn without(field: &str) -> Value {
    let mut b = valid_body();
    b.as_object_mut().unwrap().remove(field);
    b
}

#[tokio::test]
async fn validation_errors_name_the_field_and_write_nothing() {
    let daemon = TestDaemon::start().await;
    let port_msg = "port: must be an integer between 1 and 65535";
    let cases: Vec<(Value, &str)> = vec![
        (without("host"), "host: is required"),
        (without("port"), "port: is required"),
        (without("database"), "database: is required"),
        (without("username"), "username: is required"),
        (without("password"), "password: is required"),
        (with("host", json!(null)), "host: is required"),
        (with("host", json!(5)), "host: must be a string"),
        (with("database", json!(["d"])), "database: must be a string"),
        (
            with("username", json!({"u": 1})),
            "username: must be a string",
        ),
        (with("password", json!(1234)), "password: must be a string"),
        (with("port", json!(0)), port_msg),
        (with("port", json!(65536)), port_msg),
        (with("port", json!(-1)), port_msg),
        (with("port", json!(5432.5)), port_msg),
        (with("port", json!("5432")), port_msg),
        (with("host", json!("")), "host: must not be empty"),
        (with("host", json!("   \t ")), "host: must not be empty"),
        (with("database", json!(" ")), "database: must not be empty"),
        (with("username", json!("")), "username: must not be empty"),
        (
            with("host", json!("a\u{7}b")),
            "host: must not contain control characters",
        ),
        (
            with("username", json!("u\nx")),
            "username: must not contain control characters",
        ),
        (
            with("database", json!("d\u{0}")),
            "database: must not contain control characters",
        ),
        (
            with("host", json!("a,b")),
            "host: must be a single host name or address (no commas)",
        ),
        (
            with("host", json!("/var/run/postgresql")),
            "host: must be a TCP host name or address, not a socket path",
        ),
        (
            with("host", json!("h".repeat(256))),
            "host: must be at most 255 characters",
        ),
        (with("password", json!("")), "password: must not be empty"),
        (
            with("password", json!("p".repeat(1025))),
            "password: must be at most 1024 characters",
        ),
        (json!([1, 2]), "body: must be a JSON object"),
        (json!("text"), "body: must be a JSON object"),
        (json!(null), "body: must be a JSON object"),
    ];
    for path in [TEST, SAVE] {
        for (body, expected) in &cases {
            let r = daemon.post_json(path, body).await;
            assert_eq!(
                r.error_message(StatusCode::BAD_REQUEST),
                *expected,
                "{path} {body}"
            );
        }
        let r = daemon.post_raw(path, "application/json", "{").await;
        assert_eq!(
            r.error_message(StatusCode::BAD_REQUEST),
            "Invalid JSON body: EOF while parsing an object at line 1 column 1"
        );
        let r = daemon
            .post_raw(path, "text/plain", valid_body().to_string())
            .await;
        assert_eq!(
            r.error_message(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            "Unsupported Media Type: the body must be sent with Content-Type: application/json"
        );
    }
    assert_no_files(&daemon);

    // 1024 characters pass validation: the probe runs (and finds nothing listening).
    let body = with("password", json!("p".repeat(1024)));
    let r = daemon.post_json(TEST, &body).await;
    assert_eq!(
        r.error_message(StatusCode::BAD_REQUEST),
        format!(
            "Connection failed: connection refused. Is PostgreSQL running at 127.0.0.1:{}?",
            body["port"]
        )
    );
    assert_no_files(&daemon);
    assert!(daemon.try_exit_status().is_none(), "daemon still runs");
}

#[tokio::test]
async fn saved_connection_is_shown_without_the_password() {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::start().await;

    let r = daemon.get(CONNECTION).await;
    assert_eq!(
        r.error_message(StatusCode::NOT_FOUND),
        "No connection settings saved"
    );

    let r = daemon.save_connection(&db).await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::OK, json!({"status": "saved"}))
    );

    let r = daemon.get(CONNECTION).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({
            "host": "127.0.0.1",
            "port": db.port,
            "database": db.name,
            "username": db.role,
            "has_password": true,
        })
    );
    assert!(!r.text.contains(&db.password));
}

#[cfg(unix)]
#[tokio::test]
async fn saved_files_are_owner_only() {
    if crate::helpers::wine::skip_on_windows_run("Unix file modes (Wine keeps no DACLs)") {
        return;
    }
    let db = pg::shared().create_database().await;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("cfg");
    let daemon = TestDaemon::builder()
        .config_dir(ConfigDir::Path(dir.clone()))
        .start()
        .await;

    let r = daemon.save_connection(&db).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "config folder mode");
    let files = entries(&dir);
    for name in ["fernet.key", "db_credentials.enc"] {
        assert!(files.contains(&dir.join(name)), "{name} missing: {files:?}");
    }
    for f in files {
        assert_eq!(mode(&f), 0o600, "mode of {}", f.display());
    }
}

#[tokio::test]
async fn probes_beyond_the_limit_get_429_and_health_stays_fast() {
    let blackhole = Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_MAX_CONCURRENT_PROBES", "2")
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "4")
        .start()
        .await;
    let body = blackhole.credentials_json("pw-for-blackhole");

    let hanging: Vec<_> = (0..2)
        .map(|_| {
            let req = daemon.request(reqwest::Method::POST, TEST).json(&body);
            tokio::spawn(async move { req.send().await.map(|r| r.status()) })
        })
        .collect();
    blackhole.wait_accepted(2, Duration::from_secs(10)).await;

    let r = daemon.post_json(TEST, &body).await;
    assert_eq!(
        r.error_message(StatusCode::TOO_MANY_REQUESTS),
        "Too many connection tests in progress"
    );
    for _ in 0..5 {
        let started = Instant::now();
        let r = daemon.get("/health").await;
        let elapsed = started.elapsed();
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            elapsed < Duration::from_millis(500),
            "/health took {elapsed:?}"
        );
    }

    for h in hanging {
        assert_eq!(h.await.unwrap().unwrap(), StatusCode::BAD_REQUEST);
    }
    // Permits are back: a new probe runs (and times out) instead of 429.
    let r = daemon.post_json(TEST, &body).await;
    assert!(
        r.error_message(StatusCode::BAD_REQUEST)
            .starts_with("Connection failed: timed out after 4 s"),
        "{}",
        r.text
    );
    assert_no_files(&daemon);
}

#[tokio::test]
async fn server_requiring_tls_is_named_as_such() {
    let cluster = crate::helpers::pg::PgCluster::start();
    let db = cluster.create_database().await;
    // Non-TLS connections are rejected for everyone but the harness's superuser.
    let mut conn = <sea_orm::sqlx::PgConnection as sea_orm::sqlx::Connection>::connect_with(
        &cluster.admin_options(),
    )
    .await
    .unwrap();
    let hba: String = sea_orm::sqlx::query_scalar("SHOW hba_file")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let old = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(
        &hba,
        format!(
            "host all postgres 127.0.0.1/32 scram-sha-256\n\
             hostnossl all all 127.0.0.1/32 reject\n{old}"
        ),
    )
    .unwrap();
    sea_orm::sqlx::query("SELECT pg_reload_conf()")
        .execute(&mut conn)
        .await
        .unwrap();
    let daemon = TestDaemon::builder().secret(&db.password).start().await;
    let expected = format!(
        "Connection failed: the server at 127.0.0.1:{} requires TLS (SSL); \
         set ssl_mode to require or stronger",
        cluster.port()
    );

    for ssl_mode in ["disable", "prefer"] {
        let mut body = db.credentials_json();
        body["ssl_mode"] = json!(ssl_mode);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // pg_reload_conf is asynchronous: poll until the new rules apply.
            let r = daemon.post_json(TEST, &body).await;
            let msg = r.error_message(StatusCode::BAD_REQUEST);
            if msg == expected || Instant::now() > deadline {
                assert_eq!(msg, expected, "ssl_mode {ssl_mode}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_no_files(&daemon);
}

#[tokio::test]
async fn ssl_mode_is_honoured_and_saved() {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::builder().secret(&db.password).start().await;
    // The harness's cluster has no TLS.
    let no_tls =
        json!({"error": "Connection failed: server does not support SSL, but SSL was required"});
    for (mode, status, body) in [
        ("require", StatusCode::BAD_REQUEST, no_tls.clone()),
        // Issue #15: the verify modes trust only ssl_root_cert, so without
        // one nothing connects; the reason says what to set.
        (
            "verify-full",
            StatusCode::BAD_REQUEST,
            json!({"error": "ssl_root_cert: is required with ssl_mode verify-full (the CA \
                certificate that signed the server's certificate, or \"system\" to trust the \
                operating system's CA store)"}),
        ),
        ("disable", StatusCode::OK, json!({"status": "ok"})),
        ("prefer", StatusCode::OK, json!({"status": "ok"})),
    ] {
        let mut req = db.credentials_json();
        req["ssl_mode"] = json!(mode);
        let r = daemon.post_json(TEST, &req).await;
        assert_eq!((r.status, r.body), (status, body), "{mode}");
    }
    for (mode, expected) in [
        (
            json!("allow"),
            "ssl_mode: must be one of disable, prefer, require, verify-ca, verify-full",
        ),
        (
            json!(1),
            "ssl_mode: must be one of disable, prefer, require, verify-ca, verify-full",
        ),
    ] {
        let mut req = db.credentials_json();
        req["ssl_mode"] = mode;
        let r = daemon.post_json(TEST, &req).await;
        assert_eq!(r.error_message(StatusCode::BAD_REQUEST), expected);
    }
    assert_no_files(&daemon);

    let mut req = db.credentials_json();
    req["ssl_mode"] = json!("disable");
    assert_eq!(daemon.post_json(SAVE, &req).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;
    let r = daemon.get(CONNECTION).await;
    assert_eq!(
        r.body,
        json!({
            "host": "127.0.0.1",
            "port": db.port,
            "database": db.name,
            "username": db.role,
            "has_password": true,
            "ssl_mode": "disable",
        })
    );
}

#[tokio::test]
async fn password_unusable_for_scram_is_named_without_echoing_it() {
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::start().await;
    let mut body = db.credentials_json();
    // SASLprep prohibits ASCII control characters.
    let password = "pass\u{7}word";
    body["password"] = json!(password);
    let r = daemon.post_json(TEST, &body).await;
    assert_eq!(
        r.error_message(StatusCode::BAD_REQUEST),
        "Connection failed: the password contains a character that PostgreSQL's \
         SCRAM authentication does not allow (such as a control character)"
    );
    assert!(
        !r.text.contains("u{7}") && !r.text.contains('\u{7}'),
        "{}",
        r.text
    );
    assert_no_files(&daemon);
}

#[tokio::test]
async fn save_into_an_unusable_folder_is_a_500_naming_it() {
    if crate::helpers::wine::skip_on_windows_run(
        "the message quotes Linux's ENOTDIR text (Windows says the path is not a folder)",
    ) {
        return;
    }
    let db = pg::shared().create_database().await;
    let parent = tempfile::tempdir().unwrap();
    let blocker = parent.path().join("file");
    std::fs::write(&blocker, b"").unwrap();
    let dir = blocker.join("cfg");
    let daemon = TestDaemon::builder()
        .config_dir(ConfigDir::Path(dir.clone()))
        .secret(&db.password)
        .start()
        .await;

    let r = daemon.save_connection(&db).await;
    assert_eq!(
        r.error_message(StatusCode::INTERNAL_SERVER_ERROR),
        format!(
            "Failed to save connection settings: cannot create folder {}: Not a directory (os error 20)",
            dir.display()
        )
    );
    // The folder is unusable for reading too, and /health says so.
    let r = daemon
        .wait_for_health(
            |r| {
                r.body["error"]
                    .as_str()
                    .is_some_and(|e| !e.starts_with("Database is starting"))
            },
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        r.body["error"],
        format!(
            "Stored connection settings cannot be read: cannot check the config folder {}: \
             Not a directory (os error 20). Save connection settings again.",
            dir.display()
        )
    );
    assert!(!daemon.logs().contains(&db.password));
}
