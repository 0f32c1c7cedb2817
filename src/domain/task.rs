//! Tasks as the API accepts them (TASKS-API.md "Tasks"): [`Status`],
//! [`Priority`], the body of `POST /tasks` ([`NewTask`]), of `PATCH
//! /tasks/{id}` ([`TaskPatch`], applied to the stored task by
//! [`TaskPatch::apply`]) and the list's query string ([`TaskQuery`]); and
//! the task as the API answers it ([`Task`]).
//!
//! Checks run in the contract's order and the first problem is reported:
//! the body field by field (declaration order), then the gear id, then the
//! blocking-reason rule. What needs the database (404, the assignee) is the
//! query layer's, in between or after, as the contract orders it.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::ValidationError;
use super::daily_update::DailyUpdate;
use super::field_table::field_structs;
use super::fields::object;
pub use super::labels::{Label, Priority, Status};
use super::sub_task::SubTask;
use super::task_fields::{TaskRules, task_domain, task_table};

pub use super::task_fields::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};

const GEAR_ID_RULE: &str = "GEAR ID must be exactly 4 digits";
const BLOCKING_RULE: &str = "Blocking reason is required when status is Blocked";

// `TaskFields`, `TaskPatch` (with their field-by-field parsing and the
// merge) and the read model `Task`, from the one declaration of a task's
// fields.
task_table!(field_structs);
task_table!(task_domain);

/// The body of `POST /api/v1/tasks`: the fields to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask(pub TaskFields);

impl NewTask {
    /// Parses the body: field checks, then the gear id, then the blocking
    /// reason (the assignee is checked afterwards, against the database).
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let mut fields = TaskFields::from_object(object(body)?)?;
        check_gear_id(fields.gear_id.as_deref())?;
        let reason = std::mem::take(&mut fields.blocking_reason);
        fields.blocking_reason = blocking_rule(fields.status, reason)?;
        Ok(Self(fields))
    }
}

impl TaskPatch {
    /// Parses the body: field checks, then the gear id. The blocking-reason
    /// rule needs the stored task and runs in [`Self::apply`].
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let patch = Self::from_object(object(body)?)?;
        if let Some(Some(g)) = &patch.gear_id {
            check_gear_id(Some(g))?;
        }
        Ok(patch)
    }

    /// The task after this patch, or the blocking-reason error: the rule is
    /// checked against the resulting status and reason (the stored reason
    /// when none is sent, kept exactly as stored).
    pub fn apply(&self, stored: &TaskFields) -> Result<TaskFields, ValidationError> {
        let mut after = self.merged(stored);
        let reason = std::mem::take(&mut after.blocking_reason);
        after.blocking_reason = if self.blocking_reason.is_none() && after.status == Status::Blocked
        {
            // Kept as it is; only a blank one breaks the rule.
            if reason.trim().is_empty() {
                return Err(ValidationError::rule(BLOCKING_RULE));
            }
            reason
        } else {
            blocking_rule(after.status, reason)?
        };
        Ok(after)
    }
}

/// `null`, or exactly 4 ASCII digits (`""` and `" 1234"` are not).
fn check_gear_id(gear_id: Option<&str>) -> Result<(), ValidationError> {
    match gear_id {
        Some(g) if !TaskRules::GEAR_ID.matches(g) => Err(ValidationError::rule(GEAR_ID_RULE)),
        _ => Ok(()),
    }
}

/// The reason to store: required (non-blank) when `Blocked`, `""` otherwise.
fn blocking_rule(status: Status, reason: String) -> Result<String, ValidationError> {
    match status {
        Status::Blocked if reason.is_empty() => Err(ValidationError::rule(BLOCKING_RULE)),
        Status::Blocked => Ok(reason),
        _ => Ok(String::new()),
    }
}

/// Who the list is filtered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssigneeFilter {
    /// Tasks of this member.
    Member(Uuid),
    /// Tasks without an assignee.
    Unassigned,
}

/// The list's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// `updated_at`, newest first.
    #[default]
    Updated,
    /// High, Medium, Low, then newest first.
    Priority,
    /// To Do, In Progress, Blocked, Done, then newest first.
    Status,
}

/// The query string of `GET /api/v1/tasks`; unknown parameters are ignored
/// and, as in the original backend, the last of repeated ones counts.
/// Also the task list cache's key: two queries that parse equal answer the
/// same body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TaskQuery {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this assignee (or the unassigned).
    pub assignee: Option<AssigneeFilter>,
    /// Trimmed, non-blank: a case-insensitive substring of title,
    /// description or gear id, matched literally (`%`, `_`, `\` included).
    pub search: Option<String>,
    /// The order.
    pub sort: Sort,
}

