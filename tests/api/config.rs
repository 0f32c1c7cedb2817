//! Layered configuration, seen from outside: the binary's exit codes, messages and
//! precedence (file < `TASKFLOW_*` env < flags).

use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::daemon::ConfigDir;
use crate::helpers::{TestDaemon, free_port};

/// Runs the daemon, expects exit code 2 within 5 s, and returns its stderr after
/// checking it is a single line without panic text.
async fn expect_usage_error(daemon: TestDaemon) -> String {
    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("taskflowd exits within 5 s on a configuration error");
    let stderr = daemon.stderr();
    assert_eq!(status.code(), Some(2), "exit code; stderr: {stderr}");
    assert!(!daemon.logs().contains("panicked"), "no panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "a one-line message on stderr: {stderr}");
    stderr
}

#[tokio::test]
async fn invalid_port_env_exits_2_naming_the_variable() {
    let daemon = TestDaemon::builder()
        .no_port_env()
        .env("TASKFLOW_PORT", "abc")
        .spawn();

    let stderr = expect_usage_error(daemon).await;

    assert!(
        stderr.contains("TASKFLOW_PORT"),
        "names TASKFLOW_PORT: {stderr}"
    );
}

#[tokio::test]
async fn invalid_log_format_exits_2_naming_the_variable() {
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_LOG_FORMAT", "xml")
        .spawn();

    let stderr = expect_usage_error(daemon).await;

    assert!(
        stderr.contains("TASKFLOW_LOG_FORMAT"),
        "names TASKFLOW_LOG_FORMAT: {stderr}"
    );
}

#[tokio::test]
async fn missing_config_file_exits_2_naming_the_path() {
    let daemon = TestDaemon::builder()
        .arg("--config")
        .arg("/nonexistent.toml")
        .spawn();

    let stderr = expect_usage_error(daemon).await;

    let path = crate::helpers::wine::daemon_path(std::path::Path::new("/nonexistent.toml"));
    assert!(stderr.contains(&path), "names the path: {stderr}");
}

fn answers_on(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

fn config_file(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("taskflowd.toml");
    std::fs::write(&path, format!("port = {port}\n")).unwrap();
    path
}

#[tokio::test]
async fn port_from_file_in_config_dir() {
    let config_dir = tempfile::tempdir().unwrap();
    let file_port = free_port();
    config_file(config_dir.path(), file_port);

    let daemon = TestDaemon::builder()
        .config_dir(ConfigDir::Path(config_dir.path().to_path_buf()))
        .no_port_env()
        .port(file_port)
        .start()
        .await;

    assert!(answers_on(file_port));
    assert_eq!(daemon.terminate().await.code(), Some(0));
}

#[tokio::test]
async fn port_precedence_file_then_env_then_flag() {
    let file_dir = tempfile::tempdir().unwrap();
    let file_port = free_port();
    let file = config_file(file_dir.path(), file_port);

    // --config file alone.
    let daemon = TestDaemon::builder()
        .arg("--config")
        .arg(&file)
        .no_port_env()
        .port(file_port)
        .start()
        .await;
    assert!(answers_on(file_port));
    daemon.terminate().await;

    // TASKFLOW_PORT beats the file.
    let env_port = free_port();
    let daemon = TestDaemon::builder()
        .arg("--config")
        .arg(&file)
        .port(env_port)
        .start()
        .await;
    assert!(answers_on(env_port));
    assert!(!answers_on(file_port), "the file's port is not used");
    daemon.terminate().await;

    // --port beats TASKFLOW_PORT.
    let flag_port = free_port();
    let daemon = TestDaemon::builder()
        .arg("--config")
        .arg(&file)
        .env("TASKFLOW_PORT", env_port.to_string())
        .no_port_env()
        .arg("--port")
        .arg(flag_port.to_string())
        .port(flag_port)
        .start()
        .await;
    assert!(answers_on(flag_port));
    assert!(!answers_on(env_port), "TASKFLOW_PORT is not used");
    assert!(!answers_on(file_port), "the file's port is not used");
    daemon.terminate().await;
}

#[tokio::test]
async fn print_config_shows_values_and_sources_but_no_secret() {
    let port = free_port();
    let daemon = TestDaemon::builder()
        .port(port)
        .env("TASKFLOW_API_TOKEN", "sekret-token-123")
        .secret("sekret-token-123")
        .arg("print-config")
        .spawn();

    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("print-config exits within 5 s");
    let stdout = daemon.stdout();
    assert_eq!(
        status.code(),
        Some(0),
        "exit code; stderr: {}",
        daemon.stderr()
    );
    assert!(
        !daemon.logs().contains("sekret-token-123"),
        "print-config output contains the API token"
    );
    assert!(
        stdout.contains(&port.to_string()),
        "shows the port: {stdout}"
    );
    assert!(
        stdout.contains("TASKFLOW_PORT"),
        "names the port's source: {stdout}"
    );
    assert!(
        stdout.contains("127.0.0.1"),
        "shows the default host: {stdout}"
    );
    assert!(
        stdout.to_lowercase().contains("default"),
        "names default as a source: {stdout}"
    );
    assert!(!answers_on(port), "print-config does not serve");
}
