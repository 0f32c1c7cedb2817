//! The sub-tasks' schemas: the twin of `SubTask`, and the request bodies
//! (parsed by `domain::sub_task`).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::schema_twin;
use crate::domain::sub_task::SubTask;
#[cfg(doc)]
use crate::domain::sub_task::{Reorder, SubTaskTitle};

/// A sub-task (TASKS-API.md "Sub-tasks").
#[derive(Serialize, ToSchema)]
#[schema(as = SubTask)]
#[allow(dead_code)]
struct SubTaskTwin {
    /// The id.
    id: Uuid,
    /// The task it belongs to.
    task_id: Uuid,
    /// Trimmed, 1–200 characters.
    title: String,
    /// Whether it is ticked off.
    completed: bool,
    /// 0..n-1 within the task, without gaps (`uq_sub_tasks_task_id_position`).
    position: i32,
    /// RFC 3339 UTC with microseconds.
    #[schema(format = DateTime)]
    created_at: String,
}
schema_twin!(SubTask => SubTaskTwin);

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

/// A sub-task with every field set, for the twins' tests.
#[cfg(test)]
pub(crate) fn sample() -> SubTask {
    SubTask {
        id: Uuid::nil(),
        task_id: Uuid::nil(),
        title: "t".into(),
        completed: false,
        position: 0,
        created_at: "2026-12-02T05:53:26.076755Z".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{json_keys, schema_keys};
    use super::*;

    #[test]
    fn the_twin_names_exactly_what_a_sub_task_serialises() {
        assert_eq!(
            schema_keys::<SubTask>(),
            json_keys(&[serde_json::json!(sample())])
        );
    }
}
