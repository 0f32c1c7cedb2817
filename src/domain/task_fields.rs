//! A task's client-written fields, declared once: `task_table!` is the
//! table (one line per field: its doc, name, type, parser and its rule on
//! create and on patch), and each layer expands it with a macro of its own
//! (docs/architecture.md, "One declaration per field").
//!
//! Expanded so far by `task_domain!`, in `domain::task`: the stored
//! fields ([`TaskFields`](super::task::TaskFields)), the patch
//! ([`TaskPatch`](super::task::TaskPatch)) and their parsing, field by field
//! in the table's order (so the first problem reported follows it), and the
//! merge of a patch onto the stored task. The rules between fields (the gear
//! id's pattern, the blocking reason) stay hand-written in `domain::task`.
//! And by `task_db!`, in `db::entities::task`: the row `TaskRow`, the
//! columns the writes set with their casts (`WRITTEN`), their bind values
//! and the row's mapping back to `TaskFields`; and by `task_select!`, in
//! `db::tasks`: the written columns of the SELECT list. The read model
//! `Task` (with `TaskRow::into_task`) and the OpenAPI bodies are still
//! written out (the next step of issue #23).
//!
//! The vocabulary of a row:
//!
//! - `= parser`: `fn(&Value, &'static str) -> Result<T, ValidationError>`,
//!   given the field's name for its message; `T` is the type, or what is
//!   inside its `Option`;
//! - `create required`: absent is `<field>: Field required` (`null` goes to
//!   the parser); `create optional`: absent or `null` is `None`;
//!   `create default`: absent is the type's default (`null` goes to the
//!   parser);
//! - `patch not_null`: `null` is `<field>: field cannot be null`;
//!   `patch clearable`: `null` clears it (`Some(None)`);
//!   `patch null_is_default`: `null` is the type's default;
//! - `column plain`: the `tasks` column of the field's name, bound and read
//!   as the type; `column label "<enum>"`: a PostgreSQL enum, bound as the
//!   [`Label`](super::task::Label) cast to `<enum>` and read as `::text`.
//!
//! A patch holds `Option<type>` for every field: `None` when absent.

/// The table. `$expand` receives the rows.
macro_rules! task_table {
    ($expand:path) => {
        $expand! {
            /// Trimmed, 1–200 characters.
            title: String = title, create required, patch not_null, column plain;
            /// At most 2000 characters, stored as sent.
            description: Option<String> = description, create optional, patch clearable, column plain;
            /// The status.
            status: Status = Status::parse, create required, patch not_null, column label "task_status";
            /// The priority.
            priority: Priority = Priority::parse, create required, patch not_null, column label "task_priority";
            /// An existing member (checked by the query layer), or unassigned.
            assignee_id: Option<Uuid> = uuid, create optional, patch clearable, column plain;
            /// Exactly 4 ASCII digits, or none.
            gear_id: Option<String> = owned_string, create optional, patch clearable, column plain;
            /// Non-blank when `Blocked`, `""` otherwise.
            blocking_reason: String = blocking_reason, create default, patch null_is_default, column plain;
        }
    };
}
pub(crate) use task_table;

/// The domain's expansion of [`task_table!`]: `TaskFields` with
/// `from_object`, and `TaskPatch` with `from_object` and `merged`.
macro_rules! task_domain {
    ($(
        $(#[$doc:meta])*
        $name:ident : $ty:ty = $parse:expr, create $create:ident, patch $patch:ident,
        column $kind:ident $($sql_type:literal)?;
    )*) => {
        /// Every column of a task a client writes, valid together: what is
        /// inserted on create and what a patch leads to. `assignee_name` is
        /// not here: the server resolves it from `assignee_id`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct TaskFields {
            $( $(#[$doc])* pub $name: $ty, )*
        }

        /// The body of `PATCH /api/v1/tasks/{id}`: only the given fields
        /// change. Each is `None` when absent, else its new value (for a
        /// field that may be cleared, `Some(None)` clears it).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct TaskPatch {
            $( #[doc = concat!("A new `", stringify!($name), "`, if given.")] pub $name: Option<$ty>, )*
        }

        impl TaskFields {
            /// Every field of a create body, parsed in the table's order
            /// (the first problem is returned).
            fn from_object(obj: &Map<String, Value>) -> Result<Self, ValidationError> {
                $( let $name = $crate::domain::task_fields::create_field!($create, obj, $name, $parse); )*
                Ok(Self { $($name,)* })
            }
        }

        impl TaskPatch {
            /// Every field of a patch body, parsed in the table's order.
            fn from_object(obj: &Map<String, Value>) -> Result<Self, ValidationError> {
                $( let $name = $crate::domain::task_fields::patch_field!($patch, obj, $name, $parse); )*
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
    (required, $obj:ident, $name:ident, $parse:expr) => {
        ($parse)(required($obj, stringify!($name))?, stringify!($name))?
    };
    (optional, $obj:ident, $name:ident, $parse:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent | Given::Null => None,
            Given::Value(v) => Some(($parse)(v, stringify!($name))?),
        }
    };
    (default, $obj:ident, $name:ident, $parse:expr) => {
        match $obj.get(stringify!($name)) {
            None => Default::default(),
            Some(v) => ($parse)(v, stringify!($name))?,
        }
    };
}
pub(crate) use create_field;

/// One field of a patch body, by its `patch` rule.
macro_rules! patch_field {
    (not_null, $obj:ident, $name:ident, $parse:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent => None,
            Given::Null => return Err(not_null(stringify!($name))),
            Given::Value(v) => Some(($parse)(v, stringify!($name))?),
        }
    };
    (clearable, $obj:ident, $name:ident, $parse:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent => None,
            Given::Null => Some(None),
            Given::Value(v) => Some(Some(($parse)(v, stringify!($name))?)),
        }
    };
    (null_is_default, $obj:ident, $name:ident, $parse:expr) => {
        match given($obj, stringify!($name)) {
            Given::Absent => None,
            Given::Null => Some(Default::default()),
            Given::Value(v) => Some(($parse)(v, stringify!($name))?),
        }
    };
}
pub(crate) use patch_field;
