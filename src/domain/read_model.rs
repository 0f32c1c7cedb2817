//! `read_model!`: the domain's expansion of a read model's table, the one
//! declaration of a resource the API answers as stored, field for field
//! (a sub-task, a daily update). The table is a macro of the resource's
//! file (`sub_task_table!`, `daily_update_table!`), expanded here into the
//! struct (serialised in the table's order; deserialisable because a task's
//! children arrive as a JSON array built by PostgreSQL), by
//! `db::entities::read_model_row!` into its row mapping, and by
//! `http::schemas::read_model_schema!` into its OpenAPI schema.
//!
//! The vocabulary of a row: its doc (also the document's description), then
//! `name: type;`, or `name: type as DateTime;` for a timestamp sent as
//! RFC 3339 text (the document's `format: date-time`).

/// A read model: the struct of the table's fields.
macro_rules! read_model {
    (
        $(#[doc = $sdoc:literal])*
        $model:ident {
            $( $(#[doc = $doc:literal])* $name:ident : $ty:ty $(as $format:ident)?; )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub struct $model {
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }
    };
}
pub(crate) use read_model;
