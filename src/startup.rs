//! [`Daemon`]: the one start-up seam used by `main` and by tests.
//!
//! It binds its own listener (so port 0 works and a busy port is a typed
//! error instead of warp's bind panic), spawns the root supervisor, then
//! serves, and returns a handle that can wait for an unrecoverable failure or
//! shut the whole thing down gracefully.
//!
//! The supervisor is spawned *before* serving so that the first request finds
//! every actor registered (otherwise an early request got a spurious 503
//! "did not answer"). That costs `/health` nothing: the port is open from
//! the bind, connections wait in the accept backlog, and spawning the actors
//! does no I/O (the DbSupervisor connects later, from its mailbox).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorRef};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

use crate::actors::db_supervisor::DbSettings;
use crate::actors::directory::Directory;
use crate::actors::supervisor::{Supervisor, SupervisorArgs, SupervisorMsg};
use crate::config::Settings;
use crate::db::caches::Caches;
use crate::http;
use crate::http::ctx::{AppCtx, Shared};
use crate::http::same_user::SameUser;
use crate::http::stop_request::StopRequest;
use crate::instance::discovery::{self, Discovery};
use crate::instance::lock::{Acquired, InstanceLock};
use crate::security::config_dir;
use crate::security::secret_value::SecretValue;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The port is taken (most likely by another taskflowd).
    #[error("port {0} is already in use — is another taskflowd running?")]
    PortInUse(u16),
    /// Any other bind failure.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        reason: String,
    },
    /// The API token file cannot be used.
    #[error("cannot use the API token file: {0}")]
    TokenFile(String),
    /// Another daemon holds this config folder (exit 4).
    #[error("{0}")]
    AlreadyRunning(String),
    /// The user this process runs as could not be read (same user only
    /// needs it).
    #[error("cannot tell which user this process runs as: {0}")]
    CurrentUser(String),
    /// The actor tree did not start.
    #[error("cannot start the actors: {0}")]
    Actors(String),
}

/// How the daemon ended when it ended by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The supervisor gave up (children kept failing).
    SupervisorGaveUp(String),
    /// The HTTP server stopped unexpectedly.
    ServerEnded,
}

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    addr: SocketAddr,
    supervisor: ActorRef<SupervisorMsg>,
    supervisor_done: JoinHandle<()>,
    server: JoinHandle<()>,
    stop_server: Option<oneshot::Sender<()>>,
    grace: Duration,
    /// The config folder held, with its lock; `None` when there is no
    /// usable folder (its problem is reported by the credential store).
    instance: Option<Claim>,
    /// Raised by `POST /api/v1/shutdown`.
    stop: StopRequest,
}

/// The config folder this daemon serves, held by its instance lock.
#[derive(Debug)]
struct Claim {
    dir: PathBuf,
    _lock: InstanceLock,
}

