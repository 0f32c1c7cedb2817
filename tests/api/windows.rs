//! What only the Windows run exercises (issue 24): the exe's own defaults
//! under Wine — `%LOCALAPPDATA%\TaskFlow` with no `TASKFLOW_CONFIG_DIR` — and
//! the files it writes and reads, checked against the Python backend's
//! Fernet. On the Linux run these say so and return (the Linux default is
//! the developer's real `~/.config/TaskFlow`, which a test must not touch).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::daemon::ConfigDir;
use crate::helpers::wine::{self, skip_unless_windows_run, windows_run};
use crate::helpers::{TestDaemon, os, pg};

const KEY_FILE: &str = "fernet.key";
const CREDENTIALS_FILE: &str = "db_credentials.enc";

/// The Python backend's way of reading the folder: `Fernet(key).decrypt(token)`.
fn python_decrypt(dir: &Path) -> Value {
    let script = "import sys\nfrom cryptography.fernet import Fernet\n\
        key = open(sys.argv[1], 'rb').read()\ntoken = open(sys.argv[2], 'rb').read()\n\
        sys.stdout.buffer.write(Fernet(key).decrypt(token))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir.join(KEY_FILE))
        .arg(dir.join(CREDENTIALS_FILE))
        .output()
        .expect("run python3 (with the `cryptography` package)");
    assert!(
        out.status.success(),
        "python could not decrypt the files the exe wrote: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the token decrypts to JSON")
}

/// The done-when of issue 24: save → healthy → stop → restart → healthy on
/// `%LOCALAPPDATA%\TaskFlow`, with no `TASKFLOW_CONFIG_DIR`, and the Python
/// backend reading the key and token the exe wrote there.
#[tokio::test]
async fn local_app_data_save_healthy_stop_restart_healthy_and_python_reads_the_files() {
    if skip_unless_windows_run("the %LOCALAPPDATA%\\TaskFlow default needs taskflowd.exe") {
        return;
    }
    let run = windows_run().expect("the Windows run");
    let folder = wine::local_app_data_taskflow(run);
    // Only this test uses the prefix's default folder; start from none.
    let _ = std::fs::remove_dir_all(&folder);
    let db = pg::shared().create_database().await;

    let d = TestDaemon::builder()
        .default_config_dir(folder.clone())
        .start()
        .await;
    let r = d.save_connection(&db).await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::OK, json!({"status": "saved"}))
    );
    d.wait_until_healthy(Duration::from_secs(30)).await;
    for file in [KEY_FILE, CREDENTIALS_FILE] {
        assert!(
            folder.join(file).is_file(),
            "{file} is not in %LOCALAPPDATA%\\TaskFlow ({})",
            folder.display()
        );
    }
    let status = d.terminate().await;
    assert!(status.success(), "Ctrl-C (SIGINT under Wine): {status}");
    drop(d);

    // Restarted with nothing but the folder: healthy without a save.
    let d = TestDaemon::builder()
        .default_config_dir(folder.clone())
        .secret(db.password.clone())
        .start()
        .await;
    d.wait_until_healthy(Duration::from_secs(30)).await;
    let r = d.get("/api/v1/settings/connection").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["database"], json!(db.name));
    assert_eq!(r.body["has_password"], json!(true));

    let decrypted = python_decrypt(&folder);
    let saved = db.credentials_json();
    for field in ["host", "port", "database", "username", "password"] {
        assert_eq!(decrypted[field], saved[field], "{field} as Python reads it");
    }
    let status = d.terminate().await;
    assert!(status.success(), "second stop: {status}");
    std::fs::remove_dir_all(&folder).expect("remove the test's default folder");
}

/// The other direction: the exe loads the key and token the original Python
/// backend wrote (`../shared/fixtures/python-fernet/`), password and all.
#[tokio::test]
async fn the_exe_loads_the_files_the_python_backend_wrote() {
    if skip_unless_windows_run("store.rs covers the Linux build; this is the exe's reading") {
        return;
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/python-fernet");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("Task Flow é");
    std::fs::create_dir(&cfg).unwrap();
    os::set_mode(&cfg, 0o700).unwrap();
    for file in [KEY_FILE, CREDENTIALS_FILE] {
        let bytes = std::fs::read(fixtures.join(file)).unwrap();
        std::io::Write::write_all(
            &mut os::create_new_private(&cfg.join(file)).unwrap(),
            &bytes,
        )
        .unwrap();
    }
    let expected: Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("expected.json")).unwrap()).unwrap();

    let d = TestDaemon::builder()
        .config_dir(ConfigDir::Path(cfg))
        .secret(expected["password"].as_str().unwrap())
        .start()
        .await;
    let r = d.get("/api/v1/settings/connection").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for field in ["host", "port", "database", "username"] {
        assert_eq!(r.body[field], expected[field], "{field}");
    }
    // Decrypted, not just found: these fields are inside the token.
    assert_eq!(r.body["has_password"], json!(true));
    let status = d.terminate().await;
    assert!(status.success(), "{status}");
}
