//! The one declaration of a resource's fields (docs/architecture.md, "One
//! declaration per field"): a *field table* is a macro of the resource's
//! domain file (`task_table!` in `domain::task_fields`, `member_table!` in
//! `domain::member`) that hands its header and one row per field a client
//! writes to the expansion it is given. Each layer has its expansions:
//! [`field_structs!`] here, `db::entities::field_columns!` (the columns a
//! write sets, the answer's row mapping) and `http::schemas::field_bodies!`
//! (the request bodies' schemas, the answer's schema). A resource whose
//! answer is more than its id and its fields (a task: what the server
//! resolves, the children, the timestamps) adds its own expansions for the
//! answer, as `domain::task_fields` does.
//!
//! The header, in brackets: `[Fields, Patch, answer Model, rules Rules,
//! wording W]`. `Fields` is the struct of every field, valid together (what
//! a create inserts and a patch leads to); `Patch` holds an `Option` of
//! each (`None`: absent); `answer Model` (optional) makes the read model
//! `Model`: `id` and the fields in the table's order; `Rules` is the type
//! whose associated constants are the rows' rules; `W` the resource's
//! [`Wording`](super::fields::Wording) of a body that is no object and of a
//! required field.
//!
//! The vocabulary of a row: its doc (also the OpenAPI description), then
//!
//! - `name: type = RULE`: a constant of `Rules` implementing
//!   [`FieldRule`](super::rules::FieldRule), whose value is the type (or what
//!   is inside its `Option`);
//! - `create required`: absent is the wording's 400 (`null` too, in the
//!   members' wording; in TASKS-API.md's, `null` goes to the rule);
//!   `create optional`: absent or `null` is `None`; `create default`: absent
//!   is the rule's [`absent`](super::rules::FieldRule::absent) value, `null`
//!   goes to the rule;
//! - `patch not_null`: `null` is `<field>: field cannot be null`;
//!   `patch clearable`: `null` clears it (`Some(None)`);
//!   `patch null_is_default`: `null` is the type's default;
//! - `column plain`: the column of the field's name, bound and read as the
//!   type; `column label "<enum>"`: a PostgreSQL enum, bound as the
//!   [`Label`](super::labels::Label) cast to `<enum>` and read as `::text`;
//! - `resolves name: type` (optional, after the column): a column the server
//!   sets from this field (a task's assignee name); the resource's own
//!   answer expansion places it, never a body.

