//! The token file under the key's owner-only rules (DESIGN.md "One user's
//! daemon"): a symlink, a file of another owner, or one readable by group
//! or others → exit 2, naming the file. (The good case and 0644 are in
//! security.rs.)
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::helpers::TestDaemon;

const TOKEN: &str = "tf-token-file-rules-7f6e5d";

/// Starts a daemon on `file`: its exit code and stderr.
async fn start_with(file: &Path) -> (Option<i32>, String) {
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN_FILE", file.as_os_str())
        .secret(TOKEN)
        .spawn();
    let status = d
        .wait_exit(Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("the daemon accepted {}", file.display()));
    (status.code(), d.stderr())
}

fn token_file(dir: &Path, mode: u32) -> std::path::PathBuf {
    let file = dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    file
}

#[tokio::test]
async fn a_symlink_even_to_a_good_file_is_refused() {
    if crate::helpers::wine::skip_on_windows_run(
        "Wine shows a Unix symlink to the exe as a plain file, not a reparse point (symlinks are a Unix rule here)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let real = token_file(dir.path(), 0o600);
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, stderr) = start_with(&link).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: is a symbolic link", link.display())),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN));
}

#[tokio::test]
async fn group_or_other_bits_are_refused() {
    if crate::helpers::wine::skip_on_windows_run(
        "mode bits are a Unix rule; under Wine the exe's owner-only checks only warn (Wine keeps no DACL)",
    ) {
        return;
    }
    for mode in [0o640, 0o604, 0o620] {
        let dir = tempfile::tempdir().unwrap();
        let file = token_file(dir.path(), mode);
        let (code, stderr) = start_with(&file).await;
        assert_eq!(code, Some(2), "{mode:o}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: must be readable by its owner only",
                file.display()
            )),
            "{mode:o}: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_file_of_another_owner_is_refused() {
    if crate::helpers::wine::skip_on_windows_run(
        "Wine does not map a Unix owner to a Windows owner SID (ownership is a Unix rule here)",
    ) {
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can give a file to another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), 0o600);
    nix::unistd::chown(&file, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    let (code, stderr) = start_with(&file).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: is owned by another user (uid 65534",
            file.display()
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_missing_file_or_a_folder_is_refused() {
    if crate::helpers::wine::skip_on_windows_run(
        "the message names the file as the exe sees it (Z:\\…), not the Linux path the test expects",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none");
    let (code, stderr) = start_with(&missing).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    let (code, stderr) = start_with(dir.path()).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&dir.path().display().to_string()),
        "{stderr}"
    );
}

/// The CLI reads the token file with the daemon's reader: the same refusals,
/// exit 2 naming the file, before it looks for a daemon or sends anything.
#[test]
fn the_cli_refuses_the_same_token_files() {
    if crate::helpers::wine::skip_on_windows_run(
        "mode bits and symlinks are Unix rules here; the message names the file as the exe sees it",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let open = token_file(dir.path(), 0o640);
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&open, &link).unwrap();
    for (file, why) in [
        (&open, "must be readable by its owner only"),
        (&link, "is a symbolic link"),
    ] {
        for args in [
            &["status"][..],
            &["stop"][..],
            &["--port", "1", "status"][..],
        ] {
            let out = crate::helpers::wine::command()
                .args(args)
                .env("TASKFLOW_CONFIG_DIR", dir.path())
                .env("TASKFLOW_API_TOKEN_FILE", file)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "taskflowd: cannot use the API token file: {}: {why}",
                    file.display()
                )),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains(TOKEN));
        }
    }
}
