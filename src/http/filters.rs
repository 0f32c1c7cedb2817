//! Reusable filters: the JSON body, the Host/Origin guard and the bearer token.

use bytes::Bytes;
use subtle::ConstantTimeEq;
use warp::{Filter, Rejection};

use super::ctx::AppCtx;
use super::errors::{
    BadJson, DuplicateHost, ForbiddenHost, ForbiddenOrigin, NotJson, Unauthorized,
};

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
/// every route before routing (DNS-rebinding and cross-site defence). Only
/// the two headers are read (not a clone of the whole header map): this runs
/// on every request, `/health` polls included. Extracts the (allowed) Origin,
/// if any, for the CORS response headers.
///
/// More than one `Host` header is a 400 (RFC 9112 §3.2: a server must
/// answer 400 to a request with several), before anything else: the single
/// header filters below would silently read the first.
pub fn guard(ctx: AppCtx) -> impl Filter<Extract = (Option<String>,), Error = Rejection> + Clone {
    // A Host or Origin that is not visible ASCII makes these filters reject
    // with `InvalidHeader`, which `handle_rejection` answers as the same 403.
    single_host()
        .and(warp::header::optional::<String>("host"))
        .and(warp::header::optional::<String>("origin"))
        .and_then(move |host: Option<String>, origin: Option<String>| {
            let verdict = if !host.as_deref().is_some_and(|h| host_allowed(h, &ctx)) {
                Err(warp::reject::custom(ForbiddenHost))
            } else if !origin.as_deref().is_none_or(|o| allowed_origin(o, &ctx)) {
                Err(warp::reject::custom(ForbiddenOrigin))
            } else {
                Ok(origin)
            };
            std::future::ready(verdict)
        })
}

/// Rejects with [`DuplicateHost`] when the request has several `Host`
/// headers. warp's header filters read only the first value, so the header
/// lines are counted on the raw request: `headers_cloned` is the only view
/// warp gives of them (a copy of the header map, some hundred nanoseconds
/// per request; no filter counts a header's values without it).
fn single_host() -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::headers_cloned()
        .and_then(|headers: warp::http::HeaderMap| {
            let hosts = headers.get_all(warp::http::header::HOST).iter().count();
            std::future::ready(if hosts > 1 {
                Err(warp::reject::custom(DuplicateHost))
            } else {
                Ok(())
            })
        })
        .untuple_one()
}

fn host_allowed(host: &str, ctx: &AppCtx) -> bool {
    let host = host.trim();
    if host.is_empty() {
        return false;
    }
    let Some((name, port)) = split_port(host) else {
        // No port: only acceptable when the daemon really is on port 80.
        return ctx.port == 80 && name_allowed(host, ctx);
    };
    port == ctx.port && name_allowed(name, ctx) || configured_host(host, ctx)
}

/// `name:port` → (`name`, port); `[::1]:port` keeps its brackets.
fn split_port(host: &str) -> Option<(&str, u16)> {
    let (name, port) = host.rsplit_once(':')?;
    if name.contains(':') && !name.ends_with(']') {
        return None; // a bare IPv6 address without brackets: not a valid Host
    }
    port.parse().ok().map(|p| (name, p))
}

fn name_allowed(name: &str, ctx: &AppCtx) -> bool {
    ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
        || configured_host(name, ctx)
}

fn configured_host(host: &str, ctx: &AppCtx) -> bool {
    ctx.settings
        .allowed_hosts
        .iter()
        .any(|allowed| allowed.trim().eq_ignore_ascii_case(host))
}

