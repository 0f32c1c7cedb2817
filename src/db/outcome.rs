//! [`QueryError`]: how a query on members, tasks, sub-tasks or daily updates ends when
//! it does not succeed — a [`Refusal`] (the request is wrong for the data as
//! it is now, decided inside the query's transaction) or a database error.
//! What each becomes in HTTP is `http::errors`' business alone.

use sea_orm::DbErr;

use crate::domain::ValidationError;

/// A request the data refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No member has the id.
    MemberNotFound,
    /// The member is still referenced and was kept.
    MemberReferenced(References),
    /// No task has the id.
    TaskNotFound,
    /// The task has no sub-task with the id.
    SubTaskNotFound,
    /// The task has no daily update with the id.
    UpdateNotFound,
    /// `assignee_id` names no member.
    AssigneeNotFound,
    /// `author_id` names no member.
    AuthorNotFound,
    /// The task already has the most sub-tasks allowed.
    TooManySubTasks,
    /// A reorder that does not list each of the task's sub-tasks exactly once.
    ReorderMismatch,
    /// The update is older than 24 hours and cannot be edited.
    EditWindowClosed,
    /// The update is older than 24 hours and cannot be deleted.
    DeleteWindowClosed,
    /// A rule that needs the stored row (the blocking reason of a patch).
    Invalid(ValidationError),
}

/// How many rows of later tables point at a member (0 when a table does not
/// exist yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct References {
    /// Rows of `tasks` whose `assignee_id` is the member.
    pub tasks: i64,
    /// Rows of `daily_updates` whose `author_id` is the member.
    pub daily_updates: i64,
}

impl References {
    /// Whether anything still points at the member.
    pub fn any(&self) -> bool {
        self.tasks > 0 || self.daily_updates > 0
    }
}

/// Why a query did not succeed.
#[derive(Debug)]
pub enum QueryError {
    /// Refused; nothing was written.
    Refused(Refusal),
    /// The database failed; nothing was written (the transaction rolled back).
    Db(DbErr),
}

impl From<DbErr> for QueryError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

impl From<Refusal> for QueryError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}
