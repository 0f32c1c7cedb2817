//! The one integration-test binary: a real `taskflowd` subprocess against a real,
//! private PostgreSQL cluster (see `helpers`). One module per feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config;
mod errors;
mod harness;
mod health;
mod helpers;
mod lifecycle;
mod process;
mod settings;
mod supervision;
mod support;
