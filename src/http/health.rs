//! `GET /health`: 200 only when the database is ready; otherwise 503 with the
//! reason. Answered from the Readiness actor's published snapshot (a watch
//! channel it alone writes), so it never waits on the database or a mailbox.

use serde_json::json;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use tokio::sync::watch;

use super::ctx::AppCtx;
use super::errors::json_response;
use super::panic_guard::guarded;
use crate::actors::readiness::Snapshot;

/// The route.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path("health")
        .and(warp::path::end())
        .and(warp::get())
        // Only the watch receiver, not the whole context: this is the hot route.
        .and(warp::any().map(move || ctx.health.clone()))
        .then(|ctx| guarded(health(ctx)))
}

async fn health(snapshot: watch::Receiver<Snapshot>) -> Response {
    // Clone the reason out so the watch's read lock is released at once.
    let reason = snapshot.borrow().state.unhealthy_reason();
    match reason {
        None => healthy(),
        Some(reason) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "unhealthy", "error": reason}),
        ),
    }
}

/// `200 {"status":"healthy"}`, from a constant body (the hot path).
fn healthy() -> Response {
    let mut res = warp::reply::with_status(HEALTHY_BODY, StatusCode::OK).into_response();
    res.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("application/json"),
    );
    res
}

/// The healthy body, byte for byte what `json!({"status":"healthy"})` gives.
const HEALTHY_BODY: &str = r#"{"status":"healthy"}"#;
