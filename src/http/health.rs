//! `GET /health`: 200 only when the database is ready; otherwise 503 with the
//! reason. Answered from the Readiness actor's published snapshot (a watch
//! channel it alone writes), so it never waits on the database or a mailbox.
//!
//! `GET /health/live`: 200 whenever the daemon serves HTTP, whatever the
//! database. A desktop shell waits on it to open its window: on a first run
//! nothing is configured, so `/health` stays 503 until the Settings page —
//! which only that window can show — saves a connection.

use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use tokio::sync::watch;

use super::ctx::AppCtx;
use super::errors::{json_bytes_response, json_response};
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
        .map(live);
    warp::path("health").and(health.or(live).unify())
}

/// `/health` when the database is ready: `{"status":"healthy"}`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Healthy {
    /// Credentials loaded, the database answered, every migration applied.
    Healthy,
}

/// `/health` otherwise: `{"status":"unhealthy","error":"<reason>"}`, the one
/// error body with more than `error` (DESIGN.md).
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Unhealthy {
    /// Not ready.
    Unhealthy {
        /// Why, e.g. `Database connection is not configured. Save connection settings first.`
        error: String,
    },
}

/// `/health/live`, always: `{"status":"alive"}`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Alive {
    /// Serving HTTP.
    Alive,
}

/// Whether the daemon can serve: 200 only when credentials were loaded, the
/// database answered and all migrations have been applied.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Healthy),
        (status = 503, description = "Not ready, with the reason", body = Unhealthy),
    )
)]
pub async fn health(snapshot: watch::Receiver<Snapshot>) -> Response {
    // Clone the reason out so the watch's read lock is released at once.
    let reason = snapshot.borrow().state.unhealthy_reason();
    match reason {
        None => constant(HEALTHY_BODY),
        Some(error) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &Unhealthy::Unhealthy { error },
        ),
    }
}

/// Whether the daemon serves HTTP at all, whatever the database: a desktop
/// shell opens its window on this (then polls `/health` for the data).
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "health",
    responses((status = 200, description = "Serving", body = Alive))
)]
pub fn live() -> Response {
    constant(ALIVE_BODY)
}

/// A 200 JSON response from a constant body (the hot paths: no copy).
fn constant(body: &'static str) -> Response {
    json_bytes_response(StatusCode::OK, Bytes::from_static(body.as_bytes()))
}

/// [`Healthy`] as JSON, written out for the route polled every 200 ms (a
/// test keeps the two equal).
const HEALTHY_BODY: &str = r#"{"status":"healthy"}"#;

/// [`Alive`] as JSON, written out likewise.
const ALIVE_BODY: &str = r#"{"status":"alive"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_bodies_are_their_types_serialised() {
        assert_eq!(
            HEALTHY_BODY,
            serde_json::to_string(&Healthy::Healthy).unwrap()
        );
        assert_eq!(ALIVE_BODY, serde_json::to_string(&Alive::Alive).unwrap());
        let unhealthy = Unhealthy::Unhealthy { error: "x".into() };
        assert_eq!(
            serde_json::to_string(&unhealthy).unwrap(),
            r#"{"status":"unhealthy","error":"x"}"#
        );
    }
}
