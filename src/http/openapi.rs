//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, generated
//! from the code with `utoipa` and served as a string serialised once.
//!
//! The `#[utoipa::path]` of each operation sits on its real handler
//! (`health::health`, `settings::status`, `members::create`, `tasks::list`,
//! [`serve`], …), and the response schemas are the types those handlers
//! serialise (`Healthy`, `SettingsStatus`, the entities `Member`, `Task`, …,
//! `ErrorBody`). Request bodies are parsed by hand from JSON in `domain`
//! (for the exact messages and the absent/`null` distinction), so each parser
//! has a schema-only `…Body` struct beside it with exactly the validators'
//! limits. The 503s many operations share are declared once, in
//! [`super::responses`], which the handlers import too.
//!
//! Statuses every route shares are added by [`CommonResponses`] rather than
//! repeated: 403 (the Host/Origin guard) and 500 everywhere; 400 and 401 plus
//! the optional bearer scheme under `/api/v1`; 411, 413 and 415 on every
//! route with a body. 405 is never listed: an operation is a (path, method)
//! pair that exists, and every method not listed for a path answers 405.
//!
//! Drift is caught from both sides: `tests/api/openapi.rs` checks that the
//! document lists exactly the routes the router serves, and
//! `scripts/conformance.sh` (schemathesis, in CI) checks that the live
//! daemon's statuses, content types and bodies match what is written here.

use std::sync::LazyLock;

use bytes::Bytes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, SecurityRequirement};
use utoipa::{Modify, OpenApi};
use warp::http::StatusCode;
use warp::reply::Response as WarpResponse;
use warp::{Filter, Rejection};

use super::errors::{error_response, json_bytes_response};
use super::health::{self, Alive, Healthy, Unhealthy};
use super::responses::Envelope;
use super::schemas::daily_updates::{NewDailyUpdateBody, UpdateContentBody};
use super::schemas::members::{MemberPatchBody, NewMemberBody};
use super::schemas::settings::ConnectionSettingsBody;
use super::schemas::sub_tasks::{ReorderBody, SubTaskTitleBody};
use super::schemas::tasks::{NewTaskBody, TaskPatchBody};
use super::settings::{self, Saved, SettingsStatus, Tested};
use super::shutdown::{self, Stopping};
use super::{daily_updates, members, sub_tasks, tasks};
use crate::domain::credentials::{ConnectionSummary, SslMode};
use crate::domain::daily_update::DailyUpdate;
use crate::domain::db_state::StateName;
use crate::domain::member::Member;
use crate::domain::sub_task::SubTask;
use crate::domain::task::{Priority, Sort, Status, Task};

/// The route.
pub fn routes() -> impl Filter<Extract = (WarpResponse,), Error = Rejection> + Clone {
    // Serialised now, at startup, rather than on the first request.
    LazyLock::force(&DOCUMENT);
    warp::path("openapi.json")
        .and(warp::path::end())
        .and(warp::get())
        .map(serve)
}

/// The document as served; `None` only if serialisation failed (logged).
static DOCUMENT: LazyLock<Option<String>> = LazyLock::new(|| match document().to_json() {
    Ok(json) => Some(json),
    Err(e) => {
        tracing::error!(error = %e, "the OpenAPI document cannot be serialised");
        None
    }
});

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub fn serve() -> WarpResponse {
    match DOCUMENT.as_deref() {
        Some(json) => json_bytes_response(StatusCode::OK, Bytes::from_static(json.as_bytes())),
        None => error_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
    }
}