impl Daemon {
    /// Binds, starts the actor tree, and serves.
    pub async fn start(settings: Settings) -> Result<Self, StartupError> {
        // Configuration errors first: nothing is claimed or written for a
        // daemon that exits 2.
        let api_token = api_token(&settings)?;
        let same_user =
            SameUser::new(&settings).map_err(|e| StartupError::CurrentUser(e.to_string()))?;
        // Before the bind: a second daemon on this folder exits 4 naming the
        // first, whatever port it asked for.
        let instance = claim_folder(&settings).await?;
        let addr = settings.bind_addr();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => StartupError::PortInUse(addr.port()),
                _ => StartupError::Bind {
                    addr,
                    reason: e.to_string(),
                },
            })?;
        let local = listener.local_addr().map_err(|e| StartupError::Bind {
            addr,
            reason: e.to_string(),
        })?;
        if let Some(claim) = &instance {
            let file = Discovery::for_this_process(local);
            if let Err(e) = file.write(&claim.dir) {
                tracing::warn!(error = %e, dir = %claim.dir.display(), "cannot write the discovery file");
            }
        }

        let stop = StopRequest::default();
        let directory = Directory::default();
        let caches = Caches::default();
        let health = crate::actors::readiness::health_watch();
        let settings = Arc::new(settings);
        // The metrics registry now (start time, the route table), not on
        // the first request; and its histograms folded in periodically.
        let metrics = crate::metrics::install(http::allow::route_templates());
        crate::metrics::spawn_upkeep(metrics);
        let ctx = AppCtx::new(Shared {
            actors: directory.clone(),
            probes: Arc::new(Semaphore::new(settings.max_concurrent_probes)),
            port: local.port(),
            api_token,
            settings: settings.clone(),
            caches: caches.clone(),
            health: health.subscribe(),
            metrics,
            stop: stop.clone(),
        });
        let args = SupervisorArgs {
            config_dir: settings.config_dir.clone(),
            db: DbSettings::from_settings(&settings),
            directory: directory.clone(),
            caches,
            health,
        };
        let (supervisor, supervisor_done) = match Actor::spawn(None, Supervisor, args).await {
            Ok(pair) => pair,
            Err(e) => return Err(StartupError::Actors(e.to_string())),
        };
        // Said before the server task is spawned, so that the line precedes
        // every answer: a shell or test that sees `/health` answer finds
        // "listening" already written to stderr.
        tracing::info!(addr = %local, version = env!("CARGO_PKG_VERSION"), "listening");
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(http::serve::serve(
            listener,
            http::routes(ctx),
            same_user,
            metrics,
            async {
                let _ = stop_rx.await;
            },
        ));

        Ok(Self {
            addr: local,
            supervisor,
            supervisor_done,
            server,
            stop_server: Some(stop_tx),
            grace: Duration::from_secs(settings.shutdown_grace_secs),
            instance,
            stop,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resolves once `POST /api/v1/shutdown` asked for a stop: the caller
    /// then runs [`Daemon::shutdown`], as for SIGTERM. Cancel-safe.
    /// (Owned, so it can sit in a `select!` beside [`Daemon::failed`].)
    pub fn stop_requested(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let stop = self.stop.clone();
        async move { stop.requested().await }
    }

    /// Resolves only if the daemon fails by itself (the supervisor gave up,
    /// or the server stopped). Cancel-safe: use it in a `select!`.
    pub async fn failed(&mut self) -> Stopped {
        tokio::select! {
            _ = &mut self.supervisor_done => Stopped::SupervisorGaveUp(
                crate::actors::supervisor::TOO_MANY_RESTARTS.to_owned(),
            ),
            _ = &mut self.server => Stopped::ServerEnded,
        }
    }

    /// Graceful stop: stop accepting, let in-flight requests finish (bounded
    /// by `shutdown_grace_secs`), stop the actors (the DbSupervisor closes
    /// its pool), and return.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop_server.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(self.grace, &mut self.server)
            .await
            .is_err()
        {
            tracing::warn!(
                grace_secs = self.grace.as_secs(),
                "in-flight requests did not finish in time; closing them"
            );
            self.server.abort();
        }
        let _ = self
            .supervisor
            .stop_and_wait(Some("shutdown".to_owned()), Some(self.grace))
            .await;
        if let Some(claim) = self.instance.take() {
            discovery::remove_own(&claim.dir);
        }
        tracing::info!("stopped");
    }
}

/// Creates the config folder if missing (owner-only) and takes its instance
/// lock. A folder that cannot be used (none resolvable, refused, not
/// creatable) is no reason not to serve — `/health` reports the problem the
/// credential store finds — so it is logged and the daemon runs unguarded.
async fn claim_folder(settings: &Settings) -> Result<Option<Claim>, StartupError> {
    let Ok(dir) = config_dir::resolve(settings.config_dir.as_deref()) else {
        return Ok(None);
    };
    let usable = config_dir::ensure_exists(&dir)
        .map_err(|e| e.to_string())
        .and_then(|()| config_dir::check(&dir).map_err(|e| e.to_string()));
    if let Err(why) = usable {
        tracing::warn!(dir = %dir.display(), error = %why, "config folder unusable; no single-instance guard");
        return Ok(None);
    }
    match InstanceLock::acquire(&dir) {
        Ok(Acquired::Held(lock)) => Ok(Some(Claim { dir, _lock: lock })),
        Ok(Acquired::Busy) => Err(StartupError::AlreadyRunning(already_running(&dir).await)),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot take the instance lock; no single-instance guard");
            Ok(None)
        }
    }
}

/// The one line naming the daemon that holds `dir`. Its discovery file may
/// not be written yet (it holds the lock and is binding): waited for briefly.
async fn already_running(dir: &std::path::Path) -> String {
    for _ in 0..20 {
        if let Some(other) = discovery::read_live(dir) {
            return format!(
                "another taskflowd (pid {}) already serves this config folder at {}",
                other.pid, other.url
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    format!(
        "another taskflowd already serves this config folder ({})",
        dir.display()
    )
}

/// The token from `api_token`, else from `api_token_file` (read under the
/// key's owner-only rules: [`crate::security::api_token`], the reader the
/// CLI uses too).
fn api_token(settings: &Settings) -> Result<Option<SecretValue>, StartupError> {
    crate::security::api_token::configured(
        settings.api_token.as_ref(),
        settings.api_token_file.as_deref(),
    )
    .map_err(|e| StartupError::TokenFile(e.to_string()))
}
