//! How each table's rows are read: the sea-orm entity of `members` (whose
//! `Model` doubles as the API's member), the raw-SQL row of `tasks`
//! ([`task::TaskRow`], turned into the domain's `Task`), and the
//! `FromQueryResult` of the domain's `SubTask` and `DailyUpdate`, which are
//! their rows as they are.
//!
//! The schema itself belongs to the `migration` crate; these only describe it
//! to the queries, so they must follow the migrations, never lead them.

pub mod daily_update;
pub mod member;
pub mod sub_task;
pub mod task;
