//! `POST /api/v1/shutdown`: `202 {"status":"stopping"}`, then the same
//! graceful stop as SIGTERM (exit 0).
//!
//! Why over HTTP: Windows has no signal a desktop shell or `taskflowd stop`
//! can send a console-less process, and a kill loses the graceful stop. The
//! route is under `/api/v1`, so every rule applies: Host, Origin, same user,
//! the token. The handler only raises the
//! [`StopRequest`](super::stop_request::StopRequest); `main` waits on it
//! beside the signals and runs the stop, which lets this request's answer
//! go out first (in-flight requests finish).

use serde::Serialize;
use utoipa::ToSchema;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::ctx::AppCtx;

/// The answer: `{"status":"stopping"}`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Stopping {
    /// The daemon stops once in-flight requests finish.
    Stopping,
}

/// The route (under `/api/v1`).
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path("shutdown")
        .and(warp::path::end())
        .and(warp::post())
        .map(move || shutdown(&ctx))
}

/// Stops the daemon gracefully, as SIGTERM does: no new connections,
/// in-flight requests finish (bounded), the actors stop, exit 0. No body.
#[utoipa::path(
    post,
    path = "/api/v1/shutdown",
    tag = "daemon",
    responses((status = 202, description = "Stopping", body = Stopping))
)]
pub fn shutdown(ctx: &AppCtx) -> Response {
    tracing::info!("shutdown requested over the API");
    ctx.stop.request();
    warp::reply::with_status(warp::reply::json(&Stopping::Stopping), StatusCode::ACCEPTED)
        .into_response()
}