/// Whether `origin` is one the daemon trusts: `http://localhost`,
/// `http://127.0.0.1` or `http://[::1]` on any port or none (the UI's
/// development server runs on its own port, e.g. 8080 or 5173, as the
/// original backend allows), or a configured origin. `null` (a `file://`
/// page) is trusted only when configured: any sandboxed or local document
/// sends it, so it says nothing about who is asking.
///
/// Why any loopback port is safe: the guard is a cross-site defence. A page
/// on a loopback origin was served by a process of this machine, which
/// could just as well call the daemon directly; the Host check (not this
/// one) is what stops DNS rebinding, and `https` or a non-loopback name is
/// still refused.
pub fn allowed_origin(origin: &str, ctx: &AppCtx) -> bool {
    let origin = origin.trim();
    loopback_origin(origin)
        || ctx
            .settings
            .allowed_origins
            .iter()
            .any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// `http://` + a loopback name + nothing or `:<port>` (1–65535, digits only).
fn loopback_origin(origin: &str) -> bool {
    ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|base| {
            // `get` rather than indexing: an Origin with multi-byte characters
            // must not split one (that would panic).
            match (origin.get(..base.len()), origin.get(base.len()..)) {
                (Some(head), Some(rest)) if head.eq_ignore_ascii_case(base) => {
                    rest.is_empty()
                        || rest.strip_prefix(':').is_some_and(|p| {
                            !p.is_empty()
                                && p.len() <= 5
                                && p.bytes().all(|b| b.is_ascii_digit())
                                && p.parse::<u16>().is_ok_and(|p| p != 0)
                        })
                }
                _ => false,
            }
        })
}

/// When a token is configured, requires `Authorization: Bearer <token>`
/// (compared in constant time). The scheme is case-insensitive (`bearer`,
/// `BEARER`; RFC 9110 §11.1) and may be followed by more than one space.
pub fn bearer(ctx: AppCtx) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and_then(move |auth: Option<String>| {
            let expected = ctx.api_token.clone();
            async move {
                let Some(expected) = expected else {
                    return Ok(());
                };
                let given = auth.as_deref().and_then(bearer_token).unwrap_or("");
                if bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
                    Ok(())
                } else {
                    Err(warp::reject::custom(Unauthorized))
                }
            }
        })
        .untuple_one()
}

/// The token of an `Authorization: Bearer <token>` value, any case of the
/// scheme; `None` for another scheme or none.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer t0k", "bearer t0k", "BEARER t0k", "bEaReR   t0k"] {
            assert_eq!(bearer_token(value), Some("t0k"), "{value}");
        }
        for value in ["Basic t0k", "Bearert0k", "t0k", "Bearer", "Bear t0k"] {
            assert_ne!(bearer_token(value), Some("t0k"), "{value}");
        }
    }

    #[test]
    fn host_port_split_handles_ipv6_and_garbage() {
        assert_eq!(split_port("localhost:8000"), Some(("localhost", 8000)));
        assert_eq!(split_port("[::1]:8000"), Some(("[::1]", 8000)));
        assert_eq!(split_port("::1"), None);
        assert_eq!(split_port("localhost:80x"), None);
        assert_eq!(split_port("localhost"), None);
    }

    #[test]
    fn loopback_origins_on_any_port_only() {
        for ok in [
            "http://localhost",
            "http://localhost:8080",
            "http://LOCALHOST:5173",
            "http://127.0.0.1:1",
            "http://127.0.0.1:65535",
            "http://[::1]",
            "http://[::1]:8000",
        ] {
            assert!(loopback_origin(ok), "{ok}");
        }
        for bad in [
            "null",
            "https://localhost:8080",
            "http://localhost:",
            "http://localhost:0",
            "http://localhost:65536",
            "http://localhost:+80",
            "http://localhost:80/",
            "http://localhost.evil.example",
            "http://localhost:80.evil.example",
            "http://localhost@evil.example",
            "http://127.0.0.2:8080",
            "http://[::2]:8080",
            "http://localhosté",
        ] {
            assert!(!loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn media_type_is_parsed_not_substring_matched() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_media_type("text/plain; application/json"));
        assert!(!is_json_media_type("application/jsonx"));
        assert!(!is_json_media_type("text/plain"));
    }
}
