//! The root Supervisor: spawns the CredentialStore, Readiness and
//! DbSupervisor linked to itself and restarts whichever of them fails
//! (one-for-one), publishing the new refs in the [`Directory`].
//!
//! ractor's default would stop the supervisor when any child exits, so the
//! policy is written here: a restart is logged at warn; more than
//! [`MAX_RESTARTS`] within [`RESTART_WINDOW`] means something is broken for
//! good, and the supervisor stops itself with a reason — the daemon then exits
//! non-zero rather than flapping forever.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};

use super::credential_store::{CredentialStore, CredentialStoreArgs};
use super::db_supervisor::{DbSettings, DbSupervisor, DbSupervisorArgs, DbSupervisorMsg};
use super::directory::Directory;
use super::readiness::{HealthWatch, Readiness};
use crate::config::policy::{CHILD_STOP_TIMEOUT, MAX_RESTARTS, RESTART_WINDOW};
use crate::db::caches::Caches;

/// The reason the supervisor stops with when children keep failing.
pub const TOO_MANY_RESTARTS: &str = "children keep failing";

/// Start-up input.
#[derive(Debug, Clone)]
pub struct SupervisorArgs {
    /// Credential folder (`None`: platform default).
    pub config_dir: Option<PathBuf>,
    /// DbSupervisor timings.
    pub db: DbSettings,
    /// Where the children are published.
    pub directory: Directory,
    /// Readiness's snapshot channel for `/health` (kept here so it survives restarts).
    pub health: HealthWatch,
    /// The list caches, shared with the HTTP handlers; reset by the DbSupervisor.
    pub caches: Caches,
}

/// Which child a cell is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    CredentialStore,
    Readiness,
    DbSupervisor,
}

impl Child {
    fn name(self) -> &'static str {
        match self {
            Self::CredentialStore => super::credential_store::NAME,
            Self::Readiness => super::readiness::NAME,
            Self::DbSupervisor => super::db_supervisor::NAME,
        }
    }
}

/// Messages to the supervisor (none besides supervision events today).
#[derive(Debug)]
pub enum SupervisorMsg {}

/// The root actor.
#[derive(Debug)]
pub struct Supervisor;

/// Children and restart history.
#[derive(Debug)]
pub struct SupervisorState {
    args: SupervisorArgs,
    children: Vec<(Child, ActorCell)>,
    restarts: VecDeque<Instant>,
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = SupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: SupervisorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let mut state = SupervisorState {
            args,
            children: Vec::new(),
            restarts: VecDeque::new(),
        };
        // Order matters: the DbSupervisor loads from the store and publishes to Readiness.
        for child in [
            Child::CredentialStore,
            Child::Readiness,
            Child::DbSupervisor,
        ] {
            state.spawn(&myself, child).await?;
        }
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // ractor does not stop linked children with their parent; do it here,
        // after the mailbox is closed, so no restart races the shutdown.
        myself
            .stop_children_and_wait(Some("daemon stopping".to_owned()), Some(CHILD_STOP_TIMEOUT))
            .await;
        let d = &state.args.directory;
        d.set_db_supervisor(None);
        d.set_readiness(None);
        d.set_credential_store(None);
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        _state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {}
    }

    #[tracing::instrument(
        name = "actor",
        level = "debug",
        skip_all,
        fields(actor = %"supervisor")
    )]
    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, why) = match event {
            SupervisionEvent::ActorFailed(cell, err) => (cell, format!("failed: {err}")),
            SupervisionEvent::ActorTerminated(cell, _, reason) => (
                cell,
                format!(
                    "stopped: {}",
                    reason.unwrap_or_else(|| "no reason".to_owned())
                ),
            ),
            _ => return Ok(()),
        };
        let Some(index) = state
            .children
            .iter()
            .position(|(_, c)| c.get_id() == cell.get_id())
        else {
            return Ok(());
        };
        let (child, _) = state.children.remove(index);
        tracing::warn!(actor = child.name(), reason = %why, "child actor ended; restarting");
        tracing::debug!(
            actor = %"supervisor",
            child = %child.name(),
            from = %"running",
            to = %"restarting",
            reason = %why,
            "child state"
        );

        let now = Instant::now();
        state.restarts.push_back(now);
        while state
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > RESTART_WINDOW)
        {
            state.restarts.pop_front();
        }
        if state.restarts.len() > MAX_RESTARTS {
            tracing::error!(
                restarts = state.restarts.len(),
                window_secs = RESTART_WINDOW.as_secs(),
                "too many actor restarts; stopping the daemon"
            );
            myself.stop(Some(TOO_MANY_RESTARTS.to_owned()));
            return Ok(());
        }
        state.spawn(&myself, child).await?;
        if child == Child::Readiness {
            // The new Readiness starts empty; have the DbSupervisor publish again.
            if let Ok(db) = state.args.directory.db_supervisor() {
                let _ = db.cast(DbSupervisorMsg::Republish);
            }
        }
        Ok(())
    }
}

impl SupervisorState {
    async fn spawn(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        child: Child,
    ) -> Result<(), ActorProcessingErr> {
        let sup = myself.get_cell();
        let dir = self.args.directory.clone();
        let cell = match child {
            Child::CredentialStore => {
                let args = CredentialStoreArgs {
                    config_dir: self.args.config_dir.clone(),
                };
                let (r, _) = Actor::spawn_linked(None, CredentialStore, args, sup).await?;
                dir.set_credential_store(Some(r.clone()));
                r.get_cell()
            }
            Child::Readiness => {
                let watch = self.args.health.clone();
                let (r, _) = Actor::spawn_linked(None, Readiness, watch, sup).await?;
                dir.set_readiness(Some(r.clone()));
                r.get_cell()
            }
            Child::DbSupervisor => {
                let args = DbSupervisorArgs {
                    settings: self.args.db.clone(),
                    directory: dir.clone(),
                    caches: self.args.caches.clone(),
                };
                let (r, _) = Actor::spawn_linked(None, DbSupervisor, args, sup).await?;
                dir.set_db_supervisor(Some(r.clone()));
                r.get_cell()
            }
        };
        tracing::debug!(actor = child.name(), "actor started");
        self.children.push((child, cell));
        Ok(())
    }
}
