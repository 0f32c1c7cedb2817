//! The one integration-test binary: a real `taskflowd` subprocess against a real,
//! private PostgreSQL cluster (see `helpers`). One module per feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod config;
mod crash;
mod errors;
mod fuzz;
mod harness;
mod health;
mod helpers;
mod lifecycle;
mod members;
mod openapi;
mod process;
mod security;
mod settings;
mod supervision;
mod support;
mod tls;
