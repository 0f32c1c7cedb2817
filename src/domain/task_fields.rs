//! A task's fields, declared once: `task_table!` is the table (one line per
//! field a client writes: its doc, which is also the OpenAPI document's
//! description, its name, type, rule, and what absent and `null` mean on
//! create and on patch), and each layer expands it with a macro of its own
//! (docs/architecture.md, "One declaration per field"). The rules are the
//! constants below it, so a limit is written once.
//!
//! The expansions:
//!
//! - `task_domain!` (`domain::task`): the stored fields `TaskFields`, the
//!   patch `TaskPatch`, their parsing field by field in the table's order
//!   (so the first problem reported follows it), the merge of a patch, and
//!   the read model `Task` (the table's fields in its order, between the id
//!   and the children). The rules between fields (the gear id's pattern, the
//!   blocking reason) stay hand-written in `domain::task`.
//! - `task_db!` (`db::entities::task`): the row `TaskRow`, the columns a
//!   write sets with their casts, their bind values, the row read back as
//!   `TaskFields` and as `Task`; `task_select!` (`db::tasks`): the SELECT
//!   list's columns.
//! - `task_http!` (`http::schemas::tasks`): the OpenAPI schemas of `Task`
//!   and of the two request bodies, with the limits read from the rules.
//!
//! The vocabulary of a row:
//!
//! - `= RULE`: a constant of this file implementing
//!   [`FieldRule`](super::rules::FieldRule) whose value is the type (or what
//!   is inside its `Option`);
//! - `create required`: absent is `<field>: Field required` (`null` goes to
//!   the rule); `create optional`: absent or `null` is `None`;
//!   `create default`: absent is the type's default (`null` goes to the
//!   rule);
//! - `patch not_null`: `null` is `<field>: field cannot be null`;
//!   `patch clearable`: `null` clears it (`Some(None)`);
//!   `patch null_is_default`: `null` is the type's default;
//! - `column plain`: the `tasks` column of the field's name, bound and read
//!   as the type; `column label "<enum>"`: a PostgreSQL enum, bound as the
//!   [`Label`](super::task::Label) cast to `<enum>` and read as `::text`;
//! - `resolves name: type` (optional, after the column): a column the server
//!   sets from this field (the assignee's name from `assignee_id`): in the
//!   row and the read model right after the field, never in a body.
//!
//! A patch holds `Option<type>` for every field: `None` when absent.

use super::labels::{Priority, Status};
use super::rules::{Digits, MemberId, OneOf, Text};

/// Longest title, in characters (`VARCHAR(200)`).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters (`VARCHAR(2000)`).
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

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

/// The table. `$expand` receives the rows.
macro_rules! task_table {
    ($expand:path) => {
        $expand! {
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

/// The domain's expansion of [`task_table!`]: `TaskFields` with
/// `from_object`, `TaskPatch` with `from_object` and `merged`, and the read
/// model `Task`.
macro_rules! task_domain {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch:ident,
        column $kind:ident $($sql_type:literal)?
        $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
    )*) => {
        /// Every column of a task a client writes, valid together: what is
        /// inserted on create and what a patch leads to. What the server
        /// resolves (`assignee_name`) is not here.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct TaskFields {
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }

        /// The body of `PATCH /api/v1/tasks/{id}`: only the given fields
        /// change. Each is `None` when absent, else its new value (for a
        /// field that may be cleared, `Some(None)` clears it).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct TaskPatch {
            $( #[doc = concat!("A new `", stringify!($name), "`, if given.")] pub $name: Option<$ty>, )*
        }

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

        impl TaskFields {
            /// Every field of a create body, parsed in the table's order
            /// (the first problem is returned).
            fn from_object(obj: &Map<String, Value>) -> Result<Self, ValidationError> {
                $( let $name = $crate::domain::task_fields::create_field!(
                    $create, obj, $name, $crate::domain::task_fields::$rule
                ); )*
                Ok(Self { $($name,)* })
            }
        }

        impl TaskPatch {
            /// Every field of a patch body, parsed in the table's order.
            fn from_object(obj: &Map<String, Value>) -> Result<Self, ValidationError> {
                $( let $name = $crate::domain::task_fields::patch_field!(
                    $patch, obj, $name, $crate::domain::task_fields::$rule
                ); )*
                Ok(Self { $($name,)* })
            }

            /// `stored` with the given fields replaced (no rule checked).
            fn merged(&self, stored: &TaskFields) -> TaskFields {
                TaskFields {
                    $( $name: self.$name.clone().unwrap_or_else(|| stored.$name.clone()), )*
                }
            }
        }
    };
}
pub(crate) use task_domain;

/// One field of a create body, by its `create` rule.
macro_rules! create_field {
    (required, $obj:ident, $name:ident, $rule:expr) => {
        $crate::domain::rules::FieldRule::parse(
            &$rule,
            required($obj, stringify!($name))?,
            stringify!($name),
        )?
    };
    (optional, $obj:ident, $name:ident, $rule:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent | Given::Null => None,
            Given::Value(v) => Some($crate::domain::rules::FieldRule::parse(
                &$rule,
                v,
                stringify!($name),
            )?),
        }
    };
    (default, $obj:ident, $name:ident, $rule:expr) => {
        match $obj.get(stringify!($name)) {
            None => Default::default(),
            Some(v) => $crate::domain::rules::FieldRule::parse(&$rule, v, stringify!($name))?,
        }
    };
}
pub(crate) use create_field;

/// One field of a patch body, by its `patch` rule.
macro_rules! patch_field {
    (not_null, $obj:ident, $name:ident, $rule:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent => None,
            Given::Null => return Err(not_null(stringify!($name))),
            Given::Value(v) => Some($crate::domain::rules::FieldRule::parse(
                &$rule,
                v,
                stringify!($name),
            )?),
        }
    };
    (clearable, $obj:ident, $name:ident, $rule:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent => None,
            Given::Null => Some(None),
            Given::Value(v) => Some(Some($crate::domain::rules::FieldRule::parse(
                &$rule,
                v,
                stringify!($name),
            )?)),
        }
    };
    (null_is_default, $obj:ident, $name:ident, $rule:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent => None,
            Given::Null => Some(Default::default()),
            Given::Value(v) => Some($crate::domain::rules::FieldRule::parse(
                &$rule,
                v,
                stringify!($name),
            )?),
        }
    };
}
pub(crate) use patch_field;
