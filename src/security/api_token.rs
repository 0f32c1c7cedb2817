//! The API token (`TASKFLOW_API_TOKEN`, else the file `TASKFLOW_API_TOKEN_FILE`):
//! the one reader, used by the daemon at start and by the CLI before it
//! talks to the daemon, so both apply the same rules to the same file.
//!
//! The file is a secret like `fernet.key` and is read under the key's
//! owner-only rules: opened without following a symlink (and without
//! blocking on a FIFO), then checked on the opened file — a regular file,
//! owned by this user, no group/other access — so what is checked is what
//! is read. Unlike the key, a refused token file is fatal (exit 2 naming
//! the file): there is no "save again" that could replace it, and serving
//! without the token the operator asked for would open the API.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::secret_value::SecretValue;
use crate::platform::{self, Opened, Privacy};

/// Why the configured token cannot be used. Names the file, never its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiTokenError {
    /// `TASKFLOW_API_TOKEN` is set but blank.
    #[error("TASKFLOW_API_TOKEN is empty")]
    Empty,
    /// The token file is refused or unreadable.
    #[error("{}: {why}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}

/// The token from the `api_token` setting, else from the `api_token_file`
/// setting; `None` when neither is set.
pub fn configured(
    token: Option<&SecretValue>,
    file: Option<&Path>,
) -> Result<Option<SecretValue>, ApiTokenError> {
    if let Some(token) = token {
        if token.expose().trim().is_empty() {
            return Err(ApiTokenError::Empty);
        }
        return Ok(Some(token.clone()));
    }
    file.map(read_file).transpose()
}

/// Reads the token file at `path` (trimmed), under the owner-only rules.
pub fn read_file(path: &Path) -> Result<SecretValue, ApiTokenError> {
    let fail = |why: String| ApiTokenError::File {
        path: path.to_path_buf(),
        why,
    };
    let mut file = match platform::open_nofollow(path).map_err(|e| fail(e.to_string()))? {
        Opened::Missing => return Err(fail("no such file".to_owned())),
        Opened::Symlink => {
            return Err(fail(
                "is a symbolic link; point TASKFLOW_API_TOKEN_FILE at the file itself".to_owned(),
            ));
        }
        Opened::File(file) => file,
    };
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    if !meta.file_type().is_file() {
        return Err(fail("not a regular file".to_owned()));
    }
    if meta.len() > super::owner_only::MAX_FILE_BYTES {
        return Err(fail("is too large to be a token file".to_owned()));
    }
    match platform::file_privacy(&file).map_err(|e| fail(e.to_string()))? {
        Privacy::Private => {}
        Privacy::Exposed(_) => {
            return Err(fail(format!(
                "must be readable by its owner only ({})",
                platform::PRIVATE_FILE_HINT
            )));
        }
        Privacy::OtherOwner { owner, expected } => {
            return Err(fail(format!(
                "is owned by another user ({} {owner}, expected {expected})",
                platform::OWNER_LABEL
            )));
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(fail("the file is empty".to_owned()));
    }
    Ok(SecretValue::new(token))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_and_a_blank_one_is_refused() {
        assert_eq!(configured(None, None), Ok(None));
        let token = SecretValue::new("tf-x");
        let t = configured(Some(&token), Some(Path::new("/nonexistent")));
        assert_eq!(t.unwrap().unwrap().expose(), "tf-x");
        assert_eq!(
            configured(Some(&SecretValue::new("  ")), None),
            Err(ApiTokenError::Empty)
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_trimmed_and_read_only_when_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "tf-file-token\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_file(&p).unwrap().expose(), "tf-file-token");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = read_file(&p).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: must be readable by its owner only (chmod 600)",
                p.display()
            )
        );
        assert!(!e.contains("tf-file-token"));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(
            read_file(&link)
                .unwrap_err()
                .to_string()
                .contains("is a symbolic link")
        );
    }
}
