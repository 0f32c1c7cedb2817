//! The one integration-test binary: a real `taskflowd` subprocess against a real,
//! private PostgreSQL cluster (see `helpers`). One module per feature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The supervision and cache tests drive `/__test/*` routes, which only debug
// builds have (src/http/test_hooks.rs): say so instead of failing with 404s.
#[cfg(not(debug_assertions))]
compile_error!(
    "the integration tests need a debug build of taskflowd: run `cargo test` without --release"
);

mod bad_input;
mod browser;
mod budget;
mod cli;
mod cli_trust;
mod config;
mod crash;
mod daily_updates;
mod database_url;
mod errors;
mod fuzz;
mod harness;
mod health;
mod helpers;
mod instance;
mod invalidation;
mod key_safety;
mod layout;
mod lifecycle;
mod log_file;
mod members;
mod methods;
mod metrics;
mod openapi;
mod pooler;
mod process;
mod same_user;
mod schema;
mod security;
mod settings;
mod stop;
mod store;
mod subtasks;
mod supervision;
mod tasks;
mod tasks_cache;
mod tls;
mod token_file;
mod windows;
