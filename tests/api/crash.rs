//! Crash safety of the whole daemon: `kill -9` in the middle of saves and in
//! the middle of start-up migrations never leaves broken credential files or
//! a half-made schema, and a restarted daemon becomes healthy.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::sqlx::{self, Row};
use taskflowd::security::credential_folder::CredentialFolder;

use crate::helpers::daemon::ConfigDir;
use crate::helpers::pg::TestDb;
use crate::helpers::{TestDaemon, pg};

/// A pseudo-random delay in `0..max_ms` (no extra dependency; good enough to
/// land kills at different moments).
fn jitter(i: u64, max_ms: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    Duration::from_millis((nanos ^ (i.wrapping_mul(2_654_435_761))) % max_ms)
}

/// The schema is either absent or complete: a `members` table always comes
/// with its unique constraint, and a recorded migration always has its table.
async fn assert_schema_intact(db: &TestDb) {
    let mut conn = db.connect().await.unwrap();
    let members: bool = sqlx::query("SELECT to_regclass('public.members') IS NOT NULL AS t")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get("t");
    let constraint: bool = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'uq_members_email') AS c",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
    .get("c");
    assert_eq!(
        members, constraint,
        "members table without its unique constraint (or vice versa)"
    );
    let tracked: bool =
        sqlx::query("SELECT to_regclass('public.seaql_migrations') IS NOT NULL AS t")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get("t");
    if tracked {
        let recorded: i64 = sqlx::query("SELECT count(*) AS n FROM seaql_migrations")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get("n");
        assert!(
            recorded == 0 || members,
            "a migration is recorded but its table is missing"
        );
    }
}

#[tokio::test]
async fn kill_9_during_startup_migrations_leaves_the_schema_intact() {
    let cluster = pg::shared();
    let db = cluster.create_database().await;
    let first = TestDaemon::builder()
        .secret(db.password.clone())
        .start()
        .await;
    assert_eq!(first.save_connection(&db).await.status, StatusCode::OK);
    first.wait_until_healthy(Duration::from_secs(20)).await;
    let dir = first.config_dir_handle();
    first.kill9();

    for i in 0..12u64 {
        // A fresh, empty database under the same name: every start migrates.
        let drop = format!("DROP DATABASE \"{}\" WITH (FORCE)", db.name);
        cluster.exec_admin(&drop).await.unwrap();
        let create = format!("CREATE DATABASE \"{}\" OWNER \"{}\"", db.name, db.role);
        cluster.exec_admin(&create).await.unwrap();
        let d = TestDaemon::builder()
            .config_dir(dir.clone())
            .secret(db.password.clone())
            .spawn();
        tokio::time::sleep(jitter(i, 400)).await;
        d.kill9();
        assert_schema_intact(&db).await;
    }
    let d = TestDaemon::builder()
        .config_dir(dir)
        .secret(db.password.clone())
        .start()
        .await;
    d.wait_until_healthy(Duration::from_secs(20)).await;
    assert_schema_intact(&db).await;
}

#[tokio::test]
async fn kill_9_during_saves_leaves_a_complete_credential_set() {
    if crate::helpers::wine::skip_on_windows_run(
        "it loads the folder in-process by the Unix owner-only rules, and Wine gives the exe's files mode 0750 (derived from their DACL)",
    ) {
        return;
    }
    let cluster = pg::shared();
    let a = cluster.create_database().await;
    let b = cluster.create_database().await;
    let dir = ConfigDir::Temp(std::sync::Arc::new(tempfile::tempdir().unwrap()));
    for i in 0..15u64 {
        let d = TestDaemon::builder()
            .config_dir(dir.clone())
            .secret(a.password.clone())
            .secret(b.password.clone())
            .start()
            .await;
        let client = d.client().clone();
        let url = d.url("/api/v1/settings/save-connection");
        let bodies = [a.credentials_json(), b.credentials_json()];
        let saver = tokio::spawn(async move {
            for n in 0.. {
                let _ = client.post(&url).json(&bodies[n % 2]).send().await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20) + jitter(i, 150)).await;
        d.kill9();
        saver.abort();

        let loaded = CredentialFolder::new(dir.path().to_owned())
            .load()
            .expect("the files load after a kill -9");
        if let Some(creds) = loaded {
            let pw = creds.password.expose();
            assert!(
                (creds.database == a.name && pw == a.password)
                    || (creds.database == b.name && pw == b.password),
                "a mixed or partial credential set after a kill"
            );
        }
        for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(&a.password) && !text.contains(&b.password),
                "plaintext on disk"
            );
        }
    }
    let d = TestDaemon::builder()
        .config_dir(dir)
        .secret(a.password.clone())
        .secret(b.password.clone())
        .start()
        .await;
    d.wait_until_healthy(Duration::from_secs(20)).await;
}

