//! The `taskflowd` binary: parse flags, load the configuration, start the
//! daemon, wait for a stop request (SIGTERM/SIGINT, Ctrl-C/Ctrl-Break…) or
//! the parent process to go away, shut down. Everything else — the OS parts
//! included ([`taskflowd::platform`]) — lives in the library so tests run
//! the same code.
//!
//! Exit codes: 0 clean stop, 1 the daemon failed while running, 2 invalid
//! configuration, 3 port already in use, 4 another taskflowd serves the
//! config folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use taskflowd::cli::target_flags::TargetFlags;
use taskflowd::config::{self, FlagOverrides, Settings};
use taskflowd::telemetry::log_file;
use taskflowd::{Daemon, StartupError, cli, platform, telemetry};

/// TaskFlow backend daemon.
#[derive(Debug, Parser)]
#[command(name = "taskflowd", version, about)]
struct Cli {
    /// Bind address (TASKFLOW_HOST). Give it before the command.
    #[arg(long)]
    host: Option<String>,
    /// Port (TASKFLOW_PORT). The operator commands find the daemon through
    /// the config folder's taskflowd.json unless --host or --port is given
    /// (before the command).
    #[arg(long)]
    port: Option<u16>,
    /// Folder for the key, the credentials and taskflowd.toml (TASKFLOW_CONFIG_DIR).
    #[arg(long, global = true)]
    config_dir: Option<PathBuf>,
    /// Configuration file (default: <config dir>/taskflowd.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log filter, RUST_LOG syntax (TASKFLOW_LOG).
    #[arg(long, global = true)]
    log: Option<String>,
    /// Exit when this process is gone (TASKFLOW_PARENT_PID).
    #[arg(long, global = true)]
    parent_pid: Option<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon (the default).
    Serve,
    /// Print the effective configuration and where each value came from.
    PrintConfig,
    /// Ask the running daemon for its state (exit 0 when ready).
    Status {
        /// Print the raw JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Ask the running daemon to try a connection; the password is read from stdin.
    TestConnection {
        /// The connection settings, as on the Settings page.
        #[command(flatten)]
        target: TargetFlags,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Stop the daemon serving the config folder (found through its
    /// discovery file) and wait until it has exited (exit 1 if none runs).
    Stop,
    /// Show the config folder and files, whether each exists, and its mode.
    Paths,
    /// Replace the Fernet key and re-encrypt the saved credentials with it
    /// (works on the folder directly, with or without a running daemon).
    RotateKey,
}

/// Ambient libpq settings that sqlx would otherwise read into every
/// connection (DESIGN.md: connections are built from the saved fields only).
const PG_ENV: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGAPPNAME",
    "PGOPTIONS",
];

/// sqlx logs every PostgreSQL notice verbatim under this target, bypassing
/// the scrubbing of server text in `db::connect`; a server (or proxy) that
/// echoes the password in a notice would put it in the log. Always off.
const SERVER_NOTICES_OFF: &str = "sqlx::postgres::notice=off";

fn main() -> ExitCode {
    scrub_pg_environment();
    let cli = Cli::parse();
    let env: config::EnvVars = std::env::vars().collect();
    let flags = FlagOverrides {
        host: cli.host.clone(),
        port: cli.port,
        config_dir: cli.config_dir.clone(),
        log: cli.log.clone(),
        parent_pid: cli.parent_pid,
    };
    let (settings, figment) = match Settings::load(cli.config.as_deref(), env.clone(), &flags) {
        Ok(pair) => pair,
        Err(e) => return fail(2, &e.to_string()),
    };
    // An address on the command line overrides the discovery file.
    let explicit = cli.host.is_some() || cli.port.is_some();
    match cli.command.unwrap_or(Command::Serve) {
        Command::PrintConfig => {
            print!("{}", config::describe(&settings, &figment));
            ExitCode::SUCCESS
        }
        Command::Paths => {
            print!("{}", cli::commands::paths(&settings));
            ExitCode::SUCCESS
        }
        Command::RotateKey => ExitCode::from(cli::commands::rotate_key(&settings)),
        Command::Stop => run_client(cli::stop::stop(&settings, explicit)),
        Command::Status { json } => run_client(cli::commands::status(&settings, explicit, json)),
        Command::TestConnection {
            target,
            password_stdin: _,
        } => run_client(cli::commands::test_connection(
            &settings,
            explicit,
            &target,
            &mut std::io::stdin(),
        )),
        Command::Serve => {
            let filter = format!("{},{SERVER_NOTICES_OFF}", settings.log_filter(&env));
            // The file is opened before the subscriber exists; what went
            // wrong with it is logged once logging runs (to stderr alone).
            let (file, file_note) = match settings.log_file() {
                Some(path) => match log_file::open(&path, settings.log_max_bytes) {
                    Ok(f) => (Some(f), None),
                    Err(e) => (None, Some(e)),
                },
                None => (None, None),
            };
            let (writer, _flush_at_exit, tightened) = match file {
                Some(f) => (Some(f.writer), Some(f.guard), f.tightened),
                None => (None, None, None),
            };
            if let Err(e) = telemetry::init(&filter, settings.log_format, std::io::stderr, writer) {
                return fail(2, &e.to_string());
            }
            if let Some(e) = file_note {
                tracing::warn!(path = %e.path.display(), reason = %e.reason, "cannot write the log file; logging to stderr only");
            }
            if let Some(old) = tightened {
                tracing::warn!(old_mode = %old, "log folder was open to group or others; tightened to {}", platform::PRIVATE_FOLDER);
            }
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => return fail(1, &format!("cannot start the async runtime: {e}")),
            };
            // `_flush_at_exit` (the log file's worker guard) lives until
            // here, after the runtime has stopped: its drop writes out the
            // queued lines, the shutdown's included.
            runtime.block_on(serve(settings))
        }
    }
}

/// Runs an operator command on a small runtime and turns its code into an exit code.
fn run_client(fut: impl std::future::Future<Output = u8>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => ExitCode::from(rt.block_on(fut)),
        Err(e) => fail(1, &format!("cannot start the async runtime: {e}")),
    }
}

