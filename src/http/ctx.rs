//! [`AppCtx`]: what every handler may use, injected by [`with_ctx`].

use std::convert::Infallible;
use std::sync::Arc;

use tokio::sync::Semaphore;
use warp::Filter;

use crate::actors::directory::Directory;
use crate::config::Settings;
use crate::db::caches::Caches;
use crate::security::secret_value::SecretValue;

/// The handler context: one `Arc`, so a clone is one reference count.
///
/// It is cloned far more often than it looks: every route's filter holds its
/// own copy, and warp's `or` clones its untried half into each request's
/// future, so a request clones the copies of every route it is not (measured:
/// with a field-by-field clone, cloning and dropping the context took a
/// third of `/health`'s CPU once the team API's routes existed).
#[derive(Clone, Debug)]
pub struct AppCtx(Arc<Shared>);

impl AppCtx {
    /// The context handlers see.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppCtx {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler may use.
#[derive(Debug)]
pub struct Shared {
    /// The current actors.
    pub actors: Directory,
    /// Effective settings.
    pub settings: Arc<Settings>,
    /// Bounds test-connection probes in flight (`max_concurrent_probes`): the
    /// endpoint must not become a port scanner or a way to exhaust sockets.
    pub probes: Arc<Semaphore>,
    /// The port actually bound (for the Host and Origin checks).
    pub port: u16,
    /// The access token for `/api/v1/*`, when one is configured.
    pub api_token: Option<SecretValue>,
    /// The serialized lists, kept coherent by change counters (db/list_cache.rs).
    pub caches: Caches,
    /// Readiness's published snapshot, read by `/health` without a mailbox
    /// round trip (see `actors::readiness`).
    pub health: tokio::sync::watch::Receiver<crate::actors::readiness::Snapshot>,
    /// The process's metrics (rendered by `GET /metrics`).
    pub metrics: &'static crate::metrics::Registry,
    /// Raised by `POST /api/v1/shutdown`; `main` runs the stop.
    pub stop: super::stop_request::StopRequest,
}

/// Injects the context into a filter chain.
pub fn with_ctx(ctx: AppCtx) -> impl Filter<Extract = (AppCtx,), Error = Infallible> + Clone {
    warp::any().map(move || ctx.clone())
}
