//! Reusable filters: the JSON body, the Host/Origin guard and the bearer token.

use bytes::Bytes;
use subtle::ConstantTimeEq;
use warp::http::HeaderMap;
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::errors::{BadJson, ForbiddenHost, ForbiddenOrigin, NotJson, Unauthorized};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// A JSON body: `Content-Type` must parse to exactly `application/json`
/// (a missing one is a 415 too, so a plain HTML form or a no-cors fetch can
/// never post), at most 64 KiB (413), and syntactically valid JSON (400).
pub fn json_body() -> impl Filter<Extract = (serde_json::Value,), Error = Rejection> + Clone {
    warp::header::optional::<String>("content-type")
        .and_then(|ct: Option<String>| async move {
            match ct {
                Some(ct) if is_json_media_type(&ct) => Ok(()),
                _ => Err(warp::reject::custom(NotJson)),
            }
        })
        .untuple_one()
        .and(warp::body::content_length_limit(MAX_BODY_BYTES))
        .and(warp::body::bytes())
        .and_then(|body: Bytes| async move {
            serde_json::from_slice::<serde_json::Value>(&body)
                .map_err(|e| warp::reject::custom(BadJson(e.to_string())))
        })
}

/// Parses the media type (the part before `;`) and compares it exactly.
fn is_json_media_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|mt| mt.trim().eq_ignore_ascii_case("application/json"))
}

/// Rejects requests whose `Host` or `Origin` is not allowed. Applied to
/// every route before routing (DNS-rebinding and cross-site defence).
pub fn guard(ctx: AppCtx) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::headers_cloned()
        .and_then(move |headers: HeaderMap| {
            let ctx = ctx.clone();
            async move {
                if !host_allowed(&headers, &ctx) {
                    return Err(warp::reject::custom(ForbiddenHost));
                }
                if !origin_allowed(&headers, &ctx) {
                    return Err(warp::reject::custom(ForbiddenOrigin));
                }
                Ok(())
            }
        })
        .untuple_one()
}

fn host_allowed(headers: &HeaderMap, ctx: &AppCtx) -> bool {
    let Some(host) = headers.get("host").and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    if host.is_empty() {
        return false;
    }
    let port = ctx.port;
    let loopback = ["localhost", "127.0.0.1", "[::1]"];
    if loopback.iter().any(|name| host == format!("{name}:{port}")) {
        return true;
    }
    if port == 80 && loopback.contains(&host.as_str()) {
        return true;
    }
    ctx.settings.allowed_hosts.iter().any(|allowed| {
        let allowed = allowed.trim().to_ascii_lowercase();
        host == allowed || host == format!("{allowed}:{port}")
    })
}

fn origin_allowed(headers: &HeaderMap, ctx: &AppCtx) -> bool {
    let Some(origin) = headers.get("origin") else {
        // Not a browser cross-site request (the shell's main process, curl).
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    allowed_origin(origin, ctx)
}

/// Whether `origin` is one the daemon trusts.
pub fn allowed_origin(origin: &str, ctx: &AppCtx) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    let port = ctx.port;
    let defaults = [
        "http://localhost".to_owned(),
        format!("http://localhost:{port}"),
        "http://127.0.0.1".to_owned(),
        format!("http://127.0.0.1:{port}"),
    ];
    defaults.contains(&origin)
        || ctx
            .settings
            .allowed_origins
            .iter()
            .any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(&origin))
}

/// When a token is configured, requires `Authorization: Bearer <token>`
/// (compared in constant time).
pub fn bearer(ctx: AppCtx) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and_then(move |auth: Option<String>| {
            let expected = ctx.api_token.clone();
            async move {
                let Some(expected) = expected else {
                    return Ok(());
                };
                let given = auth
                    .as_deref()
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .unwrap_or("");
                if bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
                    Ok(())
                } else {
                    Err(warp::reject::custom(Unauthorized))
                }
            }
        })
        .untuple_one()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_is_parsed_not_substring_matched() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_media_type("text/plain; application/json"));
        assert!(!is_json_media_type("application/jsonx"));
        assert!(!is_json_media_type("text/plain"));
    }
}
