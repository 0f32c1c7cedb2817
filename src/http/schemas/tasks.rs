//! The tasks' schemas: the twins of `Task`, `Status`, `Priority` and `Sort`,
//! and the request bodies (parsed by `domain::task`).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::schema_twin;
use crate::domain::daily_update::DailyUpdate;
use crate::domain::sub_task::SubTask;
#[cfg(doc)]
use crate::domain::task::{NewTask, TaskPatch};
use crate::domain::task::{Priority, Sort, Status, Task};

/// A task as the API answers it (TASKS-API.md "Tasks").
#[derive(Serialize, ToSchema)]
#[schema(as = Task)]
#[allow(dead_code)]
struct TaskTwin {
    /// The id.
    id: Uuid,
    /// Trimmed, 1–200 characters.
    title: String,
    /// At most 2000 characters, as sent.
    description: Option<String>,
    /// The status.
    status: Status,
    /// The priority.
    priority: Priority,
    /// The assignee, or `null`.
    assignee_id: Option<Uuid>,
    /// The assignee's name, resolved by the server (`null` when unassigned).
    assignee_name: Option<String>,
    /// Exactly 4 digits, or `null`.
    gear_id: Option<String>,
    /// Non-blank when `Blocked`, `""` otherwise.
    blocking_reason: String,
    /// Ordered by `position`.
    sub_tasks: Vec<SubTask>,
    /// Newest first; always `[]` in the list.
    daily_updates: Vec<DailyUpdate>,
    /// RFC 3339 UTC with microseconds.
    #[schema(format = DateTime)]
    created_at: String,
    /// RFC 3339 UTC with microseconds; moves on every effective change to the
    /// task, its sub-tasks or its daily updates.
    #[schema(format = DateTime)]
    updated_at: String,
}
schema_twin!(Task => TaskTwin);

/// A task's status; the order is the `task_status` enum's (and `sort=status`'s).
#[derive(Serialize, ToSchema)]
#[schema(as = Status)]
#[allow(dead_code)]
enum StatusTwin {
    #[serde(rename = "To Do")]
    ToDo,
    #[serde(rename = "In Progress")]
    InProgress,
    Blocked,
    Done,
}
schema_twin!(Status => StatusTwin);

/// A task's priority; the order is the `task_priority` enum's (and `sort=priority`'s).
#[derive(Serialize, ToSchema)]
#[schema(as = Priority)]
#[allow(dead_code)]
enum PriorityTwin {
    High,
    Medium,
    Low,
}
schema_twin!(Priority => PriorityTwin);

/// The list's order.
#[derive(Serialize, ToSchema)]
#[schema(as = Sort)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum SortTwin {
    Updated,
    Priority,
    Status,
}
schema_twin!(Sort => SortTwin);

/// The body of `POST /api/v1/tasks`, for the OpenAPI document (parsed by
/// [`NewTask::from_json`], which gives the messages). Unknown fields are ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewTaskBody {
    /// Trimmed.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    status: Status,
    priority: Priority,
    /// An existing member (inactive ones too).
    assignee_id: Option<Uuid>,
    /// Exactly 4 ASCII digits.
    #[schema(pattern = "^[0-9]{4}$")]
    gear_id: Option<String>,
    /// Required (non-blank) when `status` is `Blocked`; stored as `""` otherwise.
    #[schema(nullable = false)]
    blocking_reason: Option<String>,
}

/// The body of `PATCH /api/v1/tasks/{id}`, for the OpenAPI document (parsed
/// by [`TaskPatch::from_json`]): only the given fields change; `null` clears
/// `description`, `gear_id`, `assignee_id` and `blocking_reason`, and is
/// refused for the others.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskPatchBody {
    #[schema(nullable = false, min_length = 1, max_length = 200)]
    title: Option<String>,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(nullable = false)]
    status: Option<Status>,
    #[schema(nullable = false)]
    priority: Option<Priority>,
    assignee_id: Option<Uuid>,
    #[schema(pattern = "^[0-9]{4}$")]
    gear_id: Option<String>,
    blocking_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::{json_keys, schema_keys};
    use super::*;
    use crate::domain::task::Label;

    fn labels<T: Serialize>(all: &[T]) -> Vec<String> {
        json_keys(&all.iter().map(|v| serde_json::json!(v)).collect::<Vec<_>>())
    }

    #[test]
    fn the_task_twin_names_exactly_what_a_task_serialises() {
        let task = Task {
            id: Uuid::nil(),
            title: "t".into(),
            description: Some("d".into()),
            status: Status::Blocked,
            priority: Priority::High,
            assignee_id: Some(Uuid::nil()),
            assignee_name: Some("a".into()),
            gear_id: Some("1234".into()),
            blocking_reason: "r".into(),
            sub_tasks: vec![super::super::sub_tasks::sample()],
            daily_updates: vec![super::super::daily_updates::sample()],
            created_at: "2026-12-02T05:53:26.076755Z".into(),
            updated_at: "2026-12-02T05:53:26.076755Z".into(),
        };
        assert_eq!(schema_keys::<Task>(), json_keys(&[serde_json::json!(task)]));
    }

    #[test]
    fn the_twins_name_exactly_the_labels() {
        assert_eq!(schema_keys::<Status>(), labels(Status::ALL));
        assert_eq!(schema_keys::<Priority>(), labels(Priority::ALL));
        // A new variant fails to compile here, and then to match below.
        let _every_sort = |s: Sort| match s {
            Sort::Updated | Sort::Priority | Sort::Status => (),
        };
        assert_eq!(
            schema_keys::<Sort>(),
            labels(&[Sort::Updated, Sort::Priority, Sort::Status])
        );
    }
}
