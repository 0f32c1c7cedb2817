//! The `daily_updates` table (created by
//! `m20261202_000104_create_daily_updates`): one row is one progress note on
//! a task, read with raw SQL (see `entities::task` for why) straight into
//! the domain's [`DailyUpdate`], column by column as its table declares them.

use super::read_model_row;
use crate::domain::daily_update::{DailyUpdate, daily_update_table};

daily_update_table!(read_model_row);
