//! How each table's rows are read and written, all by constant SQL: the
//! columns a write of a field table's resource sets and the answer's row
//! mapping ([`field_columns!`]: members, and tasks' written columns), the
//! row of `tasks` ([`task::TaskRow`], turned into the domain's `Task`), and
//! the `FromQueryResult` of the domain's `SubTask` and `DailyUpdate`, which
//! are their rows as they are ([`read_model_row!`], from each one's table).
//!
//! The schema itself belongs to the `migration` crate; these only describe it
//! to the queries, so they must follow the migrations, never lead them.

pub mod daily_update;
pub mod member;
pub mod sub_task;
pub mod task;

/// The query layer's expansion of a read model's table (see
/// `domain::read_model`): `FromQueryResult`, one column per field, read by
/// its name (the columns the queries select).
macro_rules! read_model_row {
    (
        $(#[doc = $sdoc:literal])*
        $model:ident {
            $( $(#[doc = $doc:literal])* $name:ident : $ty:ty $(as $format:ident)?; )*
        }
    ) => {
        impl sea_orm::FromQueryResult for $model {
            fn from_query_result(
                row: &sea_orm::QueryResult,
                pre: &str,
            ) -> Result<Self, sea_orm::DbErr> {
                Ok(Self {
                    $( $name: row.try_get(pre, stringify!($name))?, )*
                })
            }
        }
    };
}
pub(crate) use read_model_row;

/// A bind parameter's cast, by column kind.
macro_rules! column_cast {
    (plain) => {
        ""
    };
    (label $sql_type:literal) => {
        concat!("::", $sql_type)
    };
}

/// A field's type in the row, by column kind (a label is read as its text).
macro_rules! column_type {
    (plain, $ty:ty) => {
        $ty
    };
    (label, $ty:ty) => {
        String
    };
}

/// A field's bind value, by column kind.
macro_rules! column_value {
    (plain, $e:expr) => {
        $e.clone().into()
    };
    (label, $e:expr) => {
        $crate::domain::labels::Label::as_str($e).into()
    };
}

/// A field read back from its row, by column kind (a label the type does
/// not know is the row's error: the schema and the code disagree).
macro_rules! column_read {
    (plain, $e:expr, $ty:ty, $name:ident) => {
        $e.clone()
    };
    (label, $e:expr, $ty:ty, $name:ident) => {
        <$ty as $crate::domain::labels::Label>::from_label(&$e).ok_or_else(|| {
            sea_orm::DbErr::Custom(format!(concat!("unknown ", stringify!($name), " {:?}"), $e))
        })?
    };
}

/// A field moved out of its row (the row is consumed), by column kind.
macro_rules! column_take {
    (plain, $e:expr, $ty:ty, $name:ident) => {
        $e
    };
    (label, $e:expr, $ty:ty, $name:ident) => {
        $crate::db::entities::column_read!(label, $e, $ty, $name)
    };
}
/// The bind value of a field a patch leaves out, by column kind: a `NULL` of
/// the column's type. The `CASE` of [`patch_set_list`] never reads it, but
/// the server types every parameter, so it must be of the right type.
macro_rules! column_absent {
    (plain, $ty:ty) => {
        <$ty as $crate::db::entities::TypedNull>::typed_null()
    };
    (label, $ty:ty) => {
        sea_orm::Value::String(None)
    };
}

/// A `NULL` of the column type a plain field is bound as ([`column_absent!`]).
pub(crate) trait TypedNull {
    /// That `NULL`.
    fn typed_null() -> sea_orm::Value;
}

impl TypedNull for String {
    fn typed_null() -> sea_orm::Value {
        sea_orm::Value::String(None)
    }
}

impl TypedNull for bool {
    fn typed_null() -> sea_orm::Value {
        sea_orm::Value::Bool(None)
    }
}

impl TypedNull for uuid::Uuid {
    fn typed_null() -> sea_orm::Value {
        sea_orm::Value::Uuid(None)
    }
}

impl<T: TypedNull> TypedNull for Option<T> {
    fn typed_null() -> sea_orm::Value {
        T::typed_null()
    }
}

pub(crate) use column_absent;
pub(crate) use column_cast;
pub(crate) use column_read;
pub(crate) use column_take;
pub(crate) use column_type;
pub(crate) use column_value;

/// A column's SELECT expression, by column kind (a label is read as its text).
macro_rules! column_select_sql {
    (plain, $name:ident) => {
        stringify!($name)
    };
    (label, $name:ident) => {
        concat!(stringify!($name), "::text AS ", stringify!($name))
    };
}
pub(crate) use column_select_sql;

/// The query layer's shared expansion of a field table
/// (`domain::field_table`): `WRITTEN`, the columns a write sets with the
/// cast of each bind parameter; `READ`, their SELECT expressions;
/// `written_values`, the values of `WRITTEN` in its order;
/// `patched_values`, a patch's values for [`patch_set_list`]; and, when the
/// header names an answer, its `FromQueryResult` (the id, then each column
/// by its name, a label parsed). The statements are built from these once
/// (`LazyLock`), so a field added to the table is written and read with no
/// edit in the query file.
macro_rules! field_columns {
    (
        [$fields:ident, $patch:ident, $(answer $answer:ident,)? rules $rules:ty, wording $wording:ty]
        $(
            $(#[doc = $doc:literal])*
            $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch_word:ident,
            column $kind:ident $($sql_type:literal)?
            $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
        )*
    ) => {
        /// The columns a write sets, each with its bind parameter's cast.
        pub(crate) const WRITTEN: &[(&str, &str)] = &[
            $( (stringify!($name), $crate::db::entities::column_cast!($kind $($sql_type)?)), )*
        ];

        /// The SELECT expressions of [`WRITTEN`]'s columns, in its order.
        #[allow(dead_code)]
        pub(crate) const READ: &[&str] = &[
            $( $crate::db::entities::column_select_sql!($kind, $name), )*
        ];

        /// The values of [`WRITTEN`], in its order.
        pub(crate) fn written_values(f: &$fields) -> Vec<sea_orm::Value> {
            vec![ $( $crate::db::entities::column_value!($kind, f.$name), )* ]
        }

        /// For each column of [`WRITTEN`], in its order: whether the patch
        /// gives it, then the value (a typed `NULL` when it does not), as
        /// [`patch_set_list`](crate::db::entities::patch_set_list) binds them.
        #[allow(dead_code)]
        pub(crate) fn patched_values(p: &$patch) -> Vec<sea_orm::Value> {
            let mut values = Vec::with_capacity(2 * WRITTEN.len());
            $(
                values.push(p.$name.is_some().into());
                values.push(match &p.$name {
                    Some(v) => $crate::db::entities::column_value!($kind, *v),
                    None => $crate::db::entities::column_absent!($kind, $ty),
                });
            )*
            values
        }

        $crate::db::entities::answer_row! {
            [$($answer)?]
            $( $name: $ty, column $kind; )*
        }
    };
}
pub(crate) use field_columns;

/// The answer's row mapping of [`field_columns!`]; nothing without an answer.
macro_rules! answer_row {
    ([] $($rows:tt)*) => {};
    ([$answer:ident] $( $name:ident : $ty:ty, column $kind:ident; )*) => {
        impl sea_orm::FromQueryResult for $answer {
            fn from_query_result(
                row: &sea_orm::QueryResult,
                pre: &str,
            ) -> Result<Self, sea_orm::DbErr> {
                Ok(Self {
                    id: row.try_get(pre, "id")?,
                    $( $name: {
                        let stored: $crate::db::entities::column_type!($kind, $ty) =
                            row.try_get(pre, stringify!($name))?;
                        $crate::db::entities::column_take!($kind, stored, $ty, $name)
                    }, )*
                })
            }
        }
    };
}
pub(crate) use answer_row;

/// Each written column (`WRITTEN`) with its bind parameter, numbered from
/// `first` and cast (`$2::task_status`), put into words by `each` and joined
/// by commas.
fn numbered(
    written: &[(&str, &str)],
    first: usize,
    each: impl Fn(&str, String) -> String,
) -> String {
    written
        .iter()
        .enumerate()
        .map(|(i, (name, cast))| each(name, format!("${}{cast}", i + first)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$first::cast, …`: the bind parameters of an `INSERT`'s `VALUES`.
pub(crate) fn bind_list(written: &[(&str, &str)], first: usize) -> String {
    numbered(written, first, |_, param| param)
}

/// `column = $first::cast, …`: the written columns in an `UPDATE`'s `SET`.
pub(crate) fn set_list(written: &[(&str, &str)], first: usize) -> String {
    numbered(written, first, |name, param| format!("{name} = {param}"))
}

/// `column = CASE WHEN $k THEN $k+1::cast ELSE column END, …` from
/// `$first` on: an `UPDATE`'s `SET` that applies a patch in the statement
/// itself, each column's flag (is it given?) and value bound by
/// `patched_values`. The row is merged under the `UPDATE`'s own row lock, so
/// concurrent patches of different fields both land, with no read first.
pub(crate) fn patch_set_list(written: &[(&str, &str)], first: usize) -> String {
    written
        .iter()
        .enumerate()
        .map(|(i, (name, cast))| {
            let flag = first + 2 * i;
            format!(
                "{name} = CASE WHEN ${flag} THEN ${}{cast} ELSE {name} END",
                flag + 1
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The written columns' names, for an `INSERT`'s column list.
pub(crate) fn name_list(written: &[(&str, &str)]) -> String {
    written
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}
