//! `/api/v1/settings/*`: test a connection, save it, show what is saved, and
//! the lifecycle status. Handlers parse the body into [`DbCredentials`], call
//! one actor wrapper or the probe, and map the answer; nothing else.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::errors::{ApiError, json_response};
use super::panic_guard::guarded;
use super::responses::{ActorTimeoutResponse, Envelope};
use super::route::{one_of, op, op_json};
use super::schemas::settings::ConnectionSettingsBody;
use crate::actors::credential_store::{self, LoadError, SaveError};
use crate::actors::{db_supervisor, readiness};
use crate::config::policy::ACTOR_CALL_TIMEOUT;
use crate::db::connect;
use crate::domain::credentials::{ConnectionSummary, DbCredentials};
use crate::domain::db_state::{DbState, StateName};
use crate::security::trust_store;

/// The settings routes, below `/api/v1/settings`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let test = warp::path!("settings" / "test-connection")
        .and(op_json(warp::post(), &ctx))
        .then(|ctx, body| guarded(test_connection(ctx, body)));
    let save = warp::path!("settings" / "save-connection")
        .and(op_json(warp::post(), &ctx))
        .then(|ctx, body| guarded(save_connection(ctx, body)));
    let connection = warp::path!("settings" / "connection")
        .and(op(warp::get(), &ctx))
        .then(|ctx| guarded(saved_connection(ctx)));
    let status = warp::path!("settings" / "status")
        .and(op(warp::get(), &ctx))
        .then(|ctx| guarded(status(ctx)));
    one_of!(test, save, connection, status)
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> Self {
        ApiError::SaveFailed(format!(
            "Stored connection settings cannot be read: {e}. Save connection settings again."
        ))
    }
}

impl From<SaveError> for ApiError {
    fn from(e: SaveError) -> Self {
        ApiError::SaveFailed(format!("Failed to save connection settings: {e}"))
    }
}

/// `test-connection`'s answer: `{"status":"ok"}`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Tested {
    /// Connected and `SELECT 1` answered.
    Ok,
}

/// `save-connection`'s answer: `{"status":"saved"}`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Saved {
    /// Encrypted and written; the DbSupervisor reconnects with them.
    Saved,
}

/// `GET /api/v1/settings/status`, fields in DESIGN.md's order.
#[derive(Serialize, ToSchema)]
pub struct SettingsStatus {
    /// Whether credentials (saved or from `TASKFLOW_DATABASE_URL`) exist.
    configured: bool,
    state: StateName,
    /// Connection attempt number; 0 when not connecting.
    attempt: u32,
    /// The most recent error, if the state carries one.
    #[schema(required = true)]
    last_error: Option<String>,
    /// RFC 3339, when ready.
    #[schema(required = true, format = DateTime)]
    ready_since: Option<String>,
    /// The saved connection without the password.
    #[schema(required = true)]
    connection: Option<ConnectionSummary>,
    /// The daemon's version.
    version: &'static str,
}

/// The body of both endpoints: the pure field checks, the `ssl_mode` /
/// `ssl_root_cert` combination rules (input only; see
/// `DbCredentials::check_tls_settings`), then the one check that reads a file
/// (`ssl_root_cert`), so a bad path is a 400 before anything connects or is saved.
async fn parse_credentials(body: &Value) -> Result<DbCredentials, ApiError> {
    let creds = DbCredentials::from_json(body)?;
    creds.check_tls_settings()?;
    if let Some(path) = &creds.ssl_root_cert {
        trust_store::check(path).await?;
    }
    Ok(creds)
}

