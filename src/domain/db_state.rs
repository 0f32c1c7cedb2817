//! [`DbState`]: where the database lifecycle stands. Published by the
//! DbSupervisor, held by Readiness, rendered by `/health` and `/settings/status`.

use std::fmt;

use time::OffsetDateTime;

/// The DbSupervisor's state machine (DESIGN.md "The actor tree"):
/// `Unconfigured → Connecting{attempt} → Migrating → Ready → (Reconnecting{attempt}) → Ready …`,
/// with `Failed` once the startup attempts are exhausted (retries go on) and
/// `Unreadable` when the stored files cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbState {
    /// No saved credentials and no `TASKFLOW_DATABASE_URL`.
    Unconfigured,
    /// The saved files exist but cannot be read (corrupt key or token, bad permissions).
    Unreadable {
        /// Why, without secrets.
        reason: String,
    },
    /// Trying to connect for the first time (or after a reconfigure).
    Connecting {
        /// 1-based attempt number.
        attempt: u32,
        /// The last failure, if an attempt already failed.
        last_error: Option<String>,
    },
    /// Connected; applying migrations under the advisory lock.
    Migrating,
    /// Connected and migrated; the pool is available.
    Ready {
        /// When it became ready.
        since: OffsetDateTime,
    },
    /// Was ready, lost the connection, trying again.
    Reconnecting {
        /// 1-based attempt number since the loss.
        attempt: u32,
        /// Why the connection is considered lost / the last failure.
        reason: String,
    },
    /// The startup attempts are exhausted; retries continue at the backoff cap.
    Failed {
        /// Attempts made so far.
        attempt: u32,
        /// The last failure, sanitised.
        reason: String,
    },
}

/// The status endpoint's `state` word: what kind of `DbState` it is, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StateName {
    /// [`DbState::Unconfigured`].
    Unconfigured,
    /// [`DbState::Connecting`].
    Connecting,
    /// [`DbState::Migrating`].
    Migrating,
    /// [`DbState::Ready`].
    Ready,
    /// [`DbState::Reconnecting`].
    Reconnecting,
    /// [`DbState::Failed`] and [`DbState::Unreadable`]: either way not
    /// serving, and something needs the user's attention.
    Failed,
}

impl StateName {
    /// Every state word, in the lifecycle's order (one `taskflow_db_state`
    /// gauge each; the twin's test walks them too).
    pub const ALL: [Self; 6] = [
        Self::Unconfigured,
        Self::Connecting,
        Self::Migrating,
        Self::Ready,
        Self::Reconnecting,
        Self::Failed,
    ];

    /// The word as the status endpoint serialises it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfigured => "unconfigured",
            Self::Connecting => "connecting",
            Self::Migrating => "migrating",
            Self::Ready => "ready",
            Self::Reconnecting => "reconnecting",
            Self::Failed => "failed",
        }
    }
}

impl DbState {
    /// The status endpoint's `state` word.
    pub fn name(&self) -> StateName {
        match self {
            Self::Unconfigured => StateName::Unconfigured,
            Self::Connecting { .. } => StateName::Connecting,
            Self::Migrating => StateName::Migrating,
            Self::Ready { .. } => StateName::Ready,
            Self::Reconnecting { .. } => StateName::Reconnecting,
            Self::Failed { .. } | Self::Unreadable { .. } => StateName::Failed,
        }
    }

    /// Attempt number for the status endpoint (0 when not connecting).
    pub fn attempt(&self) -> u32 {
        match self {
            Self::Connecting { attempt, .. }
            | Self::Reconnecting { attempt, .. }
            | Self::Failed { attempt, .. } => *attempt,
            _ => 0,
        }
    }

    /// The most recent error, if the state carries one.
    pub fn last_error(&self) -> Option<&str> {
        match self {
            Self::Connecting { last_error, .. } => last_error.as_deref(),
            Self::Reconnecting { reason, .. }
            | Self::Failed { reason, .. }
            | Self::Unreadable { reason } => Some(reason),
            _ => None,
        }
    }

