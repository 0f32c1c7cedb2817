//! `/api/v1/tasks`: the dashboard's list, a task page, and creating,
//! changing and deleting tasks (TASKS-API.md "Tasks").
//!
//! Thin, as the member handlers are: parse the path, query and body into
//! domain types (so a bad request gets its 400 whether or not the database
//! is up), take the pool, run one function of [`crate::db::tasks`], answer.
//! The `#[utoipa::path]` on each handler is its entry in `/openapi.json`.

use serde_json::Value;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::db_access::{Touches, cached_response, pool, write};
use super::errors::{ApiError, db_error, json_response};
use super::panic_guard::guarded;
use super::paths::TaskPath;
use super::responses::{DbNotReadyResponse, Envelope};
use super::route::{one_of, op, op_json};
use super::schemas::tasks::{NewTaskBody, TaskPatchBody};
use crate::db::list_cache::Listed;
use crate::db::{tasks, tasks_cache};
use crate::domain::task::{NewTask, Priority, Sort, Status, Task, TaskPatch, TaskQuery};

/// The task routes, below `/api/v1`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let collection = warp::path("tasks").and(warp::path::end());
    let item = warp::path("tasks")
        .and(warp::path::param::<String>())
        .and(warp::path::end());
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let list = collection
        .and(op(warp::get(), &ctx))
        .and(query)
        .then(|ctx, q| guarded(list(ctx, q)));
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

/// Every task (or those matching the filters), each with its sub-tasks;
/// `daily_updates` is always `[]` here. No pagination.
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "tasks",
    params(
        ("status" = Option<Status>, Query, description = "Only this status"),
        ("priority" = Option<Priority>, Query, description = "Only this priority"),
        ("assignee" = Option<String>, Query, description = "A member id, or `unassigned`"),
        ("search" = Option<String>, Query,
            description = "Trimmed; a case-insensitive substring of title, description or gear id (blank: ignored)"),
        ("sort" = Option<Sort>, Query, description = "`updated` (default), `priority` or `status`"),
    ),
    responses(
        (status = 200, description = "The tasks", body = Vec<Task>),
        (status = 400, description = "A filter or sort that is not one of the values", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn list(ctx: AppCtx, raw_query: String) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let q = TaskQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let db = pool(&ctx).await?;
    let cache = &ctx.caches.tasks;
    let listed = tasks_cache::list(cache, &db, &q)
        .await
        .map_err(|e| db_error(&ctx, e))?;
    cached_response(cache, listed)
}

/// One task with its sub-tasks and daily updates (newest first).
#[utoipa::path(
    get,
    path = "/api/v1/tasks/{task_id}",
    tag = "tasks",
    params(TaskPath),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 400, description = "`task_id: Input should be a valid UUID`", body = Envelope),
        (status = 404, description = "`Task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn get(ctx: AppCtx, id: String) -> Result<Response, ApiError> {
    let TaskPath { task_id: id } = TaskPath::parse(&id)?;
    let db = pool(&ctx).await?;
    let cache = &ctx.caches.task_pages;
    let listed = match tasks_cache::page(cache, &db, id)
        .await
        .map_err(|e| db_error(&ctx, e))?
    {
        Listed::Cached(body) => Listed::Cached(body),
        Listed::Fresh { rows: None, .. } => return Err(ApiError::NotFound("Task not found")),
        Listed::Fresh {
            rows: Some(task),
            ticket,
        } => Listed::Fresh { rows: task, ticket },
    };
    cached_response(cache, listed)
}

/// Creates a task. Checks: the body, the gear id, the blocking reason, then
/// the assignee.
#[utoipa::path(
    post,
    path = "/api/v1/tasks",
    tag = "tasks",
    request_body = NewTaskBody,
    responses(
        (status = 201, description = "The new task", body = Task),
        (status = 400, description = "Invalid field, `GEAR ID must be exactly 4 digits`, \
            `Blocking reason is required when status is Blocked` or `Assignee not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn create(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
    let new = NewTask::from_json(&body)?;
    let t = write(&ctx, Touches::Tasks, |db| async move {
        tasks::create(&db, new).await
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &t))
}

/// Changes the given fields. Checks: the body, the gear id, 404, the
/// blocking reason against the result, then the assignee.
#[utoipa::path(
    patch,
    path = "/api/v1/tasks/{task_id}",
    tag = "tasks",
    params(TaskPath),
    request_body = TaskPatchBody,
    responses(
        (status = 200, description = "The whole task after the change", body = Task),
        (status = 400, description = "Malformed id, invalid field, gear id, blocking reason or \
            `Assignee not found`", body = Envelope),
        (status = 404, description = "`Task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn update(ctx: AppCtx, id: String, body: Value) -> Result<Response, ApiError> {
    let TaskPath { task_id: id } = TaskPath::parse(&id)?;
    let patch = TaskPatch::from_json(&body)?;
    let t = write(&ctx, Touches::Tasks, |db| async move {
        tasks::update(&db, id, patch).await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &t))
}

/// Deletes a task with its sub-tasks and daily updates.
#[utoipa::path(
    delete,
    path = "/api/v1/tasks/{task_id}",
    tag = "tasks",
    params(TaskPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "`task_id: Input should be a valid UUID`", body = Envelope),
        (status = 404, description = "`Task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn delete(ctx: AppCtx, id: String) -> Result<Response, ApiError> {
    let TaskPath { task_id: id } = TaskPath::parse(&id)?;
    write(&ctx, Touches::Tasks, |db| async move {
        tasks::delete(&db, id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
