//! `/api/v1/tasks/{task_id}/subtasks`: a task's checklist (TASKS-API.md
//! "Sub-tasks"). Thin handlers over [`crate::db::sub_tasks`], whose
//! transactions keep the positions `0..n-1` under concurrent requests.

use serde_json::Value;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::db_access::{Touches, write};
use super::errors::{ApiError, json_response};
use super::panic_guard::guarded;
use super::paths::{SubTaskPath, TaskPath};
use super::responses::{DbNotReadyResponse, Envelope};
use super::route::{one_of, op, op_json};
use super::schemas::sub_tasks::{ReorderBody, SubTaskTitleBody};
use crate::db::sub_tasks;
use crate::domain::sub_task::SubTask;
use crate::domain::sub_task::{Reorder, SubTaskTitle};

/// The sub-task routes, below `/api/v1`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let create = warp::path!("tasks" / String / "subtasks")
        .and(op_json(warp::post(), &ctx))
        .then(|task, ctx, body| guarded(create(ctx, task, body)));
    let reorder = warp::path!("tasks" / String / "subtasks" / "reorder")
        .and(op_json(warp::put(), &ctx))
        .then(|task, ctx, body| guarded(reorder(ctx, task, body)));
    let toggle = warp::path!("tasks" / String / "subtasks" / String / "toggle")
        .and(op(warp::patch(), &ctx))
        .then(|task, id, ctx| guarded(toggle(ctx, task, id)));
    // `reorder` is the literal segment of the route above, never a sub-task
    // id: other methods on it must be that path's 405 (with `Allow: PUT`),
    // not a rename's `sub_task_id` 400.
    let item = warp::path!("tasks" / String / "subtasks" / String)
        .and_then(|task: String, id: String| {
            std::future::ready(if id == "reorder" {
                Err(warp::reject::not_found())
            } else {
                Ok((task, id))
            })
        })
        .untuple_one();
    let rename = item
        .and(op_json(warp::patch(), &ctx))
        .then(|task, id, ctx, body| guarded(rename(ctx, task, id, body)));
    let delete = item
        .and(op(warp::delete(), &ctx))
        .then(|task, id, ctx| guarded(delete(ctx, task, id)));
    one_of!(create, reorder, toggle, rename, delete)
}

/// Appends a sub-task (at most 20 per task).
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{task_id}/subtasks",
    tag = "sub-tasks",
    params(TaskPath),
    request_body = SubTaskTitleBody,
    responses(
        (status = 201, description = "The new sub-task, last", body = SubTask),
        (status = 400, description = "Invalid field or `Maximum of 20 sub-tasks per task`", body = Envelope),
        (status = 404, description = "`Task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn create(ctx: AppCtx, task: String, body: Value) -> Result<Response, ApiError> {
    let TaskPath { task_id: task } = TaskPath::parse(&task)?;
    let title = SubTaskTitle::from_json(&body)?;
    let s = write(&ctx, Touches::Tasks, |db| async move {
        sub_tasks::create(&db, task, title.0).await
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &s))
}

/// Puts the task's sub-tasks in a new order.
#[utoipa::path(
    put,
    path = "/api/v1/tasks/{task_id}/subtasks/reorder",
    tag = "sub-tasks",
    params(TaskPath),
    request_body = ReorderBody,
    responses(
        (status = 200, description = "The sub-tasks in the new order, positions 0..n-1", body = Vec<SubTask>),
        (status = 400, description = "Invalid list, duplicates, or not each existing sub-task exactly once", body = Envelope),
        (status = 404, description = "`Task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn reorder(ctx: AppCtx, task: String, body: Value) -> Result<Response, ApiError> {
    let TaskPath { task_id: task } = TaskPath::parse(&task)?;
    let order = Reorder::from_json(&body)?;
    let all = write(&ctx, Touches::Tasks, |db| async move {
        sub_tasks::reorder(&db, task, order).await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &all))
}

/// Flips `completed`.
#[utoipa::path(
    patch,
    path = "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}/toggle",
    tag = "sub-tasks",
    params(SubTaskPath),
    responses(
        (status = 200, description = "The sub-task", body = SubTask),
        (status = 400, description = "A malformed id", body = Envelope),
        (status = 404, description = "`Task not found` or `Sub-task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn toggle(ctx: AppCtx, task: String, id: String) -> Result<Response, ApiError> {
    let SubTaskPath {
        task_id: task,
        sub_task_id: id,
    } = SubTaskPath::parse(&task, &id)?;
    let s = write(&ctx, Touches::Tasks, |db| async move {
        sub_tasks::toggle(&db, task, id).await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &s))
}

/// Changes the title.
#[utoipa::path(
    patch,
    path = "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}",
    tag = "sub-tasks",
    params(SubTaskPath),
    request_body = SubTaskTitleBody,
    responses(
        (status = 200, description = "The sub-task", body = SubTask),
        (status = 400, description = "A malformed id or an invalid field", body = Envelope),
        (status = 404, description = "`Task not found` or `Sub-task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn rename(
    ctx: AppCtx,
    task: String,
    id: String,
    body: Value,
) -> Result<Response, ApiError> {
    let SubTaskPath {
        task_id: task,
        sub_task_id: id,
    } = SubTaskPath::parse(&task, &id)?;
    let title = SubTaskTitle::from_json(&body)?;
    let s = write(&ctx, Touches::Tasks, |db| async move {
        sub_tasks::rename(&db, task, id, title.0).await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &s))
}

/// Deletes a sub-task; the ones after it move up.
#[utoipa::path(
    delete,
    path = "/api/v1/tasks/{task_id}/subtasks/{sub_task_id}",
    tag = "sub-tasks",
    params(SubTaskPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A malformed id", body = Envelope),
        (status = 404, description = "`Task not found` or `Sub-task not found`", body = Envelope),
        DbNotReadyResponse,
    )
)]
pub async fn delete(ctx: AppCtx, task: String, id: String) -> Result<Response, ApiError> {
    let SubTaskPath {
        task_id: task,
        sub_task_id: id,
    } = SubTaskPath::parse(&task, &id)?;
    write(&ctx, Touches::Tasks, |db| async move {
        sub_tasks::delete(&db, task, id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
