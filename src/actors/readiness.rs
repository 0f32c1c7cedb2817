//! Readiness actor: holds the last [`DbState`] published by the DbSupervisor
//! and answers `/health` and `/api/v1/settings/status` from it, so those
//! routes never wait on the database or on the DbSupervisor's mailbox.
//!
//! Every change of state is logged at debug with the old and new state.

use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::{ActorUnavailable, call, reply};
use crate::domain::credentials::ConnectionSummary;
use crate::domain::db_state::DbState;

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
    #[cfg(feature = "test-hooks")]
    Panic,
}

/// The Readiness actor (stateless struct; the snapshot lives in its state).
#[derive(Debug)]
pub struct Readiness;

impl Actor for Readiness {
    type Msg = ReadinessMsg;
    type State = Snapshot;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _args: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        // Until the DbSupervisor publishes, the honest answer is "starting".
        Ok(Snapshot {
            state: DbState::Connecting {
                attempt: 0,
                last_error: None,
            },
            connection: None,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        current: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ReadinessMsg::Publish(next) => {
                if current.state != next.state {
                    tracing::debug!(
                        from = %current.state,
                        to = %next.state,
                        attempt = next.state.attempt(),
                        reason = next.state.last_error().unwrap_or(""),
                        "db state"
                    );
                }
                *current = *next;
            }
            ReadinessMsg::Get(port) => reply(port, current.clone()),
            #[cfg(feature = "test-hooks")]
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
    call(actor, "readiness", ReadinessMsg::Get, timeout).await
}
