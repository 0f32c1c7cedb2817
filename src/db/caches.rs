//! [`Caches`]: the daemon's list caches as one handle, shared by the
//! handlers (which read and invalidate them) and the DbSupervisor (which
//! resets them all whenever the database is not ready or changes).

use super::members_cache::MembersCache;
use super::tasks_cache::{TaskPageCache, TasksCache};
use super::write_conn::{Invalidate, Touches};

/// Every list cache; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Caches {
    /// `GET /api/v1/members`.
    pub members: MembersCache,
    /// `GET /api/v1/tasks`, per filter and sort.
    pub tasks: TasksCache,
    /// `GET /api/v1/tasks/{id}`, per task.
    pub task_pages: TaskPageCache,
}

impl Caches {
    /// The database is no longer `Ready`, or is another one: forget all.
    pub fn reset(&self) {
        self.members.reset();
        self.tasks.reset();
        self.task_pages.reset();
    }

    /// This daemon wrote to tasks, sub-tasks, daily updates or a name the
    /// tasks show: drop the task lists and pages.
    pub fn invalidate_tasks(&self) {
        self.tasks.invalidate();
        self.task_pages.invalidate();
    }
}

/// What a write that is over drops (see `db::write_conn`).
impl Invalidate for Caches {
    fn invalidate(&self, touches: Touches) {
        if matches!(touches, Touches::Members | Touches::MembersAndTasks) {
            self.members.invalidate();
        }
        if matches!(touches, Touches::Tasks | Touches::MembersAndTasks) {
            self.invalidate_tasks();
        }
    }
}
