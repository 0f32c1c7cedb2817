//! Setting an unusable stored file aside: `<name>` is renamed to
//! `<name>.corrupt-<UTC time>[-n]` beside the new files, durably, and a
//! warning is logged.
//!
//! Why a rename and never a delete: a file that cannot be used today (a key
//! someone `chmod`-ed, a token no key here opens) may be the only copy of
//! something the user can still recover by hand. Every writer of the config
//! folder that has to get a file out of the way comes through here, so no
//! writer deletes a key or a token (the one deletion is the rotation's
//! redundant `fernet.key.old`, see [`super::interrupted_rotation`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::atomic_write;
use super::folder_errors::SaveError;

/// Renames `dir/name` aside (see the module docs); returns the new path.
/// Call only under the folder's exclusive lock (nobody else creates these
/// names then).
pub fn set_aside(
    dir: &Path,
    name: &str,
    why: &dyn std::fmt::Display,
) -> Result<PathBuf, SaveError> {
    let from = dir.join(name);
    let err = |e: std::io::Error| SaveError::SetAside {
        path: from.clone(),
        error: Arc::new(e),
    };
    let stamp = corrupt_stamp();
    let mut to = dir.join(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while std::fs::symlink_metadata(&to).is_ok() {
        to = dir.join(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(&from, &to).map_err(err)?;
    atomic_write::sync_dir(dir).map_err(err)?;
    tracing::warn!(
        file = name,
        reason = %why,
        moved_to = %to.display(),
        "unusable stored file set aside"
    );
    Ok(to)
}

/// `20261129T101500Z`: the current UTC time, sortable and file-name safe.
fn corrupt_stamp() -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| "unknown-time".to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::security::test_support::names;

    #[test]
    fn renamed_with_a_stamp_and_never_over_an_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        for content in [b"one", b"two"] {
            std::fs::write(dir.path().join("f"), content).unwrap();
            set_aside(dir.path(), "f", &"test").unwrap();
        }
        let kept = names(dir.path());
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.iter().all(|n| n.starts_with("f.corrupt-")), "{kept:?}");
        let mut contents: Vec<Vec<u8>> = kept
            .iter()
            .map(|n| std::fs::read(dir.path().join(n)).unwrap())
            .collect();
        contents.sort();
        assert_eq!(contents, [b"one".to_vec(), b"two".to_vec()]);
    }
}
