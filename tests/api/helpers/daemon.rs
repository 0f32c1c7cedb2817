//! `TestDaemon`: the real `taskflowd` binary as a subprocess, configured only by
//! environment variables (and flags where a test needs them), with a temp config
//! folder, a free port, short backoffs, and its stdout/stderr captured to files.
//!
//! The child gets `TASKFLOW_PARENT_PID` = the test process, so a daemon cannot
//! outlive a test binary that dies without running `Drop`; `Drop` kills it otherwise.
//!
//! On the Windows run (`TASKFLOWD_TEST_WINE`, see [`super::wine`]) the same
//! builder starts `taskflowd.exe` under Wine instead.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The signals a test can send (Unix only: Windows has no signals).
#[cfg(unix)]
pub use nix::sys::signal::Signal;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

use super::net::{Blackhole, FreezableProxy};
use super::pg::TestDb;
use super::wine::{self, windows_run};

/// The daemon binary under test: the one cargo built for this package, unless
/// `TASKFLOWD_TEST_BIN` names another build of it (e.g. a release binary).
pub fn bin() -> PathBuf {
    std::env::var_os("TASKFLOWD_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_taskflowd")))
}

/// How long `start()` waits for the port to answer.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the daemon keeps its key and credentials.
#[derive(Clone, Debug)]
pub enum ConfigDir {
    /// A temp dir, shared so that a restarted daemon can reuse it.
    Temp(Arc<TempDir>),
    /// Any path (e.g. one that does not exist yet, or is not writable).
    Path(PathBuf),
}

impl ConfigDir {
    /// The folder's path.
    pub fn path(&self) -> &Path {
        match self {
            ConfigDir::Temp(t) => t.path(),
            ConfigDir::Path(p) => p,
        }
    }
}

/// Builder for a [`TestDaemon`]: defaults plus any extra environment and flags.
#[derive(Debug)]
pub struct DaemonBuilder {
    /// `None` = removed from the defaults.
    env: BTreeMap<String, Option<OsString>>,
    args: Vec<OsString>,
    config_dir: Option<ConfigDir>,
    /// `TASKFLOW_CONFIG_DIR` unset: the daemon picks its default folder.
    default_config_dir: bool,
    port: Option<u16>,
    port_env: bool,
    secrets: Vec<String>,
    /// Where the test expects `taskflowd.log` when it unset `TASKFLOW_LOG_DIR`.
    default_log_dir: Option<PathBuf>,
}

impl Default for DaemonBuilder {
    fn default() -> Self {
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("TASKFLOW_LOG", "trace"),
            ("TASKFLOW_DB_RETRY_BACKOFF_BASE_MS", "50"),
            ("TASKFLOW_DB_RETRY_BACKOFF_CAP_MS", "500"),
            ("TASKFLOW_DB_PING_INTERVAL_MS", "300"),
            ("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "2"),
        ] {
            env.insert(k.to_owned(), Some(OsString::from(v)));
        }
        env.insert(
            "TASKFLOW_PARENT_PID".to_owned(),
            Some(std::process::id().to_string().into()),
        );
        DaemonBuilder {
            env,
            args: Vec::new(),
            config_dir: None,
            default_config_dir: false,
            port: None,
            port_env: true,
            secrets: Vec::new(),
            default_log_dir: None,
        }
    }
}

