//! `/api/v1/settings/*`: test a connection, save it, show what is saved, and
//! the lifecycle status. Handlers parse the body into [`DbCredentials`], call
//! one actor wrapper or the probe, and map the answer; nothing else.

use serde_json::{Value, json};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::ctx::{ACTOR_CALL_TIMEOUT, AppCtx, with_ctx};
use super::errors::{ApiError, json_response};
use super::filters::json_body;
use super::panic_guard::guarded;
use crate::actors::credential_store::{self, LoadError, SaveError};
use crate::actors::{db_supervisor, readiness};
use crate::db::connect;
use crate::domain::credentials::DbCredentials;
use crate::domain::root_cert;

/// The settings routes, below `/api/v1/settings`.
pub fn routes(ctx: AppCtx) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let base = warp::path("settings");
    let test = base
        .and(warp::path("test-connection"))
        .and(warp::path::end())
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(json_body())
        .then(|ctx, body| guarded(test_connection(ctx, body)));
    let save = base
        .and(warp::path("save-connection"))
        .and(warp::path::end())
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(json_body())
        .then(|ctx, body| guarded(save_connection(ctx, body)));
    let connection = base
        .and(warp::path("connection"))
        .and(warp::path::end())
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(|ctx| guarded(saved_connection(ctx)));
    let status = base
        .and(warp::path("status"))
        .and(warp::path::end())
        .and(warp::get())
        .and(with_ctx(ctx))
        .then(|ctx| guarded(status(ctx)));
    test.or(save)
        .unify()
        .or(connection)
        .unify()
        .or(status)
        .unify()
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

/// The body of both endpoints: the pure field checks, the `ssl_mode` /
/// `ssl_root_cert` combination rules (input only; see
/// `DbCredentials::check_tls_settings`), then the one check that reads a file
/// (`ssl_root_cert`), so a bad path is a 400 before anything connects or is saved.
async fn parse_credentials(body: &Value) -> Result<DbCredentials, ApiError> {
    let creds = DbCredentials::from_json(body)?;
    creds.check_tls_settings()?;
    if let Some(path) = &creds.ssl_root_cert {
        root_cert::check(path).await?;
    }
    Ok(creds)
}

/// `POST /api/v1/settings/test-connection`
async fn test_connection(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
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
        Ok(()) => Ok(json_response(StatusCode::OK, &json!({"status": "ok"}))),
        Err(reason) => Err(ApiError::BadRequest(format!("Connection failed: {reason}"))),
    }
}

/// `POST /api/v1/settings/save-connection`
async fn save_connection(ctx: AppCtx, body: Value) -> Result<Response, ApiError> {
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
    Ok(json_response(StatusCode::OK, &json!({"status": "saved"})))
}

/// `GET /api/v1/settings/connection`
async fn saved_connection(ctx: AppCtx) -> Result<Response, ApiError> {
    let store = ctx.actors.credential_store()?;
    match credential_store::summary(&store, ACTOR_CALL_TIMEOUT).await? {
        Some(summary) => Ok(json_response(StatusCode::OK, &summary)),
        None => Err(ApiError::NotFound("No connection settings saved")),
    }
}

/// `GET /api/v1/settings/status`
async fn status(ctx: AppCtx) -> Result<Response, ApiError> {
    let actor = ctx.actors.readiness()?;
    let snap = readiness::snapshot(&actor, ACTOR_CALL_TIMEOUT).await?;
    let ready_since = match &snap.state {
        crate::domain::db_state::DbState::Ready { since } => since
            .format(&time::format_description::well_known::Rfc3339)
            .ok(),
        _ => None,
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "configured": snap.state.configured(),
            "state": snap.state.name(),
            "attempt": snap.state.attempt(),
            "last_error": snap.state.last_error(),
            "ready_since": ready_since,
            "connection": snap.connection,
            "version": env!("CARGO_PKG_VERSION"),
        }),
    ))
}
