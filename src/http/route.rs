//! How a route is written. Every operation is `<path>.and(<method with the
//! context [and the body]>).then(<its handler inside the panic guard>)`, and
//! a resource's operations are joined with [`one_of!`]:
//!
//! ```text
//! let get = item.and(op(warp::get(), &ctx)).then(|id, ctx| guarded(get(ctx, id)));
//! let patch = item.and(op_json(warp::patch(), &ctx)).then(|id, ctx, body| guarded(update(ctx, id, body)));
//! one_of!(get, patch)
//! ```
//!
//! The path comes first so that a wrong method on a known path is a 405 and
//! an unknown path a 404; the body is read last, after the method matched,
//! so a malformed body on one route never shows as a sibling route's 405.

use serde_json::Value;
use warp::{Filter, Rejection};

use super::ctx::{AppCtx, with_ctx};
use super::filters::json_body;

/// `method`, then the handler's context (cloned: the filter keeps no borrow).
pub fn op<M>(
    method: M,
    ctx: &AppCtx,
) -> impl Filter<Extract = (AppCtx,), Error = Rejection> + Clone + use<M>
where
    M: Filter<Extract = (), Error = Rejection> + Clone,
{
    method.and(with_ctx(ctx.clone()))
}

/// [`op`], then the JSON body ([`json_body`]: 415, 413, 411 and 400 as it says).
pub fn op_json<M>(
    method: M,
    ctx: &AppCtx,
) -> impl Filter<Extract = (AppCtx, Value), Error = Rejection> + Clone + use<M>
where
    M: Filter<Extract = (), Error = Rejection> + Clone,
{
    op(method, ctx).and(json_body())
}

/// The first of the routes that matches: `a.or(b).unify().or(c).unify()…`,
/// for routes that all extract one `Response`.
macro_rules! one_of {
    ($first:expr $(, $rest:expr)* $(,)?) => {
        $first $(.or($rest).unify())*
    };
}
pub(crate) use one_of;
