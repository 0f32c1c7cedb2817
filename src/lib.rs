//! taskflowd: the TaskFlow backend as a supervised per-user daemon.
//!
//! A desktop shell spawns the daemon and polls `GET /health`; the team lead
//! saves the shared PostgreSQL credentials once from the Settings page; the
//! daemon stores them encrypted, connects, migrates, and serves the API.
//!
//! # Layout
//!
//! - [`config`]: layered settings (defaults < TOML < `TASKFLOW_*` < flags).
//! - [`telemetry`]: the tracing subscriber.
//! - [`startup`]: [`Daemon`], the one start-up seam (bind, serve, spawn actors, shut down).
//! - [`actors`]: the supervision tree — `supervisor` owns `credential_store`
//!   (the only code touching the key and credential files), `db_supervisor`
//!   (the connection lifecycle state machine) and `readiness` (answers `/health`).
//! - [`http`]: warp filters per resource (health, settings, members, tasks, sub_tasks,
//!   daily_updates, openapi),
//!   the Host/Origin guard and CORS, the error envelope in `http::errors`.
//! - [`instance`]: one daemon per config folder (the instance lock) and the
//!   discovery file `taskflowd.json` that names it.
//! - [`db`]: connecting (options built field by field, actionable errors),
//!   migrating under an advisory lock, the entities (members, tasks, sub-tasks, daily
//!   updates) and their queries.
//! - [`domain`]: types parsed from untrusted input, the redacting password, the lifecycle state.
//! - [`security`]: the Fernet key, the credential token and folder rules, atomic writes.
//! - [`platform`]: every OS-specific operation (owner-only files, durable
//!   renames, stop requests, the parent watch, the TLS relay's channel) behind one interface.
//! - [`cli`]: operator commands (`status`, `test-connection`, `paths`) that talk to a running daemon.

pub mod actors;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod instance;
pub mod platform;
pub mod security;
pub mod startup;
pub mod telemetry;

pub use startup::{Daemon, StartupError, Stopped};
