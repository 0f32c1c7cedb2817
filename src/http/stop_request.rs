//! [`StopRequest`]: the stop that `POST /api/v1/shutdown` asks for and
//! `main` carries out. A leaf of its own, so the handler context can hold it
//! without importing the route that raises it.

use std::sync::Arc;

use tokio::sync::Notify;

/// A stop asked for over the API; cloned into the context, awaited by
/// `main` through [`crate::Daemon::stop_requested`].
#[derive(Debug, Clone, Default)]
pub struct StopRequest(Arc<Notify>);

impl StopRequest {
    /// Asks for the stop (kept until awaited: a request made before
    /// anyone waits is not lost).
    pub fn request(&self) {
        self.0.notify_one();
    }

    /// Resolves once a stop was asked for.
    pub async fn requested(&self) {
        self.0.notified().await;
    }
}
