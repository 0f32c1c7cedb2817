//! `GET /health`: 200 only when the database is ready; otherwise 503 with the
//! reason. Answered from the Readiness actor's last snapshot, so it never
//! waits on the database.

use serde_json::json;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::ctx::{ACTOR_CALL_TIMEOUT, AppCtx, with_ctx};
use super::errors::json_response;
use super::guarded;
use crate::actors::readiness;

/// The route.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path("health")
        .and(warp::path::end())
        .and(warp::get())
        .and(with_ctx(ctx))
        .then(|ctx| guarded(health(ctx)))
}

async fn health(ctx: AppCtx) -> Response {
    let reason = match ctx.actors.readiness() {
        Ok(actor) => match readiness::snapshot(&actor, ACTOR_CALL_TIMEOUT).await {
            Ok(snap) => snap.state.unhealthy_reason(),
            Err(_) => Some(STARTING.to_owned()),
        },
        Err(_) => Some(STARTING.to_owned()),
    };
    match reason {
        None => json_response(StatusCode::OK, &json!({"status": "healthy"})),
        Some(reason) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "unhealthy", "error": reason}),
        ),
    }
}

/// The reason while the actors are (re)starting.
const STARTING: &str = "Database is starting: the daemon is starting";
