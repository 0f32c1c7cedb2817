//! Secrets at rest: the Fernet key and credential files, atomic durable
//! writes. (The redacting password type is a domain type:
//! [`crate::domain::password::Password`].)
//!
//! One concept per file: [`config_dir`] (where the files live),
//! [`atomic_write`] (how bytes reach the disk), [`owner_only`] (who may have
//! written them), [`fernet_key`] and [`credential_token`] (the two formats),
//! [`credential_folder`] (the load/save rules that tie them together) with
//! [`folder_errors`] (why a load or save failed), [`key_rotation`] (replacing
//! the key, crash-safe) and [`interrupted_rotation`] (what a crash mid-rotation
//! or an operator leaves and how the next writer repairs it without losing a
//! key), [`set_aside`] (moving an unusable file out of the way, never
//! deleting it), [`api_token`] (the token file, under the key's rules);
//! [`trust_store`] reads the
//! `ssl_root_cert` file or the system's CA store.

pub mod api_token;
pub mod atomic_write;
pub mod config_dir;
pub mod credential_folder;
pub mod credential_token;
pub mod fernet_key;
pub mod folder_errors;
pub mod interrupted_rotation;
pub mod key_rotation;
pub mod owner_only;
pub mod secret_value;
pub mod set_aside;
pub mod trust_store;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod fernet_spec_tests;

/// Helpers shared by this module's unit tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod test_support {
    use std::path::Path;

    /// The sorted file names in `dir`.
    pub fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}
