//! The actor tree: one root [`supervisor`] owning [`credential_store`],
//! [`db_supervisor`] and [`readiness`].
//!
//! HTTP handlers never touch ractor types: each actor module exports small
//! async functions (`credential_store::load`, `db_supervisor::get_pool`, …)
//! that wrap `call` with a timeout and map every messaging failure to
//! [`ActorUnavailable`].

pub mod credential_store;
pub mod db_supervisor;
pub mod directory;
pub mod readiness;
pub mod supervisor;

use std::time::Duration;

use ractor::{ActorRef, RpcReplyPort, rpc::CallResult};

/// An actor did not answer: it is stopped, restarting, or timed out.
/// Handlers turn this into a 503 (the supervisor restarts the actor).
#[derive(Debug, Clone, thiserror::Error)]
#[error("internal component `{actor}` did not answer")]
pub struct ActorUnavailable {
    /// Which actor, for the message and the log.
    pub actor: &'static str,
}

/// The failure of a request to an actor: either the actor's own answer was an
/// error (`Failed`), or no answer came (`Unavailable`).
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    /// The actor answered with a domain error.
    #[error(transparent)]
    Failed(E),
    /// The actor did not answer.
    #[error(transparent)]
    Unavailable(#[from] ActorUnavailable),
}

/// Sends `msg` to `actor` and waits at most `timeout` for the reply.
pub async fn call<M, T>(
    actor: &ActorRef<M>,
    name: &'static str,
    msg: impl FnOnce(RpcReplyPort<T>) -> M,
    timeout: Duration,
) -> Result<T, ActorUnavailable>
where
    M: ractor::Message,
    T: Send + 'static,
{
    match actor.call(msg, Some(timeout)).await {
        Ok(CallResult::Success(v)) => Ok(v),
        Ok(CallResult::Timeout) | Ok(CallResult::SenderError) | Err(_) => {
            Err(ActorUnavailable { actor: name })
        }
    }
}

/// Like [`call`], for actors whose reply is itself a `Result`.
pub async fn call_fallible<M, T, E>(
    actor: &ActorRef<M>,
    name: &'static str,
    msg: impl FnOnce(RpcReplyPort<Result<T, E>>) -> M,
    timeout: Duration,
) -> Result<T, CallError<E>>
where
    M: ractor::Message,
    T: Send + 'static,
    E: Send + 'static,
{
    call(actor, name, msg, timeout)
        .await?
        .map_err(CallError::Failed)
}

/// Replies to an RPC unless the caller already gave up (timed out).
/// A closed port is normal, so the send error is deliberately ignored.
pub fn reply<T>(port: RpcReplyPort<T>, value: T)
where
    T: Send + 'static,
{
    if !port.is_closed() {
        let _ = port.send(value);
    }
}
