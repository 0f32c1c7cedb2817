//! Process behaviour: busy port, signals, parent watch, secret hygiene.

use std::time::{Duration, Instant};

#[cfg(unix)]
use crate::helpers::daemon::Signal;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::files::any_file_contains;
#[cfg(unix)]
use crate::helpers::net::Blackhole;
use crate::helpers::pg::PgCluster;
use crate::helpers::{TestDaemon, pg};

const TEST: &str = "/api/v1/settings/test-connection";

#[tokio::test]
async fn busy_port_exits_3_with_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    let started = Instant::now();
    let daemon = TestDaemon::builder().port(port).spawn();
    let status = daemon
        .wait_exit(Duration::from_secs(1))
        .await
        .unwrap_or_else(|| panic!("still running after 1 s\n{}", daemon.log_tail(20)));
    let elapsed = started.elapsed();

    assert_eq!(status.code(), Some(3), "exit status {status}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    let stderr = daemon.stderr();
    let needle = format!("port {port} is already in use");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&needle)).collect();
    assert_eq!(lines.len(), 1, "stderr:\n{stderr}");
    assert!(!daemon.logs().contains("panicked"), "{stderr}");
    drop(listener);
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_or_sigint_while_idle_exits_0_quickly() {
    if crate::helpers::wine::skip_on_windows_run(
        "Unix signals (SIGTERM); Wine's Ctrl-C stop is every other test's terminate()",
    ) {
        return;
    }
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let daemon = TestDaemon::start().await;

        let started = Instant::now();
        daemon.signal(signal);
        let status = daemon
            .wait_exit(Duration::from_secs(3))
            .await
            .unwrap_or_else(|| panic!("no exit within 3 s of {signal}\n{}", daemon.log_tail(20)));
        assert_eq!(
            status.code(),
            Some(0),
            "exit {status} after {:?}",
            started.elapsed()
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish() {
    if crate::helpers::wine::skip_on_windows_run(
        "Unix signals (SIGTERM); Wine's Ctrl-C stop is every other test's terminate()",
    ) {
        return;
    }
    let blackhole = Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "2")
        .start()
        .await;
    let request = daemon
        .request(reqwest::Method::POST, TEST)
        .json(&blackhole.credentials_json("pw-in-flight"));
    let in_flight = tokio::spawn(async move {
        let r = request.send().await.expect("in-flight request answered");
        (r.status(), r.text().await.unwrap_or_default())
    });
    blackhole.wait_accepted(1, Duration::from_secs(10)).await;

    daemon.signal(Signal::SIGTERM);
    let (status, text) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        json!({"error": format!(
            "Connection failed: timed out after 2 s connecting to 127.0.0.1:{}",
            blackhole.port()
        )})
    );
    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no exit\n{}", daemon.log_tail(20)));
    assert_eq!(status.code(), Some(0), "exit {status}");
}

#[tokio::test]
async fn daemon_exits_when_its_parent_is_gone() {
    if crate::helpers::wine::skip_on_windows_run(
        "a Linux parent pid means nothing to Windows (the handle-based parent watch needs a real Windows parent)",
    ) {
        return;
    }
    let mut parent = std::process::Command::new("sleep")
        .arg("1000")
        .spawn()
        .unwrap();
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_PARENT_PID", parent.id().to_string())
        .start()
        .await;
    assert!(daemon.try_exit_status().is_none());

    parent.kill().unwrap();
    parent.wait().unwrap(); // reaped: the pid no longer exists
    let status = daemon
        .wait_exit(Duration::from_secs(2))
        .await
        .unwrap_or_else(|| panic!("no exit within 2 s\n{}", daemon.log_tail(20)));
    assert_eq!(status.code(), Some(0), "exit {status}");
}

