//! Logging: a tracing subscriber writing to stderr and, when it can be
//! opened, to `taskflowd.log` ([`log_file`]), in text or JSON, filtered by
//! `TASKFLOW_LOG` (RUST_LOG syntax). Installed once by `main`; tests that
//! start the daemon in-process may install their own.
//!
//! Nothing that holds a secret is ever a field: credentials travel as
//! [`crate::domain::credentials::DbCredentials`], whose `Debug` redacts the
//! password, and log sites name their fields by hand.

pub mod log_file;

use tracing_appender::non_blocking::NonBlocking;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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

/// Installs the global subscriber: `writer` (stderr) and, if given, the log
/// file, both with the same filter and format; colour only on a terminal,
/// never in the file. Call once, early in `main`.
pub fn init<W>(
    filter: &str,
    format: LogFormat,
    writer: W,
    file: Option<NonBlocking>,
) -> Result<(), TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    // Colour only on a terminal: a desktop shell or a test captures stderr to a file.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // One macro, two layer types: the layers' subscriber type differs per
    // branch, so each branch builds its own.
    macro_rules! layer {
        ($w:expr, $ansi:expr) => {
            tracing_subscriber::fmt::layer()
                .with_writer($w)
                .with_ansi($ansi)
                .with_target(true)
        };
    }
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(layer!(writer, ansi))
            .with(file.map(|f| layer!(f, false)))
            .try_init(),
        LogFormat::Json => registry
            .with(layer!(writer, ansi).json().flatten_event(true))
            .with(file.map(|f| layer!(f, false).json().flatten_event(true)))
            .try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInstalled)
}