/// The OpenAPI document, built from the declarations below.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "taskflowd",
        description = "The TaskFlow backend daemon's HTTP API, on loopback. Every error body is \
                       `{\"error\": string}`; `/health` adds `status`. Every request must carry an \
                       allowed `Host` (and `Origin`, when sent): otherwise 403. A method not listed \
                       for a path answers 405 `Method Not Allowed`, a path not listed 404 `Not Found`. \
                       An `OPTIONS` CORS preflight from an allowed origin answers 204 on any path."
    ),
    paths(
        health::health,
        health::live,
        serve,
        super::metrics::metrics,
        settings::status,
        settings::saved_connection,
        settings::test_connection,
        settings::save_connection,
        members::list,
        members::create,
        members::get,
        members::update,
        members::delete,
        tasks::list,
        tasks::create,
        tasks::get,
        tasks::update,
        tasks::delete,
        sub_tasks::create,
        sub_tasks::reorder,
        sub_tasks::toggle,
        sub_tasks::rename,
        sub_tasks::delete,
        daily_updates::create,
        daily_updates::edit,
        daily_updates::delete,
        shutdown::shutdown
    ),
    components(schemas(
        Envelope,
        Healthy,
        Unhealthy,
        Alive,
        SettingsStatus,
        StateName,
        ConnectionSummary,
        SslMode,
        ConnectionSettingsBody,
        Tested,
        Saved,
        Member,
        NewMemberBody,
        MemberPatchBody,
        Task,
        SubTask,
        DailyUpdate,
        Status,
        Priority,
        Sort,
        NewTaskBody,
        TaskPatchBody,
        SubTaskTitleBody,
        ReorderBody,
        NewDailyUpdateBody,
        UpdateContentBody,
        Stopping
    )),
    modifiers(&CommonResponses),
    tags(
        (name = "health", description = "Liveness of the daemon and its database"),
        (name = "meta", description = "This document, and the daemon's metrics"),
        (name = "settings", description = "The team database's connection settings"),
        (name = "members", description = "Team members"),
        (name = "tasks", description = "Tasks, each with its sub-tasks (and, alone, its daily updates)"),
        (name = "sub-tasks", description = "A task's checklist"),
        (name = "daily-updates", description = "A task's daily updates"),
        (name = "daemon", description = "The daemon process itself")
    )
)]
struct ApiDoc;

// ---- what every route shares ----------------------------------------------

/// Adds the statuses produced outside the handlers (filters and the
/// rejection handler) to every operation they apply to, and the optional
/// bearer scheme to `/api/v1`. A status an operation already lists keeps
/// its own description.
struct CommonResponses;

const BEARER: &str = "bearer";

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                BEARER,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        for (path, item) in openapi.paths.paths.iter_mut() {
            // `/metrics` is under the `/api/v1` rules (DESIGN.md "Operators").
            let api = path.starts_with("/api/v1/") || path == "/metrics";
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                // utoipa names an operation after its handler, and every
                // resource has a `create`; operation ids must be unique.
                if let (Some(tag), Some(id)) =
                    (op.tags.as_ref().and_then(|t| t.first()), &op.operation_id)
                {
                    op.operation_id = Some(format!("{tag}.{id}"));
                }
                let mut common = vec![
                    ("403", "`Forbidden host` or `Forbidden origin`"),
                    (
                        "500",
                        "`Internal server error` (a bug; the daemon keeps serving)",
                    ),
                ];
                if api {
                    // Only when a token is configured; anonymous otherwise.
                    op.security = Some(vec![
                        SecurityRequirement::default(),
                        SecurityRequirement::new::<_, [&str; 0], &str>(BEARER, []),
                    ]);
                    common.push((
                        "401",
                        "`Unauthorized`: a token is configured and the request lacks it",
                    ));
                    common.push(("400", "`Bad Request`: a header that is not valid text"));
                }
                if op.request_body.is_some() {
                    common.push(("400", "Invalid field or `Invalid JSON body: …`"));
                    common.push((
                        "411",
                        "`Length Required`: the body was sent without `Content-Length`",
                    ));
                    common.push(("413", "`Payload Too Large`: the body is over 64 KiB"));
                    common.push((
                        "415",
                        "`Unsupported Media Type`: the body is not `application/json`",
                    ));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| envelope(description));
                }
            }
        }
    }
}

/// A response with the error envelope.
fn envelope(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_and_serialises() {
        let json: serde_json::Value = serde_json::from_str(DOCUMENT.as_deref().unwrap()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = json["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 19); // 17 + /api/v1/shutdown + /metrics
        let mut ids = std::collections::HashSet::new();
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "{method} {path}: {id} again");
                let responses = op["responses"].as_object().unwrap();
                for status in ["403", "500"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
                if path.starts_with("/api/v1/") || path == "/metrics" {
                    assert!(responses.contains_key("401"), "{method} {path}");
                }
                if op.get("requestBody").is_some() {
                    for status in ["400", "411", "413", "415"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
            }
        }
    }

    /// utoipa collects the schemas an operation names itself; the `$ref`s
    /// written by hand (`ErrorBody` in [`CommonResponses`], `OneOf`'s in
    /// `schemas::rules`) are not checked by anything but this. A `$ref` to
    /// nothing makes clients and Schemathesis refuse the whole document.
    #[test]
    fn every_schema_reference_resolves() {
        fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                        out.push(r);
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let json: serde_json::Value = serde_json::from_str(DOCUMENT.as_deref().unwrap()).unwrap();
        let mut found = Vec::new();
        refs(&json, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(
                json["components"]["schemas"].get(name).is_some(),
                "{r} resolves to nothing"
            );
        }
    }
}
