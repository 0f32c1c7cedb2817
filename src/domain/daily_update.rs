//! Daily updates as the API accepts them (TASKS-API.md "Daily updates"):
//! the body of `POST` ([`NewDailyUpdate`]) and of `PATCH` ([`UpdateContent`]);
//! and as it answers them ([`DailyUpdate`]).

use serde_json::Value;
use uuid::Uuid;

use super::ValidationError;
use super::fields::{object, required};
use super::read_model::read_model;
use super::rules::{FieldRule, MemberId, Text};

/// Longest content, in characters (`VARCHAR(1000)`).
pub const MAX_CONTENT_CHARS: usize = 1000;

/// A daily update as the API answers it, declared once (see
/// `domain::read_model`).
macro_rules! daily_update_table {
    ($expand:path) => {
        $expand! {
            /// A daily update (TASKS-API.md "Daily updates").
            DailyUpdate {
                /// The id.
                id: Uuid;
                /// The task it is about.
                task_id: Uuid;
                /// The member who wrote it (`ON DELETE RESTRICT`).
                author_id: Uuid;
                /// The author's name when it was written.
                author_name: String;
                /// Trimmed, 1–1000 characters.
                content: String;
                /// RFC 3339 UTC with microseconds.
                created_at: String as DateTime;
                /// RFC 3339 UTC with microseconds; moves on an edit.
                updated_at: String as DateTime;
                /// Whether it was edited after being written.
                edited: bool;
            }
        }
    };
}
pub(crate) use daily_update_table;

daily_update_table!(read_model);

/// The rule of `author_id` (the body of `POST`).
pub const AUTHOR: MemberId = MemberId;
/// The rule of `content` (the bodies of `POST` and `PATCH`).
pub const CONTENT: Text = Text::trimmed(1, Some(MAX_CONTENT_CHARS));

/// The body `{author_id, content}` of `POST /tasks/{task_id}/updates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDailyUpdate {
    /// An existing member (checked by the query layer, before the task).
    pub author_id: Uuid,
    /// Trimmed, 1–1000 characters.
    pub content: String,
}

impl NewDailyUpdate {
    /// Parses the body, `author_id` first.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let obj = object(body)?;
        let author_id = AUTHOR.parse(required(obj, "author_id")?, "author_id")?;
        let content = CONTENT.parse(required(obj, "content")?, "content")?;
        Ok(Self { author_id, content })
    }
}

/// The body `{content}` of `PATCH /tasks/{task_id}/updates/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateContent(pub String);

impl UpdateContent {
    /// Parses the body.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let obj = object(body)?;
        Ok(Self(CONTENT.parse(required(obj, "content")?, "content")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(body: Value) -> String {
        NewDailyUpdate::from_json(&body).unwrap_err().to_string()
    }

    #[test]
    fn messages_in_order() {
        let a = Uuid::new_v4().to_string();
        assert_eq!(err(json!({})), "author_id: Field required");
        assert_eq!(
            err(json!({"author_id": "x", "content": ""})),
            "author_id: Input should be a valid UUID"
        );
        assert_eq!(err(json!({"author_id": a})), "content: Field required");
        assert_eq!(
            err(json!({"author_id": a, "content": " "})),
            "content: String should have at least 1 character"
        );
        assert_eq!(
            err(json!({"author_id": a, "content": "x".repeat(1001)})),
            "content: String should have at most 1000 characters"
        );
        let u = NewDailyUpdate::from_json(&json!({"author_id": a, "content": " hi "})).unwrap();
        assert_eq!(u.content, "hi");
        assert_eq!(
            UpdateContent::from_json(&json!({"content": 1}))
                .unwrap_err()
                .to_string(),
            "content: Input should be a valid string"
        );
    }
}
