//! `taskflowd status`, `taskflowd test-connection`, `taskflowd paths`,
//! `taskflowd rotate-key`.

use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};

use super::find;
use super::target_flags::TargetFlags;
use crate::config::Settings;
use crate::domain::credentials::ConnectionTarget;
use crate::instance::discovery::DISCOVERY_FILE;
use crate::instance::lock::INSTANCE_LOCK_FILE;
use crate::security::credential_folder::LOCK_FILE;
use crate::security::credential_token::CREDENTIALS_FILE;
use crate::security::fernet_key::KEY_FILE;

/// `taskflowd status [--json]`: exit 0 when ready, 1 otherwise (or
/// unreachable, or not this user's), 2 for a refused token file. The
/// daemon is found as [`find::daemon`] says (`explicit`: an address was
/// given on the command line).
pub async fn status(settings: &Settings, explicit: bool, as_json: bool) -> u8 {
    let client = match find::daemon(settings, explicit) {
        Ok(found) => found.client,
        Err(e) => return e.report(),
    };
    match client.send("GET", "/api/v1/settings/status", None).await {
        Ok((200, body)) => {
            if as_json {
                println!("{body}");
            } else {
                print!("{}", render_status(&body));
            }
            u8::from(body["state"] != "ready")
        }
        Ok((code, body)) => {
            eprintln!("taskflowd: status failed ({code}): {}", error_text(&body));
            1
        }
        Err(e) => {
            eprintln!("taskflowd: {e}");
            1
        }
    }
}

/// Human-readable status, one fact per line.
pub fn render_status(body: &Value) -> String {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let connection = match &body["connection"] {
        Value::Object(c) => format!(
            "{}@{}:{}/{}",
            text(&c["username"].clone()),
            text(&c["host"].clone()),
            c["port"],
            text(&c["database"].clone())
        ),
        _ => "-".to_owned(),
    };
    format!(
        "state:       {}\nattempt:     {}\nlast error:  {}\nready since: {}\nconnection:  {}\nconfigured:  {}\nversion:     {}\n",
        text(&body["state"]),
        body["attempt"],
        text(&body["last_error"]),
        text(&body["ready_since"]),
        connection,
        body["configured"],
        text(&body["version"]),
    )
}

/// `taskflowd test-connection … --password-stdin`: the same probe and messages
/// as the API. Exit 0 when the connection works, 1 otherwise.
pub async fn test_connection(
    settings: &Settings,
    explicit: bool,
    target: &TargetFlags,
    stdin: &mut impl Read,
) -> u8 {
    let client = match find::daemon(settings, explicit) {
        Ok(found) => found.client,
        Err(e) => return e.report(),
    };
    let mut password = String::new();
    if let Err(e) = stdin.read_to_string(&mut password) {
        eprintln!("taskflowd: cannot read the password from stdin: {e}");
        return 1;
    }
    // One trailing newline comes from `echo`/a terminal, not from the password.
    let password = password
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&password);
    let mut body = json!(ConnectionTarget::from(target.clone()));
    body["password"] = json!(password);
    match client
        .send("POST", "/api/v1/settings/test-connection", Some(&body))
        .await
    {
        Ok((200, _)) => {
            println!("ok: connected and ran SELECT 1");
            0
        }
        Ok((_, body)) => {
            println!("{}", error_text(&body));
            1
        }
        Err(e) => {
            eprintln!("taskflowd: {e}");
            1
        }
    }
}

/// `taskflowd paths`: the config folder and files, whether each exists and its mode.
pub fn paths(settings: &Settings) -> String {
    let Some(dir) = settings.resolved_config_dir() else {
        return "config folder: cannot be determined (no home folder); set TASKFLOW_CONFIG_DIR\n"
            .to_owned();
    };
    let mut out = format!("config folder:     {}\n", describe(&dir));
    for (label, name) in [
        ("key file:", KEY_FILE),
        ("credentials file:", CREDENTIALS_FILE),
        ("lock file:", LOCK_FILE),
        ("instance lock:", INSTANCE_LOCK_FILE),
        ("discovery file:", DISCOVERY_FILE),
        ("config file:", crate::config::CONFIG_FILE_NAME),
    ] {
        out.push_str(&format!("{label:<18} {}\n", describe(&dir.join(name))));
    }
    let log = settings.log_file().map_or_else(
        || "off (TASKFLOW_LOG_DIR=none, or no home folder)".to_owned(),
        |p| describe(&p),
    );
    out.push_str(&format!("{:<18} {log}\n", "log file:"));
    out
}

fn describe(path: &Path) -> String {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            let mode = crate::platform::describe_access(path, &meta);
            let kind = if meta.file_type().is_symlink() {
                "symlink, "
            } else {
                ""
            };
            format!("{} (exists, {kind}{mode})", path.display())
        }
        Err(_) => format!("{} (does not exist yet)", path.display()),
    }
}

fn error_text(body: &Value) -> String {
    body["error"]
        .as_str()
        .unwrap_or("no error message")
        .to_owned()
}

/// `taskflowd rotate-key`: a new Fernet key and the saved credentials
/// re-encrypted under it (see [`crate::security::key_rotation`]). Works on
/// the folder directly, whether or not a daemon runs on it: the folder's
/// one-writer lock keeps it from interleaving with the daemon's saves. Exit 0
/// when rotated, 1 otherwise (the reason on stderr; nothing is printed that
/// holds a secret).
pub fn rotate_key(settings: &Settings) -> u8 {
    let Some(dir) = settings.resolved_config_dir() else {
        eprintln!(
            "taskflowd: config folder cannot be determined (no home folder); set TASKFLOW_CONFIG_DIR"
        );
        return 1;
    };
    let folder = crate::security::credential_folder::CredentialFolder::new(&dir);
    match crate::security::key_rotation::rotate(&folder) {
        Ok(()) => {
            println!(
                "rotated {}: new key, credentials re-encrypted; the old key is gone",
                dir.join(KEY_FILE).display()
            );
            0
        }
        Err(e) => {
            eprintln!("taskflowd: rotate-key: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_renders_one_fact_per_line() {
        let body = json!({"state": "ready", "attempt": 0, "last_error": null, "ready_since": "2026-11-29T10:00:00Z",
            "connection": {"host": "h", "port": 5432, "database": "d", "username": "u", "has_password": true},
            "configured": true, "version": "0.1.0"});
        let text = render_status(&body);
        assert!(text.contains("state:       ready\n"), "{text}");
        assert!(text.contains("connection:  u@h:5432/d\n"), "{text}");
        assert!(text.contains("last error:  -\n"), "{text}");
    }

    #[test]
    fn paths_report_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            config_dir: Some(dir.path().join("nope")),
            ..Settings::default()
        };
        let text = paths(&settings);
        assert!(text.contains("does not exist yet"), "{text}");
        assert!(text.contains("fernet.key"), "{text}");
        for name in [DISCOVERY_FILE, INSTANCE_LOCK_FILE] {
            assert!(text.contains(name), "{text}");
        }
    }
}
