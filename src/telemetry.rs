//! Logging: a tracing subscriber writing to stderr in text or JSON, filtered
//! by `TASKFLOW_LOG` (RUST_LOG syntax). Installed once by `main`; tests that
//! start the daemon in-process may install their own.
//!
//! Nothing that holds a secret is ever a field: credentials travel as
//! [`crate::domain::credentials::DbCredentials`], whose `Debug` redacts the
//! password, and log sites name their fields by hand.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter string does not parse.
    #[error("invalid value for log (TASKFLOW_LOG): {0}")]
    Filter(String),
    /// A global subscriber was already installed.
    #[error("a logger is already installed")]
    AlreadyInstalled,
}

/// Installs the global subscriber. Call once, early in `main`.
pub fn init<W>(filter: &str, format: LogFormat, writer: W) -> Result<(), TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    // Colour only on a terminal: a desktop shell or a test captures stderr to a file.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(true);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInstalled)
}
