//! `PgCluster`: a private PostgreSQL cluster for the tests, made with the machine's
//! `initdb` / `pg_ctl` / `postgres` (scram-sha-256 over TCP on 127.0.0.1, a free
//! port, a temp data dir), and `TestDb`: a fresh role + database per test.
//! [`PgCluster::start_with`] can turn TLS on (`ssl = on` with a certificate the
//! test made, see `certs`) and make TCP `hostssl`-only.
//!
//! # Cleanup
//!
//! Every cluster has a *watchdog*: a small `sh` process (own process group, ignoring
//! HUP/INT/TERM/QUIT) whose stdin is a pipe whose only write end lives in the test
//! process (close-on-exec, so daemons and postgres never inherit it). The watchdog
//! blocks reading that pipe; when it hits EOF it runs `pg_ctl stop -m immediate`
//! (falling back to `SIGQUIT` to the postmaster) and removes the cluster's temp dir.
//! EOF happens when the `PgCluster` is dropped (normal end of a test, or unwinding
//! from a panic: `Drop` closes the pipe and waits for the watchdog), and also when
//! the test process ends in any other way (normal exit with the shared cluster still
//! in its `static`, `process::exit`, a crash, `kill -9`, Ctrl-C): the kernel closes
//! the pipe. So no cluster and no temp dir outlives the test binary.
//! `harness::abandoned_cluster_is_cleaned_up_after_process_exit` proves it.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use reqwest::Url;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sea_orm::sqlx::{self, AssertSqlSafe, Connection};
use tempfile::TempDir;
use uuid::Uuid;

/// The cluster shared by all tests of this binary that do not stop PostgreSQL.
/// Started synchronously on first use; cleaned up by its watchdog at process exit.
static SHARED: LazyLock<PgCluster> = LazyLock::new(PgCluster::start);

/// The shared cluster (started on first call). Fault tests must start their own
/// [`PgCluster`] instead, so that stopping it does not break other tests.
pub fn shared() -> &'static PgCluster {
    &SHARED
}

