//! `GET /health`: 200 only when the database is ready; otherwise 503 with the
//! reason. Answered from the Readiness actor's published snapshot (a watch
//! channel it alone writes), so it never waits on the database or a mailbox.
//!
//! `GET /health/live`: 200 whenever the daemon serves HTTP, whatever the
//! database. A desktop shell waits on it to open its window: on a first run
//! nothing is configured, so `/health` stays 503 until the Settings page —
//! which only that window can show — saves a connection.

use serde_json::json;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use tokio::sync::watch;

use super::ctx::AppCtx;
use super::errors::json_response;
use super::panic_guard::guarded;
use crate::actors::readiness::Snapshot;

/// The routes: `/health` and `/health/live`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let health = warp::path::end()
        .and(warp::get())
        // Only the watch receiver, not the whole context: this is the hot route.
        .and(warp::any().map(move || ctx.health.clone()))
        .then(|ctx| guarded(health(ctx)));
    // No state at all: nothing it could wait on, nothing that could fail.
    let live = warp::path("live")
        .and(warp::path::end())
        .and(warp::get())
        .map(|| constant(ALIVE_BODY));
    warp::path("health").and(health.or(live).unify())
}

async fn health(snapshot: watch::Receiver<Snapshot>) -> Response {
    // Clone the reason out so the watch's read lock is released at once.
    let reason = snapshot.borrow().state.unhealthy_reason();
    match reason {
        None => constant(HEALTHY_BODY),
        Some(reason) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "unhealthy", "error": reason}),
        ),
    }
}

/// A 200 JSON response from a constant body (the hot paths).
fn constant(body: &'static str) -> Response {
    let mut res = warp::reply::with_status(body, StatusCode::OK).into_response();
    res.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("application/json"),
    );
    res
}

/// The healthy body, byte for byte what `json!({"status":"healthy"})` gives.
const HEALTHY_BODY: &str = r#"{"status":"healthy"}"#;

/// The liveness body, byte for byte what `json!({"status":"alive"})` gives.
const ALIVE_BODY: &str = r#"{"status":"alive"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_bodies_are_the_json_they_claim() {
        assert_eq!(HEALTHY_BODY, json!({"status": "healthy"}).to_string());
        assert_eq!(ALIVE_BODY, json!({"status": "alive"}).to_string());
    }
}
