//! Routes for the integration tests, compiled only into debug builds (what
//! `cargo test` builds; a release build has none of this) and served only when
//! the daemon starts with `TASKFLOW_TEST_HOOKS=1`, so a developer's debug
//! daemon does not expose them either (the variable is read by
//! `config::test_hooks`, not here). They make a handler or an actor panic, to prove that the
//! daemon answers 500 and that the supervisor restarts children; report the
//! member-list cache's state, so tests can prove they exercise it.

use warp::reply::Response;
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::errors::ApiError;
use super::panic_guard::guarded;
use super::route::{one_of, op};
use crate::actors::credential_store::{self, CredentialStoreMsg};
use crate::actors::db_supervisor::{self, DbSupervisorMsg};
use crate::actors::readiness::{self, ReadinessMsg};
use crate::db::list_cache::ListCache;
use crate::domain::task::TaskQuery;

/// `GET /__test/panic`, `POST /__test/actor-panic/{actor}` and
/// `GET /__test/members-cache` (`{"enabled": bool, "cached": bool}`) and
/// `GET /__test/tasks-cache` (`{"enabled": bool, "cached": bool}`, the
/// unfiltered dashboard list).
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let panic = warp::path!("__test" / "panic")
        .and(warp::get())
        .then(|| guarded(async { panic_now() }));
    let actor = warp::path!("__test" / "actor-panic" / String)
        .and(op(warp::post(), &ctx))
        .then(|name: String, ctx: AppCtx| guarded(async move { actor_panic(&name, &ctx) }));
    let members = warp::path!("__test" / "members-cache")
        .and(op(warp::get(), &ctx))
        .then(|ctx: AppCtx| guarded(async move { members_cache(&ctx) }));
    let tasks = warp::path!("__test" / "tasks-cache")
        .and(op(warp::get(), &ctx))
        .then(|ctx: AppCtx| guarded(async move { tasks_cache(&ctx) }));
    one_of!(panic, actor, members, tasks)
}

#[allow(clippy::panic)]
fn panic_now() -> Response {
    panic!("test hook: handler asked to panic")
}

fn actor_panic(name: &str, ctx: &AppCtx) -> Result<Response, ApiError> {
    let sent = match name {
        credential_store::NAME => ctx
            .actors
            .credential_store()?
            .cast(CredentialStoreMsg::Panic)
            .is_ok(),
        db_supervisor::NAME => ctx
            .actors
            .db_supervisor()?
            .cast(DbSupervisorMsg::Panic)
            .is_ok(),
        readiness::NAME => ctx.actors.readiness()?.cast(ReadinessMsg::Panic).is_ok(),
        _ => return Err(ApiError::NotFound("No such actor")),
    };
    Ok(super::errors::json_response(
        warp::http::StatusCode::ACCEPTED,
        &serde_json::json!({"sent": sent}),
    ))
}

fn members_cache(ctx: &AppCtx) -> Response {
    cache_state(&ctx.caches.members, &())
}

fn tasks_cache(ctx: &AppCtx) -> Response {
    cache_state(&ctx.caches.tasks, &TaskQuery::default())
}

fn cache_state<K: Eq + std::hash::Hash + Clone>(cache: &ListCache<K>, key: &K) -> Response {
    super::errors::json_response(
        warp::http::StatusCode::OK,
        &serde_json::json!({"enabled": cache.is_enabled(), "cached": cache.get(key).is_some()}),
    )
}