impl DaemonBuilder {
    /// Set (or override a default) environment variable.
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.insert(key.to_owned(), Some(value.into()));
        self
    }

    /// Leave `TASKFLOW_LOG_DIR` unset, so the daemon writes `taskflowd.log`
    /// into its platform default folder; `expected` is that folder (the
    /// test sets `HOME`/`XDG_STATE_HOME` to make it a temp one). By default
    /// the harness points `TASKFLOW_LOG_DIR` at a private temp folder.
    #[cfg(unix)]
    pub fn default_log_dir(mut self, expected: PathBuf) -> Self {
        self.env.insert("TASKFLOW_LOG_DIR".to_owned(), None);
        self.default_log_dir = Some(expected);
        self
    }

    /// A command-line argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Reuse a config folder (e.g. from [`TestDaemon::config_dir_handle`]).
    pub fn config_dir(mut self, dir: ConfigDir) -> Self {
        self.config_dir = Some(dir);
        self
    }

    /// Leave `TASKFLOW_CONFIG_DIR` unset, so the daemon uses its platform
    /// default; `expected` is where that is (for the test's own checks of
    /// [`TestDaemon::config_dir`]; the test cleans it up).
    pub fn default_config_dir(mut self, expected: PathBuf) -> Self {
        self.config_dir = Some(ConfigDir::Path(expected));
        self.default_config_dir = true;
        self
    }

    /// The port the helpers talk to (and `TASKFLOW_PORT`, unless `no_port_env`).
    /// Default: a free port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Do not set `TASKFLOW_PORT` (the port comes from a file or a flag).
    pub fn no_port_env(mut self) -> Self {
        self.port_env = false;
        self
    }

    /// A string that must never be printed; redacted from log dumps.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Spawn the process without waiting for anything.
    pub fn spawn(self) -> TestDaemon {
        super::init_tracing();
        let port = self.port.unwrap_or_else(super::free_port);
        let config_dir = self.config_dir.unwrap_or_else(|| {
            ConfigDir::Temp(Arc::new(
                tempfile::Builder::new()
                    .prefix("taskflowd-cfg-")
                    .tempdir()
                    .expect("create temp config dir"),
            ))
        });
        let log_dir = tempfile::Builder::new()
            .prefix("taskflowd-log-")
            .tempdir()
            .expect("create temp log dir");
        let stdout = fs::File::create(log_dir.path().join("stdout.log")).expect("stdout log");
        let stderr = fs::File::create(log_dir.path().join("stderr.log")).expect("stderr log");

        let bin = windows_run().map_or_else(bin, |run| run.exe.clone());
        // A clean environment: PATH (and Wine's variables on the Windows run).
        let mut cmd = wine::command();
        // The debug build serves /__test/* only when asked (src/http/test_hooks.rs).
        cmd.env("TASKFLOW_TEST_HOOKS", "1");
        if !self.default_config_dir {
            cmd.env(
                "TASKFLOW_CONFIG_DIR",
                wine::daemon_arg(config_dir.path().as_os_str()),
            );
        }
        if self.port_env {
            cmd.env("TASKFLOW_PORT", port.to_string());
        }
        let mut env = self.env;
        // Each daemon's log file in its own temp folder (beside the captured
        // stdout/stderr), never the user's real log folder.
        let file_logs = match env.get("TASKFLOW_LOG_DIR") {
            None => {
                let dir = log_dir.path().join("files");
                env.insert(
                    "TASKFLOW_LOG_DIR".to_owned(),
                    Some(dir.clone().into_os_string()),
                );
                Some(dir)
            }
            Some(Some(v)) if v != "none" => Some(PathBuf::from(v)),
            Some(Some(_)) => None,
            Some(None) => self.default_log_dir.clone(),
        };
        if windows_run().is_some() {
            // A Linux pid means nothing to Windows: the daemon would take its
            // parent for gone and stop at once. Drop and `wineserver -k` at
            // the end of the run (scripts/wine/test.sh) prevent orphans instead.
            env.remove("TASKFLOW_PARENT_PID");
            // Wine reports no owner for a socket (its pids are all 0).
            env.entry("TASKFLOW_SAME_USER_ONLY".to_owned())
                .or_insert_with(|| Some("false".into()));
            // Its own process group: kill9 then reaches whatever Wine forked.
            super::os::own_process_group(&mut cmd);
        }
        for (k, v) in &env {
            match v {
                Some(v) => cmd.env(k, wine::daemon_arg(v)),
                None => cmd.env_remove(k),
            };
        }
        cmd.args(self.args.iter().map(|a| wine::daemon_arg(a)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", bin.display()));
        tracing::debug!(pid = child.id(), port, "spawned taskflowd");

        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("build reqwest client");
        TestDaemon {
            child: Mutex::new(Some(child)),
            exit: Mutex::new(None),
            port,
            config_dir,
            log_dir,
            file_logs,
            client,
            secrets: Mutex::new(self.secrets),
        }
    }

    /// Spawn and wait until the port answers HTTP (any status).
    pub async fn start(self) -> TestDaemon {
        let daemon = self.spawn();
        daemon.wait_until_answers(START_TIMEOUT).await;
        daemon
    }
}

/// A response with everything a test asserts on.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The raw body.
    pub text: String,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
}

impl ApiResponse {
    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// Asserts the contract's error shape — `Content-Type: application/json` and a
    /// JSON object with exactly one key, `error`, of type string — and the status;
    /// returns the message. Failure messages name the shape, not the body.
    #[track_caller]
    pub fn error_message(&self, status: StatusCode) -> String {
        assert_eq!(self.status, status, "status");
        assert_eq!(
            self.content_type(),
            Some("application/json"),
            "error responses are JSON"
        );
        let obj = self.body.as_object().unwrap_or_else(|| {
            panic!(
                "error body is not a JSON object ({} bytes)",
                self.text.len()
            )
        });
        let keys: Vec<&String> = obj.keys().collect();
        assert_eq!(keys, ["error"], "error body has exactly the key `error`");
        obj["error"]
            .as_str()
            .unwrap_or_else(|| panic!("`error` is not a string"))
            .to_owned()
    }
}

