//! Readiness actor: holds the last [`DbState`] published by the DbSupervisor
//! and answers `/health` and `/api/v1/settings/status` from it, so those
//! routes never wait on the database or on the DbSupervisor's mailbox.
//!
//! Every message is a debug event inside an `actor{actor="readiness"}` span;
//! the transitions themselves are logged by the DbSupervisor, whose states
//! they are.
//!
//! It also publishes each snapshot on a `tokio::sync::watch` channel that
//! `/health` reads. The desktop shell polls `/health` every 200 ms, and a
//! round trip through this one mailbox per request made Readiness the
//! bottleneck of the hottest route (BENCHMARKS.md: about 0.6× a bare warp
//! server); reading the watch is a lock-free-ish borrow. The actor stays the
//! only writer, so `/health` still answers exactly what Readiness holds.

use std::time::Duration;

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::watch;

use super::{ActorUnavailable, call, reply};
use crate::domain::credentials::ConnectionSummary;
use crate::domain::db_state::DbState;

/// This actor's one name: logs, supervision, "unavailable" messages.
pub const NAME: &str = "readiness";

// How handlers and peers find the current instance (see `directory.rs`).
super::directory::directory_slot!(readiness, set_readiness, ReadinessMsg, NAME);

/// What Readiness knows: the lifecycle state and the connection it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Lifecycle state.
    pub state: DbState,
    /// Summary of the saved connection (never the password); `None` when
    /// nothing is saved (also when running on `TASKFLOW_DATABASE_URL`).
    pub connection: Option<ConnectionSummary>,
}

/// Messages to the Readiness actor.
#[derive(Debug)]
pub enum ReadinessMsg {
    /// Cast by the DbSupervisor on every transition (and on request after a restart).
    Publish(Box<Snapshot>),
    /// Asked by `/health` and `/settings/status`; replies with the last snapshot.
    Get(RpcReplyPort<Snapshot>),
    /// Test builds only: panic, to prove the supervisor restarts this actor.
    #[cfg(debug_assertions)]
    Panic,
}

impl ReadinessMsg {
    /// The message's name for its debug event (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Publish(_) => "publish",
            Self::Get(_) => "get",
            #[cfg(debug_assertions)]
            Self::Panic => "panic",
        }
    }
}

/// The Readiness actor (stateless struct; the snapshot lives in its state).
#[derive(Debug)]
pub struct Readiness;

/// Where Readiness publishes for `/health`; shared across restarts of the
/// actor (the supervisor keeps it), so handlers never hold a stale channel.
pub type HealthWatch = Arc<watch::Sender<Snapshot>>;

/// A fresh channel holding the "starting" snapshot.
pub fn health_watch() -> HealthWatch {
    Arc::new(watch::channel(Snapshot::starting()).0)
}

impl Snapshot {
    /// Until the DbSupervisor publishes, the honest answer is "starting".
    pub fn starting() -> Self {
        Snapshot {
            state: DbState::Connecting {
                attempt: 0,
                last_error: None,
            },
            connection: None,
        }
    }
}

/// The actor's state: the snapshot and the channel it is mirrored to.
#[derive(Debug)]
pub struct ReadinessState {
    current: Snapshot,
    watch: HealthWatch,
}

impl Actor for Readiness {
    type Msg = ReadinessMsg;
    type State = ReadinessState;
    type Arguments = HealthWatch;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        watch: HealthWatch,
    ) -> Result<Self::State, ActorProcessingErr> {
        // A restarted Readiness starts from "starting" until the DbSupervisor republishes.
        let current = Snapshot::starting();
        watch.send_replace(current.clone());
        Ok(ReadinessState { current, watch })
    }

    #[tracing::instrument(name = "actor", level = "debug", skip_all, fields(actor = %NAME))]
    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        st: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tracing::debug!(actor = %NAME, msg = %msg.kind(), "message");
        let current = &mut st.current;
        match msg {
            ReadinessMsg::Publish(next) => {
                *current = *next;
                st.watch.send_replace(current.clone());
            }
            ReadinessMsg::Get(port) => reply(port, current.clone()),
            #[cfg(debug_assertions)]
            ReadinessMsg::Panic => panic!("test hook: readiness asked to panic"),
        }
        Ok(())
    }
}

/// The current snapshot, for handlers.
pub async fn snapshot(
    actor: &ActorRef<ReadinessMsg>,
    timeout: Duration,
) -> Result<Snapshot, ActorUnavailable> {
    call(actor, NAME, ReadinessMsg::Get, timeout).await
}
