//! [`Directory`]: where handlers and actors find the *current* child actors.
//!
//! The supervisor replaces a child that crashed, so an `ActorRef` captured at
//! start-up would go stale. ractor's named registry is process-global (two
//! daemons in one test process would collide), so the supervisor publishes
//! its children here instead. The lock is a `std` RwLock: it is held only to
//! clone a ref, never across an `.await`.
//!
//! This module knows no actor: it stores untyped cells by actor name. Each
//! actor's module declares its typed accessors with [`directory_slot!`]
//! (e.g. `Directory::db_supervisor()` lives in `db_supervisor.rs`), so an
//! actor that looks up its peers here does not make this module depend back
//! on it.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use ractor::ActorCell;

use super::ActorUnavailable;

/// Shared, cheaply clonable handle to the current children.
#[derive(Clone, Default)]
pub struct Directory(Arc<RwLock<HashMap<&'static str, ActorCell>>>);

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Directory")
    }
}

impl Directory {
    /// The current actor named `name`, or why there is none (stopped or restarting).
    pub(super) fn cell(&self, name: &'static str) -> Result<ActorCell, ActorUnavailable> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
            .ok_or(ActorUnavailable { actor: name })
    }

    /// Publishes (or clears) the current actor named `name`.
    pub(super) fn set_cell(&self, name: &'static str, cell: Option<ActorCell>) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        match cell {
            Some(cell) => map.insert(name, cell),
            None => map.remove(name),
        };
    }
}

/// Declares an actor's typed accessors on [`Directory`], in that actor's
/// module: `$get()` (the current `ActorRef<$msg>`, or why there is none) and
/// `$set(Option<ActorRef<$msg>>)` (called by the supervisor only). The name
/// is the actor's one `NAME`, so the cell stored under it always holds an
/// actor of that message type.
macro_rules! directory_slot {
    ($get:ident, $set:ident, $msg:ty, $name:expr) => {
        impl $crate::actors::directory::Directory {
            /// The current actor, or why there is none (stopped or restarting).
            pub fn $get(&self) -> Result<ractor::ActorRef<$msg>, $crate::actors::ActorUnavailable> {
                self.cell($name).map(ractor::ActorRef::from)
            }

            /// Publishes (or clears) the current actor. Called by the supervisor only.
            pub fn $set(&self, actor: Option<ractor::ActorRef<$msg>>) {
                self.set_cell($name, actor.map(ractor::ActorCell::from));
            }
        }
    };
}
pub(super) use directory_slot;