/// Connects with the given settings and runs `SELECT 1`; persists nothing.
#[utoipa::path(
    post,
    path = "/api/v1/settings/test-connection",
    tag = "settings",
    request_body = ConnectionSettingsBody,
    responses(
        (status = 200, description = "Connected", body = Tested),
        (status = 400, description = "Invalid field, invalid JSON, or `Connection failed: <reason>`", body = Envelope),
        (status = 429, description = "Too many connection tests in progress", body = Envelope),
    )
)]
pub async fn test_connection(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
    let creds = parse_credentials(&body).await?;
    let permit = ctx
        .probes
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::TooMany("Too many connection tests in progress"))?;
    let timeout = ctx.settings.connect_timeout();
    // Its own task: a client that hangs up does not cancel a half-open
    // connection mid-handshake, and the permit is held until the probe ends.
    let outcome = tokio::spawn(async move {
        let result = connect::probe(&creds, timeout).await;
        drop(permit);
        result
    })
    .await
    .map_err(|e| ApiError::Unexpected(format!("probe task failed: {e}")))?;
    match outcome {
        Ok(()) => Ok(json_response(StatusCode::OK, &Tested::Ok)),
        Err(reason) => Err(ApiError::BadRequest(format!("Connection failed: {reason}"))),
    }
}

/// Encrypts and stores the settings, then reconnects with them; does not
/// need the database to be reachable.
#[utoipa::path(
    post,
    path = "/api/v1/settings/save-connection",
    tag = "settings",
    request_body = ConnectionSettingsBody,
    responses(
        (status = 200, description = "Saved", body = Saved),
        (status = 400, description = "Invalid field or invalid JSON", body = Envelope),
        (status = 500, description = "`Failed to save connection settings: <why>`", body = Envelope),
        ActorTimeoutResponse,
    )
)]
pub async fn save_connection(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
    let creds = parse_credentials(&body).await?;
    let store = ctx.actors.credential_store()?;
    credential_store::save(&store, creds.clone(), ACTOR_CALL_TIMEOUT).await?;
    tracing::info!(host = %creds.host, port = creds.port, database = %creds.database, username = %creds.username, ssl_mode = %creds.effective_ssl_mode(), "connection settings saved");
    match ctx.actors.db_supervisor() {
        Ok(db) => {
            if let Err(e) = db_supervisor::reconfigure(&db, creds) {
                // Saved all the same; a restarted DbSupervisor loads the new file.
                tracing::warn!(error = %e, "could not notify the database supervisor");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not notify the database supervisor"),
    }
    Ok(json_response(StatusCode::OK, &Saved::Saved))
}

/// The saved settings for the Settings page to prefill, without the password.
#[utoipa::path(
    get,
    path = "/api/v1/settings/connection",
    tag = "settings",
    responses(
        (status = 200, description = "The saved settings", body = ConnectionSummary),
        (status = 404, description = "`No connection settings saved`", body = Envelope),
        (status = 500, description = "The stored settings cannot be read", body = Envelope),
        ActorTimeoutResponse,
    )
)]
pub async fn saved_connection(ctx: AppCtx) -> Result<Response, ApiError> {
    let store = ctx.actors.credential_store()?;
    match credential_store::summary(&store, ACTOR_CALL_TIMEOUT).await? {
        Some(summary) => Ok(json_response(StatusCode::OK, &summary)),
        None => Err(ApiError::NotFound("No connection settings saved")),
    }
}

/// The database lifecycle and the saved connection (never the password).
#[utoipa::path(
    get,
    path = "/api/v1/settings/status",
    tag = "settings",
    responses(
        (status = 200, description = "The current state", body = SettingsStatus),
        ActorTimeoutResponse,
    )
)]
pub async fn status(ctx: AppCtx) -> Result<Response, ApiError> {
    let actor = ctx.actors.readiness()?;
    let snap = readiness::snapshot(&actor, ACTOR_CALL_TIMEOUT).await?;
    let ready_since = match &snap.state {
        DbState::Ready { since } => since
            .format(&time::format_description::well_known::Rfc3339)
            .ok(),
        _ => None,
    };
    let body = SettingsStatus {
        configured: snap.state.configured(),
        state: snap.state.name(),
        attempt: snap.state.attempt(),
        last_error: snap.state.last_error().map(str::to_owned),
        ready_since,
        connection: snap.connection,
        version: env!("CARGO_PKG_VERSION"),
    };
    Ok(json_response(StatusCode::OK, &body))
}