    /// Whether credentials (saved or from the URL) exist.
    pub fn configured(&self) -> bool {
        !matches!(self, Self::Unconfigured)
    }

    /// `None` when healthy; otherwise the `/health` reason, worded as DESIGN.md
    /// prescribes: [`Self::not_ready_reason`] with its subject in front.
    pub fn unhealthy_reason(&self) -> Option<String> {
        let rest = self.not_ready_reason()?;
        Some(match self {
            // "Stored connection settings cannot be read: …" is its own subject.
            Self::Unreadable { .. } => {
                let mut chars = rest.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or(rest)
            }
            Self::Connecting { .. } | Self::Migrating => format!("Database is {rest}"),
            _ => format!("Database {rest}"),
        })
    }

    /// `None` when healthy; otherwise the reason as it follows the API's
    /// `Database not ready: ` (so "Database" is not said twice), e.g.
    /// `connection lost: <why>`. The one wording both reasons come from.
    pub fn not_ready_reason(&self) -> Option<String> {
        Some(match self {
            Self::Ready { .. } => return None,
            Self::Unconfigured => {
                "connection is not configured. Save connection settings first.".to_owned()
            }
            Self::Unreadable { reason } => format!(
                "stored connection settings cannot be read: {reason}. Save connection settings again."
            ),
            Self::Connecting { .. } | Self::Migrating => format!("starting: {self}"),
            Self::Failed { reason, .. } => format!("startup failed: {reason}"),
            Self::Reconnecting { reason, .. } => format!("connection lost: {reason}"),
        })
    }
}

impl fmt::Display for DbState {
    /// Short human form used in logs and in "Database is starting: …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connecting { attempt, .. } => write!(f, "connecting (attempt {attempt})"),
            Self::Reconnecting { attempt, .. } => write!(f, "reconnecting (attempt {attempt})"),
            Self::Failed { attempt, .. } => write!(f, "failed (attempt {attempt})"),
            other => f.write_str(other.name().as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_serialise_as_their_words() {
        for name in StateName::ALL {
            assert_eq!(serde_json::to_value(name).unwrap(), name.as_str());
        }
        // A new variant fails to compile here until it is matched, and then
        // this count until `ALL` lists it.
        let ordinal = |s: StateName| match s {
            StateName::Unconfigured => 0,
            StateName::Connecting => 1,
            StateName::Migrating => 2,
            StateName::Ready => 3,
            StateName::Reconnecting => 4,
            StateName::Failed => 5,
        };
        let ordinals: Vec<usize> = StateName::ALL.into_iter().map(ordinal).collect();
        assert_eq!(ordinals, (0..StateName::ALL.len()).collect::<Vec<_>>());
    }

    #[test]
    fn health_reasons_follow_the_contract() {
        assert_eq!(
            DbState::Unconfigured.unhealthy_reason().unwrap(),
            "Database connection is not configured. Save connection settings first."
        );
        let s = DbState::Connecting {
            attempt: 2,
            last_error: None,
        };
        assert_eq!(
            s.unhealthy_reason().unwrap(),
            "Database is starting: connecting (attempt 2)"
        );
        assert_eq!(
            DbState::Migrating.unhealthy_reason().unwrap(),
            "Database is starting: migrating"
        );
        let s = DbState::Failed {
            attempt: 3,
            reason: "x".into(),
        };
        assert_eq!(s.unhealthy_reason().unwrap(), "Database startup failed: x");
        let s = DbState::Reconnecting {
            attempt: 1,
            reason: "y".into(),
        };
        assert_eq!(s.unhealthy_reason().unwrap(), "Database connection lost: y");
        let s = DbState::Unreadable { reason: "z".into() };
        assert_eq!(
            s.unhealthy_reason().unwrap(),
            "Stored connection settings cannot be read: z. Save connection settings again."
        );
        let s = DbState::Ready {
            since: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(s.unhealthy_reason(), None);
        assert_eq!(s.name(), StateName::Ready);
    }
}
