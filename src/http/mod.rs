//! The HTTP API on warp: one file per resource, the error mapping in
//! [`errors`], shared filters in [`filters`].
//!
//! Every request first passes the Host/Origin [`filters::guard`]; `/api/v1`
//! additionally needs the bearer token when one is configured. Rejections of
//! any kind are turned into the `{"error": …}` envelope once, here, by
//! [`errors::handle_rejection`]. Each handler runs inside [`panic_guard::guarded`], so a
//! panic becomes a 500 and the connection (and the daemon) keep serving.

pub mod allow;
pub mod cors;
pub mod ctx;
pub mod daily_updates;
pub mod db_access;
pub mod errors;
pub mod filters;
pub mod health;
pub mod members;
pub mod metrics;
pub mod openapi;
pub mod panic_guard;
pub mod paths;
pub mod responses;
pub mod route;
pub mod same_user;
pub mod schemas;
pub mod serve;
pub mod settings;
pub mod shutdown;
pub mod stop_request;
pub mod sub_tasks;
pub mod tasks;
#[cfg(debug_assertions)]
pub mod test_hooks;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::{Reply, Response};

use ctx::AppCtx;
use route::one_of;

/// The whole API.
pub fn routes(ctx: AppCtx) -> BoxedFilter<(Response,)> {
    let api = warp::path("api")
        .and(warp::path("v1"))
        .and(filters::bearer(ctx.clone()))
        .and(one_of!(
            settings::routes(ctx.clone()),
            members::routes(ctx.clone()),
            tasks::routes(ctx.clone()),
            sub_tasks::routes(ctx.clone()),
            daily_updates::routes(ctx.clone()),
            shutdown::routes(ctx.clone()),
        ))
        // Boxed: warp's `or` clones its untried half into every request's
        // future, so `/health` would otherwise copy this whole tree per poll.
        .boxed();
    // `/health` first: the desktop shell polls it every 200 ms, so it should
    // not pay for trying the other routes before its own.
    let all = one_of!(
        health::routes(ctx.clone()),
        cors::preflight(),
        openapi::routes(),
        metrics::routes(ctx.clone()),
        api
    );
    #[cfg(debug_assertions)]
    let all = if crate::config::test_hooks::enabled() {
        all.or(test_hooks::routes(ctx.clone())).unify().boxed()
    } else {
        all.boxed()
    };
    allow::init();
    // Rejections past the guard (401, 404, 405, 415, a bad body) are answered
    // inside it, so they get the CORS headers too and a page on an allowed
    // origin can read why; the guard's own 403s are answered outside, bare.
    let answered = filters::guard(ctx)
        .and(all.recover(errors::handle_rejection).unify())
        .map(cors::decorate)
        .recover(errors::handle_rejection)
        .unify();
    // The full path is read before routing (it consumes nothing) so that a
    // 405 can name the path's methods in `Allow`. The access line, the
    // request's span and its metrics are the accept loop's
    // (`serve::Gate`), so the same-user refusals are in them too.
    warp::path::full()
        .and(answered)
        .map(allow::with_allow)
        .map(Reply::into_response)
        .boxed()
}
