//! The few OS calls the test helpers make (modes, owners, process groups),
//! in one place. The helpers drive PostgreSQL, PgBouncer and `sh` on the
//! Linux side; on Windows they only have to compile (the Windows run starts
//! the exe from the Linux test binary), so there these are no-ops.

use std::fs::File;
use std::io;
use std::path::Path;
use std::process::Command;

/// Whether the tests run as root (then PostgreSQL runs as `postgres`).
pub fn is_root() -> bool {
    #[cfg(unix)]
    return nix::unistd::geteuid().is_root();
    #[cfg(not(unix))]
    false
}

/// `chmod`.
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Gives `path` to the `postgres` user (root only), panicking with
/// `why` when there is no such user.
pub fn chown_to_postgres(path: &Path, why: &str) -> io::Result<()> {
    #[cfg(unix)]
    {
        let pg = nix::unistd::User::from_name("postgres")
            .map_err(io::Error::from)?
            .unwrap_or_else(|| panic!("{why}"));
        nix::unistd::chown(path, Some(pg.uid), Some(pg.gid)).map_err(io::Error::from)
    }
    #[cfg(not(unix))]
    {
        let _ = (path, why);
        Ok(())
    }
}

/// Creates the new file `path` with mode 0600 from creation.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

/// Puts the child in its own process group, so a terminal's Ctrl-C does not
/// reach it.
pub fn own_process_group(cmd: &mut Command) -> &mut Command {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    cmd
}