/// A running (or exited) `taskflowd` subprocess. Dropping it kills the process.
#[derive(Debug)]
pub struct TestDaemon {
    child: Mutex<Option<Child>>,
    exit: Mutex<Option<ExitStatus>>,
    port: u16,
    config_dir: ConfigDir,
    /// `stdout.log` and `stderr.log`.
    log_dir: TempDir,
    /// The folder of `taskflowd.log`, unless the test turned the file off.
    file_logs: Option<PathBuf>,
    client: reqwest::Client,
    /// Strings redacted from log dumps (passwords the test sent).
    secrets: Mutex<Vec<String>>,
}

impl TestDaemon {
    /// A builder with the defaults (see the module docs).
    pub fn builder() -> DaemonBuilder {
        DaemonBuilder::default()
    }

    /// A daemon with the defaults, once its port answers.
    pub async fn start() -> TestDaemon {
        Self::builder().start().await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn config_dir(&self) -> &Path {
        self.config_dir.path()
    }

    /// The config folder, to hand to a second daemon (restart tests). The temp dir
    /// lives as long as any handle.
    pub fn config_dir_handle(&self) -> ConfigDir {
        self.config_dir.clone()
    }

    /// A request to `path`, to add headers or a raw body; send it with [`Self::send`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Send a request and read the whole response. Panics on transport errors.
    pub async fn send(&self, request: RequestBuilder) -> ApiResponse {
        let resp = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to taskflowd failed: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("read response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        ApiResponse {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> ApiResponse {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> ApiResponse {
        self.send(self.request(Method::PATCH, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> ApiResponse {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// A raw body with the given `Content-Type`.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> ApiResponse {
        self.send(
            self.request(Method::POST, path)
                .header(CONTENT_TYPE, content_type)
                .body(body),
        )
        .await
    }

    /// `POST /api/v1/settings/save-connection` with the database's credentials.
    /// The password is registered as a secret for log dumps.
    pub async fn save_connection(&self, db: &TestDb) -> ApiResponse {
        self.add_secret(&db.password);
        self.post_json("/api/v1/settings/save-connection", &db.credentials_json())
            .await
    }

    /// Saves `db`'s credentials with the port of `proxy` in front of it, and
    /// waits until the daemon is healthy through it.
    pub async fn save_behind(&self, db: &TestDb, proxy: &FreezableProxy) {
        self.add_secret(&db.password);
        let mut body = db.credentials_json();
        body["port"] = serde_json::json!(proxy.port());
        let r = self
            .post_json("/api/v1/settings/save-connection", &body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        self.wait_until_healthy(Duration::from_secs(10)).await;
    }

    /// Saves settings that point at `blackhole` (which accepts and never
    /// answers) and waits until the daemon's connect attempt reached it: the
    /// daemon is then stuck in that attempt for its connect timeout.
    pub async fn save_blackhole(&self, blackhole: &Blackhole, password: &str) {
        let r = self
            .post_json(
                "/api/v1/settings/save-connection",
                &blackhole.credentials_json(password),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        blackhole.wait_accepted(1, Duration::from_secs(10)).await;
    }

    /// A string to redact from log dumps.
    pub fn add_secret(&self, secret: &str) {
        let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        secrets.push(secret.to_owned());
    }

    /// Poll `GET /health` until the daemon answers HTTP at all. Panics (with the
    /// redacted log tail) if the process exits or the timeout passes.
    pub async fn wait_until_answers(&self, timeout: Duration) -> ApiResponse {
        self.wait_for_health(|_| true, timeout).await
    }

    /// Poll `GET /health` until it is `200 {"status":"healthy"}`.
    pub async fn wait_until_healthy(&self, timeout: Duration) -> ApiResponse {
        self.wait_for_health(|r| r.status == StatusCode::OK, timeout)
            .await
    }

    /// Waits up to 30 s until `/health` is healthy or says the startup
    /// attempts are used up (`Database startup failed: …`), and returns it.
    pub async fn settled(&self) -> ApiResponse {
        self.wait_for_health(
            |r| {
                r.status == StatusCode::OK
                    || r.body["error"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("Database startup failed"))
            },
            Duration::from_secs(30),
        )
        .await
    }

    /// Poll `GET /health` (every 25 ms) until `pred` holds for a response.
    pub async fn wait_for_health(
        &self,
        pred: impl Fn(&ApiResponse) -> bool,
        timeout: Duration,
    ) -> ApiResponse {
        let deadline = Instant::now() + timeout;
        let mut last: Option<(StatusCode, Value)> = None;
        loop {
            if let Some(status) = self.try_exit_status() {
                panic!(
                    "taskflowd exited ({status}) while waiting for /health\n{}",
                    self.log_tail(40)
                );
            }
            let sent = self
                .client
                .get(self.url("/health"))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if let Ok(resp) = sent {
                let status = resp.status();
                let headers = resp.headers().clone();
                let text = resp.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                let r = ApiResponse {
                    status,
                    headers,
                    text,
                    body,
                };
                if pred(&r) {
                    return r;
                }
                last = Some((r.status, r.body));
            }
            if Instant::now() > deadline {
                // /health bodies carry sanitised reasons only; still redact.
                let last = last
                    .map(|(s, b)| self.redact(&format!("{s} {b}")))
                    .unwrap_or_else(|| "no HTTP answer".to_owned());
                panic!(
                    "/health did not reach the expected state within {timeout:?}; last: {last}\n{}",
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The exit status if the process has exited (never blocks).
    pub fn try_exit_status(&self) -> Option<ExitStatus> {
        let mut exit = self.exit.lock().unwrap_or_else(|p| p.into_inner());
        if exit.is_none() {
            let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                *exit = Some(status);
                *child = None;
            }
        }
        *exit
    }

    /// Wait up to `timeout` for the process to exit by itself.
    pub async fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit_status() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The child's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        let child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        child.as_ref().map(|c| c.id())
    }

    /// Send a signal to the child (if it still runs).
    #[cfg(unix)]
    pub fn signal(&self, signal: Signal) {
        if self.try_exit_status().is_none()
            && let Some(pid) = self.pid().and_then(|p| i32::try_from(p).ok())
        {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
        }
    }

    /// SIGTERM, then wait (10 s) for the exit status. Panics (after SIGKILL) if the
    /// daemon does not exit in time. On the Windows run, SIGINT to the Wine
    /// process instead: Wine turns it into Ctrl-C, the Windows graceful stop.
    /// (Windows has no signal a test process can send a console-less child:
    /// a test binary built for Windows kills the child.)
    pub async fn terminate(&self) -> ExitStatus {
        #[cfg(unix)]
        self.signal(if windows_run().is_some() {
            Signal::SIGINT
        } else {
            Signal::SIGTERM
        });
        #[cfg(not(unix))]
        self.kill9();
        match self.wait_exit(Duration::from_secs(10)).await {
            Some(status) => status,
            None => {
                self.kill9();
                panic!(
                    "taskflowd did not exit within 10 s of SIGTERM\n{}",
                    self.log_tail(40)
                );
            }
        }
    }

    /// SIGKILL (on the Windows run to the Wine process's whole group) and reap.
    pub fn kill9(&self) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut c) = child.take() {
            #[cfg(unix)]
            if windows_run().is_some()
                && let Ok(pgid) = i32::try_from(c.id())
            {
                let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), Signal::SIGKILL);
            }
            let _ = c.kill();
            let status = c.wait().ok();
            *self.exit.lock().unwrap_or_else(|p| p.into_inner()) = status;
        }
        *self.exit.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything written to stdout.
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.log_dir.path().join("stdout.log")).unwrap_or_default()
    }

    /// Everything written to stderr.
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.log_dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// stdout, stderr, then the log file and its rotated copies: what
    /// every secret check scans, so each covers the file too. Lines are in
    /// it twice (stderr and file): count lines in [`Self::stderr`].
    pub fn logs(&self) -> String {
        let mut all = self.stdout();
        all.push_str(&self.stderr());
        all.push_str(&self.log_file_text());
        all
    }

    /// The folder of `taskflowd.log` (`None` with `TASKFLOW_LOG_DIR=none`).
    pub fn log_file_dir(&self) -> Option<&Path> {
        self.file_logs.as_deref()
    }

    /// `taskflowd.log.3`, `.2`, `.1`, then `taskflowd.log`: the file log,
    /// oldest first, as written so far (the writer lags a few ms behind stderr).
    pub fn log_file_text(&self) -> String {
        let Some(dir) = &self.file_logs else {
            return String::new();
        };
        let mut text = String::new();
        for suffix in [".3", ".2", ".1", ""] {
            let path = dir.join(format!("taskflowd.log{suffix}"));
            text.push_str(&fs::read_to_string(path).unwrap_or_default());
        }
        text
    }

    /// The last `n` log lines with every registered secret replaced by `[redacted]`.
    pub fn log_tail(&self, n: usize) -> String {
        let logs = self.redact(&(self.stdout() + &self.stderr()));
        let lines: Vec<&str> = logs.lines().collect();
        let start = lines.len().saturating_sub(n);
        format!(
            "--- taskflowd log (last {} of {} lines, secrets redacted) ---\n{}",
            lines.len() - start,
            lines.len(),
            lines[start..].join("\n")
        )
    }

    fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        secrets
            .iter()
            .filter(|s| !s.is_empty())
            .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "[redacted]"))
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        let running = self.try_exit_status().is_none();
        if running {
            self.kill9();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail(60));
        }
    }
}
