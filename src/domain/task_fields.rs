//! A task's fields, declared once: `task_table!` is the task's field table
//! (`domain::field_table` has its vocabulary and the expansions every
//! resource shares: one line per field a client writes, with its doc, which
//! is also the OpenAPI document's description, its name, type, rule, and
//! what absent and `null` mean on create and on patch). The rules are the
//! constants of [`TaskRules`], so a limit is written once.
//!
//! The shared expansions give the task `TaskFields` and `TaskPatch` with
//! their parsing, merge and columns (`field_structs!`, `field_columns!`,
//! `field_bodies!`). A task's answer is more than its fields (the
//! assignee's name the server resolves, the children, the timestamps), so
//! the task has answer expansions of its own: `task_domain!` below (the read
//! model `Task`), `task_db!` (`db::entities::task`: the row `TaskRow` and its
//! mapping), `task_select!` (`db::tasks`: the SELECT list) and `task_http!`
//! (`http::schemas::tasks`: `Task`'s schema). The rules between fields (the
//! gear id's pattern, the blocking reason) stay hand-written in
//! `domain::task`.

use super::labels::{Priority, Status};
use super::rules::{Digits, MemberId, OneOf, Text};

/// Longest title, in characters (`VARCHAR(200)`).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters (`VARCHAR(2000)`).
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// The rules of a task's fields, named by `task_table!`'s rows.
pub struct TaskRules;

impl TaskRules {
    /// `title`'s rule.
    pub const TITLE: Text = Text::trimmed(1, Some(MAX_TITLE_CHARS));
    /// `description`'s rule.
    pub const DESCRIPTION: Text = Text::as_sent(Some(MAX_DESCRIPTION_CHARS));
    /// `status`'s rule.
    pub const STATUS: OneOf<Status> = OneOf::new();
    /// `priority`'s rule.
    pub const PRIORITY: OneOf<Priority> = OneOf::new();
    /// `assignee_id`'s rule.
    pub const ASSIGNEE: MemberId = MemberId;
    /// `gear_id`'s rule (its pattern is checked after the fields, see `domain::task`).
    pub const GEAR_ID: Digits = Digits { count: 4 };
    /// `blocking_reason`'s rule. The column is unbounded (`VARCHAR`); the
    /// 64 KiB body limit bounds it.
    pub const BLOCKING_REASON: Text = Text::trimmed(0, None)
        .noted("Required (non-blank) when `status` is `Blocked`; stored as `\"\"` otherwise.");
}

/// The table. `$expand` receives the header and the rows.
macro_rules! task_table {
    ($expand:path) => {
        $expand! {
            [TaskFields, TaskPatch, rules $crate::domain::task_fields::TaskRules,
                wording $crate::domain::fields::Pydantic]
            /// Trimmed, 1–200 characters.
            title: String = TITLE, create required, patch not_null, column plain;
            /// At most 2000 characters, as sent.
            description: Option<String> = DESCRIPTION, create optional, patch clearable, column plain;
            /// The status.
            status: Status = STATUS, create required, patch not_null, column label "task_status";
            /// The priority.
            priority: Priority = PRIORITY, create required, patch not_null, column label "task_priority";
            /// The assignee, or `null`.
            assignee_id: Option<Uuid> = ASSIGNEE, create optional, patch clearable, column plain,
                resolves
                /// The assignee's name, resolved by the server (`null` when unassigned).
                assignee_name: Option<String>;
            /// Exactly 4 digits, or `null`.
            gear_id: Option<String> = GEAR_ID, create optional, patch clearable, column plain;
            /// Non-blank when `Blocked`, `""` otherwise.
            blocking_reason: String = BLOCKING_REASON, create default, patch null_is_default, column plain;
        }
    };
}
pub(crate) use task_table;

/// The task's answer expansion of [`task_table!`] in the domain: the read
/// model `Task`.
macro_rules! task_domain {
    ([$($header:tt)*] $(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch:ident,
        column $kind:ident $($sql_type:literal)?
        $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
    )*) => {
        /// A task as the API answers it (TASKS-API.md "Tasks"), assembled
        /// from its row, sub-tasks and daily updates by `db::entities::task`.
        /// The keys are serialised in this order: the id, the table's
        /// fields (each followed by what the server resolves from it), the
        /// children, the timestamps.
        #[derive(Debug, Clone, Serialize)]
        pub struct Task {
            /// The id.
            pub id: Uuid,
            $(
                $(#[doc = $doc])* pub $name: $ty,
                $( $(#[doc = $rdoc])* pub $extra: $extra_ty, )?
            )*
            /// Ordered by `position`.
            pub sub_tasks: Vec<SubTask>,
            /// Newest first; always `[]` in the list.
            pub daily_updates: Vec<DailyUpdate>,
            /// RFC 3339 UTC with microseconds.
            pub created_at: String,
            /// RFC 3339 UTC with microseconds; moves on every effective change to the
            /// task, its sub-tasks or its daily updates.
            pub updated_at: String,
        }
    };
}
pub(crate) use task_domain;
