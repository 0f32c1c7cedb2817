//! `GET /metrics`: Prometheus text exposition (`text/plain; version=0.0.4`)
//! of [`crate::metrics`], under the same rules as `/api/v1` (DESIGN.md
//! "Operators"): the Host/Origin guard and the same-user check apply to
//! every path already, and the bearer token is checked here, before the
//! method, so without it a wrong method is a 401 too, as under `/api/v1`.

use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::ctx::{AppCtx, with_ctx};
use super::filters;
use super::panic_guard::guarded;
use crate::actors::db_supervisor;
use crate::config::policy::ACTOR_CALL_TIMEOUT;
use crate::metrics::Sample;

/// The exposition format's content type, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// The route.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path("metrics")
        .and(warp::path::end())
        .and(filters::bearer(ctx.clone()))
        .and(warp::get())
        .and(with_ctx(ctx))
        .then(|ctx: AppCtx| guarded(metrics(ctx)))
}

/// The daemon's series in Prometheus text format (0.0.4).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    responses((
        status = 200,
        description = "Prometheus text exposition (version 0.0.4): request counts and latencies \
                       by method, route template and status; the database state, connection \
                       attempts and sessions; list-cache hits and misses; resident memory and \
                       start time",
        body = String,
        content_type = "text/plain"
    ))
)]
pub async fn metrics(ctx: AppCtx) -> Response {
    let db_state = ctx.health.borrow().state.name();
    // The DbSupervisor's mailbox, not the pool: a scrape must not count as
    // a request that keeps idle sessions open. Not answering: no figure.
    let sessions = match ctx.actors.db_supervisor() {
        Ok(actor) => db_supervisor::sessions(&actor, ACTOR_CALL_TIMEOUT)
            .await
            .unwrap_or((0, 0)),
        Err(_) => (0, 0),
    };
    let body = ctx.metrics.render(Sample { db_state, sessions });
    let mut res = Response::new(body.into());
    *res.status_mut() = StatusCode::OK;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}
