//! The one place where errors become HTTP responses.
//!
//! Handlers return `Result<Response, ApiError>`; rejections from warp's own
//! filters and from ours (host, origin, token, body) are turned into the same
//! `{"error": "..."}` envelope by [`handle_rejection`], applied once in
//! `http/mod.rs`. Check order matters: warp's combined rejections prefer 405
//! over 404, and a malformed body on a matching route must not come back as
//! a 405 from a sibling route, so our specific rejections are looked at first.

use std::convert::Infallible;

use serde::Serialize;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reject::{Reject, Rejection};
use warp::reply::{Reply, Response};

use crate::actors::{ActorUnavailable, CallError};
use crate::domain::ValidationError;

/// The body of every error response.
#[derive(Debug, Serialize)]
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
    /// 404 — with the resource-specific message.
    #[error("{0}")]
    NotFound(&'static str),
    /// 409 — conflicting state (duplicate email, member still referenced).
    #[error("{0}")]
    Conflict(String),
    /// 429 — too many concurrent operations of a kind.
    #[error("{0}")]
    TooMany(&'static str),
    /// 500 with a specific, safe message (e.g. the config folder is not writable).
    #[error("{0}")]
    Failed(String),
    /// 503 with `Retry-After: 5` — the database is not ready.
    #[error("Database not ready: {0}")]
    DbNotReady(String),
    /// 503 with `Retry-After: 5` — an internal actor did not answer.
    #[error("Service temporarily unavailable: {0}")]
    Unavailable(#[from] ActorUnavailable),
    /// 500 — a bug; the cause is logged, the client sees a generic message.
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Failed(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::DbNotReady(_) | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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

impl Reply for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(cause = %cause, "internal error");
        }
        let status = self.status();
        let mut res = error_response(status, &self.to_string());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

/// A JSON response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
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

/// The body is not valid JSON; carries the parser's message.
#[derive(Debug)]
pub struct BadJson(pub String);
impl Reject for BadJson {}

/// A path parameter that does not parse (e.g. a malformed member id).
#[derive(Debug)]
pub struct BadPathParam(pub String);
impl Reject for BadPathParam {}

/// Turns every rejection into the JSON envelope with the right status.
pub async fn handle_rejection(err: Rejection) -> Result<Response, Infallible> {
    let (status, message): (StatusCode, String) = if err.find::<ForbiddenHost>().is_some() {
        (StatusCode::FORBIDDEN, "Forbidden host".into())
    } else if err.find::<ForbiddenOrigin>().is_some() {
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
    } else if let Some(BadPathParam(msg)) = err.find::<BadPathParam>() {
        (StatusCode::BAD_REQUEST, msg.clone())
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
