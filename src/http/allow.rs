//! The methods each path serves, for the `Allow` header of a 405 (RFC 9110
//! §15.5.6) and for the `Access-Control-Allow-Methods` of a preflight.
//!
//! Why derived from the OpenAPI document rather than written here: the list
//! of methods per path would otherwise be a second hand-written copy of the
//! router, free to drift from it. The document already is such a copy, and
//! one that `tests/api/openapi.rs` proves equal to the routes served (every
//! documented method routed, every other one a 405). Reading the table off
//! the document therefore inherits that proof: a route added to the router
//! and to the document gets its `Allow` for free, and a route added to only
//! one of them fails that test. The cost is one walk over the document at
//! startup; a request only compares path segments.
//!
//! A request path matches a documented path when it has as many segments and
//! every literal segment is equal (a `{param}` matches any segment). When
//! several templates match (`…/subtasks/reorder` and `…/subtasks/{id}`), a
//! literal segment wins over a parameter, as in the router (the sub-task
//! routes never take `reorder` for an id, issue #22): the methods are those
//! of the most literal templates, so `PATCH …/subtasks/reorder` is a 405
//! with `Allow: PUT`.

use std::sync::LazyLock;

use warp::http::{HeaderValue, Method, StatusCode, header};
use warp::reply::Response;

/// One documented path: its template, segments (`None` for a `{param}`) and methods.
struct Template {
    path: String,
    /// No `{param}`: only the path itself is an instance of it.
    literal: bool,
    segments: Vec<Option<String>>,
    methods: Vec<Method>,
}

static TABLE: LazyLock<Vec<Template>> = LazyLock::new(|| {
    let doc = super::openapi::document();
    doc.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let segments: Vec<Option<String>> = split(path)
                .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                .collect();
            Template {
                path: path.clone(),
                literal: segments.iter().all(Option::is_some),
                segments,
                methods: [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::HEAD, item.head.is_some()),
                    (Method::OPTIONS, item.options.is_some()),
                    (Method::TRACE, item.trace.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect(),
            }
        })
        .collect()
});

/// Every method the API serves on some path, for a preflight on a path the
/// document does not know (the actual request will then be a 404 anyway).
static ALL: LazyLock<Option<HeaderValue>> = LazyLock::new(|| {
    let mut all: Vec<Method> = Vec::new();
    for t in TABLE.iter() {
        for m in &t.methods {
            if !all.contains(m) {
                all.push(m.clone());
            }
        }
    }
    header(&all)
});

/// Forces the table at startup rather than on the first 405.
pub fn init() {
    LazyLock::force(&TABLE);
    LazyLock::force(&ALL);
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The methods served on `path`, in a fixed order (GET, POST, PUT, PATCH,
/// DELETE, …), or empty when no documented path matches it.
pub fn methods(path: &str) -> Vec<Method> {
    // Trailing slashes are distinct paths for the router (`/health/` is a
    // 404), so they must not match here either.
    if path.len() > 1 && path.ends_with('/') {
        return Vec::new();
    }
    let segments: Vec<&str> = split(path).collect();
    let matching: Vec<&Template> = TABLE
        .iter()
        .filter(|t| {
            t.segments.len() == segments.len()
                && t.segments.iter().zip(&segments).all(|(t, s)| match t {
                    None => true,
                    Some(lit) => lit == s,
                })
        })
        .collect();
    // Literal segments, left to right: the greatest pattern is the most literal.
    let shape = |t: &Template| t.segments.iter().map(Option::is_some).collect::<Vec<_>>();
    let best = matching.iter().map(|t| shape(t)).max();
    let mut found: Vec<Method> = Vec::new();
    for t in matching {
        if Some(shape(t)) == best {
            for m in &t.methods {
                if !found.contains(m) {
                    found.push(m.clone());
                }
            }
        }
    }
    let order = |m: &Method| {
        [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::TRACE,
        ]
        .iter()
        .position(|o| o == m)
    };
    found.sort_by_key(order);
    found
}

/// The `Allow` value for `path` (`GET, POST`), or `None` when the document
/// does not know the path.
pub fn allow_header(path: &str) -> Option<HeaderValue> {
    header(&methods(path))
}

/// The `Access-Control-Allow-Methods` value of a preflight to `path`: that
/// path's methods, or every method the API uses when the path is unknown.
pub fn preflight_methods(path: &str) -> Option<HeaderValue> {
    allow_header(path).or_else(|| ALL.clone())
}

fn header(methods: &[Method]) -> Option<HeaderValue> {
    if methods.is_empty() {
        return None;
    }
    let list: Vec<&str> = methods.iter().map(Method::as_str).collect();
    HeaderValue::from_str(&list.join(", ")).ok()
}

/// Every documented path's template, in [`route`]'s index order (the
/// metrics' `route` label values).
pub fn route_templates() -> Vec<&'static str> {
    TABLE.iter().map(|t| t.path.as_str()).collect()
}

/// The template of documented path `index` (`/api/v1/tasks/{task_id}`).
pub fn route_template(index: usize) -> Option<&'static str> {
    TABLE.get(index).map(|t| t.path.as_str())
}