/// The domain's expansion of a field table: `Fields` with `from_object`,
/// `Patch` with `from_object`, `merged` and `is_empty`, and the answer
/// `Model` when the header names one.
macro_rules! field_structs {
    (
        [$fields:ident, $patch:ident, $(answer $answer:ident,)? rules $rules:ty, wording $wording:ty]
        $(
            $(#[doc = $doc:literal])*
            $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch_word:ident,
            column $kind:ident $($sql_type:literal)?
            $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
        )*
    ) => {
        /// Every field a client writes, valid together: what a create
        /// inserts and what a patch leads to (declared by the field table).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $fields {
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }

        /// The body of a `PATCH`: only the given fields change. Each is
        /// `None` when absent, else its new value (for a field that may be
        /// cleared, `Some(None)` clears it).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $patch {
            $( #[doc = concat!("A new `", stringify!($name), "`, if given.")] pub $name: Option<$ty>, )*
        }

        impl $fields {
            /// Every field of a create body, parsed in the table's order
            /// (the first problem is returned).
            pub(crate) fn from_object(
                obj: &serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, $crate::domain::ValidationError> {
                $( let $name = $crate::domain::field_table::create_field!(
                    $create, $wording, obj, $name, <$rules>::$rule
                ); )*
                Ok(Self { $($name,)* })
            }
        }

        impl $patch {
            /// Every field of a patch body, parsed in the table's order.
            pub(crate) fn from_object(
                obj: &serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, $crate::domain::ValidationError> {
                $( let $name = $crate::domain::field_table::patch_field!(
                    $patch_word, obj, $name, <$rules>::$rule
                ); )*
                Ok(Self { $($name,)* })
            }

            /// `stored` with the given fields replaced (no rule checked).
            pub fn merged(&self, stored: &$fields) -> $fields {
                $fields {
                    $( $name: self.$name.clone().unwrap_or_else(|| stored.$name.clone()), )*
                }
            }

            /// Whether the patch gives no field (an empty object).
            pub fn is_empty(&self) -> bool {
                true $( && self.$name.is_none() )*
            }
        }

        $crate::domain::field_table::answer_model! {
            [$($answer)?] $fields;
            $( $(#[doc = $doc])* $name: $ty; )*
        }
    };
}
pub(crate) use field_structs;

/// The answer of a field table whose header names one: the id and the
/// fields, serialised in the table's order; nothing without `answer`.
macro_rules! answer_model {
    ([] $($rows:tt)*) => {};
    ([$answer:ident] $fields:ident; $( $(#[doc = $doc:literal])* $name:ident : $ty:ty; )*) => {
        /// As the API answers it: the id, then the table's fields in its
        /// order (the wire's key order).
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        pub struct $answer {
            /// Generated by the daemon (UUID v4), never by the database.
            pub id: uuid::Uuid,
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }

        impl $answer {
            /// The fields as stored (to merge a patch into).
            pub fn fields(&self) -> $fields {
                $fields { $( $name: self.$name.clone(), )* }
            }
        }
    };
}
pub(crate) use answer_model;

/// One field of a create body, by its `create` word.
macro_rules! create_field {
    (required, $wording:ty, $obj:ident, $name:ident, $rule:expr) => {
        $crate::domain::rules::FieldRule::parse(
            &$rule,
            <$wording as $crate::domain::fields::Wording>::required($obj, stringify!($name))?,
            stringify!($name),
        )?
    };
    (optional, $wording:ty, $obj:ident, $name:ident, $rule:expr) => {
        match $crate::domain::fields::given($obj, stringify!($name)) {
            $crate::domain::fields::Given::Absent | $crate::domain::fields::Given::Null => None,
            $crate::domain::fields::Given::Value(v) => Some(
                $crate::domain::rules::FieldRule::parse(&$rule, v, stringify!($name))?,
            ),
        }
    };
    (default, $wording:ty, $obj:ident, $name:ident, $rule:expr) => {
        match $obj.get(stringify!($name)) {
            None => $crate::domain::rules::FieldRule::absent(&$rule),
            Some(v) => $crate::domain::rules::FieldRule::parse(&$rule, v, stringify!($name))?,
        }
    };
}
pub(crate) use create_field;

/// One field of a patch body, by its `patch` word.
macro_rules! patch_field {
    (not_null, $obj:ident, $name:ident, $rule:expr) => {
        match $crate::domain::fields::given($obj, stringify!($name)) {
            $crate::domain::fields::Given::Absent => None,
            $crate::domain::fields::Given::Null => {
                return Err($crate::domain::fields::not_null(stringify!($name)))
            }
            $crate::domain::fields::Given::Value(v) => Some(
                $crate::domain::rules::FieldRule::parse(&$rule, v, stringify!($name))?,
            ),
        }
    };
    (clearable, $obj:ident, $name:ident, $rule:expr) => {
        match $crate::domain::fields::given($obj, stringify!($name)) {
            $crate::domain::fields::Given::Absent => None,
            $crate::domain::fields::Given::Null => Some(None),
            $crate::domain::fields::Given::Value(v) => Some(Some(
                $crate::domain::rules::FieldRule::parse(&$rule, v, stringify!($name))?,
            )),
        }
    };
    (null_is_default, $obj:ident, $name:ident, $rule:expr) => {
        match $crate::domain::fields::given($obj, stringify!($name)) {
            $crate::domain::fields::Given::Absent => None,
            $crate::domain::fields::Given::Null => Some(Default::default()),
            $crate::domain::fields::Given::Value(v) => Some(
                $crate::domain::rules::FieldRule::parse(&$rule, v, stringify!($name))?,
            ),
        }
    };
}
pub(crate) use patch_field;
