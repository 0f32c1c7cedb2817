//! taskflowd: the TaskFlow backend as a supervised per-user daemon.
//!
//! A desktop shell spawns the daemon and polls `GET /health`; the team lead
//! saves the shared PostgreSQL credentials once from the Settings page; the
//! daemon stores them encrypted, connects, migrates, and serves the API.
//!
//! # Layout
//!
//! The layers, the arrows allowed between them and the one way a resource is
//! written are in `docs/architecture.md`; in short, every module imports only
//! the layers below it, and [`domain`] imports none.
//!
//! - [`config`]: layered settings (defaults < TOML < `TASKFLOW_*` < flags), and
//!   `config::policy`, the fixed retry, timeout and `Retry-After` values.
//! - [`telemetry`]: the tracing subscriber.
//! - [`startup`]: [`Daemon`], the one start-up seam (bind, serve, spawn actors, shut down).
//! - [`actors`]: the supervision tree — `supervisor` owns `credential_store`
//!   (the only code touching the key and credential files), `db_supervisor`
//!   (the connection lifecycle state machine) and `readiness` (answers `/health`).
//! - [`http`]: warp filters per resource (health, settings, members, tasks, sub_tasks,
//!   daily_updates, openapi), the OpenAPI schemas of the wire types (`http::schemas`,
//!   `http::responses`), the Host/Origin guard and CORS, the error envelope in
//!   `http::errors`.
//! - [`instance`]: one daemon per config folder (the instance lock) and the
//!   discovery file `taskflowd.json` that names it.
//! - [`db`]: connecting (options built field by field; the failures worded in
//!   `db::connect_errors`), migrating under an advisory lock, how each table's rows
//!   are read (`db::entities`), the queries per resource and the list caches.
//! - [`domain`]: pure — types parsed from untrusted input, the read models the API
//!   answers, the redacting password, the lifecycle state machine.
//! - [`security`]: the Fernet key, the credential token and folder rules, atomic
//!   writes, the `ssl_root_cert` trust store.
//! - [`platform`]: every OS-specific operation (owner-only files, durable
//!   renames, stop requests, the parent watch, the TLS relay's channel) behind one interface.
//! - [`metrics`]: `GET /metrics`' series (Prometheus text), recorded without a lock.
//! - [`cli`]: operator commands (`status`, `test-connection`, `paths`, `rotate-key`);
//!   all but `paths` and `rotate-key` talk to a running daemon.

pub mod actors;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod instance;
pub mod metrics;
pub mod platform;
pub mod security;
pub mod startup;
pub mod telemetry;

pub use startup::{Daemon, StartupError, Stopped};