/// The documented path `path` is an instance of, as an index for
/// [`route_template`]: the most literal match, as in [`methods`] (and as the
/// router decides). For the request span and the metrics' `route` label,
/// which must never be a raw path; runs on every request, so it walks the
/// table without allocating, and a path that is a literal template (the
/// shell's `/health` polls, the lists) is found by comparing strings alone
/// (measured: the segment walk for every template cost a `/health` request
/// about a tenth of its instructions).
pub fn route(path: &str) -> Option<usize> {
    if path.len() > 1 && path.ends_with('/') {
        return None;
    }
    // Nothing is more literal than a template with no parameter.
    if let Some(i) = TABLE.iter().position(|t| t.literal && t.path == path) {
        return Some(i);
    }
    let depth = split(path).count();
    let mut best: Option<usize> = None;
    for (i, t) in TABLE.iter().enumerate() {
        // Literal templates too: `//` in a path is not a segment.
        if t.segments.len() != depth {
            continue;
        }
        let mut segments = split(path);
        let mut matched = true;
        for want in &t.segments {
            match (want, segments.next()) {
                (_, None) => matched = false,
                (Some(lit), Some(s)) if lit != s => matched = false,
                _ => {}
            }
            if !matched {
                break;
            }
        }
        if !matched || segments.next().is_some() {
            continue;
        }
        // Literal segments, left to right: the greater shape wins.
        let more_literal = best.is_none_or(|b| {
            let shape = |t: &Template| t.segments.iter().map(Option::is_some).collect::<Vec<_>>();
            // Only when two templates match, which is rare (reorder vs {id}).
            shape(t) > shape(&TABLE[b])
        });
        if more_literal {
            best = Some(i);
        }
    }
    best
}

/// Adds `Allow` to a 405, listing the methods of the request's path (RFC
/// 9110 requires it), as [`allow_header`] reads them off the OpenAPI
/// document. Applied once, after [`super::errors::handle_rejection`], because the rejection
/// itself does not carry the path. A 405 on a path the document does not
/// know (the debug-only `/__test/*` hooks) keeps no `Allow` rather than a
/// guessed one.
pub fn with_allow(path: warp::path::FullPath, mut res: Response) -> Response {
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = allow_header(path.as_str())
    {
        res.headers_mut().insert(header::ALLOW, allow);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(path: &str) -> String {
        allow_header(path)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn literal_and_template_paths_resolve_to_their_methods() {
        assert_eq!(allow("/health"), "GET");
        assert_eq!(allow("/health/live"), "GET");
        assert_eq!(allow("/api/v1/members"), "GET, POST");
        assert_eq!(allow("/api/v1/members/anything"), "GET, PATCH, DELETE");
        assert_eq!(allow("/api/v1/settings/save-connection"), "POST");
        // A literal segment wins over a parameter (issue #22).
        assert_eq!(allow("/api/v1/tasks/x/subtasks/reorder"), "PUT");
        assert_eq!(allow("/api/v1/tasks/x/subtasks/y"), "PATCH, DELETE");
    }

    #[test]
    fn requests_resolve_to_their_route_template() {
        let template = |p: &str| route(p).and_then(route_template);
        assert_eq!(template("/health"), Some("/health"));
        assert_eq!(
            template("/api/v1/tasks/0b1c/subtasks/reorder"),
            Some("/api/v1/tasks/{task_id}/subtasks/reorder")
        );
        assert_eq!(
            template("/api/v1/tasks/0b1c/subtasks/77"),
            Some("/api/v1/tasks/{task_id}/subtasks/{sub_task_id}")
        );
        assert_eq!(template("/api/v1/members/x"), Some("/api/v1/members/{id}"));
        for unknown in ["/", "/health/", "/nope", "/api/v1/members/a/b", "/api/v1"] {
            assert_eq!(template(unknown), None, "{unknown}");
        }
        let all = route_templates();
        assert!(all.len() > 10, "{all:?}");
        for (i, t) in all.iter().enumerate() {
            assert_eq!(
                route_template(i),
                Some(*t),
                "the label list follows route()'s indices"
            );
        }
    }

    #[test]
    fn unknown_paths_and_trailing_slashes_have_no_methods() {
        assert_eq!(allow("/"), "");
        assert_eq!(allow("/health/"), "");
        assert_eq!(allow("/api/v1/members/a/b"), "");
        assert_eq!(allow("/nope"), "");
        let all = preflight_methods("/nope").unwrap();
        let all = all.to_str().unwrap();
        for m in ["GET", "POST", "PATCH", "DELETE"] {
            assert!(all.contains(m), "{all}");
        }
    }
}