/// Removes the `PG*` variables before any thread exists.
#[allow(unsafe_code)]
fn scrub_pg_environment() {
    for name in PG_ENV {
        // SAFETY: called first thing in `main`, before the tokio runtime or
        // any other thread is started, so no other thread can read the
        // environment concurrently.
        unsafe { std::env::remove_var(name) };
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let parent = settings.parent_pid;
    // Handlers first: a SIGTERM that arrives the moment the port opens (a
    // shell that gives up early) must still mean a graceful stop, not the
    // default action that kills the process.
    let stop = match platform::stop_requested() {
        Ok(s) => s,
        Err(e) => return fail(1, &format!("cannot install signal handlers: {e}")),
    };
    let mut daemon = match Daemon::start(settings).await {
        Ok(d) => d,
        Err(e @ StartupError::PortInUse(_)) => return fail(3, &e.to_string()),
        Err(e @ StartupError::TokenFile(_)) => return fail(2, &e.to_string()),
        Err(e @ StartupError::AlreadyRunning(_)) => return fail(4, &e.to_string()),
        Err(e) => return fail(1, &e.to_string()),
    };
    let code = tokio::select! {
        why = stop => {
            tracing::info!(signal = why, "shutting down");
            ExitCode::SUCCESS
        }
        () = daemon.stop_requested() => {
            tracing::info!("shutting down (POST /api/v1/shutdown)");
            ExitCode::SUCCESS
        }
        _ = parent_gone(parent) => {
            tracing::info!("parent process is gone; shutting down");
            ExitCode::SUCCESS
        }
        stopped = daemon.failed() => {
            tracing::error!(reason = ?stopped, "daemon failed");
            eprintln!("taskflowd: stopping: {stopped:?}");
            ExitCode::from(1)
        }
    };
    daemon.shutdown().await;
    code
}

/// Resolves when the parent process is gone; never without one.
async fn parent_gone(pid: Option<u32>) {
    match pid {
        Some(pid) => platform::parent_gone(pid).await,
        None => std::future::pending().await,
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("taskflowd: {message}");
    ExitCode::from(code)
}
