//! The accept loop: what `warp::serve(…).incoming(…).graceful(…)` did, plus
//! a per-connection hook for the same-user rule ([`super::same_user`]).
//!
//! warp's server gives no access to the accepted socket, so the loop is
//! ours: hyper-util's `auto` connection builder (HTTP/1.1 and HTTP/2 with
//! prior knowledge, upgrades allowed, as warp configured it) serving the
//! warp filter as a service, each connection watched by hyper-util's
//! graceful shutdown so that a stop finishes in-flight requests and closes
//! idle keep-alive connections.

use std::convert::Infallible;
use std::future::{Future, ready};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Instant;

use futures_util::future::Either;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::Instrument;
use warp::filters::BoxedFilter;
use warp::http::Request;
use warp::reply::Response;

use super::same_user::{self, SameUser, Verdict};
use crate::metrics::Registry;

/// Serves `routes` on `listener` until `stop` resolves, then stops
/// accepting and returns once every open connection has finished its
/// request (idle ones are closed at once). The caller bounds that wait.
pub async fn serve(
    listener: TcpListener,
    routes: BoxedFilter<(Response,)>,
    same_user: SameUser,
    metrics: &'static Registry,
    stop: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let routes = warp::service(routes);
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let local = match stream.local_addr() {
            Ok(addr) => addr,
            Err(e) => {
                tracing::debug!(error = %e, "connection closed before it was served");
                continue;
            }
        };
        let watcher = graceful.watcher();
        let same_user = same_user.clone();
        let routes = routes.clone();
        tokio::spawn(async move {
            let gate = Gate {
                routes,
                same_user,
                metrics,
                ends: (local, remote),
                verdict: OnceLock::new(),
            };
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), gate);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(error = %e, "connection error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// As warp (and hyper 0.14 before it) did: a failed accept that concerns
/// one connection is ignored; anything else (most likely out of file
/// descriptors) is logged and the loop pauses a second, so it does not spin.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// One connection's service: the routes (warp's service, whose type has
/// no public name, hence the parameter), behind the connection's verdict,
/// each request inside a `request{method route}` span that ends with the
/// access line (`request status=200 micros=…`, at debug) and is counted in the metrics
/// ([`crate::metrics::http`]): route templates only, never the raw path.
///
/// The verdict is looked up at the connection's first request that is not
/// a health check, then kept: keep-alive requests reuse it, and a
/// connection that only polls `/health` (a desktop shell) never pays for
/// the lookup at all.
struct Gate<S> {
    routes: S,
    same_user: SameUser,
    metrics: &'static Registry,
    /// (local, remote) of the connection.
    ends: (SocketAddr, SocketAddr),
    verdict: OnceLock<Verdict>,
}

impl<S> hyper::service::Service<Request<Incoming>> for Gate<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    // Boxed: the access line needs the response, so the future is wrapped
    // (one small allocation per request, far below a request's cost).
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let started = Instant::now();
        let route = super::allow::route(req.uri().path());
        let method = req.method().clone();
        let span = tracing::debug_span!(
            "request",
            method = %method,
            route = route
                .and_then(super::allow::route_template)
                .unwrap_or(crate::metrics::http::UNMATCHED),
        );
        let answer = span.in_scope(|| {
            if !same_user::exempt(&req) {
                let (local, remote) = self.ends;
                let verdict = self
                    .verdict
                    .get_or_init(|| self.same_user.verdict(local, remote));
                if *verdict == Verdict::Refused {
                    return Either::Left(ready(Ok(same_user::refusal())));
                }
            }
            // A clone of the boxed filter is a reference count.
            let mut routes = self.routes.clone();
            Either::Right(tower_service::Service::call(&mut routes, req))
        });
        let metrics = self.metrics;
        Box::pin(async move {
            let response = match answer.instrument(span.clone()).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let elapsed = started.elapsed();
            metrics.requests.observe(
                metrics.recorder(),
                route,
                &method,
                response.status(),
                elapsed,
            );
            // On the event, not recorded into the span: the stderr and file
            // layers share the span's formatted fields and would both append.
            span.in_scope(|| {
                tracing::debug!(
                    status = response.status().as_u16(),
                    micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                    "request"
                );
            });
            Ok(response)
        })
    }
}
