//! The sub-tasks' schemas: `SubTask`'s (from its table, see
//! `domain::read_model`), and the request bodies (parsed by
//! `domain::sub_task`; their limits read from its rules).

use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};

use super::rules::{RuleSchema, body};
use super::{built_schema, read_model_schema};
use crate::domain::sub_task::{MAX_PER_TASK, SubTask, TITLE, sub_task_table};
#[cfg(doc)]
use crate::domain::sub_task::{Reorder, SubTaskTitle};
use uuid::Uuid;

sub_task_table!(read_model_schema);

/// `{title}`, for the OpenAPI document (parsed by [`SubTaskTitle::from_json`]).
pub struct SubTaskTitleBody;
built_schema!(SubTaskTitleBody => body(
    "`{title}`, for the OpenAPI document (parsed by [`SubTaskTitle::from_json`]).",
    vec![("title", TITLE.schema(true), true)],
));

/// `{sub_task_ids}`, for the OpenAPI document (parsed by [`Reorder::from_json`]):
/// each of the task's sub-tasks exactly once, in the new order.
pub struct ReorderBody;
built_schema!(ReorderBody => body(
    "`{sub_task_ids}`, for the OpenAPI document (parsed by [`Reorder::from_json`]):\n\
     each of the task's sub-tasks exactly once, in the new order.",
    vec![(
        "sub_task_ids",
        ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
            )
            .min_items(Some(1))
            .max_items(Some(MAX_PER_TASK))
            .into(),
        true,
    )],
));
