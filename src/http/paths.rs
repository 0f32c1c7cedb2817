//! The path parameters of the API, one type per path shape. Each parses the
//! raw segments warp hands over (as strings, so that a malformed id is the
//! contract's 400 naming the parameter rather than warp's 404) and is the
//! `params(...)` of the operations on its path in the OpenAPI document.

use utoipa::IntoParams;
use uuid::Uuid;

use crate::domain::ValidationError;
use crate::domain::fields::path_id;

/// `/members/{id}`. The members router words a bad id as the Python
/// backend's does: `id: must be a UUID`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// The member's id.
    pub id: Uuid,
}

impl MemberPath {
    /// Any form `uuid` accepts (hyphenated, simple, braced, URN); otherwise 400.
    pub fn parse(id: &str) -> Result<Self, ValidationError> {
        let id = Uuid::parse_str(id).map_err(|_| ValidationError::new("id", "must be a UUID"))?;
        Ok(Self { id })
    }
}

/// `/tasks/{task_id}` and what is below it with no id of its own.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TaskPath {
    /// The task's id.
    pub task_id: Uuid,
}

impl TaskPath {
    /// `task_id: Input should be a valid UUID` when malformed.
    pub fn parse(task_id: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            task_id: path_id(task_id, "task_id")?,
        })
    }
}

/// `/tasks/{task_id}/subtasks/{sub_task_id}…`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubTaskPath {
    /// The task's id.
    pub task_id: Uuid,
    /// The sub-task's id.
    pub sub_task_id: Uuid,
}

impl SubTaskPath {
    /// The task's id is checked first, as the contract orders it.
    pub fn parse(task_id: &str, sub_task_id: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            task_id: path_id(task_id, "task_id")?,
            sub_task_id: path_id(sub_task_id, "sub_task_id")?,
        })
    }
}

/// `/tasks/{task_id}/updates/{update_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UpdatePath {
    /// The task's id.
    pub task_id: Uuid,
    /// The daily update's id.
    pub update_id: Uuid,
}

impl UpdatePath {
    /// The task's id is checked first, as the contract orders it.
    pub fn parse(task_id: &str, update_id: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            task_id: path_id(task_id, "task_id")?,
            update_id: path_id(update_id, "update_id")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

    #[test]
    fn member_ids_are_worded_as_the_members_router_does() {
        assert!(MemberPath::parse(ID).is_ok());
        let e = MemberPath::parse("not-a-uuid").err().unwrap();
        assert_eq!(e.to_string(), "id: must be a UUID");
    }

    #[test]
    fn the_task_id_is_checked_before_the_item_id() {
        let e = SubTaskPath::parse("x", "y").err().unwrap();
        assert_eq!(e.to_string(), "task_id: Input should be a valid UUID");
        let e = SubTaskPath::parse(ID, "y").err().unwrap();
        assert_eq!(e.to_string(), "sub_task_id: Input should be a valid UUID");
        let e = UpdatePath::parse(ID, "y").err().unwrap();
        assert_eq!(e.to_string(), "update_id: Input should be a valid UUID");
        let p = UpdatePath::parse(ID, ID).unwrap();
        assert_eq!(
            (p.task_id, p.update_id),
            (ID.parse().unwrap(), ID.parse().unwrap())
        );
    }
}
