//! [`guarded`]: every handler runs inside it, so a panic in one request is
//! answered `500 {"error":"Internal server error"}` and the connection and the
//! daemon keep serving (warp would otherwise drop the connection).

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::errors;

/// Runs a handler, turning a panic into `500 {"error":"Internal server error"}`.
pub async fn guarded<F>(handler: F) -> Response
where
    F: Future,
    F::Output: Reply,
{
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(reply) => reply.into_response(),
        Err(_) => {
            tracing::error!("request handler panicked");
            errors::error_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    }
}
