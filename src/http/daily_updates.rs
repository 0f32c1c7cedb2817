//! `/api/v1/tasks/{task_id}/updates`: a task's daily updates (TASKS-API.md
//! "Daily updates"); they are read with the task (`GET /tasks/{id}`). Thin
//! handlers over [`crate::db::daily_updates`].

use serde_json::Value;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::db_access::{Touches, write};
use super::errors::{ApiError, json_response};
use super::panic_guard::guarded;
use super::paths::{TaskPath, UpdatePath};
use super::responses::{DbNotReadyResponse, Envelope};
use super::route::{one_of, op, op_json};
use super::schemas::daily_updates::{NewDailyUpdateBody, UpdateContentBody};
use crate::db::daily_updates;
use crate::domain::daily_update::DailyUpdate;
use crate::domain::daily_update::{NewDailyUpdate, UpdateContent};

/// The daily-update routes, below `/api/v1`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let create = warp::path!("tasks" / String / "updates")
        .and(op_json(warp::post(), &ctx))
        .then(|task, ctx, body| guarded(create(ctx, task, body)));
    let item = warp::path!("tasks" / String / "updates" / String);
    let edit = item
        .and(op_json(warp::patch(), &ctx))
        .then(|task, id, ctx, body| guarded(edit(ctx, task, id, body)));
    let delete = item
        .and(op(warp::delete(), &ctx))
        .then(|task, id, ctx| guarded(delete(ctx, task, id)));
    one_of!(create, edit, delete)
}

/// Adds an update by a member (inactive ones too).
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{task_id}/updates",
    tag = "daily-updates",
    params(TaskPath),
    request_body = NewDailyUpdateBody,
    responses(
        (status = 201, description = "The new update", body = DailyUpdate),
        (status = 400, description = "Invalid field or `Author not found` (checked before the task)", body = Envelope),
        (status = 404, description = "`Task not found`", body = Envelope),
        (status = 409, description = "`Author no longer exists`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn create(ctx: AppCtx, task: String, body: Value) -> Result<Response, ApiError> {
    let TaskPath { task_id: task } = TaskPath::parse(&task)?;
    let new = NewDailyUpdate::from_json(&body)?;
    let u = write(&ctx, Touches::Tasks, |db| async move {
        daily_updates::create(&db, task, new).await
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &u))
}

/// Edits the content, within 24 hours of writing it.
#[utoipa::path(
    patch,
    path = "/api/v1/tasks/{task_id}/updates/{update_id}",
    tag = "daily-updates",
    params(UpdatePath),
    request_body = UpdateContentBody,
    responses(
        (status = 200, description = "The update, `edited: true`", body = DailyUpdate),
        (status = 400, description = "A malformed id or an invalid field", body = Envelope),
        (status = 403, description = "`Updates can only be edited within 24 hours.`", body = Envelope),
        (status = 404, description = "`Task not found` or `Daily update not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn edit(
    ctx: AppCtx,
    task: String,
    id: String,
    body: Value,
) -> Result<Response, ApiError> {
    let UpdatePath {
        task_id: task,
        update_id: id,
    } = UpdatePath::parse(&task, &id)?;
    let content = UpdateContent::from_json(&body)?;
    let u = write(&ctx, Touches::Tasks, |db| async move {
        daily_updates::edit(&db, task, id, content).await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &u))
}

/// Deletes an update, within 24 hours of writing it.
#[utoipa::path(
    delete,
    path = "/api/v1/tasks/{task_id}/updates/{update_id}",
    tag = "daily-updates",
    params(UpdatePath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A malformed id", body = Envelope),
        (status = 403, description = "`Updates can only be deleted within 24 hours.`", body = Envelope),
        (status = 404, description = "`Task not found` or `Daily update not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn delete(ctx: AppCtx, task: String, id: String) -> Result<Response, ApiError> {
    let UpdatePath {
        task_id: task,
        update_id: id,
    } = UpdatePath::parse(&task, &id)?;
    write(&ctx, Touches::Tasks, |db| async move {
        daily_updates::delete(&db, task, id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