#[tokio::test]
async fn password_never_appears_in_logs_responses_or_files() {
    let cluster = PgCluster::start();
    let db = cluster.create_database().await;
    let wrong = format!("{}-WRONG", db.password);
    let mut responses = Vec::new();

    let first = TestDaemon::builder()
        .secret(&db.password)
        .secret(&wrong)
        .start()
        .await;
    responses.push(first.save_connection(&db).await.text);
    first.wait_until_healthy(Duration::from_secs(10)).await;
    let mut bad = db.credentials_json();
    bad["password"] = json!(wrong);
    let r = first.post_json(TEST, &bad).await;
    assert_eq!(
        r.error_message(StatusCode::BAD_REQUEST),
        format!(
            "Connection failed: password authentication failed for user \"{}\"",
            db.role
        )
    );
    responses.push(r.text);
    let r = first.post_json(TEST, &db.credentials_json()).await;
    assert_eq!(r.status, StatusCode::OK);
    responses.push(r.text);
    assert_eq!(first.terminate().await.code(), Some(0));

    let second = TestDaemon::builder()
        .config_dir(first.config_dir_handle())
        .secret(&db.password)
        .secret(&wrong)
        .start()
        .await;
    second.wait_until_healthy(Duration::from_secs(10)).await;
    cluster.stop();
    let r = second
        .wait_for_health(|r| r.status != StatusCode::OK, Duration::from_secs(6))
        .await;
    responses.push(r.text);
    responses.push(second.get("/api/v1/settings/status").await.text);
    cluster.start_again();
    second.wait_until_healthy(Duration::from_secs(5)).await;
    responses.push(second.post_json(TEST, &bad).await.text);
    responses.push(second.post_json(TEST, &db.credentials_json()).await.text);
    responses.push(second.get("/api/v1/settings/status").await.text);
    responses.push(second.get("/api/v1/settings/connection").await.text);
    assert_eq!(second.terminate().await.code(), Some(0));

    for secret in [db.password.as_str(), wrong.as_str()] {
        for (i, text) in responses.iter().enumerate() {
            assert!(!text.contains(secret), "response #{i} contains a password");
        }
        for d in [&first, &second] {
            assert!(!d.logs().contains(secret), "a log contains a password");
            assert!(
                d.logs().contains("database ready"),
                "the log is the daemon's"
            );
        }
        if let Some(p) = any_file_contains(second.config_dir(), secret) {
            panic!("{} contains a password", p.display());
        }
    }
    let _ = pg::shared;
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_while_the_database_connect_hangs_exits_0_quickly() {
    if crate::helpers::wine::skip_on_windows_run(
        "Unix signals (SIGTERM); Wine's Ctrl-C stop is every other test's terminate()",
    ) {
        return;
    }
    let blackhole = Blackhole::start().await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "30")
        .start()
        .await;
    daemon.save_blackhole(&blackhole, "pw").await;

    daemon.signal(Signal::SIGTERM);
    let status = daemon
        .wait_exit(Duration::from_secs(3))
        .await
        .unwrap_or_else(|| panic!("no exit within 3 s\n{}", daemon.log_tail(20)));
    assert_eq!(status.code(), Some(0), "exit {status}");
    assert!(
        !daemon.logs().contains("restarting"),
        "{}",
        daemon.log_tail(20)
    );
}

