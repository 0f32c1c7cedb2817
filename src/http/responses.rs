//! The OpenAPI responses many operations share: the error envelope's schema
//! and the two 503s, declared once as [`IntoResponses`] types.
//!
//! A leaf of `http/`: the handlers name these in their `#[utoipa::path]`
//! and `openapi.rs` lists the handlers, so these cannot live in either
//! without the two importing each other (docs/architecture.md).

use utoipa::IntoResponses;

use super::errors::ErrorBody;

/// The error envelope's schema (`ErrorBody` borrows its message).
pub(crate) type Envelope = ErrorBody<'static>;

/// The 503 of every route that needs the database (`ApiError::DbNotReady`,
/// `ConnectionLost`, `Unavailable`).
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "`Database not ready: <reason>` or `Database connection lost. Please retry.`",
    headers(("Retry-After" = u32, description = "Seconds to wait"))
)]
#[allow(dead_code)]
pub struct DbNotReadyResponse(Envelope);

/// The 503 of a settings route whose actor did not answer in time
/// (`ApiError::Unavailable`).
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "`Service temporarily unavailable: …`: an internal actor did not answer",
    headers(("Retry-After" = u32, description = "Seconds to wait"))
)]
#[allow(dead_code)]
pub struct ActorTimeoutResponse(Envelope);
