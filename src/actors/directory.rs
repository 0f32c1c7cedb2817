//! [`Directory`]: where handlers and actors find the *current* child actors.
//!
//! The supervisor replaces a child that crashed, so an `ActorRef` captured at
//! start-up would go stale. ractor's named registry is process-global (two
//! daemons in one test process would collide), so the supervisor publishes
//! its children here instead. The lock is a `std` RwLock: it is held only to
//! clone a ref, never across an `.await`.

use std::sync::{Arc, PoisonError, RwLock};

use ractor::ActorRef;

use super::ActorUnavailable;
use super::credential_store::{self, CredentialStoreMsg};
use super::db_supervisor::{self, DbSupervisorMsg};
use super::readiness::{self, ReadinessMsg};

#[derive(Default)]
struct Refs {
    credential_store: Option<ActorRef<CredentialStoreMsg>>,
    db_supervisor: Option<ActorRef<DbSupervisorMsg>>,
    readiness: Option<ActorRef<ReadinessMsg>>,
}

/// Shared, cheaply clonable handle to the current children.
#[derive(Clone, Default)]
pub struct Directory(Arc<RwLock<Refs>>);

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Directory")
    }
}

macro_rules! child_accessors {
    ($field:ident, $set:ident, $msg:ty, $name:expr) => {
        /// The current actor, or why there is none (stopped or restarting).
        pub fn $field(&self) -> Result<ActorRef<$msg>, ActorUnavailable> {
            self.0
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .$field
                .clone()
                .ok_or(ActorUnavailable { actor: $name })
        }

        /// Publishes (or clears) the current actor. Called by the supervisor only.
        pub fn $set(&self, actor: Option<ActorRef<$msg>>) {
            self.0
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .$field = actor;
        }
    };
}

impl Directory {
    child_accessors!(
        credential_store,
        set_credential_store,
        CredentialStoreMsg,
        credential_store::NAME
    );
    child_accessors!(
        db_supervisor,
        set_db_supervisor,
        DbSupervisorMsg,
        db_supervisor::NAME
    );
    child_accessors!(readiness, set_readiness, ReadinessMsg, readiness::NAME);
}
