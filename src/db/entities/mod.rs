//! How each table's rows are read: the sea-orm entity of `members` (whose
//! `Model` doubles as the API's member), the raw-SQL row of `tasks`
//! ([`task::TaskRow`], turned into the domain's `Task`), and the
//! `FromQueryResult` of the domain's `SubTask` and `DailyUpdate`, which are
//! their rows as they are ([`read_model_row!`], from each one's table).
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