/// The pause points of `rotate-key` (src/security/key_rotation.rs), in order.
const ROTATE_STEPS: [&str; 5] = [
    "locked",
    "old-key-kept",
    "new-key-written",
    "token-written",
    "done",
];

/// Runs `taskflowd rotate-key` on `dir` until it announces `step`, then
/// `kill -9`s it there.
fn rotate_and_kill_at(dir: &std::path::Path, step: &str) {
    use std::io::BufRead;
    let mut child = crate::helpers::wine::command()
        .arg("rotate-key")
        .env(
            "TASKFLOW_CONFIG_DIR",
            crate::helpers::wine::daemon_path(dir),
        )
        .env("TASKFLOW_TEST_ROTATE_PAUSE", step)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let wanted = format!("rotate-key: paused at {step}");
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line == wanted => break,
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                panic!("rotate-key never reached {step}");
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
}

/// `kill -9` of `rotate-key` at every step: the folder always loads with the
/// saved settings (in the library and in a real daemon), the next rotation
/// completes the interrupted one, and a completed one leaves no old key.
#[tokio::test]
async fn kill_9_at_every_rotate_key_step_leaves_a_folder_that_loads() {
    if crate::helpers::wine::skip_on_windows_run(
        "it loads the folder in-process by the Unix owner-only rules, and Wine gives the exe's files mode 0750 (derived from their DACL)",
    ) {
        return;
    }
    let db = pg::shared().create_database().await;
    let dir = ConfigDir::Temp(std::sync::Arc::new(tempfile::tempdir().unwrap()));
    let first = TestDaemon::builder()
        .config_dir(dir.clone())
        .secret(db.password.clone())
        .start()
        .await;
    assert_eq!(first.save_connection(&db).await.status, StatusCode::OK);
    first.terminate().await;
    let folder = CredentialFolder::new(dir.path().to_owned());
    let key = || std::fs::read(dir.path().join("fernet.key")).unwrap();
    let mut keys = vec![key()];

    for step in ROTATE_STEPS {
        rotate_and_kill_at(dir.path(), step);
        let loaded = folder
            .load()
            .unwrap_or_else(|e| panic!("after a kill at {step}: {e}"))
            .unwrap_or_else(|| panic!("after a kill at {step}: no settings"));
        assert_eq!(loaded.database, db.name, "{step}");
        assert_eq!(loaded.password.expose(), db.password, "{step}");
        if !keys.contains(&key()) {
            keys.push(key());
        }
        if step == "done" || step == "locked" {
            assert!(!dir.path().join("fernet.key.old").exists(), "{step}");
        }
        let d = TestDaemon::builder()
            .config_dir(dir.clone())
            .secret(db.password.clone())
            .start()
            .await;
        d.wait_until_healthy(Duration::from_secs(20)).await;
        d.terminate().await;
    }
    assert!(
        keys.len() >= 3,
        "the kills after the key was written changed it"
    );

    // A full rotation completes whatever is left, and removes the old key.
    let out = crate::helpers::wine::command()
        .arg("rotate-key")
        .env(
            "TASKFLOW_CONFIG_DIR",
            crate::helpers::wine::daemon_path(dir.path()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("fernet.key.old").exists());
    assert!(!keys.contains(&key()), "a fresh key");
    assert_eq!(
        folder.load().unwrap().unwrap().password.expose(),
        db.password
    );
}
