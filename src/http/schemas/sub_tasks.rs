//! The sub-tasks' request bodies (parsed by `domain::sub_task`).

use utoipa::ToSchema;
use uuid::Uuid;

#[cfg(doc)]
use crate::domain::sub_task::{Reorder, SubTaskTitle};

/// `{title}`, for the OpenAPI document (parsed by [`SubTaskTitle::from_json`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubTaskTitleBody {
    /// Trimmed.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
}

/// `{sub_task_ids}`, for the OpenAPI document (parsed by [`Reorder::from_json`]):
/// each of the task's sub-tasks exactly once, in the new order.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReorderBody {
    #[schema(min_items = 1, max_items = 20)]
    sub_task_ids: Vec<Uuid>,
}
