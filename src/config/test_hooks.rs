//! Whether the integration tests' hooks (`http::test_hooks`, debug builds
//! only) are served: read here, with the rest of the environment the daemon
//! reads, so no HTTP module reads the environment itself. Not a setting of
//! `settings!` on purpose: a release build has no hooks, so the switch must
//! not appear in `print-config`, `taskflowd.toml` or the configuration table.

/// The variable that turns the hooks on (the test harness sets it to `1`).
pub const ENABLE_ENV: &str = "TASKFLOW_TEST_HOOKS";

/// Whether this process was started with the hooks turned on.
#[cfg(debug_assertions)]
pub fn enabled() -> bool {
    std::env::var_os(ENABLE_ENV).is_some_and(|v| v == "1")
}
