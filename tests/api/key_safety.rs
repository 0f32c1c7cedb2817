//! Keys are never lost (DESIGN.md "One user's daemon", issue 20 item 6),
//! against the real binary: for every state a crash or an operator can
//! leave in the config folder, a daemon started on it serves the saved
//! settings (health becomes healthy against a real PostgreSQL) or says why
//! not, `taskflowd rotate-key` completes the rotation or refuses with the
//! reason (exit 1) changing nothing, and afterwards the daemon serves the
//! settings. The decision itself is unit-tested as a table in
//! src/security/interrupted_rotation.rs.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use taskflowd::domain::credentials::{ConnectionTarget, DbCredentials};
use taskflowd::domain::password::Password;
use taskflowd::security::credential_token;
use taskflowd::security::fernet_key::FernetKey;

use crate::helpers::daemon::ConfigDir;
use crate::helpers::pg::{self, TestDb};
use crate::helpers::wine::{self, daemon_path};
use crate::helpers::{TestDaemon, os};

const KEY: &str = "fernet.key";
const OLD: &str = "fernet.key.old";
const TOKEN: &str = "db_credentials.enc";

/// A fresh config folder.
fn folder() -> ConfigDir {
    ConfigDir::Temp(Arc::new(tempfile::tempdir().unwrap()))
}

/// Writes `dir/name` owner-only (a file the daemon itself could have written).
fn put(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    std::io::Write::write_all(&mut os::create_new_private(&path).unwrap(), bytes).unwrap();
}

/// The token of `db`'s settings under `key`.
fn token(key: &FernetKey, db: &TestDb) -> Vec<u8> {
    let creds = DbCredentials::new(
        ConnectionTarget::new(&db.host, db.port, &db.name, &db.role),
        Password::new(db.password.clone()),
    );
    credential_token::encrypt(key, &creds).unwrap().into_bytes()
}

/// The folder's file names and contents, sorted (to prove "nothing changed").
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with(".taskflowd"))
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

/// The names in `dir` that start with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<String> {
    snapshot(dir)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// `taskflowd rotate-key` on `dir`.
fn rotate(dir: &Path) -> Output {
    wine::command()
        .arg("rotate-key")
        .env("TASKFLOW_CONFIG_DIR", daemon_path(dir))
        .output()
        .unwrap()
}

/// A daemon on `dir` serves `db`'s settings: healthy, then stopped.
async fn serves(dir: &ConfigDir, db: &TestDb, state: &str) {
    let d = TestDaemon::builder()
        .config_dir(dir.clone())
        .secret(db.password.clone())
        .start()
        .await;
    let r = d.settled().await;
    assert_eq!(r.status, 200, "{state}: {}\n{}", r.text, d.log_tail(20));
    d.terminate().await;
}

/// The `/health` error a daemon on `dir` settles on, once it contains `part`.
async fn health_error(dir: &ConfigDir, part: &str) -> String {
    let d = TestDaemon::builder().config_dir(dir.clone()).start().await;
    let r = d
        .wait_for_health(
            |r| r.body["error"].as_str().is_some_and(|e| e.contains(part)),
            Duration::from_secs(20),
        )
        .await;
    d.terminate().await;
    r.body["error"].as_str().unwrap_or_default().to_owned()
}

/// Rotates `dir` (exit 0), checks that the result is one fresh key that
/// opens the settings, no old key, and that a daemon serves them.
async fn rotates(dir: &ConfigDir, db: &TestDb, state: &str, keys_before: &[Vec<u8>]) {
    let out = rotate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{state}: {stderr}");
    assert!(!dir.path().join(OLD).exists(), "{state}");
    let key = std::fs::read(dir.path().join(KEY)).unwrap();
    assert!(!keys_before.contains(&key), "{state}: a fresh key");
    let key = FernetKey::parse(&key).unwrap();
    let opened = credential_token::decrypt(&key, &std::fs::read(dir.path().join(TOKEN)).unwrap());
    assert_eq!(opened.unwrap().password.expose(), db.password, "{state}");
    serves(dir, db, state).await;
}

/// States a rotation cut short leaves (tests/api/crash.rs kills one at
/// every step; here each state is built by hand, with and without the
/// temporary files an atomic write left).
#[tokio::test]
async fn interrupted_rotations_load_and_complete() {
    let db = pg::shared().create_database().await;
    let a = FernetKey::generate();
    let b = FernetKey::generate();
    // (state, fernet.key, fernet.key.old, the key of db_credentials.enc)
    let states: [(&str, &FernetKey, &FernetKey, &FernetKey); 3] = [
        ("after step 1: both keys equal", &a, &a, &a),
        ("after step 2: only the old key opens", &b, &a, &a),
        ("after step 3: only the new key opens", &b, &a, &b),
    ];
    for (state, current, old, by) in states {
        for temps in [false, true] {
            let dir = folder();
            put(dir.path(), KEY, current.file_bytes());
            put(dir.path(), OLD, old.file_bytes());
            put(dir.path(), TOKEN, &token(by, &db));
            if temps {
                // What a crash inside an atomic write leaves.
                put(dir.path(), ".taskflowd-tmp-fernet.key.Xy12", b.file_bytes());
                put(
                    dir.path(),
                    ".taskflowd-tmp-db_credentials.enc.Xy12",
                    &token(&b, &db),
                );
            }
            let state = format!("{state} (temp files: {temps})");
            serves(&dir, &db, &state).await;
            let before = [a.file_bytes().to_vec(), b.file_bytes().to_vec()];
            rotates(&dir, &db, &state, &before).await;
            assert!(named(dir.path(), ".taskflowd-tmp-").is_empty(), "{state}");
        }
    }
}

