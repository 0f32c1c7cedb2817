//! Integration tests of the credential store with real processes and files
//! (no PostgreSQL needed): concurrent saves through the actor, `kill -9`
//! during saves, interoperability with Python's `cryptography` Fernet, and a
//! scan proving the plaintext password never reaches the disk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ractor::Actor;
use taskflowd::actors::credential_store::{
    self, CredentialStore, CredentialStoreArgs, CredentialStoreMsg,
};
use taskflowd::domain::credentials::{ConnectionTarget, DbCredentials, SslMode};
use taskflowd::domain::password::Password;
use taskflowd::security::credential_folder::CredentialFolder;

const T: Duration = Duration::from_secs(30);
const KEY_FILE: &str = "fernet.key";
const CREDENTIALS_FILE: &str = "db_credentials.enc";
/// The password the Python fixture uses, plus more non-ASCII.
const SPECIAL_PASSWORD: &str = " p@ss w0rd:/?#[]é €😀 ";

fn creds(host: &str, password: &str) -> DbCredentials {
    DbCredentials::new(
        ConnectionTarget::new(host, 5432, "taskflow_db", "team_lead"),
        Password::new(password.into()),
    )
}

/// A distinct, recognisable password per set.
fn numbered(i: usize) -> DbCredentials {
    creds(
        &format!("db{i}.example"),
        &format!("concurrent-secret-{i:03} x"),
    )
}

