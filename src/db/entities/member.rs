//! The `members` table (created by `m20261129_000001_create_members`), as
//! the queries of `db::members` write and read it: the columns a write sets
//! and the row read back as the domain's [`Member`], both from the one
//! declaration of a member's fields (`domain::member`'s `member_table!`,
//! expanded by `field_columns!`).

use super::field_columns;
use crate::domain::member::{Member, MemberFields, MemberPatch, member_table};

// `WRITTEN`, `READ`, `written_values`, `patched_values` and `Member`'s
// `FromQueryResult`.
member_table!(field_columns);
