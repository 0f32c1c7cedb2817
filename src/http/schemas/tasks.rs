//! The tasks' schemas: the twins of `Task`, `Status`, `Priority` and `Sort`,
//! and the request bodies (parsed by `domain::task`). `Task`'s twin and the
//! two bodies are `task_http!`'s expansion of the one declaration of a
//! task's fields (`domain::task_fields`): a field's description is its doc
//! there, its limits its rule's (`http::schemas::rules`).

use serde::Serialize;
use utoipa::ToSchema;

use uuid::Uuid;

use super::rules::body;
use super::{built_schema, field_bodies, schema_twin};
use crate::domain::daily_update::DailyUpdate;
use crate::domain::sub_task::SubTask;
#[cfg(doc)]
use crate::domain::task::{NewTask, TaskPatch};
use crate::domain::task::{Priority, Sort, Status, Task};
use crate::domain::task_fields::task_table;

/// The task's answer expansion of `task_table!` in the document:
/// `TaskTwin`, the schema of `Task` (the table's fields with their docs, in
/// `Task`'s order, around the id, the children and the timestamps). The
/// bodies are the shared `field_bodies!`'s.
macro_rules! task_http {
    ([$($header:tt)*] $(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch:ident,
        column $kind:ident $($sql_type:literal)?
        $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
    )*) => {
        /// A task as the API answers it (TASKS-API.md "Tasks").
        #[derive(Serialize, ToSchema)]
        #[schema(as = Task)]
        #[allow(dead_code)]
        struct TaskTwin {
            /// The id.
            id: Uuid,
            $(
                $(#[doc = $doc])* $name: $ty,
                $( $(#[doc = $rdoc])* $extra: $extra_ty, )?
            )*
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
    };
}
task_table!(field_bodies);
task_table!(task_http);
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

/// How the create body is described.
const NEW_TASK_BODY: &str = "The body of `POST /api/v1/tasks`, for the OpenAPI document (parsed by\n\
[`NewTask::from_json`], which gives the messages). Unknown fields are ignored.";

/// How the patch body's description begins (the fields `null` clears follow).
const TASK_PATCH_BODY: &str = "The body of `PATCH /api/v1/tasks/{id}`, for the OpenAPI document (parsed\n\
by [`TaskPatch::from_json`]): only the given fields change; `null` clears\n";

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The body of `POST /api/v1/tasks`, for the OpenAPI document (parsed by
/// [`NewTask::from_json`]): its schema is the table's (`create_properties`).
pub struct NewTaskBody;

/// The body of `PATCH /api/v1/tasks/{id}`, for the OpenAPI document (parsed
/// by [`TaskPatch::from_json`]): its schema is the table's (`patch_properties`).
pub struct TaskPatchBody;

built_schema!(NewTaskBody => body(NEW_TASK_BODY, create_properties()));
built_schema!(TaskPatchBody => {
    let cleared: Vec<String> = cleared().iter().map(|name| format!("`{name}`")).collect();
    let description =
        format!("{TASK_PATCH_BODY}{}, and is refused for the others.", and_list(&cleared));
    body(&description, patch_properties())
});

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
            sub_tasks: Vec::new(),
            daily_updates: Vec::new(),
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
