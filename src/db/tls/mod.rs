//! TLS to PostgreSQL with exactly the configured trust roots (issue #15).
//!
//! sqlx 0.9's rustls build always adds a root list to `ssl_root_cert` (the
//! Mozilla roots of `webpki-roots` with the feature taskflowd uses, the OS
//! store with the other), builds its `ClientConfig` privately, and takes no
//! verifier or connector from outside. So for `verify-ca` and `verify-full`
//! (and `require` with a root certificate, which is `verify-ca`) the daemon
//! runs the TLS session itself and gives the driver the plaintext side:
//!
//! - [`route`] (called by `db::connect` for every connection source) binds a
//!   Unix socket `.s.PGSQL.<port>` in a fresh 0700 folder that only this
//!   process knows, and points the driver there with TLS off;
//! - [`relay`] accepts each driver connection, opens TCP to the server,
//!   sends PostgreSQL's `SSLRequest`, runs rustls (ring) with exactly the
//!   roots of [`crate::security::trust_store::load`] and [`verifier`]'s rules,
//!   then copies bytes both ways;
//! - a failure before the session is up is answered to the driver as a
//!   PostgreSQL `ErrorResponse` ([`wire`]) that refers to the original error
//!   kept in [`failures`], so `db::connect` words it exactly as it words
//!   sqlx's own TLS errors.
//!
//! `disable`, `prefer` and `require` without a root certificate check no
//! certificate, so no roots are involved: they stay on sqlx's own TLS.
//! docs/tls.md has the design, the alternatives and the measured cost.

mod alerts;
mod anchors;
mod chain;
mod failures;
mod handshake;
mod host_address;
mod host_name;
mod openssl_reasons;
mod path;
mod relay;
mod verifier;
mod wire;

pub use failures::{RelayFailure, take_failure};
pub use handshake::libpq_text as handshake_failure;
pub use relay::{RelayGuard, keep_alive, route};
pub use verifier::{Verify, verifier};