impl TaskQuery {
    /// Parses the decoded `(name, value)` pairs of the query string.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ValidationError> {
        let mut raw: [Option<&str>; 5] = [None; 5];
        for (k, v) in pairs {
            let slot = match k {
                "status" => 0,
                "priority" => 1,
                "assignee" => 2,
                "search" => 3,
                "sort" => 4,
                _ => continue,
            };
            raw[slot] = Some(v);
        }
        let [status, priority, assignee, search, sort] = raw;
        let status = status
            .map(|s| Status::parse_label(s, "status"))
            .transpose()?;
        let priority = priority
            .map(|s| Priority::parse_label(s, "priority"))
            .transpose()?;
        let assignee = assignee
            .map(|s| match s {
                "unassigned" => Ok(AssigneeFilter::Unassigned),
                _ => Uuid::parse_str(s).map(AssigneeFilter::Member).map_err(|_| {
                    ValidationError::rule("Assignee filter must be a UUID or 'unassigned'")
                }),
            })
            .transpose()?;
        // PostgreSQL's text cannot hold NUL: refused here, not a 500 there.
        if search.is_some_and(|s| s.contains('\0')) {
            return Err(ValidationError::new(
                "search",
                "String should not contain NUL characters",
            ));
        }
        let search = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let sort = match sort {
            None | Some("updated") => Sort::Updated,
            Some("priority") => Sort::Priority,
            Some("status") => Sort::Status,
            Some(_) => {
                return Err(ValidationError::new(
                    "sort",
                    "Input should be 'updated', 'priority' or 'status'",
                ));
            }
        };
        Ok(Self {
            status,
            priority,
            assignee,
            search,
            sort,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn new_err(body: Value) -> String {
        NewTask::from_json(&body).unwrap_err().to_string()
    }

    fn valid() -> Value {
        json!({"title": "T", "status": "To Do", "priority": "High"})
    }

    fn with(mut base: Value, k: &str, v: Value) -> Value {
        base[k] = v;
        base
    }

    #[test]
    fn new_task_defaults() {
        let t = NewTask::from_json(&valid()).unwrap().0;
        assert_eq!(t.title, "T");
        assert_eq!(t.description, None);
        assert_eq!(t.blocking_reason, "");
        let t = NewTask::from_json(&with(valid(), "description", json!("")))
            .unwrap()
            .0;
        assert_eq!(t.description.as_deref(), Some(""));
        let t = NewTask::from_json(&with(valid(), "blocking_reason", json!("  x  ")))
            .unwrap()
            .0;
        assert_eq!(t.blocking_reason, "", "not Blocked: always empty");
    }

    #[test]
    fn new_task_messages_in_order() {
        assert_eq!(new_err(json!({})), "title: Field required");
        assert_eq!(
            new_err(json!([])),
            "body: Input should be a valid dictionary or object to extract fields from"
        );
        assert_eq!(
            new_err(with(valid(), "title", json!(null))),
            "title: Input should be a valid string"
        );
        assert_eq!(
            new_err(with(valid(), "title", json!("   "))),
            "title: String should have at least 1 character"
        );
        assert_eq!(
            new_err(with(valid(), "title", json!("x".repeat(201)))),
            "title: String should have at most 200 characters"
        );
        assert!(
            NewTask::from_json(&with(
                valid(),
                "title",
                json!(format!(" {} ", "é".repeat(200)))
            ))
            .is_ok()
        );
        assert_eq!(
            new_err(with(valid(), "description", json!("x".repeat(2001)))),
            "description: String should have at most 2000 characters"
        );
        assert_eq!(new_err(json!({"title": "T"})), "status: Field required");
        assert_eq!(
            new_err(with(valid(), "status", json!("done"))),
            format!("status: {}", Status::EXPECTED)
        );
        assert_eq!(
            new_err(with(valid(), "priority", json!(null))),
            format!("priority: {}", Priority::EXPECTED)
        );
        assert_eq!(
            new_err(with(valid(), "assignee_id", json!("x"))),
            "assignee_id: Input should be a valid UUID"
        );
        assert_eq!(
            new_err(with(valid(), "gear_id", json!(1234))),
            "gear_id: Input should be a valid string"
        );
        for bad in ["", "123", "12345", "12a4", " 123", "１２３４"] {
            assert_eq!(
                new_err(with(valid(), "gear_id", json!(bad))),
                GEAR_ID_RULE,
                "{bad:?}"
            );
        }
        assert_eq!(
            new_err(with(valid(), "blocking_reason", json!(null))),
            "blocking_reason: Input should be a valid string"
        );
        let blocked = with(valid(), "status", json!("Blocked"));
        assert_eq!(new_err(blocked.clone()), BLOCKING_RULE);
        assert_eq!(
            new_err(with(blocked.clone(), "blocking_reason", json!("  "))),
            BLOCKING_RULE
        );
        // The gear id is checked before the blocking reason.
        assert_eq!(
            new_err(with(blocked.clone(), "gear_id", json!("1"))),
            GEAR_ID_RULE
        );
        // Body validation before the gear id.
        assert_eq!(
            new_err(with(
                with(valid(), "gear_id", json!("1")),
                "blocking_reason",
                json!(5)
            )),
            "blocking_reason: Input should be a valid string"
        );
        let t = NewTask::from_json(&with(blocked, "blocking_reason", json!(" waiting ")))
            .unwrap()
            .0;
        assert_eq!(t.blocking_reason, "waiting");
    }

    /// A stored blocked task; built by parsing, so a field added to the
    /// table needs no edit here (its default is absent).
    fn stored() -> TaskFields {
        let mut t = NewTask::from_json(&json!({
            "title": "T", "description": "d", "status": "Blocked", "priority": "Low",
            "gear_id": "1234", "blocking_reason": "x",
        }))
        .unwrap()
        .0;
        // Kept as stored (untrimmed), as the Python backend may have written it.
        t.blocking_reason = " stored ".into();
        t
    }

    fn patch(body: Value) -> Result<TaskFields, String> {
        TaskPatch::from_json(&body)
            .and_then(|p| p.apply(&stored()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn patch_rules() {
        assert_eq!(patch(json!({})).unwrap(), stored());
        // A title-only patch of a blocked task keeps its reason as it is.
        assert_eq!(
            patch(json!({"title": "U"})).unwrap().blocking_reason,
            " stored "
        );
        for f in ["title", "status", "priority"] {
            assert_eq!(
                patch(json!({f: null})).unwrap_err(),
                format!("{f}: field cannot be null")
            );
        }
        let t = patch(json!({"description": null, "gear_id": null, "assignee_id": null})).unwrap();
        assert_eq!(
            (t.description, t.gear_id, t.assignee_id),
            (None, None, None)
        );
        assert_eq!(
            patch(json!({"blocking_reason": null})).unwrap_err(),
            BLOCKING_RULE
        );
        assert_eq!(
            patch(json!({"blocking_reason": "  "})).unwrap_err(),
            BLOCKING_RULE
        );
        assert_eq!(
            patch(json!({"status": "Done"})).unwrap().blocking_reason,
            ""
        );
        assert_eq!(patch(json!({"gear_id": "12"})).unwrap_err(), GEAR_ID_RULE);
        assert_eq!(
            patch(json!({"gear_id": "12", "title": ""})).unwrap_err(),
            "title: String should have at least 1 character"
        );
        assert_eq!(
            patch(json!({"blocking_reason": " new "}))
                .unwrap()
                .blocking_reason,
            "new"
        );
    }

    fn query(q: &[(&str, &str)]) -> Result<TaskQuery, String> {
        TaskQuery::from_pairs(q.iter().copied()).map_err(|e| e.to_string())
    }

    #[test]
    fn a_nul_in_the_search_parameter_is_refused_naming_it() {
        for search in ["\0", "a\0b", "  \0  "] {
            assert_eq!(
                query(&[("search", search)]).unwrap_err(),
                "search: String should not contain NUL characters"
            );
        }
        // The last repeated one counts, as for every parameter.
        assert!(query(&[("search", "\0"), ("search", "ok")]).is_ok());
    }

    #[test]
    fn query_rules() {
        assert_eq!(query(&[]).unwrap(), TaskQuery::default());
        assert_eq!(
            query(&[("x", "y"), ("search", "  ")]).unwrap(),
            TaskQuery::default()
        );
        assert_eq!(
            query(&[("status", "")]).unwrap_err(),
            format!("status: {}", Status::EXPECTED)
        );
        assert_eq!(
            query(&[("priority", "high")]).unwrap_err(),
            format!("priority: {}", Priority::EXPECTED)
        );
        for bad in ["", "none", "1234"] {
            assert_eq!(
                query(&[("assignee", bad)]).unwrap_err(),
                "Assignee filter must be a UUID or 'unassigned'"
            );
        }
        assert_eq!(
            query(&[("sort", "title")]).unwrap_err(),
            "sort: Input should be 'updated', 'priority' or 'status'"
        );
        let q = query(&[
            ("sort", "status"),
            ("assignee", "unassigned"),
            ("search", " a%b "),
        ])
        .unwrap();
        assert_eq!(q.sort, Sort::Status);
        assert_eq!(q.assignee, Some(AssigneeFilter::Unassigned));
        assert_eq!(q.search.as_deref(), Some("a%b"));
        assert_eq!(
            query(&[("sort", "priority"), ("sort", "updated")])
                .unwrap()
                .sort,
            Sort::Updated
        );
    }
}