#[tokio::test]
async fn a_server_that_echoes_the_password_never_gets_it_shown() {
    let echo = crate::helpers::net::EchoServer::start().await;
    let password = "s3cr3t p@ss/w%rd";
    let mut url = reqwest::Url::parse("postgres://127.0.0.1/d").unwrap();
    url.set_port(Some(echo.port())).unwrap();
    url.set_username("u").unwrap();
    url.set_password(Some(password)).unwrap();
    let url = String::from(url);
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DATABASE_URL", &url)
        .env("TASKFLOW_DB_STARTUP_RETRY_ATTEMPTS", "1")
        .secret(password)
        .secret(&url)
        .start()
        .await;

    let body = json!({
        "host": "127.0.0.1", "port": echo.port(), "database": "d",
        "username": "u", "password": password,
    });
    let r = daemon.post_json(TEST, &body).await;
    let msg = r.error_message(StatusCode::BAD_REQUEST);
    assert!(
        !msg.contains(password),
        "test-connection response echoes the password"
    );
    assert_eq!(
        msg,
        "Connection failed: the server said: you sent [redacted] (SQLSTATE XX000)"
    );

    // A password too short to scrub by substring: the message is replaced.
    let mut short = body.clone();
    short["password"] = json!("x9z");
    let r = daemon.post_json(TEST, &short).await;
    assert_eq!(
        r.error_message(StatusCode::BAD_REQUEST),
        "Connection failed: the server refused the connection"
    );

    // The URL fallback's failure reaches /health and the status endpoint.
    let r = daemon
        .wait_for_health(
            |r| {
                r.body["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("Database startup failed"))
            },
            Duration::from_secs(10),
        )
        .await;
    assert!(!r.text.contains(password), "/health echoes the password");
    assert_eq!(
        r.body["error"],
        "Database startup failed: the server said: you sent [redacted] (SQLSTATE XX000)"
    );
    let s = daemon.get("/api/v1/settings/status").await;
    assert!(!s.text.contains(password), "status echoes the password");
    let logs = daemon.logs();
    assert!(!logs.contains(password), "the log contains the password");
    assert!(!logs.contains(&url), "the log contains the URL");
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_while_ready_stops_the_actors_without_restarting_them() {
    if crate::helpers::wine::skip_on_windows_run(
        "Unix signals (SIGTERM); Wine's Ctrl-C stop is every other test's terminate()",
    ) {
        return;
    }
    let db = pg::shared().create_database().await;
    let daemon = TestDaemon::builder().secret(&db.password).start().await;
    assert_eq!(daemon.save_connection(&db).await.status, StatusCode::OK);
    daemon.wait_until_healthy(Duration::from_secs(10)).await;

    let started = Instant::now();
    daemon.signal(Signal::SIGTERM);
    let status = daemon
        .wait_exit(Duration::from_secs(3))
        .await
        .unwrap_or_else(|| panic!("no exit within 3 s\n{}", daemon.log_tail(30)));
    assert_eq!(
        status.code(),
        Some(0),
        "exit {status} after {:?}",
        started.elapsed()
    );
    // stderr alone, in order: logs() appends the log file, which starts again
    // from the first line and would put "actor started" after the stop.
    let logs = daemon.stderr();
    let tail = logs.split("shutting down").nth(1).unwrap_or_default();
    assert!(
        !tail.contains("restarting") && !tail.contains("actor started"),
        "{}",
        daemon.log_tail(30)
    );
    // The pool was closed: no session of the daemon is left on the server.
    let mut conn = db.connect().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = db.daemon_sessions(&mut conn).await;
        if n == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{n} daemon sessions left");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_while_the_server_hangs_exits_0_within_a_few_seconds() {
    if crate::helpers::wine::skip_on_windows_run(
        "Unix signals (SIGTERM); Wine's Ctrl-C stop is every other test's terminate()",
    ) {
        return;
    }
    let db = pg::shared().create_database().await;
    let proxy = crate::helpers::net::FreezableProxy::start(db.port).await;
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "30")
        .env("TASKFLOW_DB_PING_INTERVAL_MS", "100")
        .start()
        .await;
    daemon.save_behind(&db, &proxy).await;
    proxy.set_frozen(true);
    // Wait until a ping hangs on the frozen connection (it would wait 30 s).
    let deadline = Instant::now() + Duration::from_secs(5);
    while proxy.held() == 0 {
        assert!(
            Instant::now() < deadline,
            "no ping reached the frozen proxy"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let started = Instant::now();
    daemon.signal(Signal::SIGTERM);
    let status = daemon
        .wait_exit(Duration::from_secs(8))
        .await
        .unwrap_or_else(|| panic!("no exit within 8 s\n{}", daemon.log_tail(20)));
    assert_eq!(status.code(), Some(0), "exit {status}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}
