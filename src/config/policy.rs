//! The daemon's fixed retry, timeout and `Retry-After` policy, each value
//! once, with the reason for it.
//!
//! These are constants, not settings: each is tied to a contract or to
//! another value (the desktop shell's polling, TASKS-API.md's 1 s
//! visibility, the supervisor's restart budget), so a user tuning one alone
//! would break that tie rather than gain anything. What a user does tune —
//! the connect timeout, the reconnect backoff, the ping interval, the
//! migration timeout, the pool size — is in `settings!` (`src/config.rs`).

use std::time::Duration;

/// `Retry-After` on every 503, in seconds. The database reconnects with a
/// backoff capped by `db_retry_backoff_cap_ms` (default 5 s), so a client
/// that waits this long finds either a ready database or a newer reason;
/// the desktop shell polls `/health` meanwhile anyway.
pub const RETRY_AFTER_SECS: u32 = 5;

/// How long a handler waits for an actor's answer before a 503. An actor's
/// mailbox never blocks (slow work runs in tasks), so an answer later than
/// this means the actor is stuck or restarting; the shell's requests must
/// not hang on it, and 5 s matches [`RETRY_AFTER_SECS`].
pub const ACTOR_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the DbSupervisor waits for the CredentialStore at start-up
/// before asking again: the two start together, so the store is usually up
/// within a few milliseconds; 200 ms keeps the first connect prompt
/// without spinning.
pub const STORE_RETRY: Duration = Duration::from_millis(200);

/// Restarts of one child tolerated within [`RESTART_WINDOW`] before the
/// supervisor gives up and the daemon exits non-zero: a child that keeps
/// failing is a bug or a broken machine, which restarting cannot fix
/// (STYLE.md: more than 5 in 10 s).
pub const MAX_RESTARTS: usize = 5;
/// The sliding window for [`MAX_RESTARTS`].
pub const RESTART_WINDOW: Duration = Duration::from_secs(10);

/// How long children get to stop at shutdown (the DbSupervisor closes its
/// pool): long enough for a clean close, short enough that a desktop shell
/// quitting is not held up.
pub const CHILD_STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// How long an unused pool connection stays open, and how long without a
/// request makes a daemon idle. The DbSupervisor's ping goes through the
/// pool every `db_ping_interval_ms` and keeps one connection warm, so an
/// idle daemon settles at one server session (DESIGN.md, "The team's
/// database"); see `db::connect::close_surplus`.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a confirmed list body is served without asking the database
/// again. Bounds the coherence queries to a few per second however busy the
/// list is, and keeps other daemons' writes visible within TASKS-API.md's
/// 1 s (a write committed after a confirmation shows at most this much
/// later; this daemon's own writes drop the bodies at once).
pub const RECHECK_AFTER: Duration = Duration::from_millis(250);

/// The CLI's deadline for one request to the daemon: a `test-connection`
/// probe may take the connect timeout (at most a minute is sensible) plus
/// a bit.
pub const CLI_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Default size at which `taskflowd.log` is rotated (DESIGN.md "Operators":
/// about 10 MiB). With [`LOG_FILES_KEPT`] old files the folder holds at most
/// about 40 MiB, whatever the daemon's uptime.
pub const LOG_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Smallest `log_max_bytes` accepted: below a few lines per file, rotation
/// would turn over on every line.
pub const LOG_MIN_BYTES: u64 = 4096;

/// Rotated log files kept besides `taskflowd.log` (`.1` newest … `.3`
/// oldest): "a few", enough to cover the day before a user's report at the
/// default size and a debug filter.
pub const LOG_FILES_KEPT: usize = 3;
