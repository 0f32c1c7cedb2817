//! CORS for the allowed origins only. The [`super::filters::guard`] has
//! already refused any other `Origin` with 403, so whatever origin reaches
//! this code is trusted and is echoed back exactly — never `*`, and never
//! with credentials, so no permissive CORS header is ever sent.

use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// Request headers a browser client may send beyond the CORS-safelisted
/// ones: the JSON bodies' `content-type` and the bearer token.
const HEADERS: &str = "authorization, content-type";

/// `OPTIONS` preflight from an allowed origin → 204 with the CORS headers:
/// the path's own methods (from [`super::allow`], the same table as the
/// 405's `Allow`), the two request headers, and a 10-minute cache.
pub fn preflight() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    // Not `warp::options()`: its rejection is "405" for every other method,
    // which would turn every unknown path into a 405 instead of a 404.
    warp::method()
        .and_then(|m: warp::http::Method| {
            std::future::ready(if m == warp::http::Method::OPTIONS {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            })
        })
        .untuple_one()
        .and(warp::path::full())
        .and(warp::header::<String>("origin"))
        .and(warp::header::<String>("access-control-request-method"))
        .map(
            |path: warp::path::FullPath, origin: String, _method: String| {
                let mut res =
                    warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response();
                let h = res.headers_mut();
                allow(h, &origin);
                if let Some(methods) = super::allow::preflight_methods(path.as_str()) {
                    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
                }
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(HEADERS),
                );
                h.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("600"),
                );
                res
            },
        )
}

/// Adds `Access-Control-Allow-Origin: <origin>` (and `Vary: Origin`) to a
/// response for a request that carried an (already allowed) `Origin`.
pub fn decorate(origin: Option<String>, mut res: Response) -> Response {
    if let Some(origin) = origin {
        allow(res.headers_mut(), &origin);
    }
    res
}

fn allow(headers: &mut warp::http::HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}
