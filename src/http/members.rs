//! `/api/v1/members`: list, read, create, change and delete team members.
//!
//! Each handler parses its input (id, body) into domain types, asks the
//! DbSupervisor for the pool, runs one function of [`crate::db::members`] and
//! maps the answer. Client errors are decided before the database is asked,
//! so a bad id or body gets the same 400 whether or not the database is up
//! (as malformed JSON already does in the body filter); with valid input and
//! no database, every route answers 503 `Database not ready: …`.

use bytes::Bytes;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::ctx::{ACTOR_CALL_TIMEOUT, AppCtx, with_ctx};
use super::errors::{ApiError, db_error, json_bytes_response, json_response};
use super::filters::json_body;
use super::panic_guard::guarded;
use crate::actors::db_supervisor;
use crate::db::members::{self, DeleteOutcome, References};
use crate::db::members_cache::Listed;
use crate::domain::ValidationError;
use crate::domain::member::{MemberPatch, NewMember};

/// The 404 body for every member route.
const NOT_FOUND: &str = "Member not found";

/// The member routes, below `/api/v1`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let collection = warp::path("members").and(warp::path::end());
    let item = warp::path("members")
        .and(warp::path::param::<String>())
        .and(warp::path::end());
    let list = collection
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(|ctx| guarded(list(ctx)));
    let create = collection
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(json_body())
        .then(|ctx, body| guarded(create(ctx, body)));
    let get = item
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(|id, ctx| guarded(get(ctx, id)));
    let patch = item
        .and(warp::patch())
        .and(with_ctx(ctx.clone()))
        .and(json_body())
        .then(|id, ctx, body| guarded(update(ctx, id, body)));
    let delete = item
        .and(warp::delete())
        .and(with_ctx(ctx))
        .then(|id, ctx| guarded(delete(ctx, id)));
    list.or(create)
        .unify()
        .or(get)
        .unify()
        .or(patch)
        .unify()
        .or(delete)
        .unify()
}

/// `GET /api/v1/members`
///
/// Served from [`MembersCache`](crate::db::members_cache::MembersCache) when
/// its body has the current `members` change version (one cheap query);
/// otherwise queried, serialized once, offered to the cache and answered.
/// The pool is asked for first: that call is ordered after any pending
/// reconfiguration in the DbSupervisor's mailbox, and answers 503 whenever
/// the database is not ready, exactly as without the cache.
async fn list(ctx: AppCtx) -> Result<Response, ApiError> {
    let db = pool(&ctx).await?;
    let cache = &ctx.members_cache;
    let (all, ticket) = match cache.list(&db).await.map_err(|e| db_error(&ctx, e))? {
        Listed::Cached(body) => return Ok(json_bytes_response(StatusCode::OK, body)),
        Listed::Fresh { members, ticket } => (members, ticket),
    };
    let body = Bytes::from(
        serde_json::to_vec(&all).map_err(|e| ApiError::Unexpected(format!("serializing: {e}")))?,
    );
    cache.store(ticket, body.clone());
    Ok(json_bytes_response(StatusCode::OK, body))
}

/// `GET /api/v1/members/{id}`
async fn get(ctx: AppCtx, id: String) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let db = pool(&ctx).await?;
    match members::get(&db, id).await.map_err(|e| db_error(&ctx, e))? {
        Some(m) => Ok(json_response(StatusCode::OK, &m)),
        None => Err(ApiError::NotFound(NOT_FOUND)),
    }
}

/// `POST /api/v1/members`
async fn create(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
    let new = NewMember::from_json(&body)?;
    let db = pool(&ctx).await?;
    let created = members::create(&db, new).await;
    // Whatever the outcome (a lost connection may still have committed): this
    // daemon's next list must not be served from before it.
    ctx.members_cache.invalidate();
    let m = created.map_err(|e| db_error(&ctx, e))?;
    Ok(json_response(StatusCode::CREATED, &m))
}

/// `PATCH /api/v1/members/{id}`
async fn update(ctx: AppCtx, id: String, body: Value) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let patch = MemberPatch::from_json(&body)?;
    let db = pool(&ctx).await?;
    let updated = members::update(&db, id, patch).await;
    ctx.members_cache.invalidate();
    match updated.map_err(|e| db_error(&ctx, e))? {
        Some(m) => Ok(json_response(StatusCode::OK, &m)),
        None => Err(ApiError::NotFound(NOT_FOUND)),
    }
}

/// `DELETE /api/v1/members/{id}`
async fn delete(ctx: AppCtx, id: String) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let db = pool(&ctx).await?;
    let deleted = members::delete(&db, id).await;
    ctx.members_cache.invalidate();
    match deleted.map_err(|e| db_error(&ctx, e))? {
        DeleteOutcome::Deleted => Ok(StatusCode::NO_CONTENT.into_response()),
        DeleteOutcome::NotFound => Err(ApiError::NotFound(NOT_FOUND)),
        DeleteOutcome::Referenced(refs) => Err(ApiError::Conflict(still_referenced(refs))),
    }
}

/// The pool, or 503 `Database not ready: <reason>` (or 503 when the
/// DbSupervisor itself does not answer).
async fn pool(ctx: &AppCtx) -> Result<DatabaseConnection, ApiError> {
    let actor = ctx.actors.db_supervisor()?;
    Ok(db_supervisor::get_pool(&actor, ACTOR_CALL_TIMEOUT).await?)
}

/// Any form `uuid` accepts (hyphenated, simple, braced, URN); otherwise 400.
fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ValidationError::new("id", "must be a UUID").into())
}

/// The 409 message when a member is still referenced. Tasks can be handed to
/// someone else; daily updates are a member's own history, so the way out
/// offered for them is deactivating the member (`active: false`).
fn still_referenced(refs: References) -> String {
    match (refs.tasks, refs.daily_updates) {
        (t, 0) => format!(
            "Cannot delete member with {t} assigned task(s). Reassign or complete them first."
        ),
        (0, u) => {
            format!("Cannot delete member with {u} daily update(s). Deactivate the member instead.")
        }
        (t, u) => format!(
            "Cannot delete member with {t} assigned task(s) and {u} daily update(s). \
             Reassign or complete the tasks first, or deactivate the member instead."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_messages() {
        let r = |tasks, daily_updates| References {
            tasks,
            daily_updates,
        };
        assert_eq!(
            still_referenced(r(2, 0)),
            "Cannot delete member with 2 assigned task(s). Reassign or complete them first."
        );
        assert_eq!(
            still_referenced(r(0, 1)),
            "Cannot delete member with 1 daily update(s). Deactivate the member instead."
        );
        assert_eq!(
            still_referenced(r(2, 1)),
            "Cannot delete member with 2 assigned task(s) and 1 daily update(s). \
             Reassign or complete the tasks first, or deactivate the member instead."
        );
    }

    #[test]
    fn ids_must_be_uuids() {
        assert!(parse_id("67e55044-10b1-426f-9247-bb680e5fe0c8").is_ok());
        let e = parse_id("not-a-uuid").unwrap_err();
        assert_eq!(e.to_string(), "id: must be a UUID");
    }
}
