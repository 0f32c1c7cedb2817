//! Sub-tasks as the API accepts them (TASKS-API.md "Sub-tasks"): the title
//! of `POST`/`PATCH` ([`SubTaskTitle`]) and the order of `PUT /reorder`
//! ([`Reorder`]); and as it answers them ([`SubTask`]).

use std::collections::HashSet;

use serde_json::Value;
use uuid::Uuid;

use super::ValidationError;
use super::fields::{invalid_uuid, object, required};
use super::read_model::read_model;
use super::rules::{FieldRule, Text};

/// Longest title, in characters (`VARCHAR(200)`).
pub const MAX_TITLE_CHARS: usize = 200;
/// Most sub-tasks a task may have, and so most ids a reorder may list.
pub const MAX_PER_TASK: usize = 20;

/// A sub-task as the API answers it, declared once (docs/architecture.md,
/// "One declaration per field"): expanded by `domain::read_model!` into
/// [`SubTask`], by `db::entities` into its row mapping and by
/// `http::schemas` into its OpenAPI schema.
macro_rules! sub_task_table {
    ($expand:path) => {
        $expand! {
            /// A sub-task (TASKS-API.md "Sub-tasks").
            SubTask {
                /// The id.
                id: Uuid;
                /// The task it belongs to.
                task_id: Uuid;
                /// Trimmed, 1–200 characters.
                title: String;
                /// Whether it is ticked off.
                completed: bool;
                /// 0..n-1 within the task, without gaps (`uq_sub_tasks_task_id_position`).
                position: i32;
                /// RFC 3339 UTC with microseconds.
                created_at: String as DateTime;
            }
        }
    };
}
pub(crate) use sub_task_table;

sub_task_table!(read_model);

/// The rule of a sub-task's title (the body of `POST` and `PATCH`).
pub const TITLE: Text = Text::trimmed(1, Some(MAX_TITLE_CHARS));

/// The body `{title}` of `POST` and `PATCH`: trimmed, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubTaskTitle(pub String);

impl SubTaskTitle {
    /// Parses the body.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let obj = object(body)?;
        Ok(Self(TITLE.parse(required(obj, "title")?, "title")?))
    }
}

/// The body `{sub_task_ids}` of `PUT /reorder`: 1–20 distinct ids. Whether
/// they are exactly the task's sub-tasks is the query layer's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reorder(pub Vec<Uuid>);

impl Reorder {
    /// Parses the body: the list, its length, each id, then duplicates.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        const F: &str = "sub_task_ids";
        let obj = object(body)?;
        let items = required(obj, F)?
            .as_array()
            .ok_or_else(|| ValidationError::new(F, "Input should be a valid list"))?;
        if items.is_empty() {
            return Err(ValidationError::new(F, "List should have at least 1 item"));
        }
        if items.len() > MAX_PER_TASK {
            return Err(ValidationError::new(
                F,
                format!("List should have at most {MAX_PER_TASK} items"),
            ));
        }
        let ids = items
            .iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .ok_or_else(|| invalid_uuid(F))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashSet::new();
        if !ids.iter().all(|id| seen.insert(*id)) {
            return Err(ValidationError::new(F, "must not contain duplicates"));
        }
        Ok(Self(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reorder_err(body: Value) -> String {
        Reorder::from_json(&body).unwrap_err().to_string()
    }

    #[test]
    fn titles() {
        assert_eq!(
            SubTaskTitle::from_json(&json!({"title": " a "})).unwrap().0,
            "a"
        );
        assert_eq!(
            SubTaskTitle::from_json(&json!({})).unwrap_err().to_string(),
            "title: Field required"
        );
        assert_eq!(
            SubTaskTitle::from_json(&json!({"title": null}))
                .unwrap_err()
                .to_string(),
            "title: Input should be a valid string"
        );
        assert_eq!(
            SubTaskTitle::from_json(&json!({"title": "x".repeat(201)}))
                .unwrap_err()
                .to_string(),
            "title: String should have at most 200 characters"
        );
    }

    #[test]
    fn reorders() {
        let a = Uuid::new_v4().to_string();
        let b = Uuid::new_v4().to_string();
        assert_eq!(
            Reorder::from_json(&json!({"sub_task_ids": [a, b]}))
                .unwrap()
                .0
                .len(),
            2
        );
        assert_eq!(reorder_err(json!({})), "sub_task_ids: Field required");
        assert_eq!(
            reorder_err(json!({"sub_task_ids": a})),
            "sub_task_ids: Input should be a valid list"
        );
        assert_eq!(
            reorder_err(json!({"sub_task_ids": []})),
            "sub_task_ids: List should have at least 1 item"
        );
        let many: Vec<String> = (0..21).map(|_| Uuid::new_v4().to_string()).collect();
        assert_eq!(
            reorder_err(json!({"sub_task_ids": many})),
            "sub_task_ids: List should have at most 20 items"
        );
        assert_eq!(
            reorder_err(json!({"sub_task_ids": [a, "x"]})),
            "sub_task_ids: Input should be a valid UUID"
        );
        assert_eq!(
            reorder_err(json!({"sub_task_ids": [a, a]})),
            "sub_task_ids: must not contain duplicates"
        );
    }
}
