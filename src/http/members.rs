//! `/api/v1/members`: list, read, create, change and delete team members.
//!
//! Each handler parses its input (id, body) into domain types, asks the
//! DbSupervisor for the pool, runs one function of [`crate::db::members`] and
//! maps the answer. Client errors are decided before the database is asked,
//! so a bad id or body gets the same 400 whether or not the database is up
//! (as malformed JSON already does in the body filter); with valid input and
//! no database, every route answers 503 `Database not ready: …`.

use serde_json::Value;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::db_access::{Touches, cached_response, pool, write};
use super::errors::{ApiError, db_error, json_response, query_error};
use super::panic_guard::guarded;
use super::paths::MemberPath;
use super::responses::{DbNotReadyResponse, Envelope};
use super::route::{one_of, op, op_json};
use super::schemas::members::{MemberPatchBody, NewMemberBody};
use crate::db::members;
use crate::db::members_cache;
use crate::domain::member::{Member, MemberPatch, NewMember};

/// The member routes, below `/api/v1`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let collection = warp::path("members").and(warp::path::end());
    let item = warp::path("members")
        .and(warp::path::param::<String>())
        .and(warp::path::end());
    let list = collection
        .and(op(warp::get(), &ctx))
        .then(|ctx| guarded(list(ctx)));
    let create = collection
        .and(op_json(warp::post(), &ctx))
        .then(|ctx, body| guarded(create(ctx, body)));
    let get = item
        .and(op(warp::get(), &ctx))
        .then(|id, ctx| guarded(get(ctx, id)));
    let patch = item
        .and(op_json(warp::patch(), &ctx))
        .then(|id, ctx, body| guarded(update(ctx, id, body)));
    let delete = item
        .and(op(warp::delete(), &ctx))
        .then(|id, ctx| guarded(delete(ctx, id)));
    one_of!(list, create, get, patch, delete)
}

/// Every member, ordered by name.
///
/// Served from [`MembersCache`](crate::db::members_cache::MembersCache) when
/// its body has the current `members` change version (one cheap query);
/// otherwise queried, serialized once, offered to the cache and answered.
/// The pool is asked for first: that call is ordered after any pending
/// reconfiguration in the DbSupervisor's mailbox, and answers 503 whenever
/// the database is not ready, exactly as without the cache.
#[utoipa::path(
    get,
    path = "/api/v1/members",
    tag = "members",
    responses(
        (status = 200, description = "The members", body = Vec<Member>),
        DbNotReadyResponse,
    )
)]
pub async fn list(ctx: AppCtx) -> Result<Response, ApiError> {
    let db = pool(&ctx).await?;
    let cache = &ctx.caches.members;
    let listed = members_cache::list(cache, &db)
        .await
        .map_err(|e| db_error(&ctx, e))?;
    cached_response(cache, listed)
}

/// One member.
#[utoipa::path(
    get,
    path = "/api/v1/members/{id}",
    tag = "members",
    params(MemberPath),
    responses(
        (status = 200, description = "The member", body = Member),
        (status = 400, description = "`id: must be a UUID`", body = Envelope),
        (status = 404, description = "`Member not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn get(ctx: AppCtx, id: String) -> Result<Response, ApiError> {
    let MemberPath { id } = MemberPath::parse(&id)?;
    let db = pool(&ctx).await?;
    let m = members::get(&db, id)
        .await
        .map_err(|e| query_error(&ctx, e))?;
    Ok(json_response(StatusCode::OK, &m))
}

/// Adds a member.
#[utoipa::path(
    post,
    path = "/api/v1/members",
    tag = "members",
    request_body = NewMemberBody,
    responses(
        (status = 201, description = "The new member", body = Member),
        (status = 400, description = "Invalid field or invalid JSON", body = Envelope),
        (status = 409, description = "`Member with this email already exists`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn create(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
    let new = NewMember::from_json(&body)?;
    let m = write(&ctx, Touches::Members, |db| async move {
        members::create(&db, new).await
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &m))
}

/// Changes the given fields of a member.
#[utoipa::path(
    patch,
    path = "/api/v1/members/{id}",
    tag = "members",
    params(MemberPath),
    request_body = MemberPatchBody,
    responses(
        (status = 200, description = "The whole member after the change", body = Member),
        (status = 400, description = "Malformed id, invalid field or invalid JSON", body = Envelope),
        (status = 404, description = "`Member not found`", body = Envelope),
        (status = 409, description = "`Member with this email already exists`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn update(ctx: AppCtx, id: String, body: Value) -> Result<Response, ApiError> {
    let MemberPath { id } = MemberPath::parse(&id)?;
    let patch = MemberPatch::from_json(&body)?;
    // A rename rewrites the tasks' `assignee_name`.
    let m = write(&ctx, Touches::MembersAndTasks, |db| async move {
        members::update(&db, id, patch).await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &m))
}

/// Deletes a member that nothing refers to.
#[utoipa::path(
    delete,
    path = "/api/v1/members/{id}",
    tag = "members",
    params(MemberPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "`id: must be a UUID`", body = Envelope),
        (status = 404, description = "`Member not found`", body = Envelope),
        (status = 409, description = "Still referenced by tasks or daily updates", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn delete(ctx: AppCtx, id: String) -> Result<Response, ApiError> {
    let MemberPath { id } = MemberPath::parse(&id)?;
    write(&ctx, Touches::Members, |db| async move {
        members::delete(&db, id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
