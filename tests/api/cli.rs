//! Operator commands (`status`, `test-connection`, `paths`) against a running daemon.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::wine::{self, daemon_path};
use crate::helpers::{TestDaemon, pg};

fn run(d: &TestDaemon, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = wine::command()
        .args(args)
        .env("TASKFLOW_PORT", d.port().to_string())
        .env("TASKFLOW_CONFIG_DIR", daemon_path(d.config_dir()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn status_reports_the_state_and_exits_zero_only_when_ready() {
    if crate::helpers::wine::skip_on_windows_run(
        "the CLI proves the listener is this user's before sending anything, and Wine's GetExtendedTcpTable reports owner pid 0 for every row, so the exe under Wine (rightly) sends nothing",
    ) {
        return;
    }
    let db = pg::shared().create_database().await;
    let d = TestDaemon::builder()
        .secret(db.password.clone())
        .start()
        .await;
    let out = run(&d, &["status"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("state:       unconfigured"));

    assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
    d.wait_until_healthy(Duration::from_secs(20)).await;
    let out = run(&d, &["status", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["state"], "ready");
    assert_eq!(body["connection"]["database"], db.name.as_str());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&db.password));
}

#[tokio::test]
async fn test_connection_reads_the_password_from_stdin() {
    if crate::helpers::wine::skip_on_windows_run(
        "the CLI proves the listener is this user's before sending anything, and Wine's GetExtendedTcpTable reports owner pid 0 for every row, so the exe under Wine (rightly) sends nothing",
    ) {
        return;
    }
    let db = pg::shared().create_database().await;
    let d = TestDaemon::builder()
        .secret(db.password.clone())
        .start()
        .await;
    let port = db.port.to_string();
    let args = [
        "test-connection",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--database",
        &db.name,
        "--username",
        &db.role,
        "--password-stdin",
    ];
    let ok = run(&d, &args, Some(&format!("{}\n", db.password)));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = run(&d, &args, Some("definitely-wrong\n"));
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains("password authentication failed"), "{text}");
    // Never on the command line: the flag is required.
    let no_flag = run(&d, &args[..args.len() - 1], None);
    assert_eq!(no_flag.status.code(), Some(2));
}

#[tokio::test]
async fn paths_lists_files_and_modes_even_before_any_save() {
    let d = TestDaemon::start().await;
    let out = run(&d, &["paths"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fernet.key (does not exist yet)"), "{text}");
    assert!(
        text.contains("db_credentials.enc (does not exist yet)"),
        "{text}"
    );
    // The running daemon's instance lock and discovery file.
    let line = |label: &str| {
        text.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line: {text}"))
            .to_owned()
    };
    assert!(
        line("instance lock:").contains(".taskflowd-instance.lock (exists"),
        "{text}"
    );
    assert!(
        line("discovery file:").contains("taskflowd.json ("),
        "{text}"
    );
}

/// Python's `Fernet` opens the folder's token with the folder's key.
fn python_reads(dir: &std::path::Path) -> Value {
    let script = "import sys\nfrom cryptography.fernet import Fernet\n\
        key = open(sys.argv[1], 'rb').read()\ntoken = open(sys.argv[2], 'rb').read()\n\
        sys.stdout.buffer.write(Fernet(key).decrypt(token))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir.join("fernet.key"))
        .arg(dir.join("db_credentials.enc"))
        .output()
        .expect("python3 (with the `cryptography` package) is required");
    assert!(
        out.status.success(),
        "python could not decrypt after the rotation: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `rotate-key` beside a running daemon: new key, same settings, the old key
/// gone, the daemon keeps serving and saving, Python reads the folder, and a
/// restarted daemon loads it.
#[tokio::test]
async fn rotate_key_while_the_daemon_runs() {
    let db = pg::shared().create_database().await;
    let d = TestDaemon::builder()
        .secret(db.password.clone())
        .start()
        .await;
    let out = run(&d, &["rotate-key"], None);
    assert_eq!(out.status.code(), Some(1), "nothing saved yet");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing to rotate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
    d.wait_until_healthy(Duration::from_secs(20)).await;
    let key_path = d.config_dir().join("fernet.key");
    let before = std::fs::read(&key_path).unwrap();

    let out = run(&d, &["rotate-key"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read(&key_path).unwrap();
    assert_ne!(before, after, "the key changed");
    assert!(!d.config_dir().join("fernet.key.old").exists());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [
        db.password.as_str(),
        std::str::from_utf8(&before).unwrap(),
        std::str::from_utf8(&after).unwrap(),
    ] {
        assert!(!text.contains(secret), "rotate-key printed a secret");
    }
    let py = python_reads(d.config_dir());
    assert_eq!(py["password"], db.password.as_str());
    assert_eq!(py["database"], db.name.as_str());

    // The daemon keeps working: health, data, and a save with the new key.
    assert_eq!(d.get("/health").await.status, StatusCode::OK);
    assert_eq!(d.get("/api/v1/members").await.status, StatusCode::OK);
    assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
    d.wait_until_healthy(Duration::from_secs(20)).await;
    assert_eq!(
        std::fs::read(&key_path).unwrap(),
        after,
        "the save kept the new key"
    );
    assert_eq!(
        python_reads(d.config_dir())["password"],
        db.password.as_str()
    );

    let dir = d.config_dir_handle();
    d.terminate().await;
    let again = TestDaemon::builder()
        .config_dir(dir)
        .secret(db.password.clone())
        .start()
        .await;
    again.wait_until_healthy(Duration::from_secs(20)).await;
}

/// The CLI finds its daemon through the config folder's discovery file:
/// with `TASKFLOW_PORT=0` and no port on the command line, `status` reaches
/// the daemon and `stop` stops it; with none running, both say so (exit 1).
#[tokio::test]
async fn with_port_0_the_cli_finds_the_daemon_through_the_discovery_file() {
    if crate::helpers::wine::skip_on_windows_run(
        "the discovery file holds the exe's Windows pid, which the Linux-side CLI run cannot check",
    ) {
        return;
    }
    let d = TestDaemon::builder()
        .no_port_env()
        .env("TASKFLOW_PORT", "0")
        .spawn();
    crate::helpers::files::discovery_of(d.config_dir(), d.pid().unwrap()).await;
    // Only the folder: no TASKFLOW_PORT, no --port.
    let cli = |args: &[&str]| {
        wine::command()
            .args(args)
            .env("TASKFLOW_CONFIG_DIR", daemon_path(d.config_dir()))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = cli(&["status"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("state:       unconfigured"),
        "{out:?}"
    );
    let out = cli(&["stop"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        d.wait_exit(Duration::from_secs(15))
            .await
            .and_then(|s| s.code()),
        Some(0)
    );

    for args in [&["status"][..], &["stop"][..]] {
        let out = cli(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "taskflowd: no taskflowd serves the config folder {}",
                d.config_dir().display()
            )),
            "{args:?}: {stderr}"
        );
    }
}