async fn spawn_store(dir: &Path) -> ractor::ActorRef<CredentialStoreMsg> {
    let args = CredentialStoreArgs {
        config_dir: Some(dir.to_path_buf()),
    };
    Actor::spawn(None, CredentialStore, args).await.unwrap().0
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Asserts that no file under `dir` contains any of `secrets` (raw bytes).
fn assert_no_plaintext(dir: &Path, secrets: &[&str]) {
    for path in all_files(dir) {
        let bytes = std::fs::read(&path).unwrap();
        for s in secrets {
            let found = bytes.windows(s.len()).any(|w| w == s.as_bytes());
            assert!(!found, "plaintext password found in {}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_saves_leave_exactly_one_complete_set_and_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    let store = spawn_store(&dir).await;
    credential_store::save(&store, creds("first", "first-pw"), T)
        .await
        .unwrap();
    let key = std::fs::read(dir.join(KEY_FILE)).unwrap();

    let sets: Vec<DbCredentials> = (0..50).map(numbered).collect();
    let tasks: Vec<_> = sets
        .iter()
        .cloned()
        .map(|c| {
            let store = store.clone();
            tokio::spawn(async move { credential_store::save(&store, c, T).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }

    let loaded = credential_store::load(&store, T).await.unwrap().unwrap();
    assert!(
        sets.contains(&loaded),
        "final file is not one of the saved sets"
    );
    // An independent reader (fresh files object) agrees.
    assert_eq!(CredentialFolder::new(&dir).load().unwrap(), Some(loaded));
    assert_eq!(
        std::fs::read(dir.join(KEY_FILE)).unwrap(),
        key,
        "key changed"
    );
    let names: HashSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: HashSet<String> = [KEY_FILE, CREDENTIALS_FILE, ".taskflowd.lock"]
        .map(String::from)
        .into();
    assert_eq!(names, expected, "no temp or corrupt files");
    store.stop(None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_new_folder_agree_on_one_key() {
    // Two daemons pointed at one (not yet existing) folder: the folder lock
    // and the no-clobber key creation must give one key and no corrupt files.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    let a = spawn_store(&dir).await;
    let b = spawn_store(&dir).await;
    let sets: Vec<DbCredentials> = (0..40).map(numbered).collect();
    let tasks: Vec<_> = sets
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, c)| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { credential_store::save(&store, c, T).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let from_a = credential_store::load(&a, T).await.unwrap().unwrap();
    let from_b = credential_store::load(&b, T).await.unwrap().unwrap();
    assert_eq!(from_a, from_b);
    assert!(sets.contains(&from_a));
    let corrupt = all_files(&dir)
        .iter()
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .count();
    assert_eq!(
        corrupt, 0,
        "a racing save mistook the other's key as corrupt"
    );
    a.stop(None);
    b.stop(None);
}

/// Environment variable that turns [`crash_helper_saves_in_a_loop`] into the
/// child process of [`kill_9_during_saves_never_leaves_a_broken_file`].
const CRASH_DIR_ENV: &str = "TASKFLOWD_TEST_CRASH_HELPER_DIR";

fn crash_sets() -> [DbCredentials; 2] {
    [
        creds("alpha.example", "crash-secret-alpha"),
        creds("beta.example", "crash-secret-beta-longer-password"),
    ]
}

/// Helper for the crash test. As a child (env var set) it saves the two
/// crash sets alternately until it is killed. In a normal run it checks that
/// alternating saves each load back completely.
#[test]
fn crash_helper_saves_in_a_loop() {
    let sets = crash_sets();
    if let Some(dir) = std::env::var_os(CRASH_DIR_ENV) {
        let files = CredentialFolder::new(PathBuf::from(dir));
        for i in 0usize.. {
            files.save(&sets[i % 2]).unwrap();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let files = CredentialFolder::new(tmp.path().join("cfg"));
    for i in 0..6 {
        files.save(&sets[i % 2]).unwrap();
        assert_eq!(files.load().unwrap().as_ref(), Some(&sets[i % 2]));
    }
}

/// A small xorshift generator: "random-ish" kill moments without a
/// dependency; the seed is printed so a failure can be replayed.
struct Jitter(u64);

impl Jitter {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}

#[test]
fn kill_9_during_saves_never_leaves_a_broken_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    let sets = crash_sets();
    let secrets: Vec<&str> = sets.iter().map(|c| c.password.expose()).collect();
    let exe = std::env::current_exe().unwrap();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    eprintln!("crash test jitter seed: {seed}");
    let mut jitter = Jitter(seed);
    let mut saw_saved = false;
    let mut key: Option<Vec<u8>> = None;
    // Rounds whose kill left a temp file: proof that kills hit mid-save.
    let mut mid_write = 0;

    for round in 0..32 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "store::crash_helper_saves_in_a_loop",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_DIR_ENV, &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(jitter.next_ms(15, 120)));
        // SIGKILL on Unix, TerminateProcess on Windows: no handler runs.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: helper exited by itself: {status}"
        );

        match CredentialFolder::new(&dir).load() {
            Ok(Some(c)) => {
                assert!(sets.contains(&c), "round {round}: unexpected set loaded");
                saw_saved = true;
            }
            Ok(None) => assert!(!saw_saved, "round {round}: saved settings vanished"),
            Err(e) => panic!("round {round}: broken files after kill -9: {e}"),
        }
        if let Ok(k) = std::fs::read(dir.join(KEY_FILE)) {
            let first = key.get_or_insert_with(|| k.clone());
            assert_eq!(first, &k, "round {round}: key regenerated");
        }
        if dir.exists() {
            assert_no_plaintext(&dir, &secrets);
            let temps = all_files(&dir)
                .iter()
                .filter(|p| p.to_string_lossy().contains(".taskflowd-tmp-"))
                .count();
            mid_write += usize::from(temps > 0);
        }
    }
    eprintln!("crash test: {mid_write} of 32 kills left a temp file behind");
    assert!(
        saw_saved,
        "no round got as far as a completed save; raise the delays"
    );
}

/// Fails (does not skip) when Python's `cryptography` is missing.
fn require_python_cryptography() {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography.fernet"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with the `cryptography` package is required for the interop tests \
         (pip install cryptography)"
    );
}

#[test]
fn python_decrypts_files_written_by_taskflowd() {
    require_python_cryptography();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    let files = CredentialFolder::new(&dir);
    let mut c = creds("db.example.internal", SPECIAL_PASSWORD);
    c.port = 6543;
    files.save(&c).unwrap();

    let script = "import sys\nfrom cryptography.fernet import Fernet\n\
        key = open(sys.argv[1], 'rb').read()\ntoken = open(sys.argv[2], 'rb').read()\n\
        sys.stdout.buffer.write(Fernet(key).decrypt(token))";
    let run = |c: &DbCredentials| {
        files.save(c).unwrap();
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(dir.join(KEY_FILE))
            .arg(dir.join(CREDENTIALS_FILE))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python could not decrypt: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        run(&c),
        serde_json::json!({
            "host": "db.example.internal", "port": 6543, "database": "taskflow_db",
            "username": "team_lead", "password": SPECIAL_PASSWORD,
        })
    );
    c.ssl_mode = Some(SslMode::VerifyCa);
    c.ssl_root_cert = Some("/etc/ssl/team ca.pem".into());
    let v = run(&c);
    assert_eq!(v["password"], SPECIAL_PASSWORD);
    assert_eq!(v["ssl_mode"], "verify-ca");
    assert_eq!(v["ssl_root_cert"], "/etc/ssl/team ca.pem");
}

#[test]
fn taskflowd_loads_files_written_by_python() {
    require_python_cryptography();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    std::fs::create_dir(&dir).unwrap();
    // What the original backend does: generate_key() written raw, then the
    // token of json.dumps(credentials) written raw (owner-only here).
    let script = r#"
import json, os, sys
from cryptography.fernet import Fernet
d, password = sys.argv[1], sys.argv[2]
def write(name, data):
    fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data); os.close(fd)
key = Fernet.generate_key()
write("fernet.key", key)
creds = {"host": "db.example.internal", "port": 6543, "database": "taskflow_db",
         "username": "team_lead", "password": password}
write("db_credentials.enc", Fernet(key).encrypt(json.dumps(creds).encode()))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&dir)
        .arg(SPECIAL_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut expected = creds("db.example.internal", SPECIAL_PASSWORD);
    expected.port = 6543;
    assert_eq!(CredentialFolder::new(&dir).load().unwrap(), Some(expected));
}

#[tokio::test]
async fn plaintext_password_never_reaches_any_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    let store = spawn_store(&dir).await;
    let passwords = [SPECIAL_PASSWORD, "scan-secret-one", "scan-secret-two-🙂"];
    for p in passwords {
        credential_store::save(&store, creds("db", p), T)
            .await
            .unwrap();
    }
    // Exercise the set-aside path too: a corrupt token is kept as *.corrupt-*.
    std::fs::write(dir.join(CREDENTIALS_FILE), b"not a token").unwrap();
    assert!(credential_store::load(&store, T).await.is_err());
    credential_store::save(&store, creds("db", "scan-secret-three"), T)
        .await
        .unwrap();
    assert!(
        all_files(&dir)
            .iter()
            .any(|p| p.to_string_lossy().contains(".corrupt-"))
    );
    let mut all = passwords.to_vec();
    all.push("scan-secret-three");
    // Also the distinctive ASCII parts, in case of some escaped encoding.
    all.extend(["scan-secret", "p@ss w0rd"]);
    assert_no_plaintext(&dir, &all);
    store.stop(None);
}

#[cfg(debug_assertions)]
#[tokio::test]
async fn panic_hook_fails_the_actor() {
    let tmp = tempfile::tempdir().unwrap();
    let args = CredentialStoreArgs {
        config_dir: Some(tmp.path().to_path_buf()),
    };
    let (store, handle) = Actor::spawn(None, CredentialStore, args).await.unwrap();
    store.cast(CredentialStoreMsg::Panic).unwrap();
    tokio::time::timeout(T, handle).await.unwrap().unwrap();
    assert!(credential_store::load(&store, T).await.is_err());
}

#[cfg(unix)]
fn folder_mode(dir: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(dir).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_folder_mode(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Issue #15 item 7: a config folder of ours left open to others (a user's
/// `mkdir`, a backup restore) is tightened to 0700 by the daemon at start,
/// with a warning naming the old mode, and again by a save; the settings in
/// it still load.
#[cfg(unix)]
#[tokio::test]
async fn a_loose_config_folder_is_tightened_at_start_and_at_save() {
    if crate::helpers::wine::skip_on_windows_run("Unix file modes (Wine keeps no DACLs)") {
        return;
    }
    use crate::helpers::TestDaemon;
    use crate::helpers::daemon::ConfigDir;
    use reqwest::StatusCode;

    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let saved = creds("db.invalid", "loose-folder-secret");
    CredentialFolder::new(dir.path()).save(&saved).unwrap();
    set_folder_mode(dir.path(), 0o755);

    let daemon = TestDaemon::builder()
        .config_dir(ConfigDir::Temp(dir.clone()))
        .secret("loose-folder-secret")
        .start()
        .await;
    let deadline = std::time::Instant::now() + T;
    while folder_mode(dir.path()) != 0o700 {
        assert!(
            std::time::Instant::now() < deadline,
            "the folder was not tightened at start\n{}",
            daemon.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logs = daemon.logs();
    assert!(
        logs.contains("tightened to 0700") && logs.contains("old_mode=0755"),
        "no warning naming the old mode\n{}",
        daemon.log_tail(20)
    );
    let r = daemon.get("/api/v1/settings/connection").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["host"], "db.invalid");

    // Loosened again while the daemon runs: the next save tightens it.
    set_folder_mode(dir.path(), 0o777);
    let body = serde_json::json!({"host": "db2.invalid", "port": 5432,
        "database": "d", "username": "u", "password": "loose-folder-secret"});
    let r = daemon
        .post_json("/api/v1/settings/save-connection", &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(folder_mode(dir.path()), 0o700);
    assert!(daemon.logs().contains("old_mode=0777"));
}

/// A config folder owned by someone else is refused with the reason — by the
/// load (so `/health` says why) and by a save — and left as it is.
#[cfg(unix)]
#[tokio::test]
async fn a_config_folder_owned_by_another_user_is_refused_with_the_reason() {
    if crate::helpers::wine::skip_on_windows_run("Unix file ownership (chown)") {
        return;
    }
    use crate::helpers::TestDaemon;
    use crate::helpers::daemon::ConfigDir;
    use reqwest::StatusCode;

    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can give a folder to another user");
        return;
    }
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    CredentialFolder::new(dir.path())
        .save(&creds("db.invalid", "foreign-folder-secret"))
        .unwrap();
    set_folder_mode(dir.path(), 0o755);
    nix::unistd::chown(dir.path(), Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    let why = format!(
        "the config folder {} is owned by another user (uid 65534, expected 0); \
         use a folder of your own (TASKFLOW_CONFIG_DIR)",
        dir.path().display()
    );

    let daemon = TestDaemon::builder()
        .config_dir(ConfigDir::Temp(dir.clone()))
        .secret("foreign-folder-secret")
        .start()
        .await;
    let expected = format!(
        "Stored connection settings cannot be read: {why}. Save connection settings again."
    );
    let r = daemon
        .wait_for_health(|r| r.body["error"] == expected.as_str(), T)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = serde_json::json!({"host": "db2.invalid", "port": 5432,
        "database": "d", "username": "u", "password": "foreign-folder-secret"});
    let r = daemon
        .post_json("/api/v1/settings/save-connection", &body)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str().unwrap_or_default()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to save connection settings: {why}").as_str()
        )
    );
    assert_eq!(
        folder_mode(dir.path()),
        0o755,
        "someone else's folder is not changed"
    );
    // Give it back so the temp dir can be removed as usual.
    nix::unistd::chown(dir.path(), Some(nix::unistd::Uid::from_raw(0)), None).unwrap();
}
