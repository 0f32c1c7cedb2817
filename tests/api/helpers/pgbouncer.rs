//! `PgBouncer`: Debian's `pgbouncer` in front of a [`PgCluster`], run as the
//! `postgres` user when the tests run as root, with its stock settings
//! except the listen address and port, the auth file and the pool mode.
//!
//! It runs in the foreground under a small shell that kills it when its
//! stdin closes, so a test binary that dies without running `Drop` leaves no
//! pooler behind (the same trick as the cluster's watchdog).

use std::fs;
use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::pg::{PgCluster, TestDb};

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// A server session per client session.
    Session,
    /// A server session per transaction: no session state survives.
    Transaction,
}

impl PoolMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Transaction => "transaction",
        }
    }
}

/// A running PgBouncer.
pub struct PgBouncer {
    _dir: TempDir,
    port: u16,
    log: PathBuf,
    /// Closing stdin makes the wrapper kill PgBouncer.
    process: Option<(ChildStdin, Child)>,
}

impl std::fmt::Debug for PgBouncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBouncer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

fn pgbouncer_bin() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file())
        .expect("pgbouncer not found (Debian package `pgbouncer`; .ci/run installs it)")
}

/// `"a""b"`: PgBouncer's auth-file quoting.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl PgBouncer {
    /// Starts PgBouncer in `mode` in front of `cluster`, letting in the
    /// owners of `dbs` (plaintext passwords in the auth file, so PgBouncer
    /// can answer the server's SCRAM challenge). Blocks until it listens.
    pub fn start(cluster: &PgCluster, mode: PoolMode, dbs: &[&TestDb]) -> PgBouncer {
        super::init_tracing();
        let dir = tempfile::Builder::new()
            .prefix("taskflowd-pgbouncer-")
            .tempdir()
            .expect("create PgBouncer dir");
        super::os::set_mode(dir.path(), 0o755).expect("chmod PgBouncer dir");
        let port = super::free_port();
        let auth = dir.path().join("userlist.txt");
        let users: String = dbs
            .iter()
            .map(|db| format!("{} {}\n", quoted(&db.role), quoted(&db.password)))
            .collect();
        fs::write(&auth, users).expect("write auth file");
        let ini = dir.path().join("pgbouncer.ini");
        fs::write(
            &ini,
            format!(
                "[databases]\n\
                 * = host=127.0.0.1 port={}\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_file = {}\n\
                 pool_mode = {}\n",
                cluster.port(),
                auth.display(),
                mode.as_str()
            ),
        )
        .expect("write pgbouncer.ini");
        let log = dir.path().join("pgbouncer.log");
        let root = super::os::is_root();
        if root {
            for p in [dir.path(), auth.as_path(), ini.as_path()] {
                super::os::chown_to_postgres(p, "running as root needs a `postgres` user")
                    .expect("chown to postgres");
            }
            super::os::set_mode(&auth, 0o600).expect("chmod auth file");
        }
        // `$1` pgbouncer, `$2` ini, `$3` log: kill PgBouncer when stdin closes.
        let script = r#"exec 3<&0 0</dev/null
"$1" "$2" >>"$3" 2>&1 &
pid=$!
cat <&3 >/dev/null
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0"#;
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "sh", "-c", script, "sh"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", script, "sh"]);
            c
        };
        let mut child = cmd
            .arg(pgbouncer_bin())
            .arg(&ini)
            .arg(&log)
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn pgbouncer");
        let stdin = child.stdin.take().expect("piped stdin");
        let bouncer = PgBouncer {
            _dir: dir,
            port,
            log,
            process: Some((stdin, child)),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "PgBouncer did not listen on {port}:\n{}",
                bouncer.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::debug!(port, mode = mode.as_str(), "PgBouncer started");
        bouncer
    }

    /// `db` reached through this PgBouncer (same name, role and password).
    pub fn db(&self, db: &TestDb) -> TestDb {
        TestDb {
            port: self.port,
            ..db.clone()
        }
    }

    /// PgBouncer's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        if let Some((stdin, mut child)) = self.process.take() {
            let _ = writeln!(&stdin);
            drop(stdin);
            let _ = child.wait();
        }
    }
}
