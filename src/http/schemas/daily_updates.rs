//! The daily updates' schemas: `DailyUpdate`'s (from its table, see
//! `domain::read_model`), and the request bodies (parsed by
//! `domain::daily_update`; their limits read from its rules).

use super::rules::{RuleSchema, body};
use super::{built_schema, read_model_schema};
use crate::domain::daily_update::{AUTHOR, CONTENT, DailyUpdate, daily_update_table};
#[cfg(doc)]
use crate::domain::daily_update::{NewDailyUpdate, UpdateContent};
use uuid::Uuid;

daily_update_table!(read_model_schema);

/// `{author_id, content}`, for the OpenAPI document (parsed by [`NewDailyUpdate::from_json`]).
pub struct NewDailyUpdateBody;
built_schema!(NewDailyUpdateBody => body(
    "`{author_id, content}`, for the OpenAPI document (parsed by [`NewDailyUpdate::from_json`]).",
    vec![
        ("author_id", AUTHOR.schema(true), true),
        ("content", CONTENT.schema(true), true),
    ],
));

/// `{content}`, for the OpenAPI document (parsed by [`UpdateContent::from_json`]).
pub struct UpdateContentBody;
built_schema!(UpdateContentBody => body(
    "`{content}`, for the OpenAPI document (parsed by [`UpdateContent::from_json`]).",
    vec![("content", CONTENT.schema(true), true)],
));