/// The case: `fernet.key.old` is the only key that opens the
/// settings, and `fernet.key` is missing, garbage, or refused (a symlink,
/// `chmod`-ed, another user's). The daemon serves them as found; the
/// rotation promotes the old key (a refused `fernet.key` is set aside, not
/// deleted) and completes.
#[tokio::test]
async fn only_the_old_key_opens_the_settings() {
    let db = pg::shared().create_database().await;
    let only = FernetKey::generate();
    let refused = cfg!(unix)
        && !wine::skip_on_windows_run(
            "the refused-key variants (symlink, mode, owner) are Unix rules; Wine keeps no DACL",
        );
    let mut states = vec!["fernet.key missing", "fernet.key garbage"];
    if refused {
        states.extend(["fernet.key mode 0644", "fernet.key a symlink"]);
        if os::is_root() {
            states.push("fernet.key another user's");
        } else {
            eprintln!("skipped \"fernet.key another user's\": only root can give a file away");
        }
    }
    for state in states {
        let dir = folder();
        let p = dir.path();
        put(p, OLD, only.file_bytes());
        put(p, TOKEN, &token(&only, &db));
        let other = FernetKey::generate();
        match state {
            "fernet.key missing" => {}
            "fernet.key garbage" => put(p, KEY, b"not a key\n"),
            "fernet.key mode 0644" => {
                put(p, KEY, other.file_bytes());
                os::set_mode(&p.join(KEY), 0o644).unwrap();
            }
            #[cfg(unix)]
            "fernet.key a symlink" => {
                put(p, "elsewhere", other.file_bytes());
                std::os::unix::fs::symlink(p.join("elsewhere"), p.join(KEY)).unwrap();
            }
            "fernet.key another user's" => {
                put(p, KEY, other.file_bytes());
                chown(&p.join(KEY), 65534);
            }
            _ => panic!("no such state: {state}"),
        }
        serves(&dir, &db, state).await;
        let before = [only.file_bytes().to_vec(), other.file_bytes().to_vec()];
        rotates(&dir, &db, state, &before).await;
        let aside = named(p, "fernet.key.corrupt-");
        let expected = usize::from(state != "fernet.key missing");
        assert_eq!(
            aside.len(),
            expected,
            "{state}: the refused key is kept aside"
        );
        if state == "fernet.key a symlink" {
            assert_eq!(
                std::fs::read(p.join("elsewhere")).unwrap(),
                other.file_bytes(),
                "the link's target is never touched"
            );
        }
    }
}

/// `fernet.key` garbage, or refused by its mode or its owner, and no old
/// key: the daemon says why, `rotate-key` refuses with the reason and
/// changes nothing (the garbage is not replaced either: it may be a key
/// damaged in a way a person can repair); once the operator fixes the
/// file, both work.
#[tokio::test]
async fn an_unusable_key_alone_is_reported_never_replaced() {
    let db = pg::shared().create_database().await;
    let mut states = vec!["garbage"];
    if !wine::skip_on_windows_run(
        "the mode and owner variants: Unix rules here; Wine keeps no DACL",
    ) {
        states.push("mode 0644");
        if os::is_root() {
            states.push("owned by nobody");
        } else {
            eprintln!("skipped \"owned by nobody\": only root can give a file away");
        }
    }
    for state in states {
        let key = FernetKey::generate();
        let dir = folder();
        let p = dir.path();
        put(p, KEY, key.file_bytes());
        put(p, TOKEN, &token(&key, &db));
        let why = match state {
            "garbage" => {
                put(p, KEY, b"garbage");
                "the key file fernet.key is not a valid Fernet key".to_owned()
            }
            "mode 0644" => {
                os::set_mode(&p.join(KEY), 0o644).unwrap();
                "fernet.key is accessible by group or others (mode 0644, expected 0600)".to_owned()
            }
            _ => {
                chown(&p.join(KEY), 65534);
                format!(
                    "fernet.key is owned by another user (uid 65534, expected {})",
                    my_uid()
                )
            }
        };
        let health = health_error(&dir, &why).await;
        assert!(
            health.contains("Stored connection settings cannot be read"),
            "{health}"
        );

        let before = snapshot(p);
        let out = rotate(p);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{state}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "rotate-key: the stored settings cannot be read ({why}); nothing was changed"
            )),
            "{state}: {stderr}"
        );
        assert_eq!(snapshot(p), before, "{state}: nothing changed");

        // The operator fixes the file (puts the key back, for garbage).
        if state == "garbage" {
            put(p, KEY, key.file_bytes());
        } else {
            os::set_mode(&p.join(KEY), 0o600).unwrap();
            chown(&p.join(KEY), my_uid());
        }
        serves(&dir, &db, state).await;
        rotates(&dir, &db, state, &[key.file_bytes().to_vec()]).await;
    }
}

