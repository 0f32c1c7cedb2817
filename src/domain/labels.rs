//! A task's enums, each stored as a PostgreSQL enum and sent as its label:
//! [`Status`], [`Priority`], and what they share ([`Label`]). A leaf of
//! `domain`, so the field rules (`domain::rules`) and the field table
//! (`domain::task_fields`) can name them without importing `domain::task`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ValidationError;

/// An enum stored as a PostgreSQL enum and sent as its label ([`Status`],
/// [`Priority`]): one list of values, the label of each, and the parsing
/// both the body and the query string use.
pub trait Label: Copy + 'static {
    /// Every value, in the database enum's order.
    const ALL: &'static [Self];
    /// The 400 message that lists the labels.
    const EXPECTED: &'static str;

    /// The label, as stored and as sent.
    fn as_str(self) -> &'static str;

    /// The value with exactly this label.
    fn from_label(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    /// A label given as `field` (in a body or the query string), or the 400.
    fn parse_label(s: &str, field: &'static str) -> Result<Self, ValidationError> {
        Self::from_label(s).ok_or_else(|| ValidationError::new(field, Self::EXPECTED))
    }

    /// A body's JSON value given as `field`: a string with one of the labels.
    fn parse(v: &Value, field: &'static str) -> Result<Self, ValidationError> {
        Self::parse_label(v.as_str().unwrap_or_default(), field)
    }
}

/// A task's status; the order is the `task_status` enum's (and `sort=status`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Not started.
    #[serde(rename = "To Do")]
    ToDo,
    /// Being worked on.
    #[serde(rename = "In Progress")]
    InProgress,
    /// Waiting on something, named by `blocking_reason`.
    Blocked,
    /// Finished.
    Done,
}

impl Label for Status {
    const ALL: &'static [Self] = &[Self::ToDo, Self::InProgress, Self::Blocked, Self::Done];
    const EXPECTED: &'static str = "Input should be 'To Do', 'In Progress', 'Blocked' or 'Done'";

    fn as_str(self) -> &'static str {
        match self {
            Self::ToDo => "To Do",
            Self::InProgress => "In Progress",
            Self::Blocked => "Blocked",
            Self::Done => "Done",
        }
    }
}

/// A task's priority; the order is the `task_priority` enum's (and `sort=priority`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// First.
    High,
    /// Second.
    Medium,
    /// Last.
    Low,
}

impl Label for Priority {
    const ALL: &'static [Self] = &[Self::High, Self::Medium, Self::Low];
    const EXPECTED: &'static str = "Input should be 'High', 'Medium' or 'Low'";

    fn as_str(self) -> &'static str {
        match self {
            Self::High => "High",
            Self::Medium => "Medium",
            Self::Low => "Low",
        }
    }
}
