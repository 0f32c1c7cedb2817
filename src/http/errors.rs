//! The one place where errors become HTTP responses.
//!
//! Handlers return `Result<Response, ApiError>`; rejections from warp's own
//! filters and from ours (host, origin, token, body) are turned into the same
//! `{"error": "..."}` envelope by [`handle_rejection`], applied once in
//! `http/mod.rs`. Check order matters: warp's combined rejections prefer 405
//! over 404, and a malformed body on a matching route must not come back as
//! a 405 from a sibling route, so our specific rejections are looked at first.

use std::convert::Infallible;

use bytes::Bytes;
use serde::Serialize;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reject::{Reject, Rejection};
use warp::reply::{Reply, Response};

use sea_orm::{DbErr, RuntimeErr};

use super::ctx::AppCtx;
use crate::actors::db_supervisor::{self, DbUnavailable};
use crate::actors::{ActorUnavailable, CallError};
use crate::config::policy::RETRY_AFTER_SECS;
use crate::db::connect_errors::request_failure;
use crate::db::outcome::{QueryError, References, Refusal};
use crate::domain::ValidationError;

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ErrorBody)]
pub struct ErrorBody<'a> {
    /// What went wrong, in words a user can act on; never a secret.
    pub error: &'a str,
}

/// Every error a handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 — a field failed validation.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// 400 — any other bad request, message given verbatim.
    #[error("{0}")]
    BadRequest(String),
    /// 403 — the action is not allowed any more (a daily update past 24 h).
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404 — with the resource-specific message.
    #[error("{0}")]
    NotFound(&'static str),
    /// 409 — conflicting state (duplicate email, member still referenced).
    #[error("{0}")]
    Conflict(String),
    /// 429 — too many concurrent operations of a kind.
    #[error("{0}")]
    TooMany(&'static str),
    /// 500 — saving the connection settings failed; the message is specific and
    /// safe to show (e.g. the config folder is not writable).
    #[error("{0}")]
    SaveFailed(String),
    /// 503 with `Retry-After: 5` — the database is not ready.
    #[error("Database not ready: {0}")]
    DbNotReady(String),
    /// 503 with `Retry-After: 5` — the connection failed in the middle of
    /// the request (nothing half-written stays: every mutation is one transaction).
    #[error("Database connection lost. Please retry.")]
    ConnectionLost,
    /// 503 with `Retry-After: 5` — an internal actor did not answer.
    #[error("Service temporarily unavailable: {0}")]
    Unavailable(#[from] ActorUnavailable),
    /// 500 — something that should not happen (a bug, an unexpected driver
    /// error); the cause is logged, the client sees a generic message.
    #[error("Internal server error")]
    Unexpected(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::SaveFailed(_) | Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::DbNotReady(_) | Self::ConnectionLost | Self::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }
}

impl<E: Into<ApiError>> From<CallError<E>> for ApiError {
    fn from(e: CallError<E>) -> Self {
        match e {
            CallError::Failed(inner) => inner.into(),
            CallError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

impl From<DbUnavailable> for ApiError {
    fn from(e: DbUnavailable) -> Self {
        Self::DbNotReady(e.reason)
    }
}

/// Maps a database error met while serving a request. Lives here because it
/// needs the context: a connection error also tells the DbSupervisor to check
/// the connection now, rather than at its next ping.
///
/// - unique violation of `uq_members_email` → 409 "Member with this email already exists"
///   (also when a concurrent request won the race);
/// - the task tables' foreign keys and position constraint → their contract
///   answers (see `constraint_error`);
/// - connection errors → 503 "Database connection lost. Please retry." with `Retry-After`;
/// - anything else → 500, cause logged, generic body.
pub fn db_error(ctx: &AppCtx, err: DbErr) -> ApiError {
    let sqlx_err = match &err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    };
    if let Some(sea_orm::sqlx::Error::Database(db)) = sqlx_err
        && let Some(mapped) = constraint_error(db.code().as_deref(), db.constraint())
    {
        return mapped;
    }
    let lost = match (&err, sqlx_err) {
        (DbErr::ConnectionAcquire(e), _) => Some(e.to_string().to_lowercase()),
        // Opening a connection failed (refused, auth changed, …): whatever
        // the cause, the database is not usable right now.
        (DbErr::Conn(_), Some(e)) => {
            request_failure(e).or_else(|| Some("a new connection could not be opened".to_owned()))
        }
        (_, Some(e)) => request_failure(e),
        _ => None,
    };
    if let Some(detail) = lost {
        tracing::warn!(detail = %detail, "database connection error while serving a request");
        match ctx.actors.db_supervisor() {
            Ok(actor) => db_supervisor::connection_suspect(&actor),
            Err(e) => tracing::debug!(error = %e, "could not report the connection error"),
        }
        return ApiError::ConnectionLost;
    }
    ApiError::Unexpected(format!("database error: {err}"))
}

/// A constraint violation that is the client's (or a lost race's), not a bug.
/// The task queries lock what they check, so most of these can only happen
/// when another program (the Python backend) changes rows meanwhile.
fn constraint_error(code: Option<&str>, constraint: Option<&str>) -> Option<ApiError> {
    let constraint = constraint?;
    Some(match code? {
        "23505" if constraint == migration::UQ_MEMBERS_EMAIL => {
            ApiError::Conflict("Member with this email already exists".to_owned())
        }
        "23505" if constraint == migration::UQ_SUB_TASKS_TASK_ID_POSITION => ApiError::Conflict(
            "The sub-tasks were changed at the same time. Please retry.".to_owned(),
        ),
        "23503" if constraint == migration::FK_TASKS_ASSIGNEE_ID => {
            ApiError::BadRequest("Assignee not found".to_owned())
        }
        "23503" if constraint == migration::FK_DAILY_UPDATES_AUTHOR_ID => {
            ApiError::Conflict("Author no longer exists".to_owned())
        }
        "23503"
            if constraint == migration::FK_SUB_TASKS_TASK_ID
                || constraint == migration::FK_DAILY_UPDATES_TASK_ID =>
        {
            ApiError::NotFound("Task not found")
        }
        _ => return None,
    })
}

/// Maps what a member, task, sub-task or daily-update query answered instead of a
/// result: its refusals to their statuses and the contract's messages, its
/// database errors as [`db_error`] does.
pub fn query_error(ctx: &AppCtx, err: QueryError) -> ApiError {
    let refusal = match err {
        QueryError::Db(e) => return db_error(ctx, e),
        QueryError::Refused(r) => r,
    };
    match refusal {
        Refusal::MemberNotFound => ApiError::NotFound("Member not found"),
        Refusal::MemberReferenced(refs) => ApiError::Conflict(still_referenced(refs)),
        Refusal::TaskNotFound => ApiError::NotFound("Task not found"),
        Refusal::SubTaskNotFound => ApiError::NotFound("Sub-task not found"),
        Refusal::UpdateNotFound => ApiError::NotFound("Daily update not found"),
        Refusal::AssigneeNotFound => ApiError::BadRequest("Assignee not found".to_owned()),
        Refusal::AuthorNotFound => ApiError::BadRequest("Author not found".to_owned()),
        Refusal::TooManySubTasks => {
            ApiError::BadRequest("Maximum of 20 sub-tasks per task".to_owned())
        }
        Refusal::ReorderMismatch => ApiError::BadRequest(
            "sub_task_ids: must include each existing sub-task exactly once".to_owned(),
        ),
        Refusal::EditWindowClosed => {
            ApiError::Forbidden("Updates can only be edited within 24 hours.")
        }
        Refusal::DeleteWindowClosed => {
            ApiError::Forbidden("Updates can only be deleted within 24 hours.")
        }
        Refusal::Invalid(v) => ApiError::Validation(v),
    }
}

/// The 409 message when a member is still referenced (TASKS-API.md
/// "Members, now that tasks exist"): assigned tasks are named first; the
/// daily updates only when no task is left.
fn still_referenced(refs: References) -> String {
    if refs.tasks > 0 {
        return format!(
            "Cannot delete member with {} assigned task(s). Reassign or complete them first.",
            refs.tasks
        );
    }
    format!(
        "Cannot delete member with {} authored daily update(s). Delete those updates first.",
        refs.daily_updates
    )
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        if let Self::Unexpected(cause) = &self {
            tracing::error!(cause = %cause, "internal error");
        }
        let status = self.status();
        let mut res = error_response(status, &self.to_string());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        res
    }
}

/// A JSON response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

/// A response whose body is already-serialized JSON (the cached lists and
/// pages, `/health`'s constant bodies, the OpenAPI document), with the same
/// headers as [`json_response`]: serving stored bytes must be
/// indistinguishable from serializing again.
pub fn json_bytes_response(status: StatusCode, body: Bytes) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// `{"error": message}` with `status`.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &ErrorBody { error: message })
}

/// Host header not allowed (DNS-rebinding defence).
#[derive(Debug)]
pub struct ForbiddenHost;
impl Reject for ForbiddenHost {}

/// Origin header not allowed (cross-site request defence).
#[derive(Debug)]
pub struct ForbiddenOrigin;
impl Reject for ForbiddenOrigin {}

/// Missing or wrong bearer token.
#[derive(Debug)]
pub struct Unauthorized;
impl Reject for Unauthorized {}

/// The body is not `application/json`.
#[derive(Debug)]
pub struct NotJson;
impl Reject for NotJson {}

/// More than one `Host` header (RFC 9112 §3.2): 400.
#[derive(Debug)]
pub struct DuplicateHost;
impl Reject for DuplicateHost {}

/// The body is not valid JSON; carries the parser's message.
#[derive(Debug)]
pub struct BadJson(pub String);
impl Reject for BadJson {}

/// Turns every rejection into the JSON envelope with the right status.
pub async fn handle_rejection(err: Rejection) -> Result<Response, Infallible> {
    let invalid_header = err.find::<warp::reject::InvalidHeader>().map(|h| h.name());
    let (status, message): (StatusCode, String) = if err.find::<DuplicateHost>().is_some() {
        (StatusCode::BAD_REQUEST, "Bad Request".into())
    } else if err.find::<ForbiddenHost>().is_some()
        || invalid_header.is_some_and(|n| n.eq_ignore_ascii_case("host"))
    {
        (StatusCode::FORBIDDEN, "Forbidden host".into())
    } else if err.find::<ForbiddenOrigin>().is_some()
        || invalid_header.is_some_and(|n| n.eq_ignore_ascii_case("origin"))
    {
        (StatusCode::FORBIDDEN, "Forbidden origin".into())
    } else if err.find::<Unauthorized>().is_some() {
        (StatusCode::UNAUTHORIZED, "Unauthorized".into())
    } else if err.find::<NotJson>().is_some()
        || err.find::<warp::reject::UnsupportedMediaType>().is_some()
    {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: the body must be sent with Content-Type: application/json"
                .into(),
        )
    } else if err.find::<warp::reject::PayloadTooLarge>().is_some() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large: the body must be at most 64 KiB".into(),
        )
    } else if err.find::<warp::reject::LengthRequired>().is_some() {
        (
            StatusCode::LENGTH_REQUIRED,
            "Length Required: send the body with a Content-Length header".into(),
        )
    } else if let Some(BadJson(msg)) = err.find::<BadJson>() {
        (StatusCode::BAD_REQUEST, format!("Invalid JSON body: {msg}"))
    } else if err.find::<warp::reject::MethodNotAllowed>().is_some() {
        (StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into())
    } else if err.is_not_found() {
        (StatusCode::NOT_FOUND, "Not Found".into())
    } else if err.find::<warp::reject::InvalidHeader>().is_some()
        || err.find::<warp::reject::MissingHeader>().is_some()
        || err.find::<warp::reject::InvalidQuery>().is_some()
    {
        (StatusCode::BAD_REQUEST, "Bad Request".into())
    } else {
        tracing::error!(rejection = ?err, "unhandled rejection");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error".into(),
        )
    };
    Ok(error_response(status, &message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::db_state::DbState;

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
            "Cannot delete member with 1 authored daily update(s). Delete those updates first."
        );
        assert_eq!(
            still_referenced(r(2, 1)),
            "Cannot delete member with 2 assigned task(s). Reassign or complete them first."
        );
    }

    fn not_ready(state: DbState) -> String {
        let reason = state.not_ready_reason().unwrap();
        ApiError::from(DbUnavailable { reason }).to_string()
    }

    #[test]
    fn not_ready_messages_do_not_repeat_database() {
        assert_eq!(
            not_ready(DbState::Unconfigured),
            "Database not ready: connection is not configured. Save connection settings first."
        );
        assert_eq!(
            not_ready(DbState::Connecting {
                attempt: 2,
                last_error: None
            }),
            "Database not ready: starting: connecting (attempt 2)"
        );
        assert_eq!(
            not_ready(DbState::Migrating),
            "Database not ready: starting: migrating"
        );
        assert_eq!(
            not_ready(DbState::Failed {
                attempt: 3,
                reason: "x".into()
            }),
            "Database not ready: startup failed: x"
        );
        assert_eq!(
            not_ready(DbState::Reconnecting {
                attempt: 1,
                reason: "y".into()
            }),
            "Database not ready: connection lost: y"
        );
        assert_eq!(
            not_ready(DbState::Unreadable { reason: "z".into() }),
            "Database not ready: stored connection settings cannot be read: z. Save connection settings again."
        );
    }

    #[test]
    fn io_errors_are_connection_losses() {
        let e = sea_orm::sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(
            request_failure(&e).unwrap(),
            "the connection failed: broken pipe"
        );
        assert_eq!(request_failure(&sea_orm::sqlx::Error::RowNotFound), None);
    }
}
