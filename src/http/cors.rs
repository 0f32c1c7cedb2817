//! CORS for the allowed origins only. The [`super::filters::guard`] has
//! already refused any other `Origin` with 403, so whatever origin reaches
//! this code is trusted and is echoed back exactly — never `*`, and never
//! with credentials, so no permissive CORS header is ever sent.

use warp::http::{HeaderValue, Method, StatusCode, header};
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// Methods the API uses.
const METHODS: &str = "GET, POST, PATCH, DELETE";
/// Request headers a browser client may send.
const HEADERS: &str = "authorization, content-type";

/// `OPTIONS` preflight from an allowed origin → 204 with the CORS headers.
///
/// Anything else is rejected as "not found", never with warp's
/// `MethodNotAllowed` or `MissingHeader`: this filter is tried on every path,
/// and such a rejection would outrank the routes' own 404 (warp drops
/// "not found" when combining rejections), turning every unknown path into a 405.
pub fn preflight() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::method()
        .and(warp::header::optional::<String>("origin"))
        .and(warp::header::optional::<String>(
            "access-control-request-method",
        ))
        .and_then(
            |method: Method, origin: Option<String>, requested: Option<String>| async move {
                match (origin, requested) {
                    (Some(origin), Some(_)) if method == Method::OPTIONS => Ok(origin),
                    _ => Err(warp::reject::not_found()),
                }
            },
        )
        .map(|origin: String| {
            let mut res =
                warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response();
            let h = res.headers_mut();
            allow(h, &origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(METHODS),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(HEADERS),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            res
        })
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