/// `chown` (Unix; the tests that call it skip elsewhere).
fn chown(path: &Path, uid: u32) {
    #[cfg(unix)]
    nix::unistd::chown(path, Some(nix::unistd::Uid::from_raw(uid)), None).unwrap();
    #[cfg(not(unix))]
    let _ = (path, uid);
}

fn my_uid() -> u32 {
    #[cfg(unix)]
    return nix::unistd::geteuid().as_raw();
    #[cfg(not(unix))]
    0
}

/// Both keys present and neither opens the settings (a refused or lost key
/// might), or the settings missing or unreadable beside an old key: the
/// old key may be the only one to something, so `rotate-key` refuses with
/// the reason and the folder stays exactly as it was.
#[tokio::test]
async fn an_old_key_that_may_matter_is_never_removed() {
    let db = pg::shared().create_database().await;
    let (current, old, third) = (
        FernetKey::generate(),
        FernetKey::generate(),
        FernetKey::generate(),
    );
    let mut states = vec![
        (
            "neither key opens the settings",
            "cannot be decrypted with fernet.key",
        ),
        ("no settings saved", "nothing to rotate"),
    ];
    if !wine::skip_on_windows_run("the unreadable-token variant (mode 0644) is a Unix rule") {
        states.push((
            "settings refused by mode",
            "db_credentials.enc is accessible by group or others",
        ));
    }
    for (state, why) in states {
        let dir = folder();
        let p = dir.path();
        put(p, KEY, current.file_bytes());
        put(p, OLD, old.file_bytes());
        match state {
            "neither key opens the settings" => put(p, TOKEN, &token(&third, &db)),
            "no settings saved" => {}
            _ => {
                put(p, TOKEN, &token(&old, &db));
                os::set_mode(&p.join(TOKEN), 0o644).unwrap();
            }
        }
        let before = snapshot(p);
        // A daemon says why it serves nothing, and its loads write nothing.
        let health = match state {
            "no settings saved" => "Database connection is not configured",
            _ => why,
        };
        health_error(&dir, health).await;
        assert_eq!(snapshot(p), before, "{state}: the daemon changed nothing");
        let out = rotate(p);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{state}: {stderr}");
        assert!(stderr.contains(why), "{state}: {stderr}");
        assert_eq!(snapshot(p), before, "{state}: nothing changed");
        if state == "settings refused by mode" {
            // Fixed by hand, the old key opens them: served, then rotated.
            os::set_mode(&p.join(TOKEN), 0o600).unwrap();
            serves(&dir, &db, state).await;
            rotates(
                &dir,
                &db,
                state,
                &[current.file_bytes().to_vec(), old.file_bytes().to_vec()],
            )
            .await;
        }
    }
}

/// A save through the daemon over a folder where no key opens the token
/// keeps the old token *with* the old key that might open it (both set
/// aside, never deleted), and the new settings load.
#[tokio::test]
async fn a_save_over_unopenable_settings_sets_the_old_key_aside_with_them() {
    let db = pg::shared().create_database().await;
    let (current, old, third) = (
        FernetKey::generate(),
        FernetKey::generate(),
        FernetKey::generate(),
    );
    let dir = folder();
    let p = dir.path();
    put(p, KEY, current.file_bytes());
    put(p, OLD, old.file_bytes());
    put(p, TOKEN, &token(&third, &db));
    let d = TestDaemon::builder()
        .config_dir(dir.clone())
        .secret(db.password.clone())
        .start()
        .await;
    assert_eq!(d.save_connection(&db).await.status, 200);
    d.wait_until_healthy(Duration::from_secs(20)).await;
    d.terminate().await;
    assert!(!p.join(OLD).exists());
    let old_aside = named(p, "fernet.key.old.corrupt-");
    assert_eq!(old_aside.len(), 1, "{:?}", snapshot(p));
    assert_eq!(
        std::fs::read(p.join(&old_aside[0])).unwrap(),
        old.file_bytes()
    );
    assert_eq!(named(p, "db_credentials.enc.corrupt-").len(), 1);
    assert_eq!(std::fs::read(p.join(KEY)).unwrap(), current.file_bytes());
    serves(&dir, &db, "after the save").await;
}