/// The watchdog script; see the module docs. Arguments:
/// `$1` data dir, `$2` pg_ctl, `$3` temp root to remove, `$4` runuser path or empty.
const WATCHDOG_SCRIPT: &str = r#"
trap '' HUP INT TERM QUIT PIPE
cat >/dev/null 2>&1
if [ -f "$1/postmaster.pid" ]; then
  if [ -n "$4" ]; then
    "$4" -u postgres -- "$2" -D "$1" -m immediate -w -t 30 stop >/dev/null 2>&1
  else
    "$2" -D "$1" -m immediate -w -t 30 stop >/dev/null 2>&1
  fi
  if [ -f "$1/postmaster.pid" ]; then
    pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
    [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null
    sleep 1
  fi
fi
rm -rf -- "$3"
"#;

/// A server certificate and its private key, both PEM, for a cluster with TLS on.
#[derive(Clone)]
pub struct ServerTls {
    /// The server's certificate (optionally followed by intermediates).
    pub cert_pem: String,
    /// The certificate's private key (PKCS#8 PEM).
    pub key_pem: String,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

/// How [`PgCluster::start_with`] sets a cluster up. The default is what
/// [`PgCluster::start`] does: TLS off, password auth over plain TCP.
#[derive(Clone, Debug, Default)]
pub struct PgOptions {
    /// `Some`: `ssl = on` with this certificate and key (written into the data
    /// dir, owned by the server's user, mode 0600 as PostgreSQL demands).
    pub tls: Option<ServerTls>,
    /// Only `hostssl` lines in `pg_hba.conf`: a TCP client without TLS is
    /// refused ("no encryption"). Needs `tls`.
    pub hostssl_only: bool,
}

/// A private PostgreSQL cluster. See the module docs for cleanup.
pub struct PgCluster {
    /// Temp root (mode 0711 so the `postgres` user can traverse it). Removed by the
    /// watchdog; `TempDir`'s own removal is a harmless second attempt.
    root: TempDir,
    /// `<root>/pg`, owned by the server's user, mode 0700: socket dir and server log.
    pg_dir: PathBuf,
    /// `<root>/pg/data`.
    data_dir: PathBuf,
    /// Directory holding `initdb`, `pg_ctl` and `postgres`.
    bin_dir: PathBuf,
    /// `Some(path to runuser)` when the tests run as root: PostgreSQL refuses to run
    /// as root, so its binaries run as the `postgres` user.
    runuser: Option<PathBuf>,
    port: u16,
    /// Superuser (`postgres`) password; alphanumeric, so it needs no escaping anywhere.
    admin_password: String,
    /// Stdin of the watchdog (dropping it triggers cleanup) and the process itself.
    watchdog: Mutex<Option<(ChildStdin, Child)>>,
    /// TLS is on: the harness's own connections use `require` (a `hostssl`-only
    /// cluster refuses anything else).
    tls: bool,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCluster")
            .field("root", &self.root.path())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl PgCluster {
    /// Create and start a fresh cluster; blocks until it accepts connections.
    /// Panics with a clear message when the PostgreSQL binaries are missing or
    /// anything fails (the partial cluster is cleaned up).
    pub fn start() -> PgCluster {
        Self::start_with(PgOptions::default())
    }

    /// Like [`Self::start`], with TLS and `pg_hba.conf` set up as `options` say.
    pub fn start_with(options: PgOptions) -> PgCluster {
        Self::start_configured(options, 200)
    }

    /// Like [`Self::start`], with `max_connections` slots (a small managed
    /// server). PostgreSQL keeps 3 of them for superusers
    /// (`superuser_reserved_connections`), so ordinary roles get 3 fewer.
    pub fn start_sized(max_connections: u32) -> PgCluster {
        Self::start_configured(PgOptions::default(), max_connections)
    }

    fn start_configured(options: PgOptions, max_connections: u32) -> PgCluster {
        assert!(
            options.tls.is_some() || !options.hostssl_only,
            "hostssl_only needs a server certificate (PgOptions::tls)"
        );
        super::init_tracing();
        let bin_dir = find_bin_dir().unwrap_or_else(|e| panic!("{e}"));
        let runuser = if super::os::is_root() {
            Some(find_runuser())
        } else {
            None
        };

        let root = tempfile::Builder::new()
            .prefix("taskflowd-pg-")
            .tempdir()
            .expect("create temp dir for PostgreSQL");
        super::os::set_mode(root.path(), 0o711).expect("chmod 0711 cluster temp root");
        let pg_dir = root.path().join("pg");
        fs::create_dir(&pg_dir).expect("create cluster dir");
        super::os::set_mode(&pg_dir, 0o700).expect("chmod 0700 cluster dir");
        let data_dir = pg_dir.join("data");
        let admin_password = Uuid::new_v4().simple().to_string();
        let pwfile = pg_dir.join("pwfile");
        fs::write(&pwfile, format!("{admin_password}\n")).expect("write pwfile");
        if runuser.is_some() {
            for p in [&pg_dir, &pwfile] {
                super::os::chown_to_postgres(
                    p,
                    "running as root, but there is no `postgres` user to run PostgreSQL as \
                     (install the `postgresql` package, or run the tests as a normal user)",
                )
                .expect("chown cluster dir to postgres");
            }
        }

        // The watchdog exists before the first postgres process does.
        let watchdog = spawn_watchdog(&bin_dir, &data_dir, root.path(), runuser.as_deref());
        let mut cluster = PgCluster {
            root,
            pg_dir,
            data_dir,
            bin_dir,
            runuser,
            port: 0,
            admin_password,
            watchdog: Mutex::new(Some(watchdog)),
            tls: options.tls.is_some(),
        };

        let pwfile_arg = format!("--pwfile={}", pwfile.display());
        let out = cluster
            .pg_command("initdb")
            .arg("-D")
            .arg(&cluster.data_dir)
            .args([
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                pwfile_arg.as_str(),
            ])
            .output()
            .expect("run initdb");
        let _ = fs::remove_file(&pwfile);
        cluster.check(&out, "initdb");

        let socket_dir = cluster
            .pg_dir
            .to_str()
            .expect("temp path is UTF-8")
            .to_owned();
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(cluster.data_dir.join("postgresql.conf"))
            .expect("open postgresql.conf");
        writeln!(
            conf,
            "\n# taskflowd test harness\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{socket_dir}'\n\
             password_encryption = 'scram-sha-256'\n\
             max_connections = {max_connections}\n\
             shared_buffers = '32MB'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             wal_level = minimal\n\
             max_wal_senders = 0\n\
             log_min_messages = warning"
        )
        .expect("write postgresql.conf");
        if let Some(tls) = &options.tls {
            cluster.install_tls(tls, options.hostssl_only);
            writeln!(
                conf,
                "ssl = on\n\
                 ssl_cert_file = 'server.crt'\n\
                 ssl_key_file = 'server.key'"
            )
            .expect("write ssl settings to postgresql.conf");
        }

        // The port is chosen by binding :0 and released before postgres binds it, so
        // another process may grab it in between: retry with a new one.
        for attempt in 1..=3 {
            cluster.port = super::free_port();
            writeln!(conf, "port = {}", cluster.port).expect("write port to postgresql.conf");
            match cluster.try_pg_ctl_start() {
                Ok(()) => break,
                Err(e) if attempt < 3 && e.contains("could not bind") => continue,
                Err(e) => panic!("{e}"),
            }
        }
        tracing::debug!(port = cluster.port, root = %cluster.root.path().display(), "PostgreSQL cluster started");
        cluster
    }

    /// Writes the certificate and key into the data dir (mode 0600 from
    /// creation, owned by the server's user) and, for `hostssl_only`, replaces
    /// `pg_hba.conf` so that TCP needs TLS.
    fn install_tls(&self, tls: &ServerTls, hostssl_only: bool) {
        for (name, pem) in [("server.crt", &tls.cert_pem), ("server.key", &tls.key_pem)] {
            let path = self.data_dir.join(name);
            let mut f = super::os::create_new_private(&path)
                .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
            f.write_all(pem.as_bytes())
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            if self.runuser.is_some() {
                super::os::chown_to_postgres(&path, "user postgres exists (checked at start)")
                    .expect("chown TLS file to postgres");
            }
        }
        if hostssl_only {
            // Rewriting the existing file keeps its owner and mode.
            fs::write(
                self.data_dir.join("pg_hba.conf"),
                "# taskflowd test harness: TCP only with TLS\n\
                 local   all all                trust\n\
                 hostssl all all 127.0.0.1/32   scram-sha-256\n\
                 hostssl all all ::1/128        scram-sha-256\n",
            )
            .expect("write pg_hba.conf");
        }
    }

    /// TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's temp root (removed on cleanup).
    pub fn root_dir(&self) -> &Path {
        self.root.path()
    }

    /// The postmaster's pid while it runs.
    pub fn postmaster_pid(&self) -> Option<i32> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Superuser connect options, every field set explicitly (no `PG*` env, no pgpass).
    pub fn admin_options(&self) -> PgConnectOptions {
        explicit_options(
            self.port,
            "postgres",
            &self.admin_password,
            "postgres",
            self.tls,
        )
    }

    /// Run SQL (one statement or several, simple protocol) as the superuser.
    pub async fn exec_admin(&self, sql: &str) -> Result<(), sqlx::Error> {
        let mut conn = PgConnection::connect_with(&self.admin_options()).await?;
        let result = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        result.map(|_| ())
    }

    /// A fresh login role with a random, URL-hostile password and a fresh database
    /// `t_<uuid>` owned by it.
    pub async fn create_database(&self) -> TestDb {
        let id = Uuid::new_v4().simple().to_string();
        let name = format!("t_{id}");
        let role = format!("r_{id}");
        // Space, URL delimiters, percent, quotes, backslash: whoever builds a URL or
        // conninfo string by hand from this breaks.
        let password = format!("p w@:/?#[]%&+=;'\"\\ {}", Uuid::new_v4().simple());
        let literal = password.replace('\'', "''");
        // Do not put the statements (they contain the password) into panic messages.
        self.exec_admin(&format!(
            "CREATE ROLE \"{role}\" LOGIN PASSWORD '{literal}'"
        ))
        .await
        .unwrap_or_else(|e| panic!("CREATE ROLE {role} failed: {}", redact(&e, &password)));
        // CREATE DATABASE cannot run in the implicit transaction of a multi-statement query.
        self.exec_admin(&format!("CREATE DATABASE \"{name}\" OWNER \"{role}\""))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));

        let mut url = Url::parse("postgres://127.0.0.1/").expect("static URL");
        url.set_port(Some(self.port)).expect("URL takes a port");
        url.set_username(&role).expect("URL takes a username");
        url.set_password(Some(&password))
            .expect("URL takes a password");
        url.set_path(&name);
        TestDb {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            name,
            role,
            password,
            url: url.into(),
            tls: self.tls,
        }
    }

    /// Stop the server (`pg_ctl stop -m immediate`): connections drop, new ones are refused.
    pub fn stop(&self) {
        let out = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "immediate", "-w", "-t", "60", "stop"])
            .output()
            .expect("run pg_ctl stop");
        self.check(&out, "pg_ctl stop");
    }

    /// Start the stopped server again: same data dir, same port. Blocks until it
    /// accepts connections.
    pub fn start_again(&self) {
        self.try_pg_ctl_start().unwrap_or_else(|e| panic!("{e}"));
    }

    fn try_pg_ctl_start(&self) -> Result<(), String> {
        let out = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(self.log_path())
            .args(["-w", "-t", "60", "start"])
            .output()
            .map_err(|e| format!("cannot run pg_ctl start: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(self.failure_message(&out, "pg_ctl start"))
        }
    }

    /// A command for one of the PostgreSQL binaries, as `postgres` when we are root,
    /// with a clean environment (no `PG*` variables, C locale).
    fn pg_command(&self, program: &str) -> Command {
        let exe = self.bin_dir.join(program);
        let mut cmd = match &self.runuser {
            Some(runuser) => {
                let mut c = Command::new(runuser);
                c.args(["-u", "postgres", "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        cmd.env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            // Not inheriting the test's cwd: `postgres` cannot chdir into root's dirs.
            .current_dir(self.root.path());
        cmd
    }

    fn log_path(&self) -> PathBuf {
        self.pg_dir.join("server.log")
    }

    fn check(&self, out: &Output, what: &str) {
        if !out.status.success() {
            panic!("{}", self.failure_message(out, what));
        }
    }

    fn failure_message(&self, out: &Output, what: &str) -> String {
        let mut log = String::new();
        if let Ok(mut f) = fs::File::open(self.log_path()) {
            let _ = f.read_to_string(&mut log);
        }
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "{what} failed ({}):\nstdout: {}\nstderr: {}\nserver log (tail):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim(),
            tail.join("\n")
        )
    }
}

impl Drop for PgCluster {
    /// Close the watchdog's pipe and wait for it: it stops the server and removes
    /// the temp dir. Also runs while unwinding from a failed test.
    fn drop(&mut self) {
        let watchdog = match self.watchdog.get_mut() {
            Ok(w) => w.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some((stdin, mut child)) = watchdog {
            drop(stdin);
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        eprintln!("PgCluster: watchdog did not finish cleanup within 60 s");
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }
}

/// A fresh database and its owner role on a [`PgCluster`].
#[derive(Clone)]
pub struct TestDb {
    /// Always `127.0.0.1`.
    pub host: String,
    pub port: u16,
    /// Database name, `t_<uuid simple>`.
    pub name: String,
    /// Owner role, `r_<uuid simple>`.
    pub role: String,
    /// Random, contains space and `@:/?#%'"\`.
    pub password: String,
    /// `postgres://…` with user and password percent-encoded (built with `url`).
    pub url: String,
    /// The cluster has TLS on ([`Self::connect`] then uses `require`).
    pub tls: bool,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// Connect options as the owner role, every field set explicitly.
    pub fn connect_options(&self) -> PgConnectOptions {
        explicit_options(self.port, &self.role, &self.password, &self.name, self.tls)
    }

    /// One connection as the owner role.
    pub async fn connect(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.connect_options()).await
    }

    /// The daemon's pool sessions on this database (`application_name`
    /// `taskflowd`), counted over `conn`: the owner's own connection, or the
    /// superuser's when the server may be out of ordinary slots.
    pub async fn daemon_sessions(&self, conn: &mut PgConnection) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'taskflowd'",
        )
        .bind(&self.name)
        .fetch_one(conn)
        .await
        .expect("count the daemon's sessions")
    }

    /// Ends every pool session of the daemon on this database (the server
    /// stays up), over `conn`; one `true` per session ended.
    pub async fn terminate_daemon_sessions(&self, conn: &mut PgConnection) -> Vec<bool> {
        sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'taskflowd'",
        )
        .bind(&self.name)
        .fetch_all(conn)
        .await
        .expect("terminate the daemon's sessions")
    }

    /// The body the settings endpoints take.
    pub fn credentials_json(&self) -> serde_json::Value {
        serde_json::json!({
            "host": self.host,
            "port": self.port,
            "database": self.name,
            "username": self.role,
            "password": self.password,
        })
    }
}

/// Connect options with every field we depend on set explicitly:
/// `new_without_pgpass` still reads `PG*` variables, which we override here.
/// `tls`: `require` (the cluster may be `hostssl`-only), else `disable`.
fn explicit_options(
    port: u16,
    user: &str,
    password: &str,
    database: &str,
    tls: bool,
) -> PgConnectOptions {
    let ssl_mode = if tls {
        PgSslMode::Require
    } else {
        PgSslMode::Disable
    };
    PgConnectOptions::new_without_pgpass()
        .host("127.0.0.1")
        .port(port)
        .username(user)
        .password(password)
        .database(database)
        .ssl_mode(ssl_mode)
        .application_name("taskflowd-tests")
}

/// An error's text with a secret removed (PostgreSQL errors do not echo passwords,
/// but the harness never relies on that).
pub fn redact(err: &dyn std::fmt::Display, secret: &str) -> String {
    err.to_string().replace(secret, "[redacted]")
}

/// `initdb`'s directory: `initdb` on PATH (symlinks resolved), else the newest
/// `/usr/lib/postgresql/<version>/bin`. `pg_ctl` and `postgres` must sit beside it.
fn find_bin_dir() -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let newest_debian = || {
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    };
    let dir = on_path.or_else(newest_debian).ok_or_else(|| {
        "PostgreSQL server binaries not found: no `initdb` on PATH and no \
         /usr/lib/postgresql/*/bin/initdb. Install them (Debian: \
         `apt-get install postgresql`) or run .ci/run, which does."
            .to_owned()
    })?;
    for exe in ["pg_ctl", "postgres"] {
        if !dir.join(exe).is_file() {
            return Err(format!(
                "found initdb in {} but no `{exe}` beside it",
                dir.display()
            ));
        }
    }
    Ok(dir)
}

fn find_runuser() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join("runuser"))
        .find(|p| p.is_file())
        .expect("running as root but `runuser` (util-linux) was not found")
}

fn spawn_watchdog(
    bin_dir: &Path,
    data_dir: &Path,
    root: &Path,
    runuser: Option<&Path>,
) -> (ChildStdin, Child) {
    // Its own process group: a terminal's Ctrl-C that kills the tests must not
    // kill the watchdog before it has cleaned up.
    let mut child = super::os::own_process_group(
        Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG_SCRIPT)
            .arg("taskflowd-pg-watchdog")
            .arg(data_dir)
            .arg(bin_dir.join("pg_ctl"))
            .arg(root)
            .arg(runuser.map(Path::as_os_str).unwrap_or_default())
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("LC_ALL", "C")
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .spawn()
    .expect("spawn the cluster watchdog (sh)");
    let stdin = child.stdin.take().expect("watchdog stdin is piped");
    (stdin, child)
}
