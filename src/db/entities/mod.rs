//! sea-orm entities: one module per table the daemon reads or writes.
//!
//! The schema itself belongs to the `migration` crate; these only describe it
//! to the query builder, so they must follow the migrations, never lead them.

pub mod daily_update;
pub mod member;
pub mod sub_task;
pub mod task;
