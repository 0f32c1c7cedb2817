//! The `sub_tasks` table (created by `m20261202_000103_create_sub_tasks`):
//! one row is one item of a task's checklist, read with raw SQL (see
//! `entities::task` for why) straight into the domain's [`SubTask`], column
//! by column as its table declares them.

use super::read_model_row;
use crate::domain::sub_task::{SubTask, sub_task_table};

sub_task_table!(read_model_row);
