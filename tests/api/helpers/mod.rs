//! Test fixtures: a private PostgreSQL cluster ([`pg`]) and a PgBouncer in
//! front of one ([`pgbouncer`]), the daemon as a subprocess ([`daemon`]), TLS
//! material ([`certs`]), network stand-ins for a misbehaving server ([`net`]),
//! config-folder inspection ([`files`]), the team API's members, tasks and
//! direct SQL ([`team`]), and documented paths as requests ([`paths`]);
//! [`wine`] switches the daemon to `taskflowd.exe` under Wine for the
//! Windows run.
//!
//! A helper two test files need lives here, once (CONTRIBUTING.md).

pub mod certs;
pub mod daemon;
pub mod files;
pub mod net;
pub mod os;
pub mod paths;
pub mod pg;
pub mod pgbouncer;
pub mod team;
pub mod wine;

use std::sync::LazyLock;

pub use daemon::TestDaemon;

/// Tracing for the harness itself, initialised once per test binary. Silent unless
/// `TEST_LOG=1` (or any non-empty value other than `0`); the filter comes from
/// `RUST_LOG`, default `debug`.
static TRACING: LazyLock<()> = LazyLock::new(|| {
    let enabled = std::env::var("TEST_LOG").is_ok_and(|v| !v.is_empty() && v != "0");
    if enabled {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
});

/// Initialise the harness's tracing (idempotent). Every fixture calls it.
pub fn init_tracing() {
    LazyLock::force(&TRACING);
}

/// A port that was free a moment ago on 127.0.0.1 (bind `:0`, read it, release it).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}
